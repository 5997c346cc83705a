import { asRecord, isUnknown, type PolicyContext, type PolicyResource, type ResourceRule } from "./types";

export const USER_ASSIGNED_IDENTITY_TYPE = "azure-native:managedidentity:UserAssignedIdentity";

/**
 * In prod, a partner's identity is `protect`ed unless the partner is offboarded (design.md, status semantics):
 * deleting an active or suspended partner's manifest entry by mistake must fail `pulumi up` rather than destroy
 * the identity whose client id the partner has configured (a new identity gets a new client id). The status is
 * the identity's `partner-status` tag; a missing tag counts as not offboarded (the required-tags rule reports it).
 */
export function protectedIdentityViolations(resource: PolicyResource, context: PolicyContext): string[] {
  if (context.environment !== "prod") return [];
  const tags = resource.props.tags;
  if (isUnknown(tags)) return [];
  const status = asRecord(tags)?.["partner-status"];
  if (isUnknown(status) || status === "offboarded" || resource.protect) return [];
  const name = typeof resource.props.resourceName === "string" ? resource.props.resourceName : resource.name;
  const described = typeof status === "string" ? `partner-status "${status}"` : "no partner-status tag";
  return [
    `prod identity "${name}" (${described}) is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`,
  ];
}

export const protectedIdentityRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-prod-identity-protected",
  description: "In prod, every partner identity is protected unless its partner-status tag is offboarded.",
  enforcementLevel: "mandatory",
  resourceTypes: [USER_ASSIGNED_IDENTITY_TYPE],
  validate: protectedIdentityViolations,
};
