/**
 * The errors partners see, exactly as the services word them, shared by `explain` (which names the one a token
 * would get) and the handover's troubleshooting table. One place, so the two never disagree.
 */

export interface KnownError {
  /** What the partner searches for, e.g. `AADSTS700212`. */
  code: string;
  /** The message (or its stable start) as the service returns it. */
  message: string;
}

/** `<code>: <message>`, the form a partner sees and searches for. */
export const errorLine = (e: KnownError): string => `${e.code}: ${e.message}`;

/**
 * Microsoft Entra ID, token endpoint, client-credentials with a federated assertion. Codes from Microsoft's
 * reference (https://learn.microsoft.com/entra/identity-platform/reference-error-codes, and
 * https://login.microsoftonline.com/error?code=<n>), worded as in public transcripts:
 * - 700211 "... assertion issuer '<iss>'": Azure/azure-workload-identity issue 1200;
 * - 700212 "... assertion audience '<aud>'": public transcripts of workload identity federation failures;
 * - 700213 "... assertion subject '<sub>'": Azure/login issues 482 and 517;
 * - 70021, 700024, 700016: felleslosninger/skyporten-examples, azure/cli/README.md (Troubleshooting);
 * - 700027 "Client assertion contains an invalid signature": AzureAD/passport-azure-ad issue 453.
 * 70021 is the older, generic form: Entra still answers with it while a new federated credential replicates and
 * when an identity has no federated credential at all.
 */
export const ENTRA = {
  issuer: (iss: string): KnownError => ({
    code: "AADSTS700211",
    message: `No matching federated identity record found for presented assertion issuer '${iss}'`,
  }),
  audience: (aud: string): KnownError => ({
    code: "AADSTS700212",
    message: `No matching federated identity record found for presented assertion audience '${aud}'`,
  }),
  subject: (sub: string): KnownError => ({
    code: "AADSTS700213",
    message: `No matching federated identity record found for presented assertion subject '${sub}'`,
  }),
  noRecord: { code: "AADSTS70021", message: "No matching federated identity record found for presented assertion" },
  expired: { code: "AADSTS700024", message: "Client assertion is not within its valid time range" },
  badSignature: { code: "AADSTS700027", message: "Client assertion contains an invalid signature" },
  unknownClient: (clientId: string): KnownError => ({
    code: "AADSTS700016",
    message: `Application with identifier '${clientId}' was not found in the directory`,
  }),
} as const;

/**
 * AWS STS AssumeRoleWithWebIdentity (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html,
 * Errors; the messages are the ones STS returns for a generic OIDC provider).
 */
export const AWS = {
  unknownProvider: (iss: string): KnownError => ({
    code: "InvalidIdentityToken",
    message: `No OpenIDConnect provider found in your account for ${iss}`,
  }),
  audience: { code: "InvalidIdentityToken", message: "Incorrect token audience" },
  badSignature: { code: "InvalidIdentityToken", message: "the token's signature could not be verified" },
  expired: { code: "ExpiredTokenException", message: "Token expired" },
  denied: { code: "AccessDenied", message: "Not authorized to perform sts:AssumeRoleWithWebIdentity" },
} as const;

/**
 * Skyporten's token endpoint (Maskinporten's protocol, https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant):
 * a grant it refuses gets HTTP 400 with an OAuth error. The wrong `aud` is answered
 * `invalid_grant` naming the claim (domain notes); other descriptions are not published word for word.
 */
export const SKYPORTEN = {
  audience: { code: "400 invalid_grant", message: "Invalid JWT claim aud" },
  grant: { code: "400 invalid_grant", message: "(the description names the claim or the key at fault)" },
  scope: { code: "400 invalid_scope", message: "(the client may not request this scope)" },
} as const;

/**
 * The partner gateway (Azure API Management): its policy validates the Entra token and routes on its audience
 * (Bane-NOR/platform-docs, docs/integration/Payload-Manager/Getting-Started/index.md). APIM's validate-jwt policy
 * answers 401 by default (https://learn.microsoft.com/azure/api-management/validate-jwt-policy,
 * failed-validation-httpcode); the platform's exact status and message are not published.
 */
export const GATEWAY = {
  unauthorized: { code: "401 Unauthorized", message: "from the gateway" },
} as const;
