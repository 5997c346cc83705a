import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { SIGNING_ALGORITHMS } from "./tokenAlgorithms";
import { isRealTime } from "./terminalText";
import type { DecodedToken } from "./tokenDecode";

/** `explain --verify`: the token's signature against the issuer's published keys. */

export interface VerifyOptions {
  /** Discovery document URL; default `<stack issuer>/.well-known/openid-configuration`. */
  discoveryUrl: string;
  /** The stack's issuer: the discovery document must name it exactly. */
  issuer: string;
  /** Timeout of each HTTP request, ms. */
  timeoutMs: number;
}

export type SignatureResult =
  | { ok: true; detail: string }
  /** `signature`: the token is not signed by the issuer's keys; `unverified`: the check could not be done. */
  | { ok: false; cause: "signature" | "unverified"; detail: string };

/** Plain http only to this machine (tests, local mirrors); everything else must be https. */
function fetchableUrl(raw: string, what: string): URL | string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${what} "${raw}" is not a URL`;
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    return `${what} "${raw}" must be https (plain http only to 127.0.0.1)`;
  return url;
}

/**
 * Verify the signature against the issuer's published keys: discovery document -> `jwks_uri` -> JWKS
 * (jose createRemoteJWKSet + jwtVerify), every request with a timeout. Time claims are judged by the expiry check,
 * not here: the signature is verified as of the token's own `iat`, so an expired token still gets a verdict on its
 * signature.
 */
export async function verifySignature(token: DecodedToken, opts: VerifyOptions): Promise<SignatureResult> {
  const discovery = fetchableUrl(opts.discoveryUrl, "discovery URL");
  if (typeof discovery === "string") return { ok: false, cause: "unverified", detail: discovery };
  let doc: Record<string, unknown>;
  try {
    const res = await fetch(discovery, {
      signal: AbortSignal.timeout(opts.timeoutMs),
      redirect: "error",
      headers: { accept: "application/json" },
    });
    if (!res.ok)
      return {
        ok: false,
        cause: "unverified",
        detail: `discovery document ${discovery.href} answered HTTP ${res.status}`,
      };
    const body: unknown = await res.json();
    if (typeof body !== "object" || body === null) throw new Error("not an object");
    doc = body as Record<string, unknown>;
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
    return {
      ok: false,
      cause: "unverified",
      detail: `could not read the discovery document ${discovery.href}: ${timedOut ? `no answer within ${opts.timeoutMs} ms` : "not reachable or not JSON"}`,
    };
  }
  // OpenID Connect Discovery 1.0 section 4.3: the document's issuer must be identical to the issuer it is for.
  if (doc.issuer !== opts.issuer) {
    return {
      ok: false,
      cause: "unverified",
      detail: `the discovery document names issuer ${JSON.stringify(doc.issuer)}, not "${opts.issuer}": it is not this stack's issuer's document`,
    };
  }
  if (typeof doc.jwks_uri !== "string")
    return { ok: false, cause: "unverified", detail: "the discovery document has no jwks_uri" };
  const jwksUrl = fetchableUrl(doc.jwks_uri, "jwks_uri");
  if (typeof jwksUrl === "string") return { ok: false, cause: "unverified", detail: jwksUrl };

  const jwks = createRemoteJWKSet(jwksUrl, { timeoutDuration: opts.timeoutMs, cooldownDuration: 0 });
  // A time outside Date's range cannot be a verification time (the expiry check reports it).
  const realTime = (v: unknown): v is number => typeof v === "number" && isRealTime(v) && isRealTime(v - 1);
  const at = realTime(token.claims.iat) ? token.claims.iat : realTime(token.claims.exp) ? token.claims.exp - 1 : undefined;
  try {
    await jwtVerify(token.compact, jwks, {
      algorithms: [...SIGNING_ALGORITHMS],
      ...(at === undefined ? {} : { currentDate: new Date(at * 1000) }),
    });
    return {
      ok: true,
      detail: `signature verified with key ${JSON.stringify(token.header.kid ?? null)} from ${jwksUrl.href}`,
    };
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed)
      return {
        ok: false,
        cause: "signature",
        detail:
          "the signature does not verify with the issuer's key: the token was altered or not issued by this issuer",
      };
    if (e instanceof errors.JWKSNoMatchingKey)
      return {
        ok: false,
        cause: "signature",
        detail: `the issuer's JWKS (${jwksUrl.href}) has no key ${JSON.stringify(token.header.kid ?? null)} for ${String(token.header.alg)}: the token was not issued by this issuer`,
      };
    if (e instanceof errors.JOSEAlgNotAllowed)
      return {
        ok: false,
        cause: "signature",
        detail: `signed with ${JSON.stringify(token.header.alg ?? null)}; the clouds accept only ${SIGNING_ALGORITHMS.join("/")}`,
      };
    if (e instanceof errors.JWKSTimeout)
      return {
        ok: false,
        cause: "unverified",
        detail: `the JWKS ${jwksUrl.href} did not answer within ${opts.timeoutMs} ms`,
      };
    if (e instanceof errors.JWTClaimValidationFailed || e instanceof errors.JWTExpired) {
      // Signature verified; a claim check failed at the token's own iat (e.g. nbf after iat). Claims are judged below.
      return {
        ok: true,
        detail: `signature verified with key ${JSON.stringify(token.header.kid ?? null)} from ${jwksUrl.href}`,
      };
    }
    if (e instanceof errors.JOSEError)
      return { ok: false, cause: "unverified", detail: `could not use the JWKS ${jwksUrl.href} (${e.code})` };
    return { ok: false, cause: "unverified", detail: `could not fetch the JWKS ${jwksUrl.href}` };
  }
}
