import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from "jose";

/**
 * Reading what a person hands `explain`: the token itself, `Bearer <token>`, or a token endpoint's JSON response.
 * The raw token and its signature are never printed; messages never contain the input.
 */

/** The token could not be read as a signed JWT at all (exit 2). The message never contains the input. */
export class UnreadableToken extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnreadableToken";
  }
}

export interface DecodedToken {
  /** The compact JWS: only ever passed to jose, never printed. */
  compact: string;
  header: ProtectedHeaderParameters;
  claims: JWTPayload;
}

/** Largest token accepted; Skyporten tokens are about 1 KB. */
export const MAX_TOKEN_BYTES = 64 * 1024;

/**
 * Turn what a person pastes into a compact JWT: the token itself, `Bearer <token>`, or the token endpoint's JSON
 * response (`{"access_token": ...}`). Throws UnreadableToken.
 */
export function extractToken(text: string): string {
  if (Buffer.byteLength(text, "utf8") > MAX_TOKEN_BYTES)
    throw new UnreadableToken(
      `the input is larger than ${MAX_TOKEN_BYTES} bytes; a Skyporten token is about 1 KB`,
    );
  let t = text.trim();
  if (t.startsWith("{")) {
    let body: unknown;
    try {
      body = JSON.parse(t);
    } catch {
      throw new UnreadableToken(
        "the input starts with { but is not JSON; give the token itself or the token endpoint's JSON response",
      );
    }
    const access =
      typeof body === "object" && body !== null ? (body as Record<string, unknown>).access_token : undefined;
    if (typeof access !== "string")
      throw new UnreadableToken(
        "the JSON has no access_token string; give the token itself or the token endpoint's JSON response",
      );
    t = access.trim();
  }
  t = t.replace(/^Bearer\s+/i, "");
  if (t === "") throw new UnreadableToken("the input is empty; give a file with the Skyporten access token");
  const parts = t.split(".");
  if (parts.length === 5)
    throw new UnreadableToken(
      "this is an encrypted token (JWE, five parts); Skyporten issues signed JWTs (three parts)",
    );
  if (
    parts.length !== 3 ||
    !parts.every((p, i) => (i === 2 ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9_-]+$/).test(p))
  ) {
    throw new UnreadableToken(
      "not a JWT: expected three base64url parts separated by dots (header.payload.signature)",
    );
  }
  return t;
}

/** Decode without verifying (jose decodeProtectedHeader / decodeJwt). Throws UnreadableToken. */
export function decodeToken(text: string): DecodedToken {
  const compact = extractToken(text);
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(compact);
  } catch {
    throw new UnreadableToken("not a JWT: the header is not base64url-encoded JSON");
  }
  try {
    claims = decodeJwt(compact);
  } catch {
    throw new UnreadableToken("not a JWT: the payload is not a base64url-encoded JSON object");
  }
  return { compact, header, claims };
}
