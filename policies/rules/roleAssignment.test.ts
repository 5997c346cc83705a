import { describe, expect, it } from "vitest";
import { ROLE_DEFINITION_IDS, roleDefinitionResourceId } from "../../infra/azure/model";
import { ACCOUNT, INBOUND_SCOPE, RG, roleAssignment, SUBSCRIPTION } from "./fixtures";
import { roleAssignmentViolations } from "./roleAssignment";
import { UNKNOWN } from "./types";

const check = (props: Record<string, unknown>) => roleAssignmentViolations(roleAssignment(props));
const role = (guid: string) => roleDefinitionResourceId(SUBSCRIPTION, guid);
const WIDE =
  "role assignments are allowed only on one container (.../storageAccounts/<account>/blobServices/default/containers/<container>)";

describe("skyporten-role-assignment", () => {
  it("accepts Reader and Contributor on a container, for a group or a service principal", () => {
    expect(check({})).toEqual([]);
    expect(
      check({
        roleDefinitionId: role(ROLE_DEFINITION_IDS.storageBlobDataContributor),
        principalType: "ServicePrincipal",
      }),
    ).toEqual([]);
    // ARM ids are case-insensitive: an upper-case GUID is the same role.
    expect(
      check({ roleDefinitionId: role(ROLE_DEFINITION_IDS.storageBlobDataReader.toUpperCase()) }),
    ).toEqual([]);
  });

  it.each([
    ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner (8e3af657-a8ff-443c-a75c-2fe8c4bcb635)"],
    ["b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor (b24988ac-6180-42a0-ab88-20f7382dd24c)"],
    [
      "18d7d88d-d35e-4fb5-a5c3-7773c6a72089",
      "User Access Administrator (18d7d88d-d35e-4fb5-a5c3-7773c6a72089)",
    ],
    [
      "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
      "Storage Blob Data Owner (b7e6dc6d-f1e8-4753-8033-0f276bb0955b)",
    ],
    ["acdd72a7-3385-48ef-bd42-f606fba81ae7", "acdd72a7-3385-48ef-bd42-f606fba81ae7"],
  ])("refuses role %s", (guid, named) => {
    expect(check({ roleDefinitionId: role(guid) })).toEqual([
      `role ${named} is not allowed; only Storage Blob Data Reader or Storage Blob Data Contributor may be assigned`,
    ]);
  });

  it("refuses a role definition id that is not one", () => {
    expect(check({ roleDefinitionId: "Storage Blob Data Reader" })).toEqual([
      'roleDefinitionId "Storage Blob Data Reader" is not a role definition id (/subscriptions/<subscription>/providers/Microsoft.Authorization/roleDefinitions/<guid>)',
    ]);
  });

  it.each([
    [`/subscriptions/${SUBSCRIPTION}`, "a subscription scope"],
    [`/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}`, "a resource group scope"],
    [
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}`,
      "a storage account scope",
    ],
    [
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/${ACCOUNT}/blobServices/default`,
      "a blob service (whole storage account) scope",
    ],
    ["/providers/Microsoft.Management/managementGroups/banenor", "a management group scope"],
    ["/", "a root (tenant) scope"],
    [`${INBOUND_SCOPE}/extra`, "not a container scope"],
  ])("refuses scope %s", (scope, level) => {
    expect(check({ scope })).toEqual([`scope "${scope}" is ${level}; ${WIDE}`]);
  });

  it("reports Owner on a subscription as two violations", () => {
    expect(
      check({
        scope: `/subscriptions/${SUBSCRIPTION}`,
        roleDefinitionId: role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
      }),
    ).toEqual([
      "role Owner (8e3af657-a8ff-443c-a75c-2fe8c4bcb635) is not allowed; only Storage Blob Data Reader or Storage Blob Data Contributor may be assigned",
      `scope "/subscriptions/${SUBSCRIPTION}" is a subscription scope; ${WIDE}`,
    ]);
  });

  it("refuses a missing principalType", () => {
    expect(check({ principalType: undefined })).toEqual([
      'principalType is not set; set "Group" for a platform group or "ServicePrincipal" for a managed identity, or a principal Entra ID has not replicated yet fails with PrincipalNotFound',
    ]);
  });

  it("refuses a user principal", () => {
    expect(check({ principalType: "User" })).toEqual([
      'principalType "User" is not allowed; use "Group" or "ServicePrincipal"',
    ]);
  });

  it("refuses missing role and scope", () => {
    expect(check({ roleDefinitionId: undefined, scope: undefined })).toEqual([
      "roleDefinitionId is not set",
      "scope is not set; it must be a container scope",
    ]);
  });

  it("does not judge values unknown until deployment", () => {
    expect(
      check({ roleDefinitionId: UNKNOWN, scope: UNKNOWN, principalType: UNKNOWN, principalId: UNKNOWN }),
    ).toEqual([]);
  });
});
