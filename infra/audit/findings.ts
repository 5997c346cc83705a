import { GROUP_LEVELS, groupDisplayName, type GroupLevel } from "../azure/model";
import { groupNamePrefix, identityName } from "../naming";
import type { AuditContext } from "./expected";
import type { AccessState } from "./observed";

/**
 * Findings (design.md, "Observed access"): `critical` when access exists that the manifest does not grant,
 * `warning` when declared access is missing or different, `notice` for what a reviewer should know but that
 * grants nothing unexpected. Every finding names the partner it concerns, or null for a platform object.
 */
export type Severity = "critical" | "warning" | "notice";
export type FindingKind = "unexpected" | "missing" | "changed";
export type Cloud = "azure" | "aws" | "maskinporten";

export interface Finding {
  severity: Severity;
  kind: FindingKind;
  cloud: Cloud;
  /** The partner concerned, or null for a platform object (a group, the provider, an unknown principal). */
  orgNumber: string | null;
  /** The object the finding is about: an identity, group, ARM scope, path, role. */
  subject: string;
  /** What is wrong and the fix, in words. */
  message: string;
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, notice: 2 };

/** Findings in one stable order without duplicates, so the order of observed lists never shows. */
export function normalizeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, Finding>();
  for (const f of findings)
    seen.set(JSON.stringify([f.severity, f.kind, f.cloud, f.orgNumber, f.subject, f.message]), f);
  return [...seen.values()].sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      cmp(a.cloud, b.cloud) ||
      cmp(a.subject, b.subject) ||
      cmp(a.kind, b.kind) ||
      cmp(a.orgNumber ?? "", b.orgNumber ?? "") ||
      cmp(a.message, b.message),
  );
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Who an id is: matched through the identities and groups of the same document, whose names follow from org
// numbers and container names. The expected and the observed document each resolve their own ids.

export type Principal =
  | { kind: "partner"; orgNumber: string; id: string }
  | { kind: "group"; container: string; level: GroupLevel; id: string }
  | { kind: "platform"; id: string }
  | { kind: "unknown"; id: string };

export interface PrincipalIndex {
  resolve(id: string): Principal;
}

/** Stable text of a principal for set comparison: ids do not appear for partners and groups. */
export function principalKey(p: Principal): string {
  switch (p.kind) {
    case "partner":
      return `partner:${p.orgNumber}`;
    case "group":
      return `group:${p.container}/${p.level}`;
    case "platform":
      return `platform:${p.id}`;
    case "unknown":
      return `unknown:${p.id}`;
  }
}

/** A principal in words; `withId` false for the expected side, whose ids are placeholders. */
export function describePrincipal(
  p: Principal,
  nameKey: AuditContext["nameKey"],
  withId = true,
): string {
  const id = withId ? ` (${p.id})` : "";
  switch (p.kind) {
    case "partner":
      return `organization ${p.orgNumber}'s identity ${identityName(nameKey, p.orgNumber)}${id}`;
    case "group":
      return `group ${groupDisplayName(nameKey, p.container, p.level)}${id}`;
    case "platform":
      return `platform principal ${p.id}`;
    case "unknown":
      return `unknown principal ${p.id}`;
  }
}

/** The org number of a partner principal, else null. */
export function orgOf(p: Principal): string | null {
  return p.kind === "partner" ? p.orgNumber : null;
}

/** Organization number in a name this program gives (identity, role), or undefined. */
export function orgInName(name: string, prefix: string): string | undefined {
  return name.startsWith(prefix) && /^\d{9}$/.test(name.slice(prefix.length))
    ? name.slice(prefix.length)
    : undefined;
}

/** Container and level of a platform group name, preferring the declared containers (names may hold "-"). */
export function parseGroupName(
  name: string,
  nameKey: AuditContext["nameKey"],
  declared: readonly string[],
): { container: string; level: GroupLevel } | undefined {
  for (const container of declared)
    for (const level of GROUP_LEVELS)
      if (groupDisplayName(nameKey, container, level) === name) return { container, level };
  const prefix = groupNamePrefix(nameKey);
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(.+?)-(read-write|read|write|traverse)$/.exec(name.slice(prefix.length));
  return m === null ? undefined : { container: m[1]!, level: m[2] as GroupLevel };
}

export function principalIndex(
  state: AccessState,
  ctx: AuditContext,
  declaredContainers: readonly string[],
): PrincipalIndex {
  const byId = new Map<string, Principal>();
  for (const id of ctx.platformPrincipals) byId.set(id, { kind: "platform", id });
  const prefix = identityName(ctx.nameKey, "");
  for (const identity of state.azure?.identities ?? []) {
    const org = orgInName(identity.name, prefix);
    const id = identity.principalId.toLowerCase();
    if (org !== undefined) byId.set(id, { kind: "partner", orgNumber: org, id });
  }
  for (const group of state.azure?.groups ?? []) {
    const parsed = parseGroupName(group.name, ctx.nameKey, declaredContainers);
    const id = group.objectId.toLowerCase();
    if (parsed !== undefined) byId.set(id, { kind: "group", ...parsed, id });
  }
  return {
    resolve: (raw) => {
      const id = raw.toLowerCase();
      return byId.get(id) ?? { kind: "unknown", id };
    },
  };
}
