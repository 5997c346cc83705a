import {
  groupDisplayName,
  ROLE_DEFINITION_IDS,
  STORAGE_BLOB_DATA_OWNER_ROLE_ID,
  type GroupLevel,
} from "../azure/model";
import type { Expectation } from "./expected";
import { sampleExpectation } from "./testing";
import type { AccessState, ObservedAcl, ObservedGroup, ObservedIdentity, ObservedRole } from "./observed";

/**
 * Test support: planted changes, one per kind of finding, applied to a deployed copy of the test stack's
 * expected state (infra/audit/testing.ts). Objects are found by the names the program gives them.
 */

/** An object id no identity or group of the stack has. */
export const FOREIGN = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
/** The deployer, passed as a platform principal. */
export const PLATFORM = "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d";
const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000";
const PROVIDER = "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no";

export type Plant = (o: AccessState, e: Expectation) => void;

export function identityOf(o: AccessState, org: string): ObservedIdentity {
  const i = o.azure!.identities.find((x) => x.name === `id-skyporten-test-${org}`);
  if (i === undefined) throw new Error(`no identity for ${org}`);
  return i;
}
export function groupOf(o: AccessState, container: string, level: GroupLevel): ObservedGroup {
  const g = o.azure!.groups.find((x) => x.name === groupDisplayName("test", container, level));
  if (g === undefined) throw new Error(`no group ${container}/${level}`);
  return g;
}
export function aclOf(o: AccessState, container: string, path: string): ObservedAcl {
  const a = o.azure!.acls.find((x) => x.container === container && x.path === path);
  if (a === undefined) throw new Error(`no ACL for ${container}:${path}`);
  return a;
}
export function roleOf(o: AccessState, name: string): ObservedRole {
  const r = o.aws!.roles.find((x) => x.name === name);
  if (r === undefined) throw new Error(`no role ${name}`);
  return r;
}
export const containerScopeOf = (e: Expectation, container: string) =>
  `${e.context.storageAccountScope}/blobServices/default/containers/${container}`;
const roleDefinition = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const trustFor = (sub: Record<string, unknown>) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { Federated: PROVIDER },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: sub,
    },
  ],
});

/** Planted changes on the test stack, by name. Entur 917422575 (whole container + S3), Nordlys 910000012 (path
 * outbound/nordlys read, inbound drop box), Fjordkraft 921345674 (S3 only), Vestland 934567811 (nested path),
 * Banemontasje 812345672 (suspended). */
export const PLANTS: Record<string, Plant> = {
  "extra federated credential": (o) =>
    identityOf(o, "917422575").federatedCredentials.push({
      name: "backup-login",
      issuer: "https://token.actions.githubusercontent.com",
      subject: "repo:someone/else:ref:refs/heads/main",
      audiences: ["api://AzureADTokenExchange"],
    }),
  "federated credential admitting another subject": (o) => {
    identityOf(o, "917422575").federatedCredentials[0]!.subject =
      "0192:999999995;banenor:payloadmanager.storage";
  },
  "federated credential missing": (o) => {
    identityOf(o, "910000012").federatedCredentials = [];
  },
  "federated credential on a suspended partner's identity": (o) =>
    identityOf(o, "812345672").federatedCredentials.push({
      name: "skyporten-812345672",
      issuer: "https://test.sky.maskinporten.no",
      subject: "0192:812345672;banenor:payloadmanager.storage",
      audiences: ["https://skyporten.test.banenor.example.no"],
    }),
  "identity missing": (o) => {
    o.azure!.identities = o.azure!.identities.filter((i) => i.name !== "id-skyporten-test-812345672");
  },
  "foreign identity trusting Skyporten": (o) =>
    o.azure!.identities.push({
      name: "id-sandbox",
      clientId: "11111111-2222-4333-8444-555555555555",
      principalId: FOREIGN,
      federatedCredentials: [
        {
          name: "sky",
          issuer: "https://test.sky.maskinporten.no",
          subject: "0192:910000004;banenor:payloadmanager.storage",
          audiences: ["https://skyporten.test.banenor.example.no"],
        },
      ],
    }),
  "foreign group member": (o) => groupOf(o, "inbound", "write").memberIds.push(FOREIGN),
  "suspended partner still a group member": (o) =>
    groupOf(o, "inbound", "write").memberIds.push(identityOf(o, "812345672").principalId),
  "nested group as member": (o) =>
    groupOf(o, "outbound", "traverse").memberIds.push(groupOf(o, "inbound", "read").objectId),
  "group member missing": (o) => {
    groupOf(o, "inbound", "write").memberIds = [];
  },
  "group missing": (o) => {
    // Deleted together with its role assignment.
    const id = groupOf(o, "outbound", "read").objectId;
    o.azure!.groups = o.azure!.groups.filter((g) => g.objectId !== id);
    o.azure!.roleAssignments = o.azure!.roleAssignments.filter((a) => a.principalId !== id);
  },
  "unknown ACL principal": (o) => aclOf(o, "outbound", "/nordlys").access.push(`user:${FOREIGN}:r-x`),
  "unknown principal in a default ACL": (o) =>
    aclOf(o, "outbound", "/vestland/reports").default.push(`default:group:${FOREIGN}:rwx`),
  "another partner's principal on a granted path": (o) =>
    aclOf(o, "outbound", "/nordlys").access.push(`user:${identityOf(o, "934567811").principalId}:r-x`),
  "ACL entry widened": (o) => {
    const acl = aclOf(o, "outbound", "/nordlys");
    acl.access = acl.access.map((e) => e.replace(/:r-x$/, ":rwx"));
  },
  "ACL entry narrowed by the mask": (o) => aclOf(o, "outbound", "/nordlys").access.push("mask::r--"),
  "ACL entry missing": (o) => {
    aclOf(o, "outbound", "/vestland").access = [];
  },
  "granted path missing": (o) => {
    o.azure!.acls = o.azure!.acls.filter(
      (a) => !(a.container === "outbound" && a.path === "/vestland/reports"),
    );
  },
  "other:: opens a path": (o) => aclOf(o, "inbound", "/").access.push("other::r-x"),
  "partner owns a granted directory": (o) => {
    const acl = aclOf(o, "outbound", "/nordlys");
    acl.owner = identityOf(o, "910000012").principalId;
    acl.access.push("user::rwx");
  },
  "portal role assignment on a container": (o, e) =>
    o.azure!.roleAssignments.push({
      scope: containerScopeOf(e, "outbound"),
      roleDefinitionId: roleDefinition(ROLE_DEFINITION_IDS.storageBlobDataReader),
      principalId: FOREIGN,
      principalType: "User",
    }),
  "role assignment above the container on the account": (o, e) =>
    o.azure!.roleAssignments.push({
      scope: e.context.storageAccountScope,
      roleDefinitionId: roleDefinition(STORAGE_BLOB_DATA_OWNER_ROLE_ID),
      principalId: FOREIGN,
      principalType: "ServicePrincipal",
    }),
  "partner given a role directly": (o, e) =>
    o.azure!.roleAssignments.push({
      scope: containerScopeOf(e, "outbound"),
      roleDefinitionId: roleDefinition(ROLE_DEFINITION_IDS.storageBlobDataReader),
      principalId: identityOf(o, "910000012").principalId,
      principalType: "ServicePrincipal",
    }),
  "group role widened": (o) => {
    const g = groupOf(o, "outbound", "read").objectId;
    const a = o.azure!.roleAssignments.find((x) => x.principalId === g)!;
    a.roleDefinitionId = roleDefinition(ROLE_DEFINITION_IDS.storageBlobDataContributor);
  },
  "role assignment missing": (o) => {
    const g = groupOf(o, "entur-exchange", "read-write").objectId;
    o.azure!.roleAssignments = o.azure!.roleAssignments.filter((x) => x.principalId !== g);
  },
  "platform principal on the account": (o, e) =>
    o.azure!.roleAssignments.push({
      scope: e.context.storageAccountScope,
      roleDefinitionId: roleDefinition(STORAGE_BLOB_DATA_OWNER_ROLE_ID),
      principalId: PLATFORM,
      principalType: "ServicePrincipal",
    }),
  "IAM role outside the stack trusting the provider": (o) =>
    o.aws!.roles.push({
      name: "analytics-import",
      path: "/",
      arn: "arn:aws:iam::000000000000:role/analytics-import",
      trustPolicy: trustFor({
        StringEquals: { "test.sky.maskinporten.no:aud": "https://skyporten.test.banenor.example.no" },
      }),
      inlinePolicies: {},
      attachedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
    }),
  "trust policy admitting another subject": (o) => {
    roleOf(o, "skyporten-test-917422575").trustPolicy = trustFor({
      StringLike: { "test.sky.maskinporten.no:sub": "0192:*;banenor:payloadmanager.storage" },
      StringEquals: { "test.sky.maskinporten.no:aud": "https://skyporten.test.banenor.example.no" },
    });
  },
  "trust policy without audience condition": (o) => {
    roleOf(o, "skyporten-test-921345674").trustPolicy = trustFor({
      StringEquals: { "test.sky.maskinporten.no:sub": "0192:921345674;banenor:payloadmanager.storage" },
    });
  },
  "inline policy widened": (o) => {
    const doc = roleOf(o, "skyporten-test-921345674").inlinePolicies["skyporten-s3-access"]!;
    (doc.Statement as unknown[]).push({ Effect: "Allow", Action: "s3:*", Resource: "*" });
  },
  "inline policy missing": (o) => {
    roleOf(o, "skyporten-test-921345674").inlinePolicies = {};
  },
  "managed policy attached": (o) =>
    roleOf(o, "skyporten-test-917422575").attachedPolicyArns.push(
      "arn:aws:iam::aws:policy/AdministratorAccess",
    ),
  "role missing": (o) => {
    o.aws!.roles = o.aws!.roles.filter((r) => r.name !== "skyporten-test-921345674");
  },
  "provider accepts another audience": (o) => o.aws!.oidcProviders[0]!.clientIds.push("sts.amazonaws.com"),
  "provider missing": (o) => {
    o.aws!.oidcProviders = [];
  },
  "suspended organization still APPROVED": (o) => {
    o.maskinporten!.consumers.push({ orgno: "812345672", state: "APPROVED" });
  },
  "unknown organization APPROVED": (o) => {
    o.maskinporten!.consumers.push({ orgno: "910000004", state: "APPROVED" });
  },
  "active partner not APPROVED": (o) => {
    o.maskinporten!.consumers = o.maskinporten!.consumers.map((c) =>
      c.orgno === "910000012" ? { ...c, state: "DENIED" } : c,
    );
  },
};

/**
 * The test stack's expectation with the deployer as a platform principal and the scope access list judged too
 * (the sample stacks do not manage it): the world the comparison tests plant changes into.
 */
export function testStackExpectation(): Expectation {
  const e = sampleExpectation("test", [PLATFORM]);
  e.state.maskinporten = {
    scope: e.context.scope,
    consumers: e.context.approvedOrgs.map((orgno) => ({ orgno, state: "APPROVED" })),
  };
  return e;
}

/** Plants that remove an object another plant edits: left out when every plant is applied at once. */
const REMOVERS = new Set([
  "identity missing",
  "group missing",
  "granted path missing",
  "role missing",
  "inline policy missing",
  "provider missing",
  "group member missing",
  "federated credential missing",
  "ACL entry missing",
]);

/** Every plant that can be combined with the others, applied to `observed`. */
export function plantEverything(observed: AccessState, e: Expectation): void {
  for (const [name, plant] of Object.entries(PLANTS)) if (!REMOVERS.has(name)) plant(observed, e);
}
