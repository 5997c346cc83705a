import { awsRoleName, issuerHost } from "../naming";
import type { AuditContext } from "./expected";
import { orgInName, type Finding } from "./findings";
import type { AccessState, ObservedRole } from "./observed";
import { orgInSubject } from "./compareAzure";

/**
 * AWS: the stack's Skyporten OIDC provider and every role that trusts it (ours or not), judged by what the
 * trust policy admits and what the permission policies allow. Documents are compared in a canonical form
 * (statement order, Sids, one-element lists vs strings do not matter), then explained.
 */

const aws = (f: Omit<Finding, "cloud">): Finding => ({ ...f, cloud: "aws" });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const LIST_FIELDS = new Set(["Action", "NotAction", "Resource", "NotResource"]);

/** A policy document in a form where equal meaning gives equal JSON text (for the parts this program writes). */
export function canonicalPolicy(doc: unknown): Json {
  const statements = statementsOf(doc).map(canonicalStatement);
  statements.sort((a, b) => cmp(JSON.stringify(a), JSON.stringify(b)));
  const version = (doc as { Version?: unknown } | null)?.Version;
  return { Version: typeof version === "string" ? version : "2008-10-17", Statement: statements };
}

export function statementsOf(doc: unknown): Record<string, unknown>[] {
  const s = (doc as { Statement?: unknown } | null)?.Statement;
  const list = Array.isArray(s) ? s : s === undefined ? [] : [s];
  return list.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null);
}

function canonicalStatement(st: Record<string, unknown>): Json {
  const out: Record<string, Json> = {};
  for (const key of Object.keys(st).sort()) {
    if (key === "Sid") continue;
    const v = st[key];
    if (LIST_FIELDS.has(key)) out[key] = stringList(v);
    else if (key === "Principal" || key === "NotPrincipal")
      out[key] = typeof v === "string" ? v : mapOfLists(v);
    else if (key === "Condition") {
      const ops: Record<string, Json> = {};
      for (const [op, block] of Object.entries((v ?? {}) as Record<string, unknown>).sort(([a], [b]) =>
        cmp(a, b),
      ))
        ops[op] = mapOfLists(block);
      out[key] = ops;
    } else out[key] = v as Json;
  }
  return out;
}

function stringList(v: unknown): Json {
  const list = Array.isArray(v) ? v : [v];
  return [...new Set(list.map((x) => (typeof x === "string" ? x : JSON.stringify(x))))].sort();
}

function mapOfLists(v: unknown): Json {
  const out: Record<string, Json> = {};
  for (const [k, x] of Object.entries((v ?? {}) as Record<string, unknown>).sort(([a], [b]) => cmp(a, b)))
    out[k] = stringList(x);
  return out;
}

const asList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));

/** Does an ARN name an IAM OIDC provider for this host? */
const isSkyportenProvider = (arn: string, host: string) => arn.endsWith(`:oidc-provider/${host}`);

/** Does an Action list cover sts:AssumeRoleWithWebIdentity (exactly, or by a wildcard)? */
const coversWebIdentity = (action: unknown) =>
  asList(action).some((a) =>
    new RegExp(
      `^${a
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "i",
    ).test("sts:AssumeRoleWithWebIdentity"),
  );

/**
 * Does the role's trust policy let the stack's Skyporten provider (any provider for the issuer's host) in? Also
 * true for a statement that admits web identities from any principal (`Principal: "*"`, `Federated: "*"`): such
 * a role is a way in for a Skyporten token too.
 */
export function trustsSkyporten(role: Pick<ObservedRole, "trustPolicy">, issuer: string): boolean {
  const host = issuerHost(issuer);
  return statementsOf(role.trustPolicy).some((st) => {
    if (st.Effect !== "Allow") return false;
    const principal = st.Principal;
    const federated = asList((principal as { Federated?: unknown } | null | undefined)?.Federated);
    if (federated.some((a) => isSkyportenProvider(a, host))) return true;
    const anyone = principal === "*" || federated.includes("*");
    return anyone && coversWebIdentity(st.Action);
  });
}

/** Condition values on a key, under StringEquals / StringLike and their set and IfExists forms. */
function conditionValues(
  st: Record<string, unknown>,
  key: string,
): { exact: string[]; like: string[]; present: boolean } {
  const exact: string[] = [];
  const like: string[] = [];
  let present = false;
  for (const [op, block] of Object.entries((st.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const [k, v] of Object.entries(block ?? {})) {
      if (k.toLowerCase() !== key.toLowerCase()) continue;
      present = true;
      const base = op.replace(/^For(Any|All)Value:/, "").replace(/IfExists$/, "");
      if (base === "StringEquals" || base === "StringEqualsIgnoreCase") exact.push(...asList(v));
      else like.push(...asList(v).map((x) => `${op} ${x}`));
    }
  }
  return { exact, like, present };
}

/**
 * What a trust policy admits beyond exactly one subject and one audience from the Skyporten provider, in words;
 * empty when it admits nothing more.
 */
export function trustExcess(
  trust: unknown,
  ctx: Pick<AuditContext, "issuer" | "audience">,
  subject: string,
): string[] {
  const host = issuerHost(ctx.issuer);
  const excess: string[] = [];
  for (const st of statementsOf(trust)) {
    if (st.Effect !== "Allow") continue;
    if (st.NotPrincipal !== undefined || st.NotAction !== undefined) {
      excess.push("a statement with NotPrincipal/NotAction (admits almost anyone)");
      continue;
    }
    const principal = st.Principal;
    if (principal === "*" || principal === undefined) {
      excess.push('Principal "*" (anyone)');
      continue;
    }
    if (typeof principal !== "object" || principal === null || Array.isArray(principal)) {
      // IAM would refuse such a document; an observed file may still hold one. Not understood = not trusted.
      excess.push(`Principal ${JSON.stringify(principal)} (not a principal map the audit understands)`);
      continue;
    }
    const p = principal as Record<string, unknown>;
    for (const [kind, values] of Object.entries(p)) {
      for (const arn of asList(values)) {
        if (kind === "Federated" && isSkyportenProvider(arn, host)) {
          const sub = conditionValues(st, `${host}:sub`);
          const aud = conditionValues(st, `${host}:aud`);
          if (!sub.present) excess.push("any subject (no condition on " + `${host}:sub)`);
          for (const s of sub.exact) if (s !== subject) excess.push(`subject ${s}`);
          for (const s of sub.like) excess.push(`subjects matching ${s}`);
          if (!aud.present) excess.push(`any audience the provider lists (no condition on ${host}:aud)`);
          for (const a of aud.exact) if (a !== ctx.audience) excess.push(`audience ${a}`);
          for (const a of aud.like) excess.push(`audiences matching ${a}`);
        } else {
          excess.push(`${kind} principal ${arn}`);
        }
      }
    }
  }
  return [...new Set(excess)].sort();
}

export function compareAws(
  expected: AccessState,
  observed: AccessState,
  ctx: AuditContext,
  judge: { providers: boolean; roles: boolean; bucketPolicies?: boolean } = { providers: true, roles: true },
): Finding[] {
  if (observed.aws === undefined) return [];
  const findings: Finding[] = [];
  if (judge.bucketPolicies !== false) findings.push(...compareBucketPolicies(expected, observed));
  const host = issuerHost(ctx.issuer);
  const hostOf = (url: string) => url.replace(/^https:\/\//, "").replace(/\/+$/, "");

  // The provider: only those for the stack's issuer matter.
  const wantProviders = judge.providers ? (expected.aws?.oidcProviders ?? []) : [];
  const haveProviders = (judge.providers ? observed.aws.oidcProviders : []).filter(
    (p) => hostOf(p.url) === host || isSkyportenProvider(p.arn, host),
  );
  for (const w of wantProviders) {
    const found = haveProviders.filter((p) => p.arn === w.arn);
    if (found.length === 0) {
      findings.push(
        aws({
          severity: "warning",
          kind: "missing",
          orgNumber: null,
          subject: w.arn,
          message: `the IAM OIDC provider for ${ctx.issuer} does not exist: no partner can assume its role; run pulumi up`,
        }),
      );
      continue;
    }
    for (const p of found) {
      const extra = p.clientIds.filter((c) => !w.clientIds.includes(c));
      const missing = w.clientIds.filter((c) => !p.clientIds.includes(c));
      if (extra.length > 0)
        findings.push(
          aws({
            severity: "critical",
            kind: "changed",
            orgNumber: null,
            subject: p.arn,
            message: `the Skyporten OIDC provider accepts the audience(s) ${extra.join(", ")}, which the stack does not use: roles without an aud condition admit such tokens; remove the client id(s)`,
          }),
        );
      if (missing.length > 0)
        findings.push(
          aws({
            severity: "warning",
            kind: "changed",
            orgNumber: null,
            subject: p.arn,
            message: `the Skyporten OIDC provider does not list the audience ${missing.join(", ")}: STS refuses every partner's token; run pulumi up`,
          }),
        );
    }
  }
  for (const p of haveProviders) {
    if (wantProviders.some((w) => w.arn === p.arn)) continue;
    findings.push(
      aws({
        severity: "warning",
        kind: "unexpected",
        orgNumber: null,
        subject: p.arn,
        message: `an IAM OIDC provider for ${ctx.issuer} exists that the stack does not expect (aws.oidcProviderArn or no partner with AWS grants): adopt it with aws.oidcProviderArn or delete it; roles trusting it are judged separately`,
      }),
    );
  }

  if (!judge.roles) return findings;
  const rolePrefix = awsRoleName(ctx.nameKey, "");
  const want = new Map((expected.aws?.roles ?? []).map((r) => [r.name, r]));
  for (const role of observed.aws.roles) {
    const w = want.get(role.name);
    const org = orgInName(role.name, rolePrefix) ?? null;
    if (w === undefined) {
      const trusting = trustsSkyporten(role, ctx.issuer);
      // Other roles of the account are none of the audit's business: only Skyporten trust and our names matter.
      if (!trusting && org === null) continue;
      const subjects = statementsOf(role.trustPolicy).flatMap(
        (st) => conditionValues(st, `${host}:sub`).exact,
      );
      const who = org ?? subjects.map(orgInSubject).find((o) => o !== null) ?? null;
      const status =
        who === null
          ? ""
          : ctx.partners[who] === undefined
            ? ` (organization ${who} is not in the manifest)`
            : ` (organization ${who} is ${ctx.partners[who]} in the manifest${ctx.partners[who] === "active" ? " but has no AWS grants" : ""})`;
      findings.push(
        aws({
          severity: trusting ? "critical" : "warning",
          kind: "unexpected",
          orgNumber: who,
          subject: role.arn,
          message: trusting
            ? `role ${role.name} trusts the Skyporten provider but is not one the stack expects${status}; it admits ${trustExcess(role.trustPolicy, ctx, "").join(", ") || "Skyporten tokens"}: delete the role, or onboard the organization in the manifest`
            : `role ${role.name} is named like a partner role but the stack does not expect it${status}; delete it`,
        }),
      );
      continue;
    }
    findings.push(...compareRole(w, role, ctx, org));
  }
  // IAM role names are unique in an account whatever the path: roles are matched by name.
  for (const [name, w] of want) {
    if (observed.aws.roles.some((r) => r.name === name)) continue;
    findings.push(
      aws({
        severity: "warning",
        kind: "missing",
        orgNumber: orgInName(w.name, rolePrefix) ?? null,
        subject: w.arn,
        message: `role ${w.name} does not exist: the partner cannot reach its S3 prefixes; run pulumi up`,
      }),
    );
  }
  return findings;
}

/**
 * Bucket policies of the manifest's buckets: the stack writes only the TLS-only Deny, so any other Allow statement
 * is access the manifest does not declare (a partner's role on the whole bucket, anyone). Judged when read.
 */
export function compareBucketPolicies(expected: AccessState, observed: AccessState): Finding[] {
  const have = observed.aws?.bucketPolicies;
  if (have === undefined) return [];
  const findings: Finding[] = [];
  const statements = (doc: unknown) =>
    (canonicalPolicy(doc) as { Statement: Json[] }).Statement.map((s) => JSON.stringify(s));
  for (const w of expected.aws?.bucketPolicies ?? []) {
    const subject = `arn:aws:s3:::${w.name}`;
    for (const b of have.filter((x) => x.name === w.name)) {
      if (b.policy === null) {
        findings.push(
          aws({
            severity: "warning",
            kind: "missing",
            orgNumber: null,
            subject,
            message: `bucket ${w.name} has no bucket policy: requests without TLS are not refused; run pulumi up`,
          }),
        );
        continue;
      }
      const want = statements(w.policy);
      const added = statements(b.policy).filter((s) => !want.includes(s));
      const allows = added.filter((s) => (JSON.parse(s) as { Effect?: unknown }).Effect !== "Deny");
      if (allows.length > 0)
        findings.push(
          aws({
            severity: "critical",
            kind: "changed",
            orgNumber: null,
            subject,
            message: `the bucket policy of ${w.name} grants what the manifest does not (partners get access only through their roles' prefix policies): ${allows.join("; ")}; run pulumi up (it writes the whole policy) and find out who changed it`,
          }),
        );
      else if (added.length > 0 || want.some((s) => !statements(b.policy).includes(s)))
        findings.push(
          aws({
            severity: "warning",
            kind: "changed",
            orgNumber: null,
            subject,
            message: `the bucket policy of ${w.name} differs from the stack's without granting more: run pulumi up`,
          }),
        );
    }
  }
  return findings;
}

function compareRole(w: ObservedRole, role: ObservedRole, ctx: AuditContext, org: string | null): Finding[] {
  const findings: Finding[] = [];
  const subject = role.arn;
  const expectedSubject =
    statementsOf(w.trustPolicy).flatMap(
      (st) => conditionValues(st, `${issuerHost(ctx.issuer)}:sub`).exact,
    )[0] ?? "";
  if (JSON.stringify(canonicalPolicy(role.trustPolicy)) !== JSON.stringify(canonicalPolicy(w.trustPolicy))) {
    const excess = trustExcess(role.trustPolicy, ctx, expectedSubject);
    findings.push(
      aws({
        severity: excess.length > 0 ? "critical" : "warning",
        kind: "changed",
        orgNumber: org,
        subject,
        message:
          excess.length > 0
            ? `the trust policy of role ${role.name} admits ${excess.join(", ")}; the manifest admits only subject ${expectedSubject} with audience ${ctx.audience}: run pulumi up to restore it and find out who changed it`
            : `the trust policy of role ${role.name} differs from the manifest's without admitting more (the partner may be unable to assume the role): run pulumi up`,
      }),
    );
  }
  for (const [name, doc] of Object.entries(role.inlinePolicies)) {
    const e = Object.hasOwn(w.inlinePolicies, name) ? w.inlinePolicies[name] : undefined;
    if (e === undefined) {
      findings.push(
        aws({
          severity: "critical",
          kind: "unexpected",
          orgNumber: org,
          subject,
          message: `role ${role.name} has an inline policy ${name} the manifest does not grant: delete it`,
        }),
      );
      continue;
    }
    const have = (canonicalPolicy(doc) as { Statement: Json[] }).Statement.map((s) => JSON.stringify(s));
    const want = (canonicalPolicy(e) as { Statement: Json[] }).Statement.map((s) => JSON.stringify(s));
    const added = have.filter((s) => !want.includes(s));
    const removed = want.filter((s) => !have.includes(s));
    if (added.length > 0)
      findings.push(
        aws({
          severity: "critical",
          kind: "changed",
          orgNumber: org,
          subject,
          message: `inline policy ${name} of role ${role.name} has statements the manifest does not grant: ${added.join("; ")}; run pulumi up`,
        }),
      );
    else if (removed.length > 0)
      findings.push(
        aws({
          severity: "warning",
          kind: "changed",
          orgNumber: org,
          subject,
          message: `inline policy ${name} of role ${role.name} lacks statements the manifest grants: ${removed.join("; ")}; run pulumi up`,
        }),
      );
  }
  for (const name of Object.keys(w.inlinePolicies)) {
    if (Object.hasOwn(role.inlinePolicies, name)) continue;
    findings.push(
      aws({
        severity: "warning",
        kind: "missing",
        orgNumber: org,
        subject,
        message: `role ${role.name} has no inline policy ${name}: the partner cannot reach its S3 prefixes; run pulumi up`,
      }),
    );
  }
  for (const arn of role.attachedPolicyArns) {
    if (w.attachedPolicyArns.includes(arn)) continue;
    findings.push(
      aws({
        severity: "critical",
        kind: "unexpected",
        orgNumber: org,
        subject,
        message: `managed policy ${arn} is attached to role ${role.name}; the manifest grants only the inline S3 policy: detach it`,
      }),
    );
  }
  if (role.path !== w.path)
    findings.push(
      aws({
        severity: "warning",
        kind: "changed",
        orgNumber: org,
        subject,
        message: `role ${role.name} has path ${role.path}, the stack uses ${w.path}`,
      }),
    );
  return findings;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
