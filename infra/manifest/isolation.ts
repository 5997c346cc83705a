import type { Access, PartnerStatus } from "./vocabulary";

/**
 * Isolation between partners, judged on the manifest alone (design.md, "The manifest"): in a container or bucket
 * that is not `shared: true`, no partner may be able to read, list, overwrite or delete another partner's files.
 * The access model (infra/azure/acl/accessModel.ts, crossPartnerAccess) is the reference: its property test
 * checks that this function finds a conflict exactly where the model finds a cross-partner access.
 *
 * Who counts:
 * - active and suspended partners can reach files (a suspension is undone by one line: isolation must hold after
 *   reinstatement too);
 * - every partner, offboarded included, owns files: containers and buckets are never emptied by an onboarding
 *   change, so an offboarded partner's directory still holds its data, and a new grant on it reaches that data;
 * - two offboarded partners reach nothing.
 *
 * Conflicts, on Azure, in a container that is not shared:
 * - a whole-container grant beside any grant of another partner: RBAC is evaluated before ACLs, so read or
 *   read-write on the container reaches every directory; a drop box (`-wx` on the root) lets its writers delete
 *   and replace any item in the root: the program sets no sticky bit on the root (ADLS Gen2 has one, which limits
 *   delete and rename to an item's owner, but it is not used, and the documentation does not say it stops an
 *   overwrite) (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control, "Common
 *   scenarios" and "The sticky bit");
 * - a path grant equal to or inside another partner's path grant: the outer default ACL and recursive update
 *   reach the inner directory.
 * On S3, in a bucket that is not shared: a prefix equal to or inside another partner's prefix (the outer
 * `<prefix>*` resource pattern matches the inner keys).
 * In a shared container, nested (not equal) path grants of two partners that are not offboarded stay an error:
 * the ACL plan cannot apply one partner's recursive entries inside another's directory. An equal path shared by
 * more partners than ADLS allows named ACL entries is an error too.
 *
 * Linear in the number of grants (times path depth): thousands of partners validate in milliseconds.
 */

/** ADLS Gen2: 28 named entries per ACL (see infra/azure/acl/plan.ts, ACL_NAMED_ENTRY_LIMIT). */
export const SHARED_PATH_PARTNER_LIMIT = 28;

/** The grants as the schema types them (AzureGrant, AwsGrant), structurally: the schema imports this module. */
interface AzureGrantLike {
  container: string;
  access: Access;
  path?: string;
}
interface AwsGrantLike {
  bucket: string;
  prefix: string;
  access: Access;
}

export interface IsolationPartner {
  orgNumber: string | undefined;
  status: PartnerStatus;
  azure: readonly (AzureGrantLike | undefined)[];
  aws: readonly (AwsGrantLike | undefined)[];
}

export interface IsolationInput {
  containers: readonly { name: string; shared?: boolean }[];
  buckets: readonly { name: string; shared?: boolean }[];
  partners: readonly (IsolationPartner | undefined)[];
}

/** One grant as an area of a container or bucket. */
export interface Area {
  /** Tells partners apart: the org number, or `#<index>` when the org number is invalid. */
  who: string;
  /** How messages name the partner. */
  label: string;
  live: boolean;
  cloud: "azure" | "aws";
  scope: string;
  /** Relative directory without trailing "/"; null for a whole container. */
  dir: string | null;
  access: Access;
  /** Field path of the grant (the path/prefix field for directory grants). */
  at: (string | number)[];
  /** Order in the manifest. */
  index: number;
}

export type ConflictKind =
  "whole-container" | "nested" | "same-directory" | "shared-nested" | "shared-path-full";

export interface IsolationFinding {
  kind: ConflictKind;
  /** The grant the error is reported at (the later one, or the inner one). */
  at: Area;
  /** The other partner's grant. */
  other: Area;
  message: string;
}

function areasOf(input: IsolationInput): Area[] {
  const containers = new Set(input.containers.map((c) => c.name));
  const buckets = new Set(input.buckets.map((b) => b.name));
  const areas: Area[] = [];
  input.partners.forEach((p, i) => {
    if (p === undefined) return;
    const who = p.orgNumber ?? `#${i}`;
    const label = p.orgNumber !== undefined ? `organization ${p.orgNumber}` : `partners[${i}]`;
    const live = p.status !== "offboarded";
    p.azure.forEach((g, k) => {
      if (g === undefined || !containers.has(g.container)) return;
      const at = ["partners", i, "azure", k];
      const dir = g.path ?? null;
      areas.push({
        who,
        label,
        live,
        cloud: "azure",
        scope: g.container,
        dir,
        access: g.access,
        at: dir === null ? at : [...at, "path"],
        index: areas.length,
      });
    });
    p.aws.forEach((g, k) => {
      if (g === undefined || !buckets.has(g.bucket)) return;
      areas.push({
        who,
        label,
        live,
        cloud: "aws",
        scope: g.bucket,
        dir: g.prefix.slice(0, -1),
        access: g.access,
        at: ["partners", i, "aws", k, "prefix"],
        index: areas.length,
      });
    });
  });
  return areas;
}

/**
 * The first areas of up to two different partners, among all and among live ones: enough to find, for any
 * area, an earlier one of another partner that is not offboarded together with it.
 */
class FirstTwo {
  private all: Area[] = [];
  private live: Area[] = [];
  add(a: Area): void {
    if (this.all.length < 2 && !this.all.some((x) => x.who === a.who)) this.all.push(a);
    if (a.live && this.live.length < 2 && !this.live.some((x) => x.who === a.who)) this.live.push(a);
  }
  /** An area of another partner that, together with `a`, is not two offboarded partners. */
  otherThan(a: Area, accept: (x: Area) => boolean = () => true): Area | undefined {
    return (a.live ? this.all : this.live).find((x) => x.who !== a.who && accept(x));
  }
  /** A live area of another partner. */
  liveOtherThan(a: Area): Area | undefined {
    return this.live.find((x) => x.who !== a.who);
  }
}

const where = (a: Area): string =>
  a.cloud === "aws"
    ? `prefix "${a.dir}/" of bucket "${a.scope}"`
    : a.dir === null
      ? `container "${a.scope}"`
      : `path "${a.dir}" of container "${a.scope}"`;

/** What a whole-container grant lets its holder do to everyone else's files. */
function wholeReach(a: Area, other: Area): string {
  const verbs =
    a.access === "read"
      ? "reads"
      : a.access === "write"
        ? "can delete and replace"
        : "can read, replace and delete";
  const why = a.access === "write" ? "a drop box has no sticky bit" : "RBAC is evaluated before ACLs";
  return `${a.label} ${verbs} every file in the container, ${other.label}'s included (${why})`;
}

/** How each of the two partners can reach the other's files: the middle of the message. */
function consequences(kind: ConflictKind, at: Area, other: Area): string[] {
  const out: string[] = [];
  if (kind === "whole-container") {
    for (const [x, y] of [
      [other, at],
      [at, other],
    ] as const) {
      if (!x.live) continue;
      out.push(
        x.dir === null ? wholeReach(x, y) : `${x.label} reaches whatever ${y.label} put in "${x.dir}"`,
      );
    }
  } else if (kind === "nested") {
    const how = at.cloud === "aws" ? "its key pattern" : "its default ACL and recursive update";
    if (other.live) out.push(`the grant of ${other.label} covers "${at.dir}" (${how})`);
    if (at.live) out.push(`${at.label} reaches whatever ${other.label} keeps in "${at.dir}"`);
  } else if (at.live && other.live) {
    out.push(`each can reach the other's files there`);
  }
  const off = [at, other].find((x) => !x.live);
  if (off !== undefined) {
    const live = off === at ? other : at;
    out.push(
      `${off.label} is offboarded, but its files stay${kind === "same-directory" ? ` and ${live.label} reaches them` : ""}`,
    );
  }
  return out;
}

function conflictMessage(kind: ConflictKind, at: Area, other: Area): string {
  const what = at.cloud === "aws" ? "bucket" : "container";
  if (kind === "shared-nested") {
    return `${where(at)} (${at.label}) lies inside ${where(other)} granted to ${other.label}: even in a shared container one partner's recursive ACL cannot be applied inside another's directory; grant both the same directory or disjoint ones`;
  }
  if (kind === "shared-path-full") {
    return `${where(at)} is granted to more than ${SHARED_PATH_PARTNER_LIMIT} partners; ADLS Gen2 allows ${SHARED_PATH_PARTNER_LIMIT} named ACL entries per path: grant the others a whole-container access or another directory`;
  }
  const relation =
    kind === "whole-container"
      ? `${at.label} (${at.access} on ${where(at)}) and ${other.label} (${other.access} on ${where(other)}) share ${what} "${at.scope}"`
      : kind === "same-directory"
        ? `${where(at)} (${at.label}) is also granted to ${other.label}`
        : `${where(at)} (${at.label}) lies inside ${where(other)} granted to ${other.label}`;
  const own =
    at.cloud === "aws" ? "give each partner its own prefix" : "give each partner its own path or container";
  return `${relation}: ${consequences(kind, at, other).join("; ")}. ${what === "bucket" ? "Bucket" : "Container"} "${at.scope}" is not shared: ${own}, or add "shared: true" to it if these partners may see each other's files`;
}

/** Every isolation conflict of a manifest, at most one per grant, in manifest order. */
export function isolationFindings(input: IsolationInput): IsolationFinding[] {
  const shared = new Set([
    ...input.containers.filter((c) => c.shared === true).map((c) => `azure\u0000${c.name}`),
    ...input.buckets.filter((b) => b.shared === true).map((b) => `aws\u0000${b.name}`),
  ]);
  const areas = areasOf(input);
  const scopeKey = (a: Area) => `${a.cloud}\u0000${a.scope}`;
  const dirKey = (a: Area, dir: string) => `${scopeKey(a)}\u0000${dir}`;
  const findings = new Map<number, IsolationFinding>();
  const report = (kind: ConflictKind, at: Area, other: Area) => {
    if (!findings.has(at.index))
      findings.set(at.index, { kind, at, other, message: conflictMessage(kind, at, other) });
  };

  // Whole-container grants (Azure only): against any earlier grant of another partner, and any grant against an
  // earlier whole-container grant.
  const anyBefore = new Map<string, FirstTwo>();
  const wholeBefore = new Map<string, FirstTwo>();
  for (const a of areas) {
    if (a.cloud !== "azure" || shared.has(scopeKey(a))) continue;
    const key = scopeKey(a);
    const x = (a.dir === null ? anyBefore : wholeBefore).get(key)?.otherThan(a);
    if (x !== undefined) report("whole-container", a, x);
    const any = anyBefore.get(key) ?? new FirstTwo();
    any.add(a);
    anyBefore.set(key, any);
    if (a.dir === null) {
      const whole = wholeBefore.get(key) ?? new FirstTwo();
      whole.add(a);
      wholeBefore.set(key, whole);
    }
  }

  // Directories: an area against the areas on each of its ancestors (any order) and on its own directory
  // (earlier ones only, so a pair is reported once).
  const dirs = areas.filter((a) => a.dir !== null);
  const byDir = new Map<string, FirstTwo>();
  const liveCount = new Map<string, Set<string>>();
  for (const a of dirs) {
    const key = dirKey(a, a.dir!);
    const list = byDir.get(key) ?? new FirstTwo();
    list.add(a);
    byDir.set(key, list);
  }
  for (const a of dirs) {
    const isShared = shared.has(scopeKey(a));
    // A shared bucket needs nothing more: IAM policies of different roles never interfere.
    if (isShared && a.cloud === "aws") continue;
    const segments = a.dir!.split("/");
    for (let n = 1; n <= segments.length; n++) {
      const same = n === segments.length;
      if (isShared && same) continue;
      const list = byDir.get(dirKey(a, segments.slice(0, n).join("/")));
      const x = isShared
        ? a.live
          ? list?.liveOtherThan(a)
          : undefined
        : list?.otherThan(a, (y) => !same || y.index < a.index);
      if (x !== undefined) {
        report(isShared ? "shared-nested" : same ? "same-directory" : "nested", a, x);
        break;
      }
    }
    if (isShared && a.cloud === "azure" && a.live) {
      const key = dirKey(a, a.dir!);
      const holders = liveCount.get(key) ?? new Set<string>();
      holders.add(a.who);
      liveCount.set(key, holders);
      if (holders.size > SHARED_PATH_PARTNER_LIMIT) report("shared-path-full", a, a);
    }
  }
  return [...findings.values()].sort((x, y) => x.at.index - y.at.index);
}

/**
 * Partners who can reach each other's files in one container, bucket or directory: in a valid manifest only in
 * what is `shared: true`, where the plan and the pull-request diff must say who sees whom. Judged on access
 * alone (the `shared` flag is ignored), so a base manifest from before the isolation rule shows its real
 * sharing too. Only partners that are not offboarded count.
 */
export interface SharingGroup {
  /** Stable key: cloud, container or bucket, and directory ("" for the whole container). */
  key: string;
  cloud: "azure" | "aws";
  scope: string;
  /** null: the whole container (someone holds a whole-container grant); else the shared directory. */
  dir: string | null;
  /** Partners with whole-container grants (they reach every member's files). */
  whole: { who: string; access: Access }[];
  /** Every partner in the group, in manifest order. */
  members: string[];
}

export function sharingGroups(input: IsolationInput): SharingGroup[] {
  const areas = areasOf(input).filter((a) => a.live && !a.who.startsWith("#"));
  const byScope = new Map<string, Area[]>();
  for (const a of areas)
    byScope.set(`${a.cloud}\u0000${a.scope}`, [...(byScope.get(`${a.cloud}\u0000${a.scope}`) ?? []), a]);
  const groups: SharingGroup[] = [];
  const unique = (xs: string[]) => [...new Set(xs)];
  for (const list of byScope.values()) {
    const first = list[0]!;
    const whole = list.filter((a) => a.dir === null);
    const members = unique(list.map((a) => a.who));
    if (whole.length > 0 && members.length > 1) {
      const wholeWho = new Map<string, Access>();
      for (const a of whole) if (!wholeWho.has(a.who)) wholeWho.set(a.who, a.access);
      groups.push({
        key: `${first.cloud}:${first.scope}:`,
        cloud: first.cloud,
        scope: first.scope,
        dir: null,
        whole: [...wholeWho].map(([who, access]) => ({ who, access })),
        members,
      });
      continue;
    }
    // Directories: a directory's holders and the holders of the directories above it.
    const holders = new Map<string, string[]>();
    for (const a of list) if (a.dir !== null) holders.set(a.dir, [...(holders.get(a.dir) ?? []), a.who]);
    for (const [dir, own] of holders) {
      const segments = dir.split("/");
      const covering = segments
        .slice(0, -1)
        .flatMap((_, i) => holders.get(segments.slice(0, i + 1).join("/")) ?? []);
      const all = unique([...covering, ...own]);
      if (all.length > 1) {
        groups.push({
          key: `${first.cloud}:${first.scope}:${dir}`,
          cloud: first.cloud,
          scope: first.scope,
          dir,
          whole: [],
          members: all,
        });
      }
    }
  }
  return groups;
}

/** At most `max` names, then "and N more": a shared container of 5,000 readers stays one line. */
export function someOf(names: readonly string[], max = 10): string {
  return names.length <= max
    ? names.join(", ")
    : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}

/** A container, bucket, path or prefix, for messages. */
export function placeName(p: { cloud: "azure" | "aws"; scope: string; dir: string | null }): string {
  const what = p.cloud === "aws" ? "bucket" : "container";
  if (p.dir === null) return `${what} "${p.scope}"`;
  return p.cloud === "aws" ? `prefix "${p.dir}/" of bucket "${p.scope}"` : `path "${p.dir}" of container "${p.scope}"`;
}

/** Where a sharing group is, for messages. */
export function sharingPlace(g: SharingGroup): string {
  return placeName(g);
}

/** One line per sharing group: who sees whom (plan summary, validate). */
export function sharingLines(groups: readonly SharingGroup[]): string[] {
  return groups.map((g) => {
    const where = sharingPlace(g);
    if (g.dir === null) {
      const whole = g.whole.map((w) => `${w.who} (${w.access})`);
      const others = g.members.filter((m) => !g.whole.some((w) => w.who === m));
      const drop =
        g.whole.some((w) => w.access !== "read") && others.length > 0
          ? "; a writer can also create a granted directory before the platform does and own it"
          : "";
      return `shared ${where}: ${g.whole.length === 1 ? "organization" : "organizations"} ${someOf(whole)} ${g.whole.length === 1 ? "reaches" : "reach"} the files of every partner there${others.length > 0 ? ` (${someOf(others)} too)` : ""}${drop}`;
    }
    return `shared ${where}: organizations ${someOf(g.members)} reach each other's files`;
  });
}

/**
 * Files an offboarded partner left that partners who are not offboarded reach: containers and buckets are never
 * emptied by an onboarding change, so a grant on, inside or above an offboarded partner's directory (or on the
 * whole container) reaches what it wrote. Outside `shared` that is an isolation error; in a shared container or
 * bucket it is allowed and shown here.
 */
export interface LeftBehind {
  /** Stable key: cloud, container or bucket, the offboarded partner's directory ("" for its whole container), its org. */
  key: string;
  cloud: "azure" | "aws";
  scope: string;
  /** The offboarded partner's directory; null when it had the whole container. */
  dir: string | null;
  offboarded: string;
  /** The partners who reach those files, in manifest order. */
  reachedBy: string[];
}

/** Does a grant on `a` reach files written under `b` (or the reverse)? null is the whole container or bucket. */
function overlaps(a: string | null, b: string | null): boolean {
  return a === null || b === null || a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * Every offboarded partner's directory that partners who are not offboarded reach. With `anyStatus`, every
 * partner's directory, offboarded or not (the same keys): who reached its files before it was offboarded; `only`
 * limits that to the given keys. Every directory costs a pass over its container's live grants, so with
 * `anyStatus` and no `only` a container every partner reads whole costs partners x partners.
 */
export function leftBehind(input: IsolationInput, anyStatus = false, only?: ReadonlySet<string>): LeftBehind[] {
  const areas = areasOf(input).filter((a) => !a.who.startsWith("#"));
  const liveByScope = new Map<string, Area[]>();
  for (const a of areas) {
    if (!a.live) continue;
    const list = liveByScope.get(`${a.cloud}\u0000${a.scope}`);
    if (list === undefined) liveByScope.set(`${a.cloud}\u0000${a.scope}`, [a]);
    else list.push(a);
  }
  const found = new Map<string, LeftBehind>();
  for (const off of areas) {
    if (off.live && !anyStatus) continue;
    const key = `${off.cloud}:${off.scope}:${off.dir ?? ""}:${off.who}`;
    if (only !== undefined && !only.has(key)) continue;
    const reachedBy = [
      ...new Set(
        (liveByScope.get(`${off.cloud}\u0000${off.scope}`) ?? [])
          .filter((l) => l.who !== off.who && overlaps(l.dir, off.dir))
          .map((l) => l.who),
      ),
    ];
    if (reachedBy.length === 0) continue;
    const known = found.get(key);
    if (known === undefined)
      found.set(key, { key, cloud: off.cloud, scope: off.scope, dir: off.dir, offboarded: off.who, reachedBy });
    else known.reachedBy = [...new Set([...known.reachedBy, ...reachedBy])];
  }
  return [...found.values()];
}

/** One line per offboarded partner's directory that others reach (plan summary, validate). */
export function leftBehindLines(items: readonly LeftBehind[]): string[] {
  return items.map((l) => {
    return `shared ${placeName(l)}: organization ${l.offboarded} is offboarded, but the files it left there stay, and ${l.reachedBy.length === 1 ? "organization" : "organizations"} ${someOf(l.reachedBy)} ${l.reachedBy.length === 1 ? "reaches" : "reach"} them (delete them, or give ${l.reachedBy.length === 1 ? "that partner" : "those partners"} another directory)`;
  });
}
