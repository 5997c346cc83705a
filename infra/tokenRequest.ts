import { tokenEndpointFor } from "./naming";
import type { Settings } from "./settings/schema";

/**
 * How a partner requests its Skyporten token: an RFC 7523 JWT grant signed with its own Maskinporten client key,
 * POSTed to Skyporten's token endpoint and addressed to Skyporten itself. Without these exact values no token is
 * issued at all (and `explain` cannot help: there is no token to explain). Pure facts, shared by the handover
 * table and every generated example.
 *
 * Sources:
 * - Digdir, Maskinporten JWT grant (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant):
 *   header alg RS256/RS384/RS512 with kid or x5c; claims aud, iss (client id), iat (within 10 s of Maskinporten's
 *   clock), exp (exp - iat <= 120), jti (a grant cannot be reused), scope, resource; claims not listed there are
 *   refused ("Invalid assertion").
 * - Digdir, /token endpoint (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token): POST,
 *   application/x-www-form-urlencoded, grant_type + assertion; "aud" is the issuer identifier, a single value.
 * - Skyporten's own consumer example (felleslosninger/skyporten-examples, gcp/consumer/python/
 *   skyporten_public_demo.py): aud "https://test.sky.maskinporten.no", token URL ".../token", claims
 *   aud/iss/scope/resource/iat/exp(+100)/jti, header alg RS256 + kid.
 * - The payload manager's guide (Bane-NOR/platform-docs, docs/integration/Payload-Manager/User-Guides/
 *   Uploading-files-with-skyporten.md): Audience "https://test.sky.maskinporten.no", Url ".../token".
 */

export const JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Maskinporten refuses a grant whose exp is more than 120 s after its iat. */
export const GRANT_MAX_LIFETIME_SECONDS = 120;
/** The lifetime the examples use: Digdir's own example's, safely under the maximum. */
export const GRANT_EXAMPLE_LIFETIME_SECONDS = 100;
/** Maskinporten accepts a grant whose iat is at most this many seconds off its clock. */
export const GRANT_CLOCK_TOLERANCE_SECONDS = 10;

/** One row of the grant: a header parameter, a claim, or a form field of the POST body. */
export interface GrantField {
  part: "header" | "claim" | "body";
  name: string;
  /** The exact value, or null when it is the partner's own or computed at request time (see rule). */
  value: string | null;
  rule: string;
}

export interface TokenRequestFacts {
  tokenEndpoint: string;
  method: "POST";
  contentType: "application/x-www-form-urlencoded";
  /** The grant's `aud`: the Skyporten issuer exactly (never the token endpoint, never with a trailing slash). */
  grantAudience: string;
  scope: string;
  /** The grant's `resource`: the platform's audience, which becomes the token's `aud`. */
  resource: string;
  fields: GrantField[];
}

/** The complete token request for this stack. */
export function tokenRequestFor(settings: Pick<Settings, "issuer" | "scope" | "audience">): TokenRequestFacts {
  const tokenEndpoint = tokenEndpointFor(settings.issuer);
  return {
    tokenEndpoint,
    method: "POST",
    contentType: "application/x-www-form-urlencoded",
    grantAudience: settings.issuer,
    scope: settings.scope,
    resource: settings.audience,
    fields: [
      { part: "header", name: "alg", value: "RS256", rule: "RS256 (RS384 and RS512 are accepted too)" },
      {
        part: "header",
        name: "kid",
        value: null,
        rule: "the key id of the key registered on your Maskinporten client (or x5c: your business certificate chain)",
      },
      {
        part: "claim",
        name: "aud",
        value: settings.issuer,
        rule: `the Skyporten issuer exactly: no trailing slash, not the token endpoint (otherwise 400 invalid_grant)`,
      },
      { part: "claim", name: "iss", value: null, rule: "your Maskinporten client id" },
      { part: "claim", name: "scope", value: settings.scope, rule: "exactly this one scope" },
      {
        part: "claim",
        name: "resource",
        value: settings.audience,
        rule: "becomes the token's aud, which the platform's trust requires exactly",
      },
      {
        part: "claim",
        name: "iat",
        value: null,
        rule: `now, in seconds since 1970 (UTC); Maskinporten accepts ${GRANT_CLOCK_TOLERANCE_SECONDS} s of clock difference`,
      },
      { part: "claim", name: "exp", value: null, rule: `iat + at most ${GRANT_MAX_LIFETIME_SECONDS} s` },
      { part: "claim", name: "jti", value: null, rule: "a fresh unique id for every grant (a grant cannot be reused)" },
      { part: "body", name: "grant_type", value: JWT_BEARER_GRANT_TYPE, rule: "form field of the POST" },
      { part: "body", name: "assertion", value: null, rule: "the signed grant (form field of the POST)" },
    ],
  };
}
