import type { Manifest, Partner } from "../../manifest/schema";
import { GROUP_LEVELS, membershipsFor, roleForLevel, ROLE_DEFINITION_IDS, type GroupLevel } from "../model";
import { v5 as uuidv5 } from "uuid";
import { aclPlansUnchecked, planAcls, renderAclEntries, type AclPrincipal, type PathAclPlan } from "./plan";
import { aclEntryKey, mergeOwnedEntries, parseAcl, parseAclEntry, type AclEntry } from "./provider";

/**
 * A model of how ADLS Gen2 authorises a data request, following Microsoft's documented order
 * (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control-model, "How permissions are
 * evaluated"): Azure RBAC first; when a role assignment grants the data action, access is granted and ACLs are not
 * consulted. Otherwise the POSIX ACL check of
 * https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control ("Access check algorithm"):
 * owning user (no mask), named user (mask), owning group and named groups (each with the mask), other (mask).
 * Per-operation needs come from the same page's "Common scenarios" table: `--x` on every ancestor, then `r--` to
 * read a file, `rw-` to append to it, `-wx` on the parent to create or delete an item, `r-x` to list a directory.
 * New items take the parent's default ACL with the 007 umask, or 0750/0640 when it has none.
 * Pure: used to prove isolation properties of the plan (accessModel.test.ts), never to decide anything deployed.
 */

export type ItemKind = "directory" | "file";

export interface ModelNode {
  kind: ItemKind;
  owner: string;
  owningGroup: string;
  acl: AclEntry[];
}

/** Data roles that matter here, by the data actions they grant (built-in role definitions). */
export type DataRole = "reader" | "contributor" | "owner";

export interface RoleAssignment {
  /** A principal or a group object id. */
  principalId: string;
  container: string;
  role: DataRole;
}

export interface World {
  /** container -> absolute path ("/", "/a/b") -> item */
  containers: Map<string, Map<string, ModelNode>>;
  /** principal object id -> group object ids it is a (transitive) member of */
  memberships: Map<string, Set<string>>;
  roles: RoleAssignment[];
}

export type Operation = "read" | "write" | "delete" | "create" | "list" | "traverse";

export interface AccessDecision {
  allowed: boolean;
  by: "rbac" | "acl" | "denied";
  reason: string;
}

const R = 4;
const W = 2;
const X = 1;

function bits(perms: string): number {
  return (perms[0] === "r" ? R : 0) | (perms[1] === "w" ? W : 0) | (perms[2] === "x" ? X : 0);
}

/** Which operations a data role grants through RBAC (read: blobs/read; contributor/owner: read, write, delete, add). */
function roleGrants(role: DataRole, op: Operation): boolean {
  if (role === "reader") return op === "read" || op === "list" || op === "traverse";
  return true;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Directories from the root down to the parent of `path` ("/a/b/f" -> ["/", "/a", "/a/b"]). */
export function ancestorDirs(path: string): string[] {
  if (path === "/") return [];
  const segments = path.split("/").slice(1, -1);
  return ["/", ...segments.map((_, i) => `/${segments.slice(0, i + 1).join("/")}`)];
}

function groupsOf(world: World, principal: string): Set<string> {
  return world.memberships.get(principal) ?? new Set();
}

/** Microsoft's access_check(user, desired_perms, path) for one item. */
export function aclAllows(world: World, principal: string, node: ModelNode, desired: number): boolean {
  const access = node.acl.filter((e) => e.scope === "access");
  const mask = access.find((e) => e.type === "mask");
  const maskBits = mask === undefined ? R | W | X : bits(mask.perms);
  const has = (perms: number, withMask: boolean) => (desired & perms & (withMask ? maskBits : 7)) === desired;

  if (node.owner === principal) {
    const owning = access.find((e) => e.type === "user" && e.id === "");
    return has(owning === undefined ? 0 : bits(owning.perms), false);
  }
  const named = access.find((e) => e.type === "user" && e.id === principal);
  if (named !== undefined) return has(bits(named.perms), true);

  // Owning group and named groups: the union of every entry whose group the principal is in decides, and a
  // principal that matches any of them is never judged by `other` (the "member_count" step of access_check).
  const groups = groupsOf(world, principal);
  let matched = false;
  let union = 0;
  for (const e of access) {
    if (e.type !== "group") continue;
    const groupId = e.id === "" ? node.owningGroup : e.id;
    if (!groups.has(groupId)) continue;
    matched = true;
    union |= bits(e.perms);
  }
  if (matched) return has(union, true);
  const other = access.find((e) => e.type === "other");
  return has(other === undefined ? 0 : bits(other.perms), true);
}

function needs(op: Operation): { target: "self" | "parent"; perms: number } {
  switch (op) {
    case "read":
      return { target: "self", perms: R };
    case "write":
      return { target: "self", perms: R | W };
    case "list":
      return { target: "self", perms: R | X };
    case "traverse":
      return { target: "self", perms: X };
    case "create":
    case "delete":
      return { target: "parent", perms: W | X };
  }
}

function permsText(p: number): string {
  return `${p & R ? "r" : "-"}${p & W ? "w" : "-"}${p & X ? "x" : "-"}`;
}

/** Is `principal` allowed `op` on `path` of `container`? RBAC first, then ACLs. */
export function checkAccess(
  world: World,
  principal: string,
  op: Operation,
  container: string,
  path: string,
): AccessDecision {
  const groups = groupsOf(world, principal);
  const role = world.roles.find(
    (a) =>
      a.container === container &&
      (a.principalId === principal || groups.has(a.principalId)) &&
      roleGrants(a.role, op),
  );
  if (role !== undefined)
    return { allowed: true, by: "rbac", reason: `role ${role.role} on container ${container}` };

  const nodes = world.containers.get(container);
  if (nodes === undefined) return { allowed: false, by: "denied", reason: `no container ${container}` };
  const need = needs(op);
  const targetPath = need.target === "self" ? path : parentOf(path);
  const target = nodes.get(targetPath);
  if (target === undefined) return { allowed: false, by: "denied", reason: `${targetPath} does not exist` };
  if (op === "create" && nodes.has(path)) return { allowed: false, by: "denied", reason: `${path} exists` };
  if (op !== "create" && !nodes.has(path))
    return { allowed: false, by: "denied", reason: `${path} does not exist` };
  for (const dir of ancestorDirs(targetPath)) {
    if (!aclAllows(world, principal, nodes.get(dir)!, X))
      return { allowed: false, by: "denied", reason: `no --x on ${dir}` };
  }
  if (!aclAllows(world, principal, target, need.perms))
    return { allowed: false, by: "denied", reason: `no ${permsText(need.perms)} on ${targetPath}` };
  return { allowed: true, by: "acl", reason: `${permsText(need.perms)} on ${targetPath}` };
}

/** Shorthand for checkAccess(...).allowed. */
export function can(
  world: World,
  principal: string,
  op: Operation,
  container: string,
  path: string,
): boolean {
  return checkAccess(world, principal, op, container, path).allowed;
}

/**
 * Create an item as the service does: owner = creator, owning group copied from the parent, access ACL from the
 * parent's default ACL with the 007 umask (other gets nothing), a directory also inherits the default ACL; with no
 * default ACL on the parent, 0750 for directories and 0640 for files (request 0777/0666, umask 0027).
 * `asSuperUser` skips the permission check (the platform's deploying principal holds Storage Blob Data Owner).
 */
export function createItem(
  world: World,
  principal: string,
  container: string,
  path: string,
  kind: ItemKind,
  asSuperUser = false,
): AccessDecision {
  const decision = asSuperUser
    ? { allowed: true, by: "rbac" as const, reason: "super-user" }
    : checkAccess(world, principal, "create", container, path);
  if (!decision.allowed) return decision;
  const nodes = world.containers.get(container)!;
  const parent = nodes.get(parentOf(path));
  if (parent === undefined)
    return { allowed: false, by: "denied", reason: `${parentOf(path)} does not exist` };
  if (nodes.has(path)) return { allowed: false, by: "denied", reason: `${path} exists` };
  const defaults = parent.acl.filter((e) => e.scope === "default");
  let acl: AclEntry[];
  if (defaults.length > 0) {
    acl = defaults.map((e) => ({
      ...e,
      scope: "access" as const,
      perms: e.type === "other" ? "---" : e.perms,
    }));
    if (kind === "directory") acl.push(...defaults.map((e) => ({ ...e })));
  } else {
    acl = parseAcl(
      kind === "directory" ? "user::rwx,group::r-x,other::---" : "user::rw-,group::r--,other::---",
    );
  }
  nodes.set(path, { kind, owner: principal, owningGroup: parent.owningGroup, acl });
  return decision;
}

/** Merge owned entries into a path (and with `recursive`, into everything below it), as PathAcl does. */
export function applyEntries(
  world: World,
  container: string,
  path: string,
  entries: string[],
  recursive: boolean,
): void {
  const nodes = world.containers.get(container)!;
  const parsed = entries.map(parseAclEntry);
  const targets = recursive
    ? [...nodes.keys()].filter((p) => p === path || p.startsWith(path === "/" ? "/" : `${path}/`))
    : [path];
  for (const p of targets) {
    const node = nodes.get(p)!;
    const applicable = node.kind === "directory" ? parsed : parsed.filter((e) => e.scope === "access");
    node.acl = mergeOwnedEntries(node.acl, applicable, []).acl;
  }
}

/** Named entries on a path, by scope. */
export function namedEntryCount(
  world: World,
  container: string,
  path: string,
  scope: "access" | "default" = "access",
): number {
  const node = world.containers.get(container)?.get(path);
  return node === undefined
    ? 0
    : node.acl.filter((e) => e.scope === scope && e.id !== "" && (e.type === "user" || e.type === "group"))
        .length;
}

export interface ModelIdentities {
  groupId(container: string, level: GroupLevel): string;
  partnerId(orgNumber: string): string;
  /** The deploying principal (Storage Blob Data Owner): creates containers and granted directories. */
  platformId: string;
}

function roleOf(roleGuid: string): DataRole {
  return roleGuid === ROLE_DEFINITION_IDS.storageBlobDataReader ? "reader" : "contributor";
}

/**
 * The storage account as this program leaves it: container roots as created (owner = platform, owning group
 * $superuser, `rootAcl`), group RBAC per container from model.ts, memberships from membershipsFor, and every
 * planned ACL applied in plan order (roots, ancestors, partner grants), creating directories as PathAcl does.
 */
export function worldFromManifest(
  manifest: Pick<Manifest, "containers" | "partners">,
  ids: ModelIdentities,
  rootAcl = "user::rwx,group::r-x,other::---",
  plans: readonly PathAclPlan[] = planAcls(manifest),
): World {
  const world: World = { containers: new Map(), memberships: new Map(), roles: [] };
  for (const c of manifest.containers) {
    world.containers.set(
      c.name,
      new Map([
        [
          "/",
          { kind: "directory", owner: ids.platformId, owningGroup: "$superuser", acl: parseAcl(rootAcl) },
        ],
      ]),
    );
    for (const level of GROUP_LEVELS) {
      const role = roleForLevel(level);
      if (role !== undefined)
        world.roles.push({ principalId: ids.groupId(c.name, level), container: c.name, role: roleOf(role) });
    }
  }
  for (const p of manifest.partners) {
    world.memberships.set(
      ids.partnerId(p.orgNumber),
      new Set(membershipsFor(p).map((g) => ids.groupId(g.container, g.level))),
    );
  }
  applyPlans(world, plans, ids);
  return world;
}

/** Apply ACL plans in order, creating their directories as PathAcl does (as the platform, a super-user). */
export function applyPlans(world: World, plans: readonly PathAclPlan[], ids: ModelIdentities): void {
  const objectIdOf = (principal: AclPrincipal) =>
    principal.kind === "group"
      ? ids.groupId(principal.container, principal.level)
      : ids.partnerId(principal.orgNumber);
  for (const plan of plans) {
    const nodes = world.containers.get(plan.container)!;
    if (plan.createDirectory) {
      const segments = plan.path.split("/").slice(1);
      segments.forEach((_, i) => {
        const dir = `/${segments.slice(0, i + 1).join("/")}`;
        if (!nodes.has(dir)) createItem(world, ids.platformId, plan.container, dir, "directory", true);
      });
    }
    applyEntries(world, plan.container, plan.path, renderAclEntries(plan, objectIdOf), plan.recursive);
  }
}

/** Keys of the named entries on a path, for assertions ("group:<oid>", "default:user:<oid>"). */
export function namedEntryKeys(world: World, container: string, path: string): string[] {
  const node = world.containers.get(container)?.get(path);
  return node === undefined ? [] : node.acl.filter((e) => e.id !== "").map(aclEntryKey);
}

/** Deterministic object ids for models: GUIDs derived from the principal's key. */
const MODEL_NAMESPACE = "6f1c2a7e-8d3b-4c59-9e0a-2b7d4f6a1c38";
export const modelIdentities: ModelIdentities = {
  groupId: (container, level) => uuidv5(`group:${container}/${level}`, MODEL_NAMESPACE),
  partnerId: (orgNumber) => uuidv5(`partner:${orgNumber}`, MODEL_NAMESPACE),
  platformId: uuidv5("platform", MODEL_NAMESPACE),
};

/** One way a partner reaches another partner's data, found by the model. */
export interface CrossAccess {
  container: string;
  /** Organization that can act. */
  accessor: string;
  /** Organization whose data it is. */
  owner: string;
  op: Operation;
  path: string;
  by: "rbac" | "acl";
}

interface DataItem {
  container: string;
  path: string;
  kind: ItemKind;
  owner: string;
}

/**
 * Every way one partner can reach another partner's data, judged by the model above: the reference the
 * manifest's isolation rule (infra/manifest/isolation.ts) is tested against.
 *
 * - Data: every partner, offboarded ones included (containers keep their data), has put files everywhere in its
 *   area: for a path grant, in its directory and in every granted directory below it; for a whole-container
 *   grant, in the root, in a directory of its own and in every granted directory of the container. Those are the
 *   places its files may be; a reader's files are the ones the platform put there for it.
 * - The world: every partner's grants applied as if it were active (the data was written while it was), the data
 *   created, then every grant applied again (a recursive ACL update reaches files created before it).
 * - Who acts: active and suspended partners (a suspension is undone by one line), with every grant they hold.
 * - What counts: read, write or delete a file of another partner; list, delete or create inside a directory of
 *   another partner.
 * One finding per (container, accessor, owner): the first operation found.
 */
export function crossPartnerAccess(manifest: Pick<Manifest, "containers" | "partners">): CrossAccess[] {
  const granted = new Map<string, string[]>(); // container -> granted directories ("/a/b")
  for (const p of manifest.partners)
    for (const g of p.azure)
      if (g.path !== undefined)
        granted.set(g.container, [...(granted.get(g.container) ?? []), absolute(g.path)]);
  // A writer on the whole container (`-wx` on the root, or read-write) can create any directory before the
  // platform does, and then owns it with the owner's full rights. Any of them may be the one who did: one world
  // per choice (the k-th writer of every container), and the union of what each world lets partners reach, so
  // the answer does not depend on the order of the manifest's entries.
  const writers = new Map<string, Partner[]>();
  for (const container of granted.keys())
    writers.set(
      container,
      manifest.partners.filter(
        (p) =>
          p.status !== "offboarded" &&
          p.azure.some((g) => g.container === container && g.path === undefined && g.access !== "read"),
      ),
    );
  const choices = Math.max(1, ...[...writers.values()].map((w) => w.length));
  const found = new Map<string, CrossAccess>();
  for (let k = 0; k < choices; k++) {
    for (const x of crossPartnerAccessIn(manifest, granted, (container) => writers.get(container)?.[k]))
      if (!found.has(crossKey(x))) found.set(crossKey(x), x);
  }
  return [...found.values()];
}

const crossKey = (x: Pick<CrossAccess, "container" | "accessor" | "owner">) =>
  `${x.container}\u0000${x.accessor}\u0000${x.owner}`;

/** One world of crossPartnerAccess: `writerOf(container)` created the granted directories there first. */
function crossPartnerAccessIn(
  manifest: Pick<Manifest, "containers" | "partners">,
  granted: ReadonlyMap<string, string[]>,
  writerOf: (container: string) => Partner | undefined,
): CrossAccess[] {
  const ids = modelIdentities;
  const asActive = {
    containers: manifest.containers,
    partners: manifest.partners.map((p) => ({ ...p, status: "active" as const })),
  };
  const plans = aclPlansUnchecked(asActive);
  const world = worldFromManifest(asActive, ids, undefined, []);

  for (const [container, dirs] of granted) {
    const writer = writerOf(container);
    if (writer === undefined || !world.containers.has(container)) continue;
    for (const dir of dirs) {
      const segments = dir.split("/").slice(1);
      segments.forEach((_, i) => {
        const d = `/${segments.slice(0, i + 1).join("/")}`;
        if (!world.containers.get(container)!.has(d))
          createItem(world, ids.partnerId(writer.orgNumber), container, d, "directory", true);
      });
    }
  }
  applyPlans(world, plans, ids);
  const inside = (dir: string, area: string) => area === "/" || dir === area || dir.startsWith(`${area}/`);

  const items: DataItem[] = [];
  const put = (container: string, path: string, kind: ItemKind, owner: string) => {
    const nodes = world.containers.get(container);
    if (nodes === undefined) return;
    if (!nodes.has(path)) createItem(world, ids.partnerId(owner), container, path, kind, true);
    items.push({ container, path, kind, owner });
  };
  for (const p of manifest.partners) {
    p.azure.forEach((g, k) => {
      if (!world.containers.has(g.container)) return;
      const area = g.path === undefined ? "/" : absolute(g.path);
      const tag = `${p.orgNumber}-${k}`;
      if (area !== "/") put(g.container, area, "directory", p.orgNumber);
      else {
        put(g.container, `/d-${tag}`, "directory", p.orgNumber);
        put(g.container, `/d-${tag}/f`, "file", p.orgNumber);
      }
      const dirs = [area, ...(granted.get(g.container) ?? []).filter((d) => d !== area && inside(d, area))];
      for (const dir of new Set(dirs))
        put(g.container, `${dir === "/" ? "" : dir}/f-${tag}`, "file", p.orgNumber);
    });
  }
  for (const plan of plans) {
    if (plan.owner.kind !== "partner") continue;
    applyEntries(
      world,
      plan.container,
      plan.path,
      renderAclEntries(plan, (pr) =>
        pr.kind === "group" ? ids.groupId(pr.container, pr.level) : ids.partnerId(pr.orgNumber),
      ),
      plan.recursive,
    );
  }

  // Files first: the finding then names the file reached rather than the directory listed.
  items.sort((x, y) => (x.kind === y.kind ? 0 : x.kind === "file" ? -1 : 1));
  const found = new Map<string, CrossAccess>();
  const accessors = manifest.partners.filter((p) => p.status !== "offboarded");
  for (const a of accessors) {
    const principal = ids.partnerId(a.orgNumber);
    for (const item of items) {
      if (item.owner === a.orgNumber) continue;
      const key = crossKey({ container: item.container, accessor: a.orgNumber, owner: item.owner });
      if (found.has(key)) continue;
      const tries: [Operation, string][] =
        item.kind === "file"
          ? [
              ["read", item.path],
              ["write", item.path],
              ["delete", item.path],
            ]
          : [
              ["list", item.path],
              ["delete", item.path],
              ["create", `${item.path}/new-${a.orgNumber}`],
            ];
      for (const [op, path] of tries) {
        const d = checkAccess(world, principal, op, item.container, path);
        if (d.allowed && d.by !== "denied") {
          found.set(key, {
            container: item.container,
            accessor: a.orgNumber,
            owner: item.owner,
            op,
            path,
            by: d.by,
          });
          break;
        }
      }
    }
  }
  return [...found.values()];
}

function absolute(relative: string): string {
  return `/${relative}`;
}
