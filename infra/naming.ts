import type { Environment } from "./settings/schema";

/**
 * Names and trust strings: the one source of truth for what the plan, the handover document and `explain`
 * say. Physical names derive from stable keys only (environment, organization number, container name),
 * never from display names, list positions or random values: renaming a partner replaces nothing.
 */

/** ICD of the Norwegian business register, the only one Maskinporten supports. */
export const ICD_NORWAY = "0192";

/** The Skyporten token subject: `0192:<orgno>;<scope>` (Skyporten appends the one requested scope). */
export function subjectFor(orgNumber: string, scope: string): string {
  return `${ICD_NORWAY}:${orgNumber};${scope}`;
}

/** The consumer id Skyporten puts in `consumer.ID`. */
export function consumerIdFor(orgNumber: string): string {
  return `${ICD_NORWAY}:${orgNumber}`;
}

/** Issuer without scheme: the prefix of AWS condition keys (`test.sky.maskinporten.no:sub`). */
export function issuerHost(issuer: string): string {
  return issuer.replace(/^https:\/\//, "");
}

/** Skyporten's token endpoint for an issuer. */
export function tokenEndpointFor(issuer: string): string {
  return `${issuer}/token`;
}

/** Physical name of the partner's user-assigned managed identity. */
export function identityName(environment: Environment, orgNumber: string): string {
  return `id-skyporten-${environment}-${orgNumber}`;
}

/** Name of the federated identity credential (3-120 chars, alphanumeric start, immutable). */
export function federatedCredentialName(orgNumber: string): string {
  return `skyporten-${orgNumber}`;
}

/** Name of the partner's IAM role (64 chars max). */
export function awsRoleName(environment: Environment, orgNumber: string): string {
  return `skyporten-${environment}-${orgNumber}`;
}

/** Logical (Pulumi) name of a partner's component. */
export function partnerLogicalName(orgNumber: string): string {
  return `partner-${orgNumber}`;
}
