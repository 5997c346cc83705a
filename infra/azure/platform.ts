import * as pulumi from "@pulumi/pulumi";
import { RoleAssignment } from "@pulumi/azure-native/authorization";
import { BlobContainer } from "@pulumi/azure-native/storage";
import { Group } from "@pulumi/azuread/group";
import { v5 as uuidv5 } from "uuid";
import type { Container } from "../manifest/schema";
import { pathAclLogicalName, roleAssignmentLogicalName } from "../naming";
import { aclEntryInput, PathAcl, type PathAclPlan } from "./acl";
import type { Settings } from "../settings/schema";
import {
  containerScope,
  GROUP_LEVELS,
  groupDescription,
  groupDisplayName,
  groupLogicalName,
  roleDefinitionResourceId,
  roleForLevel,
  type GroupLevel,
} from "./model";

/** Namespace of role assignment names: UUID v5 of (scope, principal, role definition). */
const ROLE_ASSIGNMENT_NAMESPACE = "5b0a3a8e-3f44-5d2c-9c43-6b1f2a7d9e10";

/** Role assignment name, stable for the same (scope, principal, role); ARM requires a GUID. */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidv5(`${scope}|${principalId}|${roleDefinitionId}`, ROLE_ASSIGNMENT_NAMESPACE);
}

export interface AzurePlatformArgs {
  settings: Settings;
  /** Every container declared in the manifest: each gets its groups whether a partner uses it yet or not. */
  containers: readonly Container[];
  /**
   * The platform-owned ACL plans (container roots, ancestors of granted paths) from planAcls(manifest).
   * Their entries name groups only, so their number does not grow with the number of partners.
   */
  acls: readonly PathAclPlan[];
}

export { pathAclLogicalName } from "../naming";


/**
 * The stack's shared Azure resources, created once and never changed by onboarding a partner: the containers
 * (protected, retained on delete), per container an Entra security group for each access level, and the
 * groups' role assignments on the container scope. Partners only join groups.
 */
export class AzurePlatform extends pulumi.ComponentResource {
  /** Container resources by name. */
  readonly containers: Readonly<Record<string, BlobContainer>>;
  /** Group object ids by `<container>/<level>`. */
  readonly groupObjectIds: Readonly<Record<string, pulumi.Output<string>>>;
  readonly roleAssignments: readonly RoleAssignment[];

  constructor(name: string, args: AzurePlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("skyporten:azure:AzurePlatform", name, {}, opts);
    const { settings } = args;
    const az = settings.azure;
    const containers: Record<string, BlobContainer> = {};
    const groupIds: Record<string, pulumi.Output<string>> = {};
    const assignments: RoleAssignment[] = [];

    for (const c of args.containers) {
      const scope = containerScope(az.subscriptionId, az.resourceGroupName, az.storageAccountName, c.name);
      // Data is never deleted by an onboarding change: protected, and retained even if unprotected and removed.
      const container = new BlobContainer(
        `container-${c.name}`,
        {
          accountName: az.storageAccountName,
          resourceGroupName: az.resourceGroupName,
          containerName: c.name,
          publicAccess: "None",
        },
        { parent: this, protect: true, retainOnDelete: true, import: c.adopt ? scope : undefined },
      );
      containers[c.name] = container;

      for (const level of GROUP_LEVELS) {
        const group = new Group(
          groupLogicalName(c.name, level),
          {
            displayName: groupDisplayName(settings.nameKey, c.name, level),
            description: groupDescription(settings.environment, c.name, level),
            securityEnabled: true,
            mailEnabled: false,
            preventDuplicateNames: true,
            owners: az.groupOwners.length > 0 ? [...az.groupOwners] : undefined,
          },
          { parent: this },
        );
        groupIds[`${c.name}/${level}`] = group.objectId;

        const role = roleForLevel(level);
        if (role === undefined) continue;
        const roleDefinitionId = roleDefinitionResourceId(az.subscriptionId, role);
        assignments.push(
          new RoleAssignment(
            roleAssignmentLogicalName(c.name, level),
            {
              scope,
              roleDefinitionId,
              principalId: group.objectId,
              // Set explicitly: without it ARM looks the principal up and a fresh principal may not have
              // replicated yet (PrincipalNotFound). https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal
              principalType: "Group",
              roleAssignmentName: group.objectId.apply((oid) => roleAssignmentName(scope, oid, roleDefinitionId)),
            },
            { parent: this, dependsOn: [container] },
          ),
        );
      }
    }

    for (const plan of args.acls) {
      if (plan.owner.kind !== "platform") continue;
      const entries = plan.entries.map((e) => {
        if (e.principal.kind !== "group") throw new Error(`platform ACL on ${plan.container}${plan.path} names a partner; platform paths hold group entries only`);
        return aclEntryInput(e, groupIds[`${e.principal.container}/${e.principal.level}`] ?? missingGroup(e.principal.container));
      });
      const container = containers[plan.container];
      new PathAcl(
        pathAclLogicalName("", plan),
        {
          accountName: az.storageAccountName,
          fileSystem: plan.container,
          path: plan.path,
          entries,
          recursive: plan.recursive,
          createDirectory: plan.createDirectory,
        },
        { parent: this, dependsOn: container === undefined ? [] : [container] },
      );
    }

    this.containers = containers;
    this.groupObjectIds = groupIds;
    this.roleAssignments = assignments;
    this.registerOutputs({ groupObjectIds: groupIds });
  }

  /** Object id of a container's group; throws for an undeclared container (the manifest schema prevents it). */
  groupObjectId(container: string, level: GroupLevel): pulumi.Output<string> {
    const id = this.groupObjectIds[`${container}/${level}`];
    if (id === undefined) throw new Error(`container "${container}" is not declared under containers`);
    return id;
  }
}

function missingGroup(container: string): never {
  throw new Error(`container "${container}" is not declared under containers`);
}
