import { ICD_NORWAY, identityName } from "../../infra/naming";
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

/**
 * A partner's federated identity credential must trust exactly the stack's Skyporten issuer, one
 * organization's subject and the stack's one audience. Entra ID matches all three character by character
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations): a trailing slash,
 * the plain Maskinporten issuer or the other environment's issuer gives AADSTS70021 for every partner, and a
 * subject of another organization lets that organization act as this identity.
 */
export function federatedCredentialViolations(resource: PolicyResource, context: PolicyContext): string[] {
  const { issuer, subject, audiences, resourceName } = resource.props;
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
    } else if (typeof resourceName === "string" && !isUnknown(resourceName)) {
      const expected = identityName(context.environment, check.orgNumber);
      if (resourceName !== expected) {
        violations.push(
          `subject "${subject}" is for organization ${check.orgNumber} but the credential is attached to identity "${resourceName}" (expected "${expected}"): organization ${check.orgNumber} could act as another identity`,
        );
      }
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
    "Federated identity credentials trust the stack environment's Skyporten issuer (exact, no trailing slash), a subject 0192:<MOD11-valid organization number>;<platform scope> matching the identity it is attached to, and exactly one audience: the stack's.",
  enforcementLevel: "mandatory",
  resourceTypes: [FEDERATED_CREDENTIAL_TYPE],
  validate: federatedCredentialViolations,
};
