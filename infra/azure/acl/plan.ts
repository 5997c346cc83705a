import type { Access, Manifest, Partner } from "../../manifest/schema";
import type { GroupLevel } from "../model";

/**
 * Pure ACL planning: which ADLS Gen2 ACL entries each path needs, on symbolic principals (no Outputs), so the
 * decisions are testable in microseconds. The lead's decisions (design.md, "Azure access model"):
 *
 * - Every declared container's root gets exactly two platform-owned access entries, whatever the partners:
 *   `group:<traverse>:--x` (to reach granted paths) and `group:<write>:-wx` (the drop box). No default entries on
 *   the root: a default entry there would be inherited by every file a drop-box partner writes, and the other
 *   drop-box partners could then read it.
 * - Each ancestor of an active path grant gets `group:<traverse>:--x`, one platform-owned resource per
 *   (container, ancestor), shared by all partners below it.
 * - A partner's own path grant gets `user:<principal>:<perms>` and `default:user:<principal>:<perms>`, owned by
 *   that partner's resource and applied recursively to existing children. Managed identities are service
 *   principals: ACLs name them as `user` entries by their Entra object id.
 *
 * So the entry count on shared paths (root, ancestors) never depends on the number of partners, and the 28-entry
 * limit (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control, "ACL limits")
 * only matters on a partner's own path, where it is checked.
 */

/** Named entries per ACL (access and default each): 32 in all, of which 4 are user::, group::, mask::, other::. */
export const ACL_NAMED_ENTRY_LIMIT = 28;
export const ACL_TOTAL_ENTRY_LIMIT = 32;

export type AclPerms = "r-x" | "-wx" | "rwx" | "--x";
export type AclScope = "access" | "default";

/** Who an entry is for, before object ids are known. */
export type AclPrincipal =
  { kind: "group"; container: string; level: GroupLevel } | { kind: "partner"; orgNumber: string };

export interface PlannedAclEntry {
  scope: AclScope;
  principal: AclPrincipal;
  perms: AclPerms;
}

/** Who owns (creates, changes, removes) a set of entries: one PathAcl resource per plan. */
export type AclOwner = { kind: "platform" } | { kind: "partner"; orgNumber: string };

export interface PathAclPlan {
  container: string;
  /** "/" for the container root, otherwise "/dir/sub". */
  path: string;
  role: "root" | "ancestor" | "grant";
  owner: AclOwner;
  entries: PlannedAclEntry[];
  /** Apply to existing children too (partner grants only). */
  recursive: boolean;
  /** Create the directory when it is missing (never for the root, which exists with its container). */
  createDirectory: boolean;
}

/** Permissions of a path grant: list + read, create + write (no read), or both. */
export function permsForAccess(access: Access): AclPerms {
  switch (access) {
    case "read":
      return "r-x";
    case "write":
      return "-wx";
    case "read-write":
      return "rwx";
  }
}

/** Absolute ADLS path of a manifest path ("a/b" -> "/a/b"; absent or empty -> "/"). */
export function absolutePath(relative: string | undefined): string {
  return relative === undefined || relative === "" ? "/" : `/${relative.replace(/^\/+|\/+$/g, "")}`;
}

/** Directories strictly between the root and the path: "a/b/c" -> ["/a", "/a/b"]. */
export function ancestorsOf(relative: string): string[] {
  const segments = relative.split("/").filter((s) => s !== "");
  return segments.slice(0, -1).map((_, i) => `/${segments.slice(0, i + 1).join("/")}`);
}

/** The platform-owned root ACL of a container: the same two entries for 0, 3 or 1,000 partners. */
export function rootAclPlan(container: string): PathAclPlan {
  return {
    container,
    path: "/",
    role: "root",
    owner: { kind: "platform" },
    entries: [
      { scope: "access", principal: { kind: "group", container, level: "traverse" }, perms: "--x" },
      { scope: "access", principal: { kind: "group", container, level: "write" }, perms: "-wx" },
    ],
    recursive: false,
    createDirectory: false,
  };
}

function ancestorPlan(container: string, path: string): PathAclPlan {
  return {
    container,
    path,
    role: "ancestor",
    owner: { kind: "platform" },
    entries: [{ scope: "access", principal: { kind: "group", container, level: "traverse" }, perms: "--x" }],
    recursive: false,
    createDirectory: true,
  };
}

/**
 * A partner's own path grants: access + default entry for its principal, recursive. Whole-container grants need
 * no entries of the partner's own (the container's groups carry them). Only active partners get entries.
 */
export function partnerAclPlans(partner: Pick<Partner, "orgNumber" | "status" | "azure">): PathAclPlan[] {
  if (partner.status !== "active") return [];
  return partner.azure
    .filter((g) => g.path !== undefined)
    .map((g) => {
      const principal: AclPrincipal = { kind: "partner", orgNumber: partner.orgNumber };
      const perms = permsForAccess(g.access);
      return {
        container: g.container,
        path: absolutePath(g.path),
        role: "grant" as const,
        owner: { kind: "partner" as const, orgNumber: partner.orgNumber },
        entries: [
          { scope: "access" as const, principal, perms },
          { scope: "default" as const, principal, perms },
        ],
        recursive: true,
        createDirectory: true,
      };
    });
}

/** One platform-owned traverse plan per (container, ancestor) of the active partners' path grants, sorted. */
export function ancestorAclPlans(manifest: Pick<Manifest, "partners">): PathAclPlan[] {
  const seen = new Map<string, PathAclPlan>();
  for (const partner of manifest.partners) {
    if (partner.status !== "active") continue;
    for (const grant of partner.azure) {
      if (grant.path === undefined) continue;
      for (const path of ancestorsOf(grant.path)) {
        const key = `${grant.container}\u0000${path}`;
        if (!seen.has(key)) seen.set(key, ancestorPlan(grant.container, path));
      }
    }
  }
  return [...seen.values()].sort((a, b) => compare(a.container, b.container) || compare(a.path, b.path));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable text for a principal, for maps and messages. */
export function principalKey(p: AclPrincipal): string {
  return p.kind === "group" ? `group:${p.container}/${p.level}` : `partner:${p.orgNumber}`;
}

/**
 * Every plan, unvalidated: roots of declared containers, then ancestors, then partner grants in manifest order.
 * For models of what an invalid manifest would do (accessModel.ts); deployments use planAcls.
 */
export function aclPlansUnchecked(manifest: Pick<Manifest, "containers" | "partners">): PathAclPlan[] {
  return allPlans(manifest);
}

function allPlans(manifest: Pick<Manifest, "containers" | "partners">): PathAclPlan[] {
  return [
    ...manifest.containers.map((c) => rootAclPlan(c.name)),
    ...ancestorAclPlans(manifest),
    ...manifest.partners.flatMap(partnerAclPlans),
  ];
}

export interface PathEntryCount {
  container: string;
  path: string;
  scope: AclScope;
  /** Named entries this program puts on the path in this scope. */
  named: number;
}

/** Named entries per (container, path, scope) across all plans, in plan order. */
export function entryCounts(plans: PathAclPlan[]): PathEntryCount[] {
  const counts = new Map<string, PathEntryCount>();
  for (const plan of plans) {
    for (const e of plan.entries) {
      const key = `${plan.container}\u0000${plan.path}\u0000${e.scope}`;
      const c = counts.get(key) ?? { container: plan.container, path: plan.path, scope: e.scope, named: 0 };
      c.named++;
      counts.set(key, c);
    }
  }
  return [...counts.values()];
}

/**
 * Problems that make a set of plans unsafe to apply: an entry planned twice on one path, a path granted inside
 * another granted path (the outer default ACL and recursive update would reach into the inner one), or a path
 * over the entry budget. Messages name the container, path, organizations and the fix.
 */
export function aclPlanProblems(manifest: Pick<Manifest, "containers" | "partners">): string[] {
  const problems: string[] = [];
  const grants = new Map<string, string>(); // container\0path -> orgNumber
  for (const partner of manifest.partners) {
    if (partner.status !== "active") continue;
    for (const g of partner.azure)
      if (g.path !== undefined) grants.set(`${g.container}\u0000${absolutePath(g.path)}`, partner.orgNumber);
  }
  for (const [key, org] of grants) {
    const [container, path] = key.split("\u0000") as [string, string];
    for (const ancestor of ancestorsOf(path)) {
      const outer = grants.get(`${container}\u0000${ancestor}`);
      if (outer === undefined) continue;
      problems.push(
        outer === org
          ? `path "${path}" of container "${container}" lies inside path "${ancestor}", both granted to organization ${org}: the outer grant is applied recursively and would overwrite the inner one's entries; grant the union on one directory or use sibling directories`
          : `path "${path}" of container "${container}" (organization ${org}) lies inside path "${ancestor}" granted to organization ${outer}: the outer partner would inherit access to it; partners must get disjoint directories`,
      );
    }
  }

  const plans = allPlans(manifest);
  const seen = new Map<string, AclOwner>();
  for (const plan of plans) {
    for (const e of plan.entries) {
      const key = `${plan.container}\u0000${plan.path}\u0000${e.scope}\u0000${principalKey(e.principal)}`;
      if (seen.has(key)) {
        problems.push(
          `${e.scope} entry for ${principalKey(e.principal)} on path "${plan.path}" of container "${plan.container}" is planned twice; remove the duplicate grant`,
        );
      } else seen.set(key, plan.owner);
    }
  }

  for (const c of entryCounts(plans)) {
    if (c.named > ACL_NAMED_ENTRY_LIMIT) {
      problems.push(
        `path "${c.path}" of container "${c.container}" would get ${c.named} named ${c.scope} ACL entries; ADLS Gen2 allows ${ACL_NAMED_ENTRY_LIMIT} (${ACL_TOTAL_ENTRY_LIMIT} with the base entries): give partners their own directories or grant through a group`,
      );
    }
  }
  return problems;
}

/** All plans, validated: throws an Error listing every problem (see aclPlanProblems). */
export function planAcls(manifest: Pick<Manifest, "containers" | "partners">): PathAclPlan[] {
  const problems = aclPlanProblems(manifest);
  if (problems.length > 0) throw new Error(`ADLS ACL plan is invalid:\n- ${problems.join("\n- ")}`);
  return allPlans(manifest);
}

export interface AclBudget {
  /** The largest number of named entries this program puts on any one path (access or default ACL). */
  max: number;
  limit: typeof ACL_NAMED_ENTRY_LIMIT;
  totalLimit: typeof ACL_TOTAL_ENTRY_LIMIT;
  /** Where the maximum is (first such path in plan order), or undefined when no path gets entries. */
  container?: string;
  path?: string;
  scope?: AclScope;
}

/** For the plan's `budgets.maxAclEntriesPerPath`: never throws, so an over-budget manifest is reported. */
export function aclBudget(manifest: Pick<Manifest, "containers" | "partners">): AclBudget {
  let best: PathEntryCount | undefined;
  for (const c of entryCounts(allPlans(manifest))) if (best === undefined || c.named > best.named) best = c;
  const budget: AclBudget = {
    max: best?.named ?? 0,
    limit: ACL_NAMED_ENTRY_LIMIT,
    totalLimit: ACL_TOTAL_ENTRY_LIMIT,
  };
  return best === undefined
    ? budget
    : { ...budget, container: best.container, path: best.path, scope: best.scope };
}

/** Object ids are Entra object ids (principalId), lowercase GUIDs; never an application (client) id. */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The x-ms-acl form of an entry once the principal's object id is known: `[default:]user|group:<oid>:<perms>`. */
export function renderAclEntry(entry: PlannedAclEntry, objectId: string): string {
  const oid = objectId.toLowerCase();
  if (!OBJECT_ID.test(oid)) {
    throw new Error(
      `ACL entries need the Entra OBJECT id of ${principalKey(entry.principal)} (a GUID, the principalId of a managed identity or the id of a group), got "${objectId}"`,
    );
  }
  return `${aclEntryPrefix(entry)}${oid}:${entry.perms}`;
}

/** Everything of an entry string before the object id, e.g. "default:user:". */
export function aclEntryPrefix(entry: PlannedAclEntry): string {
  return `${entry.scope === "default" ? "default:" : ""}${entry.principal.kind === "group" ? "group" : "user"}:`;
}

/** Render all entries of a plan with a resolver from principal to object id. */
export function renderAclEntries(plan: PathAclPlan, objectIdOf: (p: AclPrincipal) => string): string[] {
  return plan.entries.map((e) => renderAclEntry(e, objectIdOf(e.principal)));
}
