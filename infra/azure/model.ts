import type { Access, AzureGrant, Partner } from "../manifest/schema";
import { GROUP_LEVELS, type GroupLevel } from "../naming";
import type { Environment } from "../settings/schema";

/**
 * The Azure access model, as pure data. Limits drive it (domain.md): 4,000 role assignments per subscription
 * and 28 usable ACL entries per path, so partners never get role assignments or root ACL entries of their own:
 * they join per-container Entra security groups, and those groups hold the RBAC roles and root ACL entries.
 *
 * - read        Storage Blob Data Reader on the container scope (RBAC)
 * - read-write  Storage Blob Data Contributor on the container scope (RBAC)
 * - write       `-wx` on the container root ACL: a drop box; no built-in role writes without reading
 * - traverse    `--x` on the root and every ancestor of a granted path; the path itself gets an ACL entry for
 *               the partner's principal (RBAC on the container would override it: RBAC is evaluated first)
 */
export { GROUP_LEVELS, groupDisplayName, groupLogicalName, type GroupLevel } from "../naming";

/** Built-in role definition GUIDs (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
export const ROLE_DEFINITION_IDS = {
  storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;

/** Storage Blob Data Owner: a super-user over ACLs. Never assigned by this program; the policy pack refuses it. */
export const STORAGE_BLOB_DATA_OWNER_ROLE_ID = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";

/** The role the group of a level holds on its container, or undefined for ACL-only levels. */
export function roleForLevel(level: GroupLevel): string | undefined {
  switch (level) {
    case "read":
      return ROLE_DEFINITION_IDS.storageBlobDataReader;
    case "read-write":
      return ROLE_DEFINITION_IDS.storageBlobDataContributor;
    case "write":
    case "traverse":
      return undefined;
  }
}

/** What each level grants, for the group description. */
export function groupDescription(environment: Environment, container: string, level: GroupLevel): string {
  const what: Record<GroupLevel, string> = {
    read: `Storage Blob Data Reader on container "${container}"`,
    "read-write": `Storage Blob Data Contributor on container "${container}"`,
    write: `write-only (-wx ACL) on the root of container "${container}"`,
    traverse: `execute (--x ACL) on the root of container "${container}" and on the ancestors of granted paths`,
  };
  return `Skyporten ${environment}: ${what[level]}. Members are partner identities managed by skyporten-onboarding.`;
}

/** ARM scope of a container: RBAC is assigned here, never wider. */
export function containerScope(subscriptionId: string, resourceGroup: string, account: string, container: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}/blobServices/default/containers/${container}`;
}

/** Full role definition id as ARM expects it in a role assignment. */
export function roleDefinitionResourceId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** The group level a grant needs: whole-container grants map to their access, path grants to traverse. */
export function levelForGrant(grant: AzureGrant): GroupLevel {
  if (grant.path !== undefined) return "traverse";
  return grant.access satisfies Access;
}

export interface GroupRef {
  container: string;
  level: GroupLevel;
}

/**
 * The groups a partner must be a member of, deduplicated, in a stable order. Only active partners have
 * memberships; suspended and offboarded partners have none (design.md, status semantics).
 */
export function membershipsFor(partner: Pick<Partner, "status" | "azure">): GroupRef[] {
  if (partner.status !== "active") return [];
  const seen = new Map<string, GroupRef>();
  for (const grant of partner.azure) {
    const ref = { container: grant.container, level: levelForGrant(grant) };
    seen.set(`${ref.container}/${ref.level}`, ref);
  }
  return [...seen.values()].sort((a, b) =>
    a.container === b.container ? GROUP_LEVELS.indexOf(a.level) - GROUP_LEVELS.indexOf(b.level) : a.container < b.container ? -1 : 1,
  );
}
