import { ROLE_DEFINITION_IDS, STORAGE_BLOB_DATA_OWNER_ROLE_ID } from "../../infra/azure/model";
import { isUnknown, show, type PolicyResource, type ResourceRule } from "./types";

export const ROLE_ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment";

const ALLOWED_ROLES: Readonly<Record<string, string>> = {
  [ROLE_DEFINITION_IDS.storageBlobDataReader]: "Storage Blob Data Reader",
  [ROLE_DEFINITION_IDS.storageBlobDataContributor]: "Storage Blob Data Contributor",
};

/** Names of refused roles worth spelling out (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
const KNOWN_REFUSED_ROLES: Readonly<Record<string, string>> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c6a72089": "User Access Administrator",
  // A super-user over ADLS ACLs: it would void every path grant.
  [STORAGE_BLOB_DATA_OWNER_ROLE_ID]: "Storage Blob Data Owner",
};

const ROLE_DEFINITION_ID =
  /\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const SEG = "[^/]+";
const CONTAINER_SCOPE = new RegExp(
  `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Storage/storageAccounts/${SEG}/blobServices/default/containers/${SEG}$`,
  "i",
);
/** Wider scopes, narrowest first, so a message can say which level it is. ARM ids are case-insensitive. */
const WIDER_SCOPES: readonly (readonly [RegExp, string])[] = [
  [
    new RegExp(
      `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Storage/storageAccounts/${SEG}/blobServices/default$`,
      "i",
    ),
    "blob service (whole storage account)",
  ],
  [
    new RegExp(
      `^/subscriptions/${SEG}/resourceGroups/${SEG}/providers/Microsoft\\.Storage/storageAccounts/${SEG}$`,
      "i",
    ),
    "storage account",
  ],
  [new RegExp(`^/subscriptions/${SEG}/resourceGroups/${SEG}$`, "i"), "resource group"],
  [new RegExp(`^/subscriptions/${SEG}$`, "i"), "subscription"],
  [new RegExp(`^/providers/Microsoft\\.Management/managementGroups/${SEG}$`, "i"), "management group"],
  [/^\/$/, "root (tenant)"],
];

const PRINCIPAL_TYPES: readonly string[] = ["Group", "ServicePrincipal"];

/**
 * Data access is RBAC on one container, through the two data roles only: Azure evaluates RBAC before ACLs and an
 * RBAC grant cannot be narrowed by an ACL (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control-model),
 * so a wider scope or a stronger role would void the isolation between containers and between partners' paths.
 * `principalType` must be set: without it ARM looks the principal up, and a principal that Entra ID has not
 * replicated yet fails with PrincipalNotFound
 * (https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal).
 */
export function roleAssignmentViolations(resource: PolicyResource): string[] {
  const { roleDefinitionId, scope, principalType } = resource.props;
  const violations: string[] = [];

  if (typeof roleDefinitionId === "string" && !isUnknown(roleDefinitionId)) {
    const guid = ROLE_DEFINITION_ID.exec(roleDefinitionId)?.[1]?.toLowerCase();
    if (guid === undefined) {
      violations.push(
        `roleDefinitionId "${roleDefinitionId}" is not a role definition id (/subscriptions/<subscription>/providers/Microsoft.Authorization/roleDefinitions/<guid>)`,
      );
    } else if (ALLOWED_ROLES[guid] === undefined) {
      const named = KNOWN_REFUSED_ROLES[guid];
      violations.push(
        `role ${named === undefined ? guid : `${named} (${guid})`} is not allowed; only Storage Blob Data Reader or Storage Blob Data Contributor may be assigned`,
      );
    }
  } else if (!isUnknown(roleDefinitionId)) {
    violations.push("roleDefinitionId is not set");
  }

  if (typeof scope === "string" && !isUnknown(scope)) {
    if (!CONTAINER_SCOPE.test(scope)) {
      const level = WIDER_SCOPES.find(([pattern]) => pattern.test(scope))?.[1];
      violations.push(
        `scope "${scope}" is ${level === undefined ? "not a container scope" : `a ${level} scope`}; role assignments are allowed only on one container (.../storageAccounts/<account>/blobServices/default/containers/<container>)`,
      );
    }
  } else if (!isUnknown(scope)) {
    violations.push("scope is not set; it must be a container scope");
  }

  if (principalType === undefined || principalType === null || principalType === "") {
    violations.push(
      'principalType is not set; set "Group" for a platform group or "ServicePrincipal" for a managed identity, or a principal Entra ID has not replicated yet fails with PrincipalNotFound',
    );
  } else if (
    !isUnknown(principalType) &&
    (typeof principalType !== "string" || !PRINCIPAL_TYPES.includes(principalType))
  ) {
    violations.push(`principalType ${show(principalType)} is not allowed; use "Group" or "ServicePrincipal"`);
  }
  return violations;
}

export const roleAssignmentRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-role-assignment",
  description:
    "Role assignments grant only Storage Blob Data Reader or Contributor, only on a single container scope, with principalType set; never Owner or any role at account, resource group or subscription scope.",
  enforcementLevel: "mandatory",
  resourceTypes: [ROLE_ASSIGNMENT_TYPE],
  validate: (resource) => roleAssignmentViolations(resource),
};
