import * as pulumi from "@pulumi/pulumi";
import { FederatedIdentityCredential, UserAssignedIdentity } from "@pulumi/azure-native/managedidentity";
import { federatedCredentialName, identityName } from "../naming";
import type { IdentityKind } from "../settings/schema";
import { createAppRegistrationIdentity } from "./appRegistration";
import { createSequentially } from "./sequential";
import type { FederatedTrust, PartnerIdentity } from "./trust";

export {
  federatedTrustProblems,
  MAX_FEDERATED_CREDENTIALS_PER_IDENTITY,
  type FederatedTrust,
  type PartnerIdentity,
} from "./trust";

export {
  applicationNotes,
  applicationTags,
  createAppRegistrationIdentity,
  type AppRegistrationArgs,
  type AppRegistrationIdentity,
} from "./appRegistration";

export interface ManagedIdentityArgs {
  /** Prefix of the logical names (the partner component's name): child URNs must be unique in the stack. */
  namePrefix: string;
  /** The stack's name key (settings nameKey): part of the identity's name. */
  nameKey: string;
  orgNumber: string;
  resourceGroupName: string;
  location: string;
  tenantId: string;
  tags: Record<string, string>;
  /** Trusts to attach; empty for a suspended partner (the identity stays, its client id unchanged). */
  trusts: readonly FederatedTrust[];
  /** `protect` on the identity (prod: every partner that is not offboarded). */
  protect: boolean;
  parent: pulumi.Resource;
}

/**
 * The default identity kind: a user-assigned managed identity with its federated credentials. Credentials of
 * one identity are chained with dependsOn: Azure rejects concurrent writes to the credentials of the same
 * identity with 409 Conflict and azure-native does not serialise them
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#concurrent-updates-arent-supported-user-assigned-managed-identities).
 */
export function createManagedIdentity(args: ManagedIdentityArgs): {
  identity: PartnerIdentity;
  credentials: FederatedIdentityCredential[];
} {
  const name = identityName(args.nameKey, args.orgNumber);
  const uami = new UserAssignedIdentity(
    `${args.namePrefix}-identity`,
    {
      resourceName: name,
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      tags: args.tags,
    },
    { parent: args.parent, protect: args.protect },
  );
  const credentials = createSequentially(
    uami,
    args.trusts,
    (trust, dependsOn) =>
      new FederatedIdentityCredential(
        `${args.namePrefix}-fic-${trust.name}`,
        {
          federatedIdentityCredentialResourceName: trust.name,
          resourceName: uami.name,
          resourceGroupName: args.resourceGroupName,
          issuer: trust.issuer,
          subject: trust.subject,
          audiences: [trust.audience],
        },
        { parent: args.parent, dependsOn },
      ),
  );
  return {
    identity: {
      kind: "user-assigned-managed-identity",
      clientId: uami.clientId,
      principalId: uami.principalId,
      tenantId: uami.tenantId,
      resourceId: uami.id,
    },
    credentials,
  };
}

/** The trust of a partner on this stack: one credential, Skyporten issuer, `0192:<orgno>;<scope>`, one audience. */
export function skyportenTrust(
  orgNumber: string,
  issuer: string,
  subject: string,
  audience: string,
): FederatedTrust {
  return { name: federatedCredentialName(orgNumber), issuer, subject, audience };
}

export interface PartnerIdentityArgs extends ManagedIdentityArgs {
  /** Settings azure.identityKind. */
  kind: IdentityKind;
  /** Owners of an app registration and its service principal (settings azure.groupOwners); unused otherwise. */
  owners?: readonly string[];
}

/**
 * The partner's identity of the stack's kind. Callers use only the returned PartnerIdentity, so grants do not
 * depend on the kind. An app registration is a directory object: the resource group and location are unused.
 */
export function createPartnerIdentity(args: PartnerIdentityArgs): PartnerIdentity {
  if (args.kind === "app-registration") {
    return createAppRegistrationIdentity({
      namePrefix: args.namePrefix,
      nameKey: args.nameKey,
      orgNumber: args.orgNumber,
      tenantId: args.tenantId,
      tags: args.tags,
      trusts: args.trusts,
      owners: args.owners,
      protect: args.protect,
      parent: args.parent,
    }).identity;
  }
  return createManagedIdentity(args).identity;
}
