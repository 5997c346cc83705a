/**
 * Credentials recognised by their shape, for text the canary did not build itself (a cloud's error that echoes
 * what it was sent): a JWT or any prefix of one (base64url JSON starts with `eyJ`, and a cut-short echo is still
 * the claims and part of the signature), and a PEM private key block, whole or cut short, with real or
 * JSON-escaped line breaks.
 */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}/g;
const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

export const REDACTED = "[redacted]";

export function redactCredentials(text: string): string {
  return text.replace(PEM_PRIVATE_KEY, REDACTED).replace(JWT_SHAPED, REDACTED);
}
