import { federatedCredentialName, ICD_NORWAY, identityName } from "../../infra/naming";
import { issuerProblem, SKYPORTEN_ISSUERS } from "../../infra/settings/schema";
import { checkSubject } from "./subject";
import {
  EXPECTED_SCOPE,
  isUnknown,
  show,
  type PolicyContext,
  type PolicyResource,
  type ResourceRule,
} from "./types";

export const FEDERATED_CREDENTIAL_TYPE = "azure-native:managedidentity:FederatedIdentityCredential";
/** The app-registration kind's credential (settings azure.identityKind: app-registration). */
export const APPLICATION_FEDERATED_CREDENTIAL_TYPE =
  "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";

/**
 * Is the credential attached to the identity of the organization its subject names? A managed identity's
 * credential names its identity (`resourceName`). An application's credential names its application only by
 * object id (`applicationId`, unknown before a new application exists), so the check there is the credential's
 * name: the program names each credential after the organization whose application carries it
 * (federatedCredentialName), so a different organization in the subject means a trust on the wrong application.
 */
function identityMismatch(resource: PolicyResource, context: PolicyContext, subject: string, orgNumber: string): string[] {
  if (resource.type === APPLICATION_FEDERATED_CREDENTIAL_TYPE) {
    const { displayName } = resource.props;
    if (typeof displayName !== "string" || isUnknown(displayName)) return [];
    const expected = federatedCredentialName(orgNumber);
    return displayName === expected
      ? []
      : [
          `subject "${subject}" is for organization ${orgNumber} but the credential is named "${displayName}" (expected "${expected}"): it may sit on another organization's application, and organization ${orgNumber} could act as that identity`,
        ];
  }
  const { resourceName } = resource.props;
  if (typeof resourceName !== "string" || isUnknown(resourceName)) return [];
  const expected = identityName(context.nameKey, orgNumber);
  return resourceName === expected
    ? []
    : [
        `subject "${subject}" is for organization ${orgNumber} but the credential is attached to identity "${resourceName}" (expected "${expected}"): organization ${orgNumber} could act as another identity`,
      ];
}

/**
 * A partner's federated identity credential must trust exactly the stack's Skyporten issuer, one
 * organization's subject and the stack's one audience. Entra ID matches all three character by character
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations): a trailing slash,
 * the plain Maskinporten issuer or the other environment's issuer gives AADSTS70021 for every partner, and a
 * subject of another organization lets that organization act as this identity.
 */
export function federatedCredentialViolations(resource: PolicyResource, context: PolicyContext): string[] {
  const { issuer, subject, audiences } = resource.props;
  const expectedIssuer = SKYPORTEN_ISSUERS[context.environment];
  const violations: string[] = [];

  if (typeof issuer === "string" && !isUnknown(issuer)) {
    const problem = issuerProblem(context.environment, issuer);
    if (problem !== undefined) violations.push(`issuer ${problem}`);
  } else if (!isUnknown(issuer)) {
    violations.push(
      `issuer is not set; set it to "${expectedIssuer}" (the Skyporten issuer of the ${context.environment} environment)`,
    );
  }

  if (typeof subject === "string" && !isUnknown(subject)) {
    const check = checkSubject("subject", subject);
    if (!check.ok) {
      violations.push(check.problem);
    } else {
      violations.push(...identityMismatch(resource, context, subject, check.orgNumber));
    }
  } else if (!isUnknown(subject)) {
    violations.push(`subject is not set; set it to "${ICD_NORWAY}:<organization number>;${EXPECTED_SCOPE}"`);
  }

  if (Array.isArray(audiences)) {
    if (audiences.length !== 1) {
      violations.push(
        `audiences has ${audiences.length} values; a Skyporten credential takes exactly one, the stack's audience "${context.audience}"`,
      );
    } else if (!isUnknown(audiences[0]) && audiences[0] !== context.audience) {
      violations.push(`audience ${show(audiences[0])} is not the stack's audience "${context.audience}"`);
    }
  } else if (!isUnknown(audiences)) {
    violations.push(
      `audiences must be a list with exactly one value, the stack's audience "${context.audience}"`,
    );
  }
  return violations;
}

export const federatedCredentialRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-federated-credential",
  description:
    "Federated identity credentials (of managed identities and of app registrations) trust the stack environment's Skyporten issuer (exact, no trailing slash), a subject 0192:<MOD11-valid organization number>;<platform scope> matching the identity it is attached to, and exactly one audience: the stack's.",
  enforcementLevel: "mandatory",
  resourceTypes: [FEDERATED_CREDENTIAL_TYPE, APPLICATION_FEDERATED_CREDENTIAL_TYPE],
  validate: federatedCredentialViolations,
};
