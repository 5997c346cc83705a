import type { Manifest, Partner } from "../../infra/manifest/schema";
import { awsRoleName, identityName, partnerLogicalName, subjectFor } from "../../infra/naming";
import type { Settings } from "../../infra/settings/schema";
import { computeBudgets } from "../../policies/rules";
import { formatRefreshCost, refreshCost, type RefreshCost } from "../../policies/rules/refreshCost";
import type { PolicyResource } from "../../policies/rules/types";
import type { RecordedResource } from "./offlineRun";
import { displayText } from "./markdown";

/** Usage of one limit: the worst case in the stack, where it is, and the limit (null: no fixed limit). */
export interface Budget {
  used: number;
  limit: number | null;
  at: string | null;
}

/** The plan JSON's `budgets`: limit usage measured on what the program registered. */
export interface PlanBudgets {
  roleAssignments: Budget;
  maxAclEntriesPerPath: Budget;
  maxFederatedCredentialsPerIdentity: Budget;
  maxTrustPolicyChars: Budget;
  /**
   * Entra group memberships of one partner principal. No documented Azure limit applies at this size (the
   * number grows with grants, not partners); reported so a partner with very many grants is visible.
   */
  maxGroupMembershipsPerPrincipal: Budget;
  resourcesPerPartner: Budget & { average: number };
  /** API calls one refresh makes (every preview refreshes: Pulumi.yaml), and their time at documented limits. */
  refresh: RefreshCost;
}

export interface PolicyViolation {
  policy: string;
  level: "mandatory" | "advisory";
  urn: string | null;
  message: string;
}

/** The plan JSON (design.md "Plan JSON"), a contract for CI and acceptance checks. */
export interface PlanJson {
  stack: string;
  manifest: string;
  partners: { orgNumber: string; name: string; status: Partner["status"] }[];
  resources: {
    type: string;
    name: string;
    urn: string;
    parent: string | null;
    protect: boolean;
    retainOnDelete: boolean;
    importId: string | null;
    inputs: Record<string, unknown>;
  }[];
  policyViolations: PolicyViolation[];
  budgets: PlanBudgets;
}

/** The partner component a resource belongs to (any depth), by following parents. */
function partnerOf(resource: RecordedResource, byUrn: Map<string, RecordedResource>): string | undefined {
  let parent = resource.parent;
  while (parent !== null) {
    const p = byUrn.get(parent);
    if (p === undefined) return undefined;
    if (p.type === "skyporten:partner:SkyportenPartner") return p.name;
    parent = p.parent;
  }
  return undefined;
}

/** The registered resources as the policy rules see them. */
export function policyResources(resources: readonly RecordedResource[]): PolicyResource[] {
  return resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    protect: r.protect,
    props: r.inputs,
  }));
}

/**
 * Budgets measured on what the program actually registered. The four cloud limits are counted by the policy
 * pack's own budget functions (one implementation for the pack and the plan); resources per partner here.
 */
export function measureBudgets(resources: readonly RecordedResource[]): PlanBudgets {
  const b = computeBudgets(policyResources(resources));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const perPartner = new Map<string, number>();
  for (const r of resources) {
    const p = r.type === "skyporten:partner:SkyportenPartner" ? r.name : partnerOf(r, byUrn);
    if (p !== undefined) perPartner.set(p, (perPartner.get(p) ?? 0) + 1);
  }
  const max = largest(perPartner);
  const total = [...perPartner.values()].reduce((x, y) => x + y, 0);
  const memberships = new Map<string, number>();
  for (const r of resources) {
    if (r.type !== "azuread:index/groupMember:GroupMember") continue;
    const p = partnerOf(r, byUrn) ?? String(r.inputs.memberObjectId);
    memberships.set(p, (memberships.get(p) ?? 0) + 1);
  }
  const maxMember = largest(memberships);
  const refresh = refreshCost(
    resources.map((r) => ({
      type: r.type,
      custom: r.custom,
      props: r.inputs,
      partner: r.type === "skyporten:partner:SkyportenPartner" ? r.name : (partnerOf(r, byUrn) ?? null),
    })),
  );
  return {
    roleAssignments: b.roleAssignmentsPerSubscription,
    maxAclEntriesPerPath: b.namedAclEntriesPerPath,
    maxFederatedCredentialsPerIdentity: b.federatedCredentialsPerIdentity,
    maxTrustPolicyChars: b.trustPolicyChars,
    maxGroupMembershipsPerPrincipal: { ...maxMember, limit: null },
    resourcesPerPartner: {
      ...max,
      limit: null,
      average: perPartner.size === 0 ? 0 : Math.round((total / perPartner.size) * 100) / 100,
    },
    refresh,
  };
}

/** The largest count and its key (the first key in sort order on a tie); `{ used: 0, at: null }` when empty. */
function largest(counts: Map<string, number>): { used: number; at: string | null } {
  let best: { used: number; at: string | null } = { used: 0, at: null };
  for (const [at, used] of [...counts.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (used > best.used) best = { used, at };
  }
  return best;
}

export function buildPlanJson(args: {
  stack: string;
  manifestFile: string;
  manifest: Manifest;
  resources: readonly RecordedResource[];
  policyViolations: PolicyViolation[];
}): PlanJson {
  return {
    stack: args.stack,
    manifest: args.manifestFile,
    partners: args.manifest.partners.map((p) => ({ orgNumber: p.orgNumber, name: p.name, status: p.status })),
    resources: args.resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      parent: r.parent,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      importId: r.importId,
      inputs: r.inputs,
    })),
    policyViolations: args.policyViolations,
    budgets: measureBudgets(args.resources),
  };
}

function grantText(p: Partner): string {
  const az = p.azure.map((g) => `${g.container}${g.path === undefined ? "" : `/${g.path}`}:${g.access}`);
  const aws = p.aws.map((g) => `s3://${g.bucket}/${g.prefix}:${g.access}`);
  return [...az, ...aws].join(", ") || "(none)";
}

/** One row per partner, as the summary and the markdown show it. */
export function partnerRows(settings: Settings, manifest: Manifest, resources: readonly RecordedResource[]) {
  const names = new Set(resources.map((r) => `${r.type}|${r.name}`));
  // Roles by name (the first in the list wins, as a scan would find it): one lookup per partner, not a scan each.
  const roles = new Map<unknown, RecordedResource>();
  for (const r of resources)
    if (r.type === "aws:iam/role:Role" && !roles.has(r.inputs.name)) roles.set(r.inputs.name, r);
  return manifest.partners.map((p) => {
    const logical = partnerLogicalName(p.orgNumber);
    const hasIdentity = names.has(`azure-native:managedidentity:UserAssignedIdentity|${logical}-identity`);
    const role = roles.get(awsRoleName(settings.nameKey, p.orgNumber));
    return {
      orgNumber: p.orgNumber,
      name: p.name,
      status: p.status,
      identity: hasIdentity ? identityName(settings.nameKey, p.orgNumber) : "-",
      subject: p.status === "offboarded" ? "-" : subjectFor(p.orgNumber, settings.scope),
      grants: p.status === "active" ? grantText(p) : `(none while ${p.status})`,
      awsRole:
        role === undefined
          ? "-"
          : `${typeof role.inputs.path === "string" ? role.inputs.path : "/"}${awsRoleName(settings.nameKey, p.orgNumber)}`,
    };
  });
}

export function countsByType(resources: readonly RecordedResource[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function budgetLines(b: PlanBudgets): string[] {
  const row = (label: string, x: Budget) =>
    `  ${label.padEnd(34)} ${String(x.used).padStart(6)}${x.limit === null ? "" : ` / ${x.limit}`}${x.at === null ? "" : `  (${x.at})`}`;
  return [
    row("role assignments (subscription)", b.roleAssignments),
    row("ACL entries on one path", b.maxAclEntriesPerPath),
    row("federated credentials / identity", b.maxFederatedCredentialsPerIdentity),
    row("trust policy characters", b.maxTrustPolicyChars),
    row("group memberships / principal", b.maxGroupMembershipsPerPrincipal),
    `${row("resources per partner (max)", b.resourcesPerPartner)}  average ${b.resourcesPerPartner.average}`,
    ...formatRefreshCost(b.refresh),
  ];
}

/** The console summary of a plan. */
export function formatSummary(
  settings: Settings,
  manifest: Manifest,
  plan: PlanJson,
  resources: readonly RecordedResource[],
  notes: readonly string[] = [],
): string {
  const rows = partnerRows(settings, manifest, resources);
  const out: string[] = [];
  out.push(`Offline plan of stack "${plan.stack}" (${settings.environment}), manifest ${plan.manifest}`);
  out.push(`issuer ${settings.issuer}   audience ${settings.audience}   scope ${settings.scope}`);
  out.push("");
  out.push(
    table(
      ["org", "name", "status", "identity", "subject", "grants", "aws role"],
      rows.map((r) => [r.orgNumber, r.name, r.status, r.identity, r.subject, r.grants, r.awsRole]),
    ),
  );
  out.push("");
  out.push(`${resources.length} resources:`);
  for (const [type, n] of countsByType(resources)) out.push(`  ${String(n).padStart(5)}  ${type}`);
  out.push("");
  out.push("budgets (used / limit):");
  out.push(...budgetLines(plan.budgets));
  for (const n of notes) out.push("", n);
  out.push("");
  if (plan.policyViolations.length === 0) out.push("policies: no violations");
  else {
    out.push(`policies: ${plan.policyViolations.length} violation(s)`);
    for (const v of plan.policyViolations)
      out.push(`  [${v.level}] ${v.policy}: ${v.message}${v.urn === null ? "" : ` (${v.urn})`}`);
  }
  return out.join("\n");
}

/** The same summary as markdown (for a pull-request comment or a file). */
export function formatMarkdown(
  settings: Settings,
  manifest: Manifest,
  plan: PlanJson,
  resources: readonly RecordedResource[],
  notes: readonly string[] = [],
): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const rows = partnerRows(settings, manifest, resources);
  const out: string[] = [];
  out.push(`### Offline plan: stack \`${plan.stack}\``);
  out.push("");
  if (plan.policyViolations.length > 0) {
    out.push(`**${plan.policyViolations.length} policy violation(s)**`);
    out.push("");
    for (const v of plan.policyViolations)
      out.push(`- \`${v.level}\` **${esc(v.policy)}**: ${esc(v.message)}`);
    out.push("");
  }
  out.push("| org | name | status | identity | subject | grants | AWS role |");
  out.push("|---|---|---|---|---|---|---|");
  for (const r of rows)
    out.push(
      `| ${r.orgNumber} | ${displayText(r.name)} | ${r.status} | \`${r.identity}\` | \`${r.subject}\` | ${esc(r.grants)} | \`${r.awsRole}\` |`,
    );
  out.push("");
  out.push(`<details><summary>${resources.length} resources, budgets</summary>`);
  out.push("");
  out.push("| type | count |");
  out.push("|---|---|");
  for (const [type, n] of countsByType(resources)) out.push(`| \`${type}\` | ${n} |`);
  out.push("");
  out.push("```");
  out.push(...budgetLines(plan.budgets));
  out.push("```");
  out.push("");
  out.push("</details>");
  for (const n of notes) out.push("", ...n.split("\n").map((line) => `> ${line}`));
  return `${out.join("\n")}\n`;
}
