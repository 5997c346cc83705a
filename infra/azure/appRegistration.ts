import * as pulumi from "@pulumi/pulumi";
import { Application } from "@pulumi/azuread/application";
import { ApplicationFederatedIdentityCredential } from "@pulumi/azuread/applicationFederatedIdentityCredential";
import { ServicePrincipal } from "@pulumi/azuread/servicePrincipal";
import { identityName } from "../naming";
import type { FederatedTrust, PartnerIdentity } from "./trust";
import { createSequentially } from "./sequential";

/**
 * The app-registration identity kind (settings `azure.identityKind: app-registration`), the second variant of
 * Digdir's Skyporten guide: an Entra application with an application federated identity credential per trust,
 * and the application's service principal, which is what group memberships and ACL entries name. The partner
 * logs in with the application's client id exactly as with a managed identity
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust).
 */

export interface AppRegistrationArgs {
  /** Prefix of the logical names (the partner component's name): child URNs must be unique in the stack. */
  namePrefix: string;
  /** The stack's name key (settings nameKey): part of the application's display name. */
  nameKey: string;
  orgNumber: string;
  /** Tenant the application is registered in (the provider's tenant). */
  tenantId: string;
  /** The partner's tags (partnerTags): written as `key:value` strings, Entra's tags are a list, not a map. */
  tags: Record<string, string>;
  /** Trusts to attach; empty for a suspended partner (the application stays, its client id unchanged). */
  trusts: readonly FederatedTrust[];
  /**
   * Owners of the application and service principal (settings azure.groupOwners). A deployer holding only
   * Application.ReadWrite.OwnedBy must own both to manage them and the credentials later. Default: none.
   */
  owners?: readonly string[];
  /** `protect` on the application and service principal (prod: every partner that is not offboarded). */
  protect: boolean;
  parent: pulumi.Resource;
}

/**
 * Entra application tags as `key:value` strings: application and service principal tags are a list of strings
 * (Microsoft Graph `application.tags`, filterable with `tags/any(t:t eq 'org-number:917422575')`), so the
 * partner's tag map is flattened in its own key order. The policy pack reads them back (policies/rules/types.ts
 * tagsOf).
 */
export function applicationTags(tags: Record<string, string>): string[] {
  return Object.entries(tags).map(([key, value]) => `${key}:${value}`);
}

/** The application's notes: who it is for, and that hand edits are overwritten. */
export function applicationNotes(nameKey: string, orgNumber: string): string {
  return `Skyporten identity of organization ${orgNumber} on the ${nameKey} stack, managed by skyporten-onboarding: changes made by hand are overwritten.`;
}

export interface AppRegistrationIdentity {
  identity: PartnerIdentity;
  application: Application;
  servicePrincipal: ServicePrincipal;
  credentials: ApplicationFederatedIdentityCredential[];
}

/**
 * An application registration for one organization: display name from name key and org number only (the
 * same name the managed-identity kind gives its identity, so handover, explain and operators search by one
 * name), single-tenant, no secrets, no certificates, no API permissions (its only credential is the federated
 * one), plus its service principal and one federated credential per trust. Credentials are chained with
 * dependsOn like the managed-identity kind's: one write at a time per identity, and the same order on every run.
 */
export function createAppRegistrationIdentity(args: AppRegistrationArgs): AppRegistrationIdentity {
  const tags = applicationTags(args.tags);
  const owners = args.owners !== undefined && args.owners.length > 0 ? [...args.owners] : undefined;
  const application = new Application(
    `${args.namePrefix}-app`,
    {
      displayName: identityName(args.nameKey, args.orgNumber),
      // Only this tenant's tokens: the partner never signs in as a user; the token exchange is client credentials.
      signInAudience: "AzureADMyOrg",
      // Entra does not require unique display names; refuse to create a second application with this one.
      preventDuplicateNames: true,
      owners,
      tags,
      notes: applicationNotes(args.nameKey, args.orgNumber),
    },
    { parent: args.parent, protect: args.protect },
  );
  const servicePrincipal = new ServicePrincipal(
    `${args.namePrefix}-sp`,
    // The same tags as the application (Entra copies them anyway): the policy pack reads partner-status here too.
    { clientId: application.clientId, owners, tags },
    { parent: args.parent, protect: args.protect },
  );
  const credentials = createSequentially(
    application,
    args.trusts,
    (trust, dependsOn) =>
      new ApplicationFederatedIdentityCredential(
        `${args.namePrefix}-app-fic-${trust.name}`,
        {
          // The application's resource id (/applications/<object id>), as azuread v6 expects.
          applicationId: application.id,
          displayName: trust.name,
          issuer: trust.issuer,
          subject: trust.subject,
          audiences: [trust.audience],
        },
        { parent: args.parent, dependsOn },
      ),
  );
  return {
    identity: {
      kind: "app-registration",
      clientId: application.clientId,
      // RBAC and ADLS ACLs name the service principal's object id: never the application's client or object id.
      principalId: servicePrincipal.objectId,
      tenantId: pulumi.output(args.tenantId),
      resourceId: application.id,
    },
    application,
    servicePrincipal,
    credentials,
  };
}
