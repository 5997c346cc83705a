import { createPrivateKey, randomUUID } from "node:crypto";
import { importPKCS8, SignJWT, type CryptoKey } from "jose";
import { header, httpRequest, HttpFailure, type HttpOptions } from "./http";
import { REDACTED, redactCredentials } from "./redact";
import { retryAfterMs } from "./retry";
import { StepError } from "./steps";

/**
 * The canary's Skyporten token, requested exactly as a partner requests it (domain.md, "How a partner requests
 * its Skyporten token"): an RFC 7523 JWT grant signed with the client's key (`kid` header), addressed to the
 * Skyporten issuer (no trailing slash), with `resource` = the stack's audience.
 * Sources: felleslosninger/skyporten-examples (consumer: `maskinporten_audience = "https://test.sky.maskinporten.no"`,
 * claims aud/iss/scope/resource); https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant.
 */

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Maskinporten accepts grants that live at most 120 s. */
export const GRANT_LIFETIME_SECONDS = 120;

export interface GrantInput {
  issuer: string;
  clientId: string;
  scope: string;
  resource: string;
}

/** The claims of the JWT grant. Pure: time and jti come in. */
export function grantClaims(input: GrantInput, nowSeconds: number, jti: string): Record<string, unknown> {
  return {
    aud: input.issuer,
    iss: input.clientId,
    scope: input.scope,
    resource: input.resource,
    iat: nowSeconds,
    exp: nowSeconds + GRANT_LIFETIME_SECONDS,
    jti,
  };
}

/**
 * The private key (PKCS#8, or the PKCS#1 `BEGIN RSA PRIVATE KEY` that older openssl writes), or a StepError saying
 * what is wrong with it (never echoing it).
 */
export async function importCanaryKey(pem: string): Promise<CryptoKey> {
  try {
    const key = createPrivateKey(pem.trim());
    if (key.asymmetricKeyType !== "rsa") throw new Error("not RSA");
    return await importPKCS8(key.export({ type: "pkcs8", format: "pem" }).toString(), "RS256");
  } catch {
    throw new StepError(
      "the canary's private key is not an unencrypted RSA private key in PEM format",
      "store the key of the canary's Maskinporten client (the pair of the public key registered with its kid) as PEM, unencrypted, in the secret",
    );
  }
}

export async function signGrant(input: GrantInput & { keyId: string; key: CryptoKey }, now: Date): Promise<string> {
  const claims = grantClaims(input, Math.floor(now.getTime() / 1000), randomUUID());
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: input.keyId, typ: "JWT" }).sign(input.key);
}

/** The fix for a token endpoint error (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token). */
function tokenFix(error: string, description: string, input: GrantInput & { keyId: string }): string {
  const d = description.toLowerCase();
  if (error === "invalid_scope" || /scope/.test(d))
    return `organization of the canary must have access to the scope "${input.scope}" (granted like any partner's: maskinporten.manageScopeAccess or by hand in Digdir's self-service portal), and its client must have the scope`;
  if (/\baud\b/.test(d))
    return `the grant's aud must be "${input.issuer}" exactly (no trailing slash): check the stack's issuer setting`;
  if (error === "invalid_client" || /kid|key|signature|client/.test(d))
    return `check canary.clientId and canary.keyId: the key with kid "${input.keyId}" must be registered on Maskinporten client ${input.clientId}, and the private key must be its pair`;
  if (/resource|audience/.test(d))
    return `the resource "${input.resource}" must be an audience Skyporten accepts for the scope: check the stack's audience setting`;
  return "see Digdir's description above; fix the canary's client or key at Digdir's self-service portal";
}

/** POST the grant to Skyporten's token endpoint; the access token, or a StepError with Skyporten's own error. */
export async function requestSkyportenToken(
  input: GrantInput & { keyId: string; key: CryptoKey; tokenEndpoint: string },
  http: HttpOptions,
  now: () => Date,
): Promise<string> {
  const assertion = await signGrant(input, now());
  let res;
  try {
    res = await httpRequest(
      input.tokenEndpoint,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }).toString(),
      },
      http,
    );
  } catch (e) {
    if (e instanceof HttpFailure)
      throw new StepError(e.message, `check that ${new URL(input.tokenEndpoint).origin} is reachable from this runner`);
    throw e;
  }
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(res.body.toString("utf8"));
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: reported by status below
  }
  if (res.status === 200 && typeof body.access_token === "string") return body.access_token;
  const error = typeof body.error === "string" ? body.error : "";
  // Digdir's description may quote the grant it refused: a signed grant is a credential until it expires.
  const description =
    typeof body.error_description === "string" ? redactCredentials(body.error_description.split(assertion).join(REDACTED)) : "";
  const message = `HTTP ${res.status}${error === "" ? "" : ` ${error}`}${description === "" ? "" : `: ${description}`}`;
  if (res.status === 200) throw new StepError(`${message}: the answer has no access_token`, "check the token endpoint URL");
  throw new StepError(`Skyporten token endpoint: ${message}`, tokenFix(error, description, input), {
    status: res.status,
    code: error,
    retryAfterMs: retryAfterMs(header(res, "retry-after"), now()),
  });
}
