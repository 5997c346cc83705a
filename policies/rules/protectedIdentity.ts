import { isUnknown, tagsOf, type PolicyContext, type PolicyResource, type ResourceRule } from "./types";

export const USER_ASSIGNED_IDENTITY_TYPE = "azure-native:managedidentity:UserAssignedIdentity";
/** The app-registration kind (settings azure.identityKind: app-registration): the application holds the client id. */
export const APPLICATION_TYPE = "azuread:index/application:Application";
/** The application's service principal: its object id is what group memberships and ACL entries name. */
export const SERVICE_PRINCIPAL_TYPE = "azuread:index/servicePrincipal:ServicePrincipal";

/** Every resource type that is a partner's Entra identity (or, for an app registration, part of it). */
export const PARTNER_IDENTITY_TYPES: readonly string[] = [USER_ASSIGNED_IDENTITY_TYPE, APPLICATION_TYPE, SERVICE_PRINCIPAL_TYPE];

/**
 * In prod, a partner's identity is `protect`ed unless the partner is offboarded (design.md, status semantics):
 * deleting an active or suspended partner's manifest entry by mistake must fail `pulumi up` rather than destroy
 * the identity whose client id the partner has configured (a new identity gets a new client id). For an app
 * registration that is the application (the client id) and its service principal (a new one gets a new object id,
 * so every group membership and ACL entry would be replaced). The status is the `partner-status` tag (a map entry,
 * or `partner-status:<status>` in an Entra tag list); a missing tag counts as not offboarded (the required-tags
 * rule reports it).
 */
export function protectedIdentityViolations(resource: PolicyResource, context: PolicyContext): string[] {
  if (context.environment !== "prod") return [];
  const tags = resource.props.tags;
  if (isUnknown(tags)) return [];
  const status = tagsOf(tags)?.["partner-status"];
  if (isUnknown(status) || status === "offboarded" || resource.protect) return [];
  const { resourceName, displayName } = resource.props;
  const name =
    typeof resourceName === "string" ? resourceName : typeof displayName === "string" ? displayName : resource.name;
  const described = typeof status === "string" ? `partner-status "${status}"` : "no partner-status tag";
  return [
    `prod identity "${name}" (${described}) is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`,
  ];
}

export const protectedIdentityRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-prod-identity-protected",
  description:
    "In prod, every partner identity (managed identity, or application and service principal) is protected unless its partner-status tag is offboarded.",
  enforcementLevel: "mandatory",
  resourceTypes: PARTNER_IDENTITY_TYPES,
  validate: protectedIdentityViolations,
};
