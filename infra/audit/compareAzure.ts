import { ROLE_DEFINITION_IDS, STORAGE_BLOB_DATA_OWNER_ROLE_ID } from "../azure/model";
import { groupNamePrefix, identityName } from "../naming";
import type { AuditContext } from "./expected";
import {
  describePrincipal,
  orgInName,
  orgOf,
  principalKey,
  type Finding,
  type Principal,
  type PrincipalIndex,
} from "./findings";
import type { AccessState, FederatedCredential, ObservedIdentity, ObservedRoleAssignment } from "./observed";

/**
 * Azure control plane and directory: identities with their federated credentials, platform group members, and
 * role assignments on the storage account and its containers. Pure: two documents in, findings out.
 */

export interface AzureSide {
  state: AccessState;
  index: PrincipalIndex;
}

const azure = (f: Omit<Finding, "cloud">): Finding => ({ ...f, cloud: "azure" });

/** Organization number carried in a Skyporten subject (`0192:<orgno>;<scope>`), or null. */
export function orgInSubject(subject: string): string | null {
  return /^0192:(\d{9})(;|$)/.exec(subject)?.[1] ?? null;
}

function statusText(ctx: AuditContext, org: string | null): string {
  if (org === null) return "an organization the manifest does not name";
  const status = ctx.partners[org];
  return status === undefined
    ? `organization ${org}, which the manifest does not name`
    : `organization ${org} (${status} in the manifest)`;
}

function credentialText(c: FederatedCredential): string {
  return `issuer ${c.issuer}, subject ${c.subject}, audiences [${c.audiences.join(", ")}]`;
}

const sameCredential = (a: FederatedCredential, b: FederatedCredential) =>
  a.issuer === b.issuer &&
  a.subject === b.subject &&
  [...a.audiences].sort().join("\n") === [...b.audiences].sort().join("\n");

export function compareIdentities(
  expected: AccessState,
  observed: AccessState,
  ctx: AuditContext,
): Finding[] {
  const findings: Finding[] = [];
  const prefix = identityName(ctx.nameKey, "");
  const want = new Map((expected.azure?.identities ?? []).map((i) => [i.name, i]));
  const have = new Map<string, ObservedIdentity[]>();
  for (const i of observed.azure?.identities ?? []) have.set(i.name, [...(have.get(i.name) ?? []), i]);

  for (const [name, w] of want) {
    const org = orgInName(name, prefix) ?? null;
    const found = have.get(name);
    if (found === undefined) {
      findings.push(
        azure({
          severity: "warning",
          kind: "missing",
          orgNumber: org,
          subject: name,
          message: `identity ${name} does not exist: run pulumi up (a re-created identity has a new client id: hand the partner the new one)`,
        }),
      );
      continue;
    }
    const creds = found.flatMap((i) => i.federatedCredentials);
    for (const c of creds) {
      const expectedCred = w.federatedCredentials.find((e) => e.name === c.name);
      if (expectedCred === undefined) {
        findings.push(
          azure({
            severity: "critical",
            kind: "unexpected",
            orgNumber: org,
            subject: `${name}/${c.name}`,
            message: `federated credential ${c.name} on identity ${name} is not in the manifest (${credentialText(c)}): whoever holds such a token can act as ${statusText(ctx, org)}; delete the credential and find out who added it`,
          }),
        );
      } else if (!sameCredential(c, expectedCred)) {
        findings.push(
          azure({
            severity: "critical",
            kind: "changed",
            orgNumber: org,
            subject: `${name}/${c.name}`,
            message: `federated credential ${c.name} on identity ${name} admits ${credentialText(c)}, the manifest says ${credentialText(expectedCred)}: it admits tokens the manifest does not; run pulumi up to restore it`,
          }),
        );
      }
    }
    for (const e of w.federatedCredentials) {
      if (!creds.some((c) => c.name === e.name)) {
        findings.push(
          azure({
            severity: "warning",
            kind: "missing",
            orgNumber: org,
            subject: `${name}/${e.name}`,
            message: `federated credential ${e.name} on identity ${name} is missing: the partner cannot log in; run pulumi up`,
          }),
        );
      }
    }
  }

  // Client secrets and certificates: the stack creates none, so each one is a way in that bypasses Skyporten.
  for (const [name, found] of have) {
    const org = orgInName(name, prefix) ?? null;
    const trustsIssuer = found.some((i) => i.federatedCredentials.some((c) => c.issuer === ctx.issuer));
    if (org === null && !want.has(name) && !trustsIssuer) continue;
    for (const s of found.flatMap((i) => i.secretCredentials ?? [])) {
      findings.push(
        azure({
          severity: "critical",
          kind: "unexpected",
          orgNumber: org,
          subject: `${name}/${s.kind} ${s.keyId}`,
          message: `identity ${name} has a ${s.kind} (${s.keyId}${s.displayName === undefined ? "" : `, "${s.displayName}"`}): whoever holds it can act as ${statusText(ctx, org)} without Skyporten; partners log in only with the federated credential: remove it and find out who added it`,
        }),
      );
    }
  }

  // Display names are not unique in Entra ID (anyone allowed to register applications can take a partner's): a
  // second principal under a partner identity's name would pass for the partner wherever ids are matched by name.
  for (const [name, found] of have) {
    const ids = [...new Set(found.map((i) => i.principalId.toLowerCase()))].sort();
    if (ids.length < 2) continue;
    const org = orgInName(name, prefix) ?? null;
    findings.push(
      azure({
        severity: "critical",
        kind: "unexpected",
        orgNumber: org,
        subject: name,
        message: `${ids.length} identities are named ${name} (principal ids ${ids.join(", ")}): only one is the stack's, and the audit cannot tell the other's grants from the partner's; delete the one the stack did not create (compare with pulumi stack output) and find out who created it`,
      }),
    );
  }

  for (const [name, found] of have) {
    if (want.has(name)) continue;
    const org = orgInName(name, prefix) ?? null;
    for (const i of found) {
      for (const c of i.federatedCredentials) {
        // A foreign identity matters only when it trusts the stack's Skyporten issuer: it is another way in.
        if (org === null && c.issuer !== ctx.issuer) continue;
        const who = org ?? orgInSubject(c.subject);
        findings.push(
          azure({
            severity: "critical",
            kind: "unexpected",
            orgNumber: who,
            subject: `${name}/${c.name}`,
            message: `federated credential ${c.name} on identity ${name}, which the manifest does not expect, admits ${credentialText(c)} (${statusText(ctx, who)}): delete the credential${org === null ? " and find out who created the identity" : ", then the identity"}`,
          }),
        );
      }
      if (org !== null) {
        findings.push(
          azure({
            severity: "notice",
            kind: "unexpected",
            orgNumber: org,
            subject: name,
            message: `identity ${name} exists, but the manifest gives ${statusText(ctx, org)} no Azure identity: delete it once nothing refers to it (its grants are judged separately)`,
          }),
        );
      }
    }
  }
  return findings;
}

export function compareGroups(expected: AzureSide, observed: AzureSide, ctx: AuditContext): Finding[] {
  const findings: Finding[] = [];
  const want = new Map((expected.state.azure?.groups ?? []).map((g) => [g.name, g]));
  const have = new Map<string, Set<string>>();
  const objectIds = new Map<string, Set<string>>();
  const prefix = groupNamePrefix(ctx.nameKey);
  for (const g of observed.state.azure?.groups ?? []) {
    const members = have.get(g.name) ?? new Set<string>();
    for (const m of g.memberIds) members.add(m.toLowerCase());
    have.set(g.name, members);
    objectIds.set(g.name, (objectIds.get(g.name) ?? new Set<string>()).add(g.objectId.toLowerCase()));
  }
  // Display names are not unique: a second group under a platform group's name passes for it. Its members are
  // judged with the platform group's (they are merged above), so it is a warning, not hidden access.
  for (const [name, ids] of objectIds) {
    if (ids.size < 2 || !name.startsWith(prefix)) continue;
    findings.push(
      azure({
        severity: "warning",
        kind: "unexpected",
        orgNumber: null,
        subject: name,
        message: `${ids.size} groups are named ${name} (object ids ${[...ids].sort().join(", ")}): only one is the stack's; delete the other (its members are judged here as if they were the platform group's)`,
      }),
    );
  }

  for (const [name, w] of want) {
    const members = have.get(name);
    if (members === undefined) {
      findings.push(
        azure({
          severity: "warning",
          kind: "missing",
          orgNumber: null,
          subject: name,
          message: `platform group ${name} does not exist: run pulumi up`,
        }),
      );
      continue;
    }
    const expectedMembers = new Map(
      w.memberIds.map((id) => {
        const p = expected.index.resolve(id);
        return [principalKey(p), p] as const;
      }),
    );
    const observedMembers = new Map(
      [...members].map((id) => {
        const p = observed.index.resolve(id);
        return [principalKey(p), p] as const;
      }),
    );
    for (const [key, p] of observedMembers) {
      if (expectedMembers.has(key)) continue;
      findings.push(
        azure({
          severity: "critical",
          kind: "unexpected",
          orgNumber: orgOf(p),
          subject: name,
          message: `${describePrincipal(p, ctx.nameKey)} is a member of ${name}, which the manifest does not grant${memberWhy(p, ctx)}: remove the member (pulumi up removes only members it manages)`,
        }),
      );
    }
    for (const [key, p] of expectedMembers) {
      if (observedMembers.has(key)) continue;
      findings.push(
        azure({
          severity: "warning",
          kind: "missing",
          orgNumber: orgOf(p),
          subject: name,
          message: `organization ${orgOf(p) ?? "?"} is not a member of ${name}, which its grant needs: run pulumi up`,
        }),
      );
    }
  }
  for (const [name, members] of have) {
    if (want.has(name) || !name.startsWith(prefix)) continue;
    findings.push(
      azure({
        severity: "warning",
        kind: "unexpected",
        orgNumber: null,
        subject: name,
        message: `group ${name} is named like a platform group but the manifest declares no such container and level (${members.size} member(s)); delete it or declare the container`,
      }),
    );
  }
  return findings;
}

function memberWhy(p: Principal, ctx: AuditContext): string {
  if (p.kind === "group") return " (a nested group: its members get the access)";
  if (p.kind === "unknown") return " (a foreign member)";
  if (p.kind === "partner") {
    const status = ctx.partners[p.orgNumber];
    return status === undefined
      ? " (the organization is not in the manifest)"
      : status === "active"
        ? ""
        : ` (the organization is ${status})`;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------------------------
// Role assignments

/** Built-in roles whose data actions reach blobs (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles#storage). */
const BLOB_DATA_ROLES: Record<string, string> = {
  [ROLE_DEFINITION_IDS.storageBlobDataReader]: "Storage Blob Data Reader",
  [ROLE_DEFINITION_IDS.storageBlobDataContributor]: "Storage Blob Data Contributor",
  [STORAGE_BLOB_DATA_OWNER_ROLE_ID]: "Storage Blob Data Owner",
};

const roleGuid = (roleDefinitionId: string) => roleDefinitionId.split("/").pop()!.toLowerCase();
const isBlobDataRole = (guid: string) => Object.hasOwn(BLOB_DATA_ROLES, guid);
const roleName = (guid: string) => (isBlobDataRole(guid) ? BLOB_DATA_ROLES[guid]! : `role ${guid}`);
/** Reader < Contributor < Owner; any other role counts as the widest (it may carry data actions or listKeys). */
const roleRank = (guid: string) =>
  guid === ROLE_DEFINITION_IDS.storageBlobDataReader
    ? 1
    : guid === ROLE_DEFINITION_IDS.storageBlobDataContributor
      ? 2
      : 3;

/**
 * Which observed assignments the audit judges: those on the storage account or below it (a container, the blob
 * service), whatever the role; above the account (resource group, subscription) the blob data roles, which
 * reach every container, and any role at all held by a partner identity or a platform group (the manifest gives
 * them nothing there, and a role such as Contributor or Storage Account Contributor can list the account keys,
 * which open every container). ARM scopes are case-insensitive.
 */
export function judgedAssignment(
  a: ObservedRoleAssignment,
  ctx: AuditContext,
  principal?: Principal,
): boolean {
  const scope = a.scope.toLowerCase().replace(/\/+$/, "");
  const account = ctx.storageAccountScope.toLowerCase();
  if (scope === account || scope.startsWith(`${account}/`)) return true;
  // Above the account: its resource group and subscription, the tenant root, and management groups (whose
  // place in the hierarchy the scope text does not show; atScope() returns only those above).
  const above =
    account.startsWith(`${scope}/`) ||
    scope === "" ||
    scope.startsWith("/providers/microsoft.management/managementgroups/");
  if (!above) return false;
  if (principal !== undefined && (principal.kind === "partner" || principal.kind === "group")) return true;
  return isBlobDataRole(roleGuid(a.roleDefinitionId));
}

export function compareRoleAssignments(
  expected: AzureSide,
  observed: AzureSide,
  ctx: AuditContext,
): Finding[] {
  const findings: Finding[] = [];
  /** `scope` is the comparison key (ARM ids are case-insensitive); `shown` is the scope as written. */
  type Entry = { scope: string; shown: string; guid: string; principal: Principal };
  const entries = (side: AzureSide, filter: boolean): Map<string, Entry> => {
    const out = new Map<string, Entry>();
    for (const a of side.state.azure?.roleAssignments ?? []) {
      if (filter && !judgedAssignment(a, ctx, side.index.resolve(a.principalId))) continue;
      const e = {
        scope: a.scope.toLowerCase().replace(/\/+$/, ""),
        shown: a.scope.replace(/\/+$/, ""),
        guid: roleGuid(a.roleDefinitionId),
        principal: side.index.resolve(a.principalId),
      };
      out.set(`${e.scope}|${e.guid}|${principalKey(e.principal)}`, e);
    }
    return out;
  };
  const want = entries(expected, false);
  const have = entries(observed, true);
  const wantBySubject = new Map<string, Entry[]>();
  for (const e of want.values()) {
    const k = `${e.scope}|${principalKey(e.principal)}`;
    wantBySubject.set(k, [...(wantBySubject.get(k) ?? []), e]);
  }
  const explained = new Set<string>();

  // Sorted, so which of several observed roles counts as "the changed one" never depends on list order.
  for (const [key, e] of [...have].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (want.has(key)) continue;
    const who = describePrincipal(e.principal, ctx.nameKey);
    const where = scopeText(e.shown, ctx);
    const sameSubject = (wantBySubject.get(`${e.scope}|${principalKey(e.principal)}`) ?? []).filter((w) => {
      const k = `${w.scope}|${w.guid}|${principalKey(w.principal)}`;
      return !have.has(k) && !explained.has(k);
    });
    if (sameSubject.length > 0) {
      const w = sameSubject[0]!;
      explained.add(`${w.scope}|${w.guid}|${principalKey(w.principal)}`);
      const wider = roleRank(e.guid) > roleRank(w.guid);
      findings.push(
        azure({
          severity: wider ? "critical" : "warning",
          kind: "changed",
          orgNumber: orgOf(e.principal),
          subject: e.shown,
          message: `${who} holds ${roleName(e.guid)} on ${where}, the manifest says ${roleName(w.guid)}${wider ? ": more access than granted" : ": less access than granted"}; run pulumi up and delete the ${roleName(e.guid)} assignment`,
        }),
      );
      continue;
    }
    if (e.principal.kind === "platform") {
      findings.push(
        azure({
          severity: "notice",
          kind: "unexpected",
          orgNumber: null,
          subject: e.shown,
          message: `${who} holds ${roleName(e.guid)} on ${where} (a platform principal given with --platform-principal); make sure it still needs it`,
        }),
      );
      continue;
    }
    findings.push(
      azure({
        severity: "critical",
        kind: "unexpected",
        orgNumber: orgOf(e.principal),
        subject: e.shown,
        message: `${who} holds ${roleName(e.guid)} on ${where}, which the manifest does not grant (made outside the stack, e.g. in the portal)${e.principal.kind === "partner" ? ": partners get access through the platform groups only" : ""}; delete the role assignment`,
      }),
    );
  }
  for (const [key, w] of want) {
    if (have.has(key) || explained.has(key)) continue;
    findings.push(
      azure({
        severity: "warning",
        kind: "missing",
        orgNumber: orgOf(w.principal),
        subject: w.shown,
        message: `${describePrincipal(w.principal, ctx.nameKey, false)} does not hold ${roleName(w.guid)} on ${scopeText(w.shown, ctx)}: the whole-container grants through it do not work; run pulumi up`,
      }),
    );
  }
  return findings;
}

/** A scope in words; `shown` is the scope as written (ARM ids compare case-insensitively). */
function scopeText(shown: string, ctx: AuditContext): string {
  const scope = shown.toLowerCase();
  const account = ctx.storageAccountScope.toLowerCase();
  const container = /\/blobServices\/default\/containers\/([^/]+)$/i.exec(shown)?.[1];
  if (scope.startsWith(account) && container !== undefined) return `container ${container}`;
  if (scope === account) return "the whole storage account";
  if (scope.startsWith(account)) return `${shown.slice(account.length)} of the storage account`;
  return `${shown} (above the storage account: every container)`;
}
