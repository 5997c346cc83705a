/**
 * The signing algorithms a token may carry and still be accepted by the clouds. AWS STS: "Tokens must be signed
 * using either RSA keys (RS256, RS384, or RS512) or ECDSA keys (ES256, ES384, or ES512)"
 * (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html, WebIdentityToken).
 * Skyporten signs with RS256 and advertises RS384/RS512 (its discovery document). `none` and the HMAC algorithms
 * (HS*) are never accepted: an unsigned token, or one "signed" with a shared secret, is forged by construction,
 * so explain fails them without --verify.
 */
export const SIGNING_ALGORITHMS: readonly string[] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/** Why a token's `alg` can never be accepted, or undefined when it is one of SIGNING_ALGORITHMS. */
export function algorithmProblem(alg: unknown): { reason: string; detail: string } | undefined {
  if (typeof alg === "string" && SIGNING_ALGORITHMS.includes(alg)) return undefined;
  const shown = JSON.stringify(alg ?? null);
  if (typeof alg === "string" && alg.toLowerCase() === "none")
    return { reason: "unsigned", detail: `alg ${shown}: the token is not signed at all; no cloud accepts it` };
  if (typeof alg === "string" && /^HS/i.test(alg))
    return {
      reason: "symmetric",
      detail: `alg ${shown} is an HMAC with a shared secret: an issuer's token is never signed that way; no cloud accepts it`,
    };
  return { reason: "unsupported", detail: `alg ${shown} is not one of ${SIGNING_ALGORITHMS.join(", ")}` };
}
