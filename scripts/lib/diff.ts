/**
 * The semantic access diff of `npm run plan -- --base GIT_REF`: compares the offline plan of the manifest at
 * GIT_REF with the working tree's and says, per partner, who gains or loses access to what, which resources are
 * created, replaced, updated or deleted, and which changes break a partner's login (new client id or role ARN),
 * escalate privileges, or need a manual step before `pulumi up`.
 *
 * Both manifests are planned by the working tree's program and Pulumi.<stack>.yaml, so the diff shows the effect
 * of the manifest change alone. This module is the pure diff and its markdown; reading the base at the ref and
 * planning it in a child process (Pulumi's runtime is process-global) is ./diffBase.
 */
import type { Access, AwsGrant, AzureGrant, Manifest, Partner, PartnerStatus } from "../../infra/manifest/schema";
import { leftBehind, placeName, sharingGroups, sharingPlace, someOf } from "../../infra/manifest/isolation";
import { partnerLogicalName } from "../../infra/naming";
import type { Settings } from "../../infra/settings/schema";
import { displayText } from "./markdown";
import type { PlanJson } from "./plan";

type PlanResource = PlanJson["resources"][number];

export type AccessChange =
  | "onboarded"
  | "suspended"
  | "reinstated"
  | "offboarded"
  | "grant added"
  | "grant removed"
  | "grant widened"
  | "grant narrowed"
  | "grant changed";

/** One row of the access table: a partner's status change or one grant change. */
export interface AccessRow {
  org: string;
  partner: string;
  change: AccessChange;
  /** Status or grant before ("-" when there was none). */
  before: string;
  /** Status or grant after ("-" when there is none). */
  after: string;
}

export type FlagKind = "breaking" | "privilege escalation" | "shared access" | "manual step";

export interface DiffFlag {
  kind: FlagKind;
  org: string | null;
  message: string;
  /** Shell command that resolves the flag (manual steps). */
  command?: string;
}

export type ResourceOp = "create" | "replace" | "update" | "delete";

export interface ResourceChange {
  op: ResourceOp;
  type: string;
  name: string;
  /** URN as the engine builds it (scripts/lib/offlineRun.ts rewrites the mock's URNs): the one in the stack's state. */
  urn: string;
  org: string | null;
  /** Inputs whose change causes the operation (replace: the replace-triggering ones; update: all changed). */
  keys: string[];
}

export interface SemanticDiff {
  stack: string;
  baseRef: string;
  /** The stack settings file both manifests were planned with, when not Pulumi.<stack>.yaml. */
  configFile?: string;
  rows: AccessRow[];
  flags: DiffFlag[];
  resources: ResourceChange[];
}

// ---------------------------------------------------------------------------------------------------------------
// Grants: what a partner can do where.

/** One grant as a capability: a scope (container/bucket + directory) and an access level. */
interface Capability {
  cloud: "azure" | "aws";
  target: string;
  /** Directory without trailing "/"; null = the whole container (S3 grants always have a prefix). */
  dir: string | null;
  access: Access;
}

const azureCap = (g: AzureGrant): Capability => ({ cloud: "azure", target: g.container, dir: g.path ?? null, access: g.access });
const awsCap = (g: AwsGrant): Capability => ({ cloud: "aws", target: g.bucket, dir: g.prefix.slice(0, -1), access: g.access });

/** How a grant reads in the report: `azure:outbound/nordlys` read, `azure:inbound` write, `s3://bucket/prefix/` read. */
export function grantText(c: Capability): string {
  const where = c.cloud === "azure" ? `azure:${c.target}${c.dir === null ? "" : `/${c.dir}`}` : `s3://${c.target}/${c.dir ?? ""}/`;
  return `\`${where}\` ${c.access}`;
}

/** A partner's grants that are in force: only an active partner has access (design.md, status semantics). */
function effectiveGrants(p: Partner | undefined): Capability[] {
  if (p === undefined || p.status !== "active") return [];
  return [...p.azure.map(azureCap), ...p.aws.map(awsCap)];
}

type Relation = "same" | "wider" | "narrower" | "other";

/** How the head scope relates to the base scope. A directory covers everything below it (default ACLs, S3 prefixes). */
function scopeRelation(base: Capability, head: Capability): Relation | "disjoint" {
  if (base.dir === head.dir) return "same";
  if (head.dir === null || (base.dir !== null && base.dir.startsWith(`${head.dir}/`))) return "wider";
  if (base.dir === null || head.dir.startsWith(`${base.dir}/`)) return "narrower";
  return "disjoint";
}

const RIGHTS: Record<Access, readonly ("r" | "w")[]> = { read: ["r"], write: ["w"], "read-write": ["r", "w"] };

function accessRelation(base: Access, head: Access): Relation {
  if (base === head) return "same";
  const b = RIGHTS[base];
  const h = RIGHTS[head];
  if (b.every((x) => h.includes(x))) return "wider";
  if (h.every((x) => b.includes(x))) return "narrower";
  return "other";
}

/**
 * Widened: the head grant covers everything the base grant did and more (read -> read-write, a path -> its parent
 * or the whole container). Narrowed: the reverse. Changed: neither (read -> write, or a wider scope with less
 * access): the partner gains something it did not have, so it counts as an escalation too.
 */
function classify(base: Capability, head: Capability): "grant widened" | "grant narrowed" | "grant changed" {
  const scope = scopeRelation(base, head);
  const access = accessRelation(base.access, head.access);
  const atLeast = (r: Relation | "disjoint") => r === "same" || r === "wider";
  const atMost = (r: Relation | "disjoint") => r === "same" || r === "narrower";
  if (atLeast(scope) && atLeast(access)) return "grant widened";
  if (atMost(scope) && atMost(access)) return "grant narrowed";
  return "grant changed";
}

const sameCap = (a: Capability, b: Capability) => a.cloud === b.cloud && a.target === b.target && a.dir === b.dir && a.access === b.access;

/** Grant rows between two sets of effective grants: unchanged ones drop out, related ones pair up. */
function grantRows(org: string, partner: string, base: Capability[], head: Capability[]): AccessRow[] {
  const removed = base.filter((b) => !head.some((h) => sameCap(b, h)));
  const added = head.filter((h) => !base.some((b) => sameCap(b, h)));
  const rows: AccessRow[] = [];
  const unpairedHead: Capability[] = [];
  for (const h of added) {
    const related = removed.filter((b) => b.cloud === h.cloud && b.target === h.target && scopeRelation(b, h) !== "disjoint");
    const match = related.find((b) => scopeRelation(b, h) === "same") ?? related[0];
    if (match === undefined) {
      unpairedHead.push(h);
      continue;
    }
    removed.splice(removed.indexOf(match), 1);
    rows.push({ org, partner, change: classify(match, h), before: grantText(match), after: grantText(h) });
  }
  for (const h of unpairedHead) rows.push({ org, partner, change: "grant added", before: "-", after: grantText(h) });
  for (const b of removed) rows.push({ org, partner, change: "grant removed", before: grantText(b), after: "-" });
  return rows;
}

type Presence = PartnerStatus | "absent";

function statusRow(org: string, partner: string, before: Presence, after: Presence): AccessRow | undefined {
  if (before === after) return undefined;
  const shown = (s: Presence, removedText: string) => (s === "absent" ? removedText : s);
  const gone = (s: Presence) => s === "absent" || s === "offboarded";
  let change: AccessChange | undefined;
  if (gone(before) && !gone(after)) change = "onboarded";
  else if (before === "active" && after === "suspended") change = "suspended";
  else if (before === "suspended" && after === "active") change = "reinstated";
  else if (!gone(before) && gone(after)) change = "offboarded";
  // offboarded -> entry deleted: nothing is left to remove.
  if (change === undefined) return undefined;
  return { org, partner, change, before: shown(before, "-"), after: shown(after, "entry removed") };
}

/** The access table: per partner (head order, then partners only the base has), its status row, then grant rows. */
export function accessRows(base: Manifest, head: Manifest): AccessRow[] {
  const baseBy = new Map(base.partners.map((p) => [p.orgNumber, p]));
  const headBy = new Map(head.partners.map((p) => [p.orgNumber, p]));
  const orgs = [...head.partners.map((p) => p.orgNumber), ...base.partners.map((p) => p.orgNumber).filter((o) => !headBy.has(o))];
  const rows: AccessRow[] = [];
  for (const org of orgs) {
    const b = baseBy.get(org);
    const h = headBy.get(org);
    const name = h?.name ?? b?.name ?? "";
    const s = statusRow(org, name, b?.status ?? "absent", h?.status ?? "absent");
    if (s !== undefined) rows.push(s);
    const order: Record<string, number> = { "grant widened": 0, "grant changed": 1, "grant narrowed": 2, "grant added": 3, "grant removed": 4 };
    rows.push(...grantRows(org, name, effectiveGrants(b), effectiveGrants(h)).sort((x, y) => (order[x.change] ?? 9) - (order[y.change] ?? 9)));
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Resources: what `pulumi up` would do.

/**
 * Inputs whose change makes the provider replace the resource instead of updating it. azure-native replaces on a
 * change of the URL path parameters (resource group, resource name) and of `location`; Azure role assignments are
 * immutable; the AWS and Entra providers mark these arguments ForceNew; the project's dynamic providers return
 * them as `replaces` from diff() (infra/azure/acl/provider.ts, infra/maskinporten/provider.ts). A type not listed
 * is reported as an update: `pulumi preview` on the PR shows the provider's own verdict.
 */
export const REPLACE_ON_CHANGES: Readonly<Record<string, readonly string[]>> = {
  "azure-native:managedidentity:UserAssignedIdentity": ["resourceName", "resourceGroupName", "location"],
  "azure-native:managedidentity:FederatedIdentityCredential": ["federatedIdentityCredentialResourceName", "resourceName", "resourceGroupName"],
  "azure-native:authorization:RoleAssignment": ["scope", "principalId", "roleDefinitionId", "roleAssignmentName"],
  "azure-native:storage:BlobContainer": ["accountName", "containerName", "resourceGroupName"],
  "azuread:index/groupMember:GroupMember": ["groupObjectId", "memberObjectId"],
  // azuread: a service principal belongs to one application (client_id is ForceNew).
  "azuread:index/servicePrincipal:ServicePrincipal": ["clientId"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["role", "name", "namePrefix"],
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["url"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
  "aws:s3/bucketV2:BucketV2": ["bucket", "bucketPrefix"],
  "pulumi-nodejs:dynamic/adls:PathAcl": ["accountName", "fileSystem", "path", "endpoint"],
  "pulumi-nodejs:dynamic/maskinporten:ScopeAccess": ["orgNumber", "scope", "apiBaseUrl"],
};

const IDENTITY_TYPE = "azure-native:managedidentity:UserAssignedIdentity";
const APPLICATION_TYPE = "azuread:index/application:Application";
const SERVICE_PRINCIPAL_TYPE = "azuread:index/servicePrincipal:ServicePrincipal";

/**
 * The resources that are a partner's identity, of either kind (settings azure.identityKind), and what losing one
 * means to the partner. The managed identity and the application hold the client id the partner logs in with;
 * the service principal's object id is what group memberships and ACL entries name.
 */
const IDENTITY_RESOURCES: Readonly<Record<string, { what: string; name: (inputs: Record<string, unknown>, fallback: string) => string; replaced: string; deleted: string }>> = {
  [IDENTITY_TYPE]: {
    what: "managed identity",
    name: (i, f) => str(i.resourceName, f),
    replaced: "the partner gets a new client id and must change its login configuration",
    deleted: "its client id is gone for good, and onboarding the organization again creates a new client id the partner must configure.",
  },
  [APPLICATION_TYPE]: {
    what: "app registration",
    name: (i, f) => str(i.displayName, f),
    replaced: "the partner gets a new client id and must change its login configuration",
    deleted: "its client id is gone for good, and onboarding the organization again creates a new client id the partner must configure.",
  },
  [SERVICE_PRINCIPAL_TYPE]: {
    what: "service principal",
    name: (_i, f) => f,
    replaced: "it gets a new object id, so every group membership and ACL entry of the partner is replaced, and its access fails until they are",
    deleted: "the partner's application can no longer sign in to the tenant, and every group membership and ACL entry naming it goes.",
  },
};
const ROLE_TYPE = "aws:iam/role:Role";
const PARTNER_TYPE = "skyporten:partner:SkyportenPartner";

/** JSON with sorted keys: input order must not count as a change. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => canonical(a[k]) !== canonical(b[k]));
}

/** The organization a resource belongs to: its SkyportenPartner ancestor, else its `org-number` tag. */
function orgOf(resource: PlanResource, byUrn: ReadonlyMap<string, PlanResource>, byLogical: ReadonlyMap<string, string>): string | null {
  let current: PlanResource | undefined = resource;
  while (current !== undefined) {
    if (current.type === PARTNER_TYPE) return byLogical.get(current.name) ?? null;
    current = current.parent === null ? undefined : byUrn.get(current.parent);
  }
  const tags = resource.inputs.tags;
  const tagged = tags !== null && typeof tags === "object" ? (tags as Record<string, unknown>)["org-number"] : undefined;
  return typeof tagged === "string" ? tagged : null;
}

const OP_ORDER: Record<ResourceOp, number> = { create: 0, replace: 1, update: 2, delete: 3 };

export function resourceChanges(base: readonly PlanResource[], head: readonly PlanResource[], orgs: readonly string[]): ResourceChange[] {
  const byLogical = new Map(orgs.map((o) => [partnerLogicalName(o), o]));
  const baseBy = new Map(base.map((r) => [r.urn, r]));
  const headBy = new Map(head.map((r) => [r.urn, r]));
  const out: ResourceChange[] = [];
  for (const h of head) {
    const b = baseBy.get(h.urn);
    if (b === undefined) {
      out.push({ op: "create", type: h.type, name: h.name, urn: h.urn, org: orgOf(h, headBy, byLogical), keys: [] });
      continue;
    }
    const changed = changedKeys(b.inputs, h.inputs);
    if (changed.length === 0) continue;
    const replaceKeys = changed.filter((k) => (REPLACE_ON_CHANGES[h.type] ?? []).includes(k));
    out.push({
      op: replaceKeys.length > 0 ? "replace" : "update",
      type: h.type,
      name: h.name,
      urn: h.urn,
      org: orgOf(h, headBy, byLogical),
      keys: replaceKeys.length > 0 ? replaceKeys : changed,
    });
  }
  for (const b of base) {
    if (!headBy.has(b.urn)) out.push({ op: "delete", type: b.type, name: b.name, urn: b.urn, org: orgOf(b, baseBy, byLogical), keys: [] });
  }
  // By operation, then name: logical names start with the partner's (`partner-<org>-...`), so a partner's resources
  // stay together.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((x, y) => OP_ORDER[x.op] - OP_ORDER[y.op] || cmp(x.name, y.name) || cmp(x.type, y.type));
}

// ---------------------------------------------------------------------------------------------------------------
// Flags: what a reviewer must not miss.

const str = (v: unknown, fallback = "?") => (typeof v === "string" ? v : fallback);

function roleArn(accountId: string, inputs: Record<string, unknown>): string {
  return `arn:aws:iam::${accountId}:role${str(inputs.path, "/")}${str(inputs.name)}`;
}

function flagsFor(args: {
  stack: string;
  settings: Settings;
  rows: readonly AccessRow[];
  changes: readonly ResourceChange[];
  base: readonly PlanResource[];
  head: readonly PlanResource[];
  partnerName: (org: string) => string;
  headPartner: (org: string) => Partner | undefined;
  baseManifest: Manifest;
  headManifest: Manifest;
}): DiffFlag[] {
  const baseBy = new Map(args.base.map((r) => [r.urn, r]));
  const headBy = new Map(args.head.map((r) => [r.urn, r]));
  // The name is escaped for markdown: these messages go into the pull-request comment.
  const who = (org: string | null) => (org === null ? "" : `organization ${org} (${displayText(args.partnerName(org))}): `);
  const breaking: DiffFlag[] = [];
  const manual: DiffFlag[] = [];

  for (const c of args.changes) {
    const b = baseBy.get(c.urn);
    const h = headBy.get(c.urn);
    const kind = IDENTITY_RESOURCES[c.type];
    if (kind !== undefined && b !== undefined && (c.op === "delete" || c.op === "replace")) {
      const identity = kind.name(b.inputs, b.name);
      if (c.op === "replace" && h !== undefined) {
        const what = c.keys.map((k) => `${k} \`${str(b.inputs[k])}\` → \`${str(h.inputs[k])}\``).join(", ");
        breaking.push({
          kind: "breaking",
          org: c.org,
          message: `${who(c.org)}${kind.what} \`${identity}\` is replaced (${what}): ${kind.replaced}`,
        });
      } else {
        const p = c.org === null ? undefined : args.headPartner(c.org);
        const why =
          p !== undefined && p.status !== "offboarded"
            ? " The partner has no Azure grants left: keep a grant (or suspend the partner instead) to keep the client id."
            : "";
        breaking.push({
          kind: "breaking",
          org: c.org,
          message: `${who(c.org)}${kind.what} \`${identity}\` is deleted: ${kind.deleted}${why}`,
        });
      }
    }
    if (c.type === ROLE_TYPE && c.op === "replace" && b !== undefined && h !== undefined) {
      const before = roleArn(args.settings.aws.accountId, b.inputs);
      const after = roleArn(args.settings.aws.accountId, h.inputs);
      breaking.push({
        kind: "breaking",
        org: c.org,
        message: `${who(c.org)}IAM role is replaced (${c.keys.join(", ")} changed): its ARN changes from \`${before}\` to \`${after}\` and the partner must change the role it assumes`,
      });
    }
    if (b !== undefined && b.protect && (c.op === "delete" || c.op === "replace")) {
      manual.push({
        kind: "manual step",
        org: c.org,
        message: `${who(c.org)}\`pulumi up\` refuses to ${c.op} the protected \`${c.type}\` \`${b.name}\`. After approval, and before \`pulumi up\`, run:`,
        // Single quotes: URNs contain `$`, which a shell would expand inside double quotes.
        command: `pulumi state unprotect --stack ${args.stack} --yes '${b.urn}'`,
      });
    }
  }

  const escalation: DiffFlag[] = args.rows
    .filter((r) => r.change === "grant widened" || r.change === "grant changed")
    .map((r) => ({ kind: "privilege escalation", org: r.org, message: `${who(r.org)}${r.before} → ${r.after}` }));
  return [...breaking, ...escalation, ...sharingFlags(args.baseManifest, args.headManifest, who), ...manual];
}

/**
 * Who newly sees whom: one flag per partner that joins a group of partners who reach each other's files (a
 * shared container, directory or prefix), naming the others. Judged on access, not on the `shared` flag, so a
 * base from before the isolation rule compares as it really was.
 */
export function sharingFlags(base: Manifest, head: Manifest, who: (org: string | null) => string): DiffFlag[] {
  const before = new Map(sharingGroups(base).map((g) => [g.key, new Set(g.members)]));
  const flags: DiffFlag[] = [];
  for (const g of sharingGroups(head)) {
    const had = before.get(g.key);
    for (const org of g.members) {
      if (had?.has(org) === true) continue;
      const others = g.members.filter((m) => m !== org);
      const whole = g.whole.some((w) => w.who === org);
      const how =
        g.dir === null
          ? whole
            ? `with whole-container ${g.whole.find((w) => w.who === org)!.access} access it reaches the files of ${someOf(others)}`
            : `${someOf(g.whole.map((w) => w.who))} reach${g.whole.length === 1 ? "es" : ""} its files (whole-container access)`
          : `it and ${someOf(others)} reach each other's files`;
      flags.push({ kind: "shared access", org, message: `${who(org)}joins shared ${sharingPlace(g)}: ${how}` });
    }
  }
  // Files an offboarded partner left that somebody reaches who did not reach them before (when the partner was
  // still active, its neighbours in a shared container already did). The base only for those directories: every
  // directory of the base would cost partners x partners where all of them read one container whole.
  const now = leftBehind(head);
  const wanted = new Set(now.map((l) => l.key));
  const reachedBefore =
    now.length === 0 ? new Map<string, Set<string>>() : new Map(leftBehind(base, true, wanted).map((l) => [l.key, new Set(l.reachedBy)]));
  for (const l of now) {
    const had = reachedBefore.get(l.key);
    const newly = l.reachedBy.filter((org) => had?.has(org) !== true);
    if (newly.length === 0) continue;
    flags.push({
      kind: "shared access",
      org: l.offboarded,
      message: `${who(l.offboarded)}offboarded, but the files it left in ${placeName(l)} stay, and ${someOf(newly)} now ${newly.length === 1 ? "reaches" : "reach"} them`,
    });
  }
  return flags;
}

/** The whole semantic diff from two manifests and their plans. Pure: no git, no processes. */
export function semanticDiff(args: {
  stack: string;
  baseRef: string;
  settings: Settings;
  configFile?: string;
  base: { manifest: Manifest; plan: Pick<PlanJson, "resources"> };
  head: { manifest: Manifest; plan: Pick<PlanJson, "resources"> };
}): SemanticDiff {
  const rows = accessRows(args.base.manifest, args.head.manifest);
  const orgs = [...new Set([...args.base.manifest.partners, ...args.head.manifest.partners].map((p) => p.orgNumber))];
  const changes = resourceChanges(args.base.plan.resources, args.head.plan.resources, orgs);
  const names = new Map([...args.base.manifest.partners, ...args.head.manifest.partners].map((p) => [p.orgNumber, p.name]));
  const headPartners = new Map(args.head.manifest.partners.map((p) => [p.orgNumber, p]));
  const flags = flagsFor({
    stack: args.stack,
    settings: args.settings,
    rows,
    changes,
    base: args.base.plan.resources,
    head: args.head.plan.resources,
    partnerName: (org) => names.get(org) ?? "",
    headPartner: (org) => headPartners.get(org),
    baseManifest: args.base.manifest,
    headManifest: args.head.manifest,
  });
  return { stack: args.stack, baseRef: args.baseRef, ...(args.configFile === undefined ? {} : { configFile: args.configFile }), rows, flags, resources: changes };
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown.

const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const FLAG_LABEL: Record<FlagKind, string> = { breaking: "BREAKING", "privilege escalation": "PRIVILEGE ESCALATION", "shared access": "SHARED ACCESS", "manual step": "MANUAL STEP" };

/** The report for a pull-request comment: flags first, then the access table, then the resource changes. */
export function formatDiffMarkdown(d: SemanticDiff): string {
  const out: string[] = [];
  out.push(`### Access changes: stack \`${d.stack}\` against \`${esc(d.baseRef)}\``);
  out.push("");
  if (d.flags.length > 0) {
    for (const f of d.flags) {
      out.push(`- **${FLAG_LABEL[f.kind]}** ${f.message.replace(/\r?\n/g, " ")}`);
      if (f.command !== undefined) out.push("  ```sh", `  ${f.command}`, "  ```");
    }
    out.push("");
  }
  if (d.rows.length === 0) out.push("No partner gains or loses access.");
  else {
    out.push("| org | partner | change | before | after |");
    out.push("|---|---|---|---|---|");
    for (const r of d.rows) out.push(`| ${r.org} | ${displayText(r.partner)} | ${r.change} | ${esc(r.before)} | ${esc(r.after)} |`);
  }
  out.push("");
  const count = (op: ResourceOp) => d.resources.filter((r) => r.op === op).length;
  if (d.resources.length === 0) out.push("No resource changes.");
  else {
    out.push(
      `<details><summary>Resources: ${count("create")} to create, ${count("replace")} to replace, ${count("update")} to update, ${count("delete")} to delete</summary>`,
    );
    out.push("");
    out.push("| change | type | name | inputs |");
    out.push("|---|---|---|---|");
    for (const r of d.resources) out.push(`| ${r.op} | \`${r.type}\` | \`${r.name}\` | ${r.keys.join(", ")} |`);
    out.push("");
    out.push("</details>");
  }
  out.push("");
  out.push(`<sub>Both manifests planned offline by this branch's program and \`${d.configFile ?? `Pulumi.${d.stack}.yaml`}\`.</sub>`);
  return `${out.join("\n")}\n`;
}

/** The markdown file of `plan --base --markdown`: the diff, then the full plan folded away. */
export function combineMarkdown(diffMarkdown: string, planMarkdown: string): string {
  return `${diffMarkdown}\n<details><summary>Full offline plan</summary>\n\n${planMarkdown}\n</details>\n`;
}
