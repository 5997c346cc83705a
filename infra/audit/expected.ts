import { v5 as uuidv5 } from "uuid";
import {
  providerClientIds,
  providerArnFor,
  providerPlan,
  providerUrl,
  expectedProviderArn,
} from "../aws/model";
import { S3_POLICY_NAME } from "../aws/partnerRole";
import { bucketTlsPolicyDocument, permissionPolicyDocument, trustPolicyDocument } from "../aws/policies";
import { ancestorsOf, absolutePath, planAcls, renderAclEntry, type AclPrincipal } from "../azure/acl/plan";
import {
  containerScope,
  GROUP_LEVELS,
  groupDisplayName,
  membershipsFor,
  roleDefinitionResourceId,
  roleForLevel,
  type GroupLevel,
} from "../azure/model";
import type { Manifest, PartnerStatus } from "../manifest/schema";
import { identityName } from "../naming";
import { partnerFacts } from "../partnerFacts";
import type { Settings } from "../settings/schema";
import type { AccessState, ObservedAcl, ObservedGroup, ObservedIdentity, ObservedRole } from "./observed";

/**
 * What the manifest says should exist, in the observed-access shape, built from the same decisions the program
 * makes (partnerFacts, membershipsFor, roleForLevel, planAcls, providerPlan, trustPolicyDocument,
 * permissionPolicyDocument, the naming functions). Ids that only deployment knows come from an ExpectedIds
 * resolver: the plan's placeholders for `--write-expected`, name-derived placeholders in tests. The comparison
 * never relies on them: it matches ids through the identities and groups, whose names follow from org numbers.
 */

/** Ids assigned at deployment, for the expected document. */
export interface ExpectedIds {
  identity(orgNumber: string): { clientId: string; principalId: string };
  group(container: string, level: GroupLevel): string;
}

const NAME_NAMESPACE = "3f5e7c2a-8d41-4b6f-9a0e-5c1d2b3a4f60";

/** GUID-shaped stand-ins derived from the object's name: stable, obviously not real. */
export function namedPlaceholderIds(settings: Pick<Settings, "nameKey">): ExpectedIds {
  const id = (what: string) => uuidv5(what, NAME_NAMESPACE);
  return {
    identity: (org) => ({
      clientId: id(`${identityName(settings.nameKey, org)}#clientId`),
      principalId: id(`${identityName(settings.nameKey, org)}#principalId`),
    }),
    group: (container, level) => id(groupDisplayName(settings.nameKey, container, level)),
  };
}

/** What the comparison needs besides the two documents: who the partners are and who the platform is. */
export interface AuditContext {
  stack: string;
  /** The stack's name key (settings nameKey): the names and name prefixes of its identities, groups and roles. */
  nameKey: string;
  issuer: string;
  scope: string;
  audience: string;
  /** ARM id of the storage account: role assignments on it or below it are judged. */
  storageAccountScope: string;
  /** Manifest status of every organization the manifest names. */
  partners: Record<string, PartnerStatus>;
  /** Organizations that should be APPROVED for the scope: the active partners. */
  approvedOrgs: string[];
  /**
   * Object ids of the platform's own principals (deployer, auditor) that may hold roles on the account and own
   * paths; their assignments are reported as notices, not as critical findings.
   */
  platformPrincipals: string[];
}

export interface Expectation {
  state: AccessState;
  context: AuditContext;
}

/** The ARM id of the stack's storage account. */
export function storageAccountScope(settings: Settings): string {
  const az = settings.azure;
  return `/subscriptions/${az.subscriptionId}/resourceGroups/${az.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${az.storageAccountName}`;
}

/**
 * Every (container, path) whose ACL the audit reads: the container roots, the ancestors and the granted paths
 * of the program's ACL plan, and also the paths granted to suspended and offboarded partners (their entries
 * must be gone: a leftover entry is access the manifest no longer grants).
 */
export function auditedAclPaths(
  manifest: Pick<Manifest, "containers" | "partners">,
): { container: string; path: string }[] {
  const seen = new Map<string, { container: string; path: string }>();
  const add = (container: string, path: string) => seen.set(`${container}\u0000${path}`, { container, path });
  for (const plan of planAcls(manifest)) add(plan.container, plan.path);
  for (const p of manifest.partners) {
    for (const g of p.azure) {
      if (g.path === undefined) continue;
      for (const a of ancestorsOf(g.path)) add(g.container, a);
      add(g.container, absolutePath(g.path));
    }
  }
  return [...seen.values()].sort((a, b) => cmp(a.container, b.container) || cmp(a.path, b.path));
}

export function expectedState(
  stack: string,
  settings: Settings,
  manifest: Manifest,
  ids: ExpectedIds = namedPlaceholderIds(settings),
  platformPrincipals: readonly string[] = [],
): Expectation {
  const nameKey = settings.nameKey;
  const az = settings.azure;
  const facts = manifest.partners.map((p) => ({ partner: p, facts: partnerFacts(settings, p) }));

  const identities: ObservedIdentity[] = facts.flatMap(({ partner, facts: f }) => {
    if (f.azure === null) return [];
    const { clientId, principalId } = ids.identity(partner.orgNumber);
    return [
      {
        name: f.azure.identityName,
        clientId,
        principalId,
        // Only an active partner has its trust; a suspended one keeps the identity without any credential.
        federatedCredentials: f.azure.exchangeEnabled
          ? [
              {
                name: f.azure.federatedCredentialName,
                issuer: f.issuer,
                subject: f.subject,
                audiences: [f.audience],
              },
            ]
          : [],
      },
    ];
  });

  const groups: ObservedGroup[] = manifest.containers.flatMap((c) =>
    GROUP_LEVELS.map((level) => ({
      name: groupDisplayName(nameKey, c.name, level),
      objectId: ids.group(c.name, level),
      memberIds: manifest.partners
        .filter((p) => membershipsFor(p).some((m) => m.container === c.name && m.level === level))
        .map((p) => ids.identity(p.orgNumber).principalId),
    })),
  );

  const roleAssignments = manifest.containers.flatMap((c) =>
    GROUP_LEVELS.flatMap((level) => {
      const role = roleForLevel(level);
      if (role === undefined) return [];
      return [
        {
          scope: containerScope(az.subscriptionId, az.resourceGroupName, az.storageAccountName, c.name),
          roleDefinitionId: roleDefinitionResourceId(az.subscriptionId, role),
          principalId: ids.group(c.name, level),
          principalType: "Group",
        },
      ];
    }),
  );

  const objectIdOf = (p: AclPrincipal) =>
    p.kind === "group" ? ids.group(p.container, p.level) : ids.identity(p.orgNumber).principalId;
  const plans = planAcls(manifest);
  const acls: ObservedAcl[] = auditedAclPaths(manifest).map(({ container, path }) => {
    const here = plans
      .filter((pl) => pl.container === container && pl.path === path)
      .flatMap((pl) => pl.entries);
    const render = (scope: "access" | "default") =>
      here.filter((e) => e.scope === scope).map((e) => renderAclEntry(e, objectIdOf(e.principal)));
    return { container, path, access: render("access"), default: render("default") };
  });

  const state: AccessState = { stack, azure: { identities, groups, roleAssignments, acls } };

  if (settings.aws.enabled) {
    const plan = providerPlan(settings, manifest);
    const oidcProviders =
      plan.kind === "none"
        ? []
        : [
            {
              arn: plan.kind === "adopt" ? plan.arn : expectedProviderArn(settings),
              url: providerUrl(settings),
              clientIds: providerClientIds(settings),
            },
          ];
    const roles: ObservedRole[] = facts.flatMap(({ partner, facts: f }) => {
      if (f.aws === null || !f.aws.exchangeEnabled) return [];
      return [
        {
          name: f.aws.roleName,
          path: settings.aws.rolePath,
          arn: f.aws.roleArn,
          trustPolicy: {
            ...trustPolicyDocument({
              providerArn: providerArnFor(settings),
              issuer: settings.issuer,
              audience: settings.audience,
              orgNumber: partner.orgNumber,
              scope: settings.scope,
            }),
          },
          inlinePolicies: {
            [S3_POLICY_NAME]: {
              ...permissionPolicyDocument({
                grants: partner.aws,
                buckets: manifest.buckets,
                region: settings.aws.region,
              }),
            },
          },
          attachedPolicyArns: [],
        },
      ];
    });
    // The stack puts exactly this policy on every manifest bucket, adopted ones too (infra/aws/platform.ts).
    const bucketPolicies = manifest.buckets.map((b) => ({
      name: b.name,
      policy: { ...bucketTlsPolicyDocument(settings.aws.region, b.name) },
    }));
    state.aws = { oidcProviders, roles, bucketPolicies };
  }

  const approvedOrgs = manifest.partners.filter((p) => p.status === "active").map((p) => p.orgNumber);
  if (settings.maskinporten.manageScopeAccess) {
    state.maskinporten = {
      scope: settings.scope,
      consumers: approvedOrgs.map((orgno) => ({ orgno, state: "APPROVED" })),
    };
  }

  return {
    state,
    context: {
      stack,
      nameKey,
      issuer: settings.issuer,
      scope: settings.scope,
      audience: settings.audience,
      storageAccountScope: storageAccountScope(settings),
      partners: Object.fromEntries(manifest.partners.map((p) => [p.orgNumber, p.status])),
      approvedOrgs,
      platformPrincipals: platformPrincipals.map((p) => p.toLowerCase()),
    },
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
