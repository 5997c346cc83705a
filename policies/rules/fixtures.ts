import { containerScope, ROLE_DEFINITION_IDS, roleDefinitionResourceId } from "../../infra/azure/model";
import type { PolicyContext, PolicyResource } from "./types";

/**
 * Compliant resources as the program registers them (type tokens and input names of infra/), for the rule
 * tests. Each test mutates one field of a fresh copy and asserts the exact message.
 */

export const SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const RG = "rg-skyporten-test";
export const ACCOUNT = "stskyportentest";
export const AUDIENCE = "https://skyporten.test.banenor.example.no";
export const ORG = "917422575";
export const SUBJECT = `0192:${ORG};banenor:payloadmanager.storage`;
export const HOST = "test.sky.maskinporten.no";
export const PROVIDER_ARN = `arn:aws:iam::000000000000:oidc-provider/${HOST}`;
export const BUCKET = "banenor-payload-test";
export const PRINCIPAL_OID = "11111111-2222-3333-4444-555555555555";

export const testContext: PolicyContext = { environment: "test", nameKey: "test", audience: AUDIENCE };

const urn = (type: string, name: string) => `urn:pulumi:test::skyporten-onboarding::${type}::${name}`;

export function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  protect = false,
): PolicyResource {
  return { type, name, urn: urn(type, name), protect, props };
}

export const tags = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  "managed-by": "skyporten-onboarding",
  environment: "test",
  "org-number": ORG,
  "partner-status": "active",
  "partner-name": "Entur AS",
  ...overrides,
});

export function identity(props: Record<string, unknown> = {}, protect = false): PolicyResource {
  return resource(
    "azure-native:managedidentity:UserAssignedIdentity",
    `partner-${ORG}-identity`,
    {
      resourceName: `id-skyporten-test-${ORG}`,
      resourceGroupName: RG,
      location: "norwayeast",
      tags: tags(),
      ...props,
    },
    protect,
  );
}

export function credential(props: Record<string, unknown> = {}, name = `partner-${ORG}-fic`): PolicyResource {
  return resource("azure-native:managedidentity:FederatedIdentityCredential", name, {
    federatedIdentityCredentialResourceName: `skyporten-${ORG}`,
    resourceName: `id-skyporten-test-${ORG}`,
    resourceGroupName: RG,
    issuer: "https://test.sky.maskinporten.no",
    subject: SUBJECT,
    audiences: [AUDIENCE],
    ...props,
  });
}

export const INBOUND_SCOPE = containerScope(SUBSCRIPTION, RG, ACCOUNT, "inbound");
export const READER_ROLE_ID = roleDefinitionResourceId(
  SUBSCRIPTION,
  ROLE_DEFINITION_IDS.storageBlobDataReader,
);

export function roleAssignment(
  props: Record<string, unknown> = {},
  name = "ra-inbound-read",
): PolicyResource {
  return resource("azure-native:authorization:RoleAssignment", name, {
    roleAssignmentName: "0f8fad5b-d9cb-569f-a165-70867728950e",
    scope: INBOUND_SCOPE,
    roleDefinitionId: READER_ROLE_ID,
    principalId: "group-inbound-read-object-id",
    principalType: "Group",
    ...props,
  });
}

export function trustDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Sid: "SkyportenWebIdentity",
    Effect: "Allow",
    Principal: { Federated: PROVIDER_ARN },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: { StringEquals: { [`${HOST}:sub`]: SUBJECT, [`${HOST}:aud`]: AUDIENCE } },
    ...overrides,
  };
}

export function iamRole(
  statements: unknown[] = [trustDocument()],
  props: Record<string, unknown> = {},
): PolicyResource {
  return resource("aws:iam/role:Role", `partner-${ORG}-role`, {
    name: `skyporten-test-${ORG}`,
    path: "/skyporten/",
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
    maxSessionDuration: 3600,
    tags: tags(),
    ...props,
  });
}

/** The statements infra/aws/policies.ts writes for a read-write grant on `entur/`. */
export const permissionStatements = (): Record<string, unknown>[] => [
  {
    Sid: "ListGrantedPrefixes0",
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: `arn:aws:s3:::${BUCKET}`,
    Condition: { StringLike: { "s3:prefix": ["entur/*"] } },
  },
  {
    Sid: "ReadObjects",
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: [`arn:aws:s3:::${BUCKET}/entur/*`],
  },
  {
    Sid: "WriteObjects",
    Effect: "Allow",
    Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
    Resource: [`arn:aws:s3:::${BUCKET}/entur/*`],
  },
];

export function rolePolicy(
  statements: unknown[] = permissionStatements(),
  name = `partner-${ORG}-s3`,
): PolicyResource {
  return resource("aws:iam/rolePolicy:RolePolicy", name, {
    role: `skyporten-test-${ORG}`,
    name: "skyporten-s3",
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });
}

export function bucket(name = BUCKET): PolicyResource {
  return resource("aws:s3/bucket:Bucket", `bucket-${name}`, { bucket: name }, true);
}

export function pathAcl(
  entries: unknown[],
  props: Record<string, unknown> = {},
  name = `partner-${ORG}-acl-outbound`,
): PolicyResource {
  return resource("pulumi-nodejs:dynamic/adls:PathAcl", name, {
    accountName: ACCOUNT,
    fileSystem: "outbound",
    path: "nordlys",
    entries,
    ...props,
  });
}

/** A whole compliant test stack. */
export function compliantStack(): PolicyResource[] {
  return [
    identity(),
    credential(),
    roleAssignment(),
    iamRole(),
    rolePolicy(),
    bucket(),
    pathAcl([`user:${PRINCIPAL_OID}:r-x`, `default:user:${PRINCIPAL_OID}:r-x`]),
  ];
}

// The app-registration identity kind (settings azure.identityKind: app-registration).

export const APPLICATION_RESOURCE_ID = "/applications/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

/** Entra tag list as infra/azure/appRegistration.ts writes it: `key:value` entries. */
export const tagList = (overrides: Record<string, unknown> = {}): string[] =>
  Object.entries(tags(overrides))
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}:${String(v)}`);

export function application(props: Record<string, unknown> = {}, protect = false): PolicyResource {
  return resource(
    "azuread:index/application:Application",
    `partner-${ORG}-app`,
    {
      displayName: `id-skyporten-test-${ORG}`,
      signInAudience: "AzureADMyOrg",
      preventDuplicateNames: true,
      owners: [SUBSCRIPTION],
      tags: tagList(),
      notes: `Skyporten identity of organization ${ORG} on the test stack, managed by skyporten-onboarding: changes made by hand are overwritten.`,
      ...props,
    },
    protect,
  );
}

export function servicePrincipal(props: Record<string, unknown> = {}, protect = false): PolicyResource {
  return resource(
    "azuread:index/servicePrincipal:ServicePrincipal",
    `partner-${ORG}-sp`,
    { clientId: "0a1b2c3d-0000-4000-8000-000000000001", owners: [SUBSCRIPTION], tags: tagList(), ...props },
    protect,
  );
}

export function appCredential(
  props: Record<string, unknown> = {},
  name = `partner-${ORG}-app-fic-skyporten-${ORG}`,
): PolicyResource {
  return resource(
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    name,
    {
      applicationId: APPLICATION_RESOURCE_ID,
      displayName: `skyporten-${ORG}`,
      issuer: "https://test.sky.maskinporten.no",
      subject: SUBJECT,
      audiences: [AUDIENCE],
      ...props,
    },
  );
}

/** A whole compliant test stack of the app-registration kind. */
export function compliantAppRegistrationStack(): PolicyResource[] {
  return [
    application(),
    servicePrincipal(),
    appCredential(),
    roleAssignment(),
    pathAcl([`user:${PRINCIPAL_OID}:r-x`, `default:user:${PRINCIPAL_OID}:r-x`]),
  ];
}
