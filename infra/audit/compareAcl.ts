import { parseAclEntry, type AclEntry } from "../azure/acl/provider";
import type { AuditContext } from "./expected";
import { describePrincipal, orgOf, principalKey, type Finding, type Principal } from "./findings";
import type { AzureSide } from "./compareAzure";
import type { ObservedAcl } from "./observed";

/**
 * ADLS Gen2 ACLs, judged by what they grant
 * (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control, "Access check algorithm"):
 * named entries and the owning group are limited by the mask; `other::` is not. An entry whose effective
 * permissions are `---` grants nothing and is ignored. Base entries are reported only when they open access:
 * `other::` (access or default) with any permission, and `user::` / `group::` when the path's owner / owning
 * group is a real principal that is not a platform principal (the owner of a granted directory can change its
 * ACL). Without `owner`/`owningGroup` in the document, `user::` and `group::` cannot be judged and are skipped.
 */

const BITS = { r: 4, w: 2, x: 1 } as const;
const bitsOf = (perms: string) =>
  (perms[0] === "r" ? BITS.r : 0) | (perms[1] === "w" ? BITS.w : 0) | (perms[2] === "x" ? BITS.x : 0);
const permsOf = (bits: number) =>
  `${bits & BITS.r ? "r" : "-"}${bits & BITS.w ? "w" : "-"}${bits & BITS.x ? "x" : "-"}`;

interface Named {
  scope: "access" | "default";
  type: "user" | "group";
  principal: Principal;
  /** Effective bits: the entry's permissions limited by the mask of its scope. */
  bits: number;
}

function entriesOf(acl: ObservedAcl): AclEntry[] {
  return [
    ...acl.access.map((t) => ({ ...parseAclEntry(t.replace(/^default:/, "")), scope: "access" as const })),
    ...acl.default.map((t) => ({
      ...parseAclEntry(t.startsWith("default:") ? t : `default:${t}`),
      scope: "default" as const,
    })),
  ];
}

function maskOf(entries: readonly AclEntry[], scope: "access" | "default"): number {
  const mask = entries.find((e) => e.scope === scope && e.type === "mask");
  return mask === undefined ? 7 : bitsOf(mask.perms);
}

function namedEntries(acl: ObservedAcl, side: AzureSide): Map<string, Named> {
  const entries = entriesOf(acl);
  // Once per path, not per entry: an observed document may hold thousands of entries on one path.
  const masks = { access: maskOf(entries, "access"), default: maskOf(entries, "default") };
  const out = new Map<string, Named>();
  for (const e of entries) {
    if ((e.type !== "user" && e.type !== "group") || e.id === "") continue;
    const principal = side.index.resolve(e.id);
    const named: Named = {
      scope: e.scope,
      type: e.type,
      principal,
      bits: bitsOf(e.perms) & masks[e.scope],
    };
    const key = `${e.scope}|${e.type}|${principalKey(principal)}`;
    // Two ids resolving to one principal (should not happen): keep the wider, so nothing is hidden.
    const prev = out.get(key);
    if (prev === undefined || named.bits > prev.bits) out.set(key, named);
  }
  return out;
}

const subjectOf = (acl: Pick<ObservedAcl, "container" | "path">) => `${acl.container}:${acl.path}`;
const scopeText = (scope: "access" | "default") =>
  scope === "default" ? "default ACL (inherited by new children)" : "access ACL";

export function compareAcls(expected: AzureSide, observed: AzureSide, ctx: AuditContext): Finding[] {
  const findings: Finding[] = [];
  const azure = (f: Omit<Finding, "cloud">) => findings.push({ ...f, cloud: "azure" });
  const key = (a: Pick<ObservedAcl, "container" | "path">) => `${a.container}\u0000${a.path}`;
  const want = new Map((expected.state.azure?.acls ?? []).map((a) => [key(a), a]));
  const have = new Map<string, ObservedAcl[]>();
  for (const a of observed.state.azure?.acls ?? []) have.set(key(a), [...(have.get(key(a)) ?? []), a]);

  for (const [k, w] of want) {
    if (have.has(k) || w.access.length + w.default.length === 0) continue;
    azure({
      severity: "warning",
      kind: "missing",
      orgNumber: null,
      subject: subjectOf(w),
      message: `path ${w.path} of container ${w.container} was not found, so its ACL entries (${[...w.access, ...w.default].length}) are missing: run pulumi up (it creates the directory)`,
    });
  }

  for (const [k, observedAcls] of have) {
    const w = want.get(k);
    const wanted = w === undefined ? new Map<string, Named>() : namedEntries(w, expected);
    for (const acl of observedAcls) {
      const subject = subjectOf(acl);
      const where = `path ${acl.path} of container ${acl.container}`;
      const got = namedEntries(acl, observed);
      for (const [entryKey, n] of got) {
        const e = wanted.get(entryKey);
        const who = describePrincipal(n.principal, ctx.nameKey);
        if (e === undefined) {
          if (n.bits === 0) continue;
          if (n.principal.kind === "platform") {
            azure({
              severity: "notice",
              kind: "unexpected",
              orgNumber: null,
              subject,
              message: `${who} has ${permsOf(n.bits)} in the ${scopeText(n.scope)} of ${where}; make sure it still needs it`,
            });
            continue;
          }
          azure({
            severity: "critical",
            kind: "unexpected",
            orgNumber: orgOf(n.principal),
            subject,
            message: `${who} has ${permsOf(n.bits)} in the ${scopeText(n.scope)} of ${where}, which the manifest does not grant: remove the entry${n.scope === "access" ? "" : " (and from the children that inherited it)"}`,
          });
        } else if (n.bits !== e.bits) {
          const wider = (n.bits & ~e.bits) !== 0;
          azure({
            severity: wider ? "critical" : "warning",
            kind: "changed",
            orgNumber: orgOf(n.principal),
            subject,
            message: `${who} has ${permsOf(n.bits)} (effective, after the mask) in the ${scopeText(n.scope)} of ${where}, the manifest says ${permsOf(e.bits)}${wider ? ": more access than granted" : ": less access than granted"}; run pulumi up${wider ? " and remove the extra permission" : " (and check the mask)"}`,
          });
        }
      }
      for (const [entryKey, e] of wanted) {
        if (got.has(entryKey)) continue;
        azure({
          severity: "warning",
          kind: "missing",
          orgNumber: orgOf(e.principal),
          subject,
          message: `${describePrincipal(e.principal, ctx.nameKey, false)} has no entry in the ${scopeText(e.scope)} of ${where} (the manifest says ${permsOf(e.bits)}): run pulumi up`,
        });
      }
      findings.push(...baseEntryFindings(acl, observed, ctx));
    }
  }
  return findings;
}

function baseEntryFindings(acl: ObservedAcl, observed: AzureSide, ctx: AuditContext): Finding[] {
  const findings: Finding[] = [];
  const entries = entriesOf(acl);
  const subject = subjectOf(acl);
  const where = `path ${acl.path} of container ${acl.container}`;
  for (const e of entries) {
    if (e.type === "other" && bitsOf(e.perms) !== 0) {
      findings.push({
        severity: "critical",
        kind: "unexpected",
        cloud: "azure",
        orgNumber: null,
        subject,
        message: `other::${e.perms} in the ${scopeText(e.scope)} of ${where} opens it to every principal that reaches the account without a named entry; set ${e.scope === "default" ? "default:" : ""}other::---`,
      });
    }
    if (e.scope !== "access" || e.id !== "" || (e.type !== "user" && e.type !== "group")) continue;
    const holderId = e.type === "user" ? acl.owner : acl.owningGroup;
    if (holderId === undefined || holderId === "$superuser" || holderId === "") continue;
    const bits = bitsOf(e.perms) & (e.type === "group" ? maskOf(entries, "access") : 7);
    if (bits === 0) continue;
    const holder = observed.index.resolve(holderId);
    if (holder.kind === "platform") continue;
    findings.push({
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: orgOf(holder),
      subject,
      message: `${describePrincipal(holder, ctx.nameKey)} is the owning ${e.type === "user" ? "user" : "group"} of ${where} and has ${permsOf(bits)} through ${e.type}::${e.type === "user" ? " (an owner can also change the ACL)" : ""}; make a platform principal the owner (set-access-control with x-ms-owner / x-ms-group) or pass it with --platform-principal if it is one`,
    });
  }
  return findings;
}
