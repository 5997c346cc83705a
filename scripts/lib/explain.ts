import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from "jose";
import type { Manifest, Partner } from "../../infra/manifest/schema";
import { ICD_NORWAY } from "../../infra/naming";
import { partnerFacts, tokenExpectations, type PartnerOutputEntry } from "../../infra/partnerFacts";
import { MASKINPORTEN_ISSUERS, SKYPORTEN_ISSUERS, type Settings } from "../../infra/settings/schema";

/**
 * `explain`: why would (or wouldn't) a partner's Skyporten token be accepted by what this stack provisions?
 * Every expectation comes from PartnerFacts (infra/partnerFacts.ts), the same function the handover document
 * uses, so the diagnosis can never disagree with what is deployed. The raw token and its signature are never
 * printed: only the decoded header fields and claims.
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

// ---------------------------------------------------------------------------------------------------------------
// Signature verification (--verify)

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

/** Skyporten signs with RS256 and advertises RS384/RS512 (domain.md); anything else is refused. */
const ALGORITHMS = ["RS256", "RS384", "RS512"];

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
  const at =
    typeof token.claims.iat === "number"
      ? token.claims.iat
      : typeof token.claims.exp === "number"
        ? token.claims.exp - 1
        : undefined;
  try {
    await jwtVerify(token.compact, jwks, {
      algorithms: ALGORITHMS,
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
        detail: `signed with ${String(token.header.alg)}; Skyporten signs with ${ALGORITHMS.join("/")}`,
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

// ---------------------------------------------------------------------------------------------------------------
// The diagnosis

export type CheckName = "issuer" | "subject" | "audience" | "expiry" | "partner" | "signature";
export type Cloud = "azure" | "aws";

export interface Check {
  name: CheckName;
  ok: boolean;
  /** Why it failed, machine-readable (e.g. `trailing-slash`, `no-scope`, `expired`, `suspended`). */
  reason?: string;
  /** What was compared, in one line. */
  detail: string;
  /** The error the cloud returns when this check fails. */
  error?: string;
  fix?: string;
}

export interface Exchange {
  cloud: Cloud;
  /** What the token is exchanged for: the identity (with client id when known) or the role ARN. */
  target: string;
  ok: boolean;
  checks: Check[];
}

export interface Explanation {
  /** The organization the token belongs to (consumer.ID, else sub); null when neither names one. */
  orgNumber: string | null;
  /** The organization whose trust the token was judged against: --org, else orgNumber. */
  judgedOrg: string | null;
  partner: Pick<Partner, "orgNumber" | "name" | "status"> | null;
  /** Checks that concern the token as a whole (which organization, consistency, the signature). */
  general: Check[];
  exchanges: Exchange[];
  /** Clouds the partner has no access on (nothing to check). */
  notProvisioned: Cloud[];
  /** True when every exchange this partner is provisioned for would succeed (and there is at least one). */
  ok: boolean;
}

export interface ExplainInput {
  settings: Settings;
  manifest: Manifest;
  manifestFile: string;
  outputs?: Record<string, PartnerOutputEntry> | null;
  token: DecodedToken;
  now: Date;
  /** The organization the caller expects the token to belong to (--org). */
  expectedOrg?: string;
  /** Result of --verify; absent when the signature was not checked. */
  signature?: SignatureResult;
}

/** Allowed clock difference for "issued in the future" (not for expiry: an expired token is refused at once). */
const CLOCK_SKEW_SECONDS = 60;

const CONSUMER_ID = new RegExp(`^${ICD_NORWAY}:(\\d{9})$`);
const SUBJECT = new RegExp(`^${ICD_NORWAY}:(\\d{9})(?:;(.*))?$`, "s");

/** Why the token's `iss` is not the stack's issuer, in the partner's terms; undefined when it is exactly right. */
export function issuerMismatch(
  settings: Pick<Settings, "environment" | "issuer">,
  iss: unknown,
): { reason: string; detail: string } | undefined {
  if (iss === settings.issuer) return undefined;
  if (typeof iss !== "string") return { reason: "missing", detail: "the token has no iss claim" };
  const shown = JSON.stringify(iss);
  if (iss === `${settings.issuer}/`) {
    return {
      reason: "trailing-slash",
      detail: `iss ${shown} has a trailing slash; this stack trusts "${settings.issuer}" exactly (Skyporten's issuer has none)`,
    };
  }
  if (/sky\.maskinporten\.dev/.test(iss))
    return {
      reason: "outdated-dev-issuer",
      detail: `iss ${shown} is the outdated Skyporten development issuer; this stack trusts "${settings.issuer}"`,
    };
  if (Object.values(MASKINPORTEN_ISSUERS).some((m) => iss === m || `${iss}/` === m)) {
    return {
      reason: "plain-maskinporten",
      detail: `iss ${shown} is plain Maskinporten, not Skyporten: the token was requested from the wrong token endpoint; this stack trusts "${settings.issuer}"`,
    };
  }
  const other = (Object.keys(SKYPORTEN_ISSUERS) as (keyof typeof SKYPORTEN_ISSUERS)[]).find(
    (e) => e !== settings.environment && iss.replace(/\/$/, "") === SKYPORTEN_ISSUERS[e],
  );
  if (other !== undefined) {
    return {
      reason: "other-environment",
      detail: `iss ${shown} is the Skyporten issuer of the ${other} environment; this stack (${settings.environment}) trusts "${settings.issuer}"`,
    };
  }
  if (iss.toLowerCase() === settings.issuer.toLowerCase())
    return {
      reason: "letter-case",
      detail: `iss ${shown} differs from "${settings.issuer}" in letter case; matching is exact`,
    };
  return { reason: "unknown-issuer", detail: `iss ${shown} is not this stack's issuer "${settings.issuer}"` };
}

const audiences = (aud: unknown): string[] | null =>
  typeof aud === "string"
    ? [aud]
    : Array.isArray(aud) && aud.every((a) => typeof a === "string")
      ? aud
      : null;

function when(seconds: number, now: Date): string {
  const iso = new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
  const delta = Math.round(seconds - now.getTime() / 1000);
  const span = (s: number) =>
    s < 120
      ? `${s} s`
      : s < 7200
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86400)} days`;
  return `${iso} (${delta >= 0 ? `in ${span(delta)}` : `${span(-delta)} ago`})`;
}

const ok = (name: CheckName, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: CheckName, reason: string, detail: string, fix: string): Check => ({
  name,
  ok: false,
  reason,
  detail,
  fix,
});

/**
 * The checks every exchange shares, for the token judged as organization `org`'s; each cloud then names its
 * own error for a failed one. `otherOrgFix` is the fix when `sub` names another organization.
 */
function sharedChecks(
  input: ExplainInput,
  org: string | null,
  partner: Partner | undefined,
  otherOrgFix: string,
): Check[] {
  const { settings, token, now } = input;
  const c = token.claims;
  const checks: Check[] = [];
  const expect = tokenExpectations(settings, org ?? "<orgno>");

  const iss = issuerMismatch({ environment: settings.environment, issuer: expect.issuer }, c.iss);
  checks.push(
    iss === undefined
      ? ok("issuer", `"${expect.issuer}" matches exactly`)
      : fail(
          "issuer",
          iss.reason,
          iss.detail,
          `request the token from Skyporten's token endpoint ${expect.tokenEndpoint}; its iss is then "${expect.issuer}"`,
        ),
  );

  // Subject: `0192:<orgno>;<scope>` with the one scope the platform owns (Skyporten appends the requested scope).
  const oneScopeFix = `request exactly one scope, "${expect.scope}", from ${expect.tokenEndpoint}: Skyporten then sets sub to "${expect.subject}"`;
  if (typeof c.sub !== "string")
    checks.push(fail("subject", "missing", "the token has no sub claim", oneScopeFix));
  else if (org !== null && c.sub === expect.subject)
    checks.push(
      ok(
        "subject",
        partner !== undefined && partner.status === "active"
          ? `"${c.sub}" is exactly the trusted subject`
          : `"${c.sub}" is the subject a trust for organization ${org} would need`,
      ),
    );
  else {
    const m = SUBJECT.exec(c.sub);
    const shown = JSON.stringify(c.sub);
    if (m === null)
      checks.push(
        fail("subject", "format", `sub ${shown} is not of the form "0192:<orgno>;<scope>"`, oneScopeFix),
      );
    else if (org === null)
      checks.push(
        fail(
          "subject",
          "no-organization",
          `sub ${shown} cannot be matched: the token names no organization`,
          oneScopeFix,
        ),
      );
    else if (m[1] !== org)
      checks.push(
        fail(
          "subject",
          "other-organization",
          `sub ${shown} names organization ${m[1]}; the trust of organization ${org} is for "${expect.subject}"`,
          otherOrgFix,
        ),
      );
    else if (m[2] === undefined) {
      checks.push(
        fail(
          "subject",
          "no-scope",
          `sub ${shown} has no scope (the outdated format, or several scopes were requested); the trust is for "${expect.subject}"`,
          oneScopeFix,
        ),
      );
    } else if (/\s/.test(m[2]))
      checks.push(
        fail(
          "subject",
          "several-scopes",
          `sub ${shown} carries several scopes; the trust is for exactly "${expect.subject}"`,
          oneScopeFix,
        ),
      );
    else
      checks.push(
        fail(
          "subject",
          "other-scope",
          `sub ${shown} carries scope "${m[2]}", not "${expect.scope}"`,
          oneScopeFix,
        ),
      );
  }

  const auds = audiences(c.aud);
  const audFix = `send resource "${expect.audience}" exactly in the JWT grant to ${expect.tokenEndpoint} (it becomes the token's aud)`;
  if (auds === null || auds.length === 0)
    checks.push(fail("audience", "missing", "the token has no aud claim (no resource was sent)", audFix));
  else if (auds.length === 1 && auds[0] === expect.audience)
    checks.push(ok("audience", `"${expect.audience}" matches exactly`));
  else if (auds.includes(expect.audience))
    checks.push(ok("audience", `"${expect.audience}" is one of ${auds.length} audiences`));
  else
    checks.push(
      fail("audience", "wrong-audience", `aud ${JSON.stringify(c.aud)} is not "${expect.audience}"`, audFix),
    );

  const nowS = now.getTime() / 1000;
  const expiryFix =
    "fetch a new token immediately before the exchange (Skyporten tokens live for minutes); check that the clocks are synchronised";
  if (typeof c.exp !== "number")
    checks.push(fail("expiry", "missing", "the token has no exp claim", expiryFix));
  else if (c.exp <= nowS) checks.push(fail("expiry", "expired", `expired ${when(c.exp, now)}`, expiryFix));
  else if (typeof c.nbf === "number" && c.nbf > nowS + CLOCK_SKEW_SECONDS)
    checks.push(fail("expiry", "not-yet-valid", `not valid before ${when(c.nbf, now)}`, expiryFix));
  else if (typeof c.iat === "number" && c.iat > nowS + CLOCK_SKEW_SECONDS)
    checks.push(
      fail(
        "expiry",
        "not-yet-valid",
        `issued in the future, ${when(c.iat, now)}: the clocks differ`,
        expiryFix,
      ),
    );
  else checks.push(ok("expiry", `valid until ${when(c.exp, now)}`));

  const pr = `open a pull request, then pulumi up`;
  if (org === null)
    checks.push(
      fail(
        "partner",
        "not-onboarded",
        "the token names no organization",
        `request the token from ${expect.tokenEndpoint}`,
      ),
    );
  else if (partner === undefined) {
    checks.push(
      fail(
        "partner",
        "not-onboarded",
        `organization ${org} is not in ${input.manifestFile}: nothing on this stack trusts it`,
        `onboard it: add organization ${org} to ${input.manifestFile}, ${pr}`,
      ),
    );
  } else if (partner.status === "offboarded") {
    checks.push(
      fail(
        "partner",
        "offboarded",
        `organization ${org} is offboarded: nothing on this stack trusts it`,
        `to onboard it again, set status: active for ${org} in ${input.manifestFile}, ${pr}`,
      ),
    );
  } else if (partner.status === "suspended") {
    checks.push(
      fail(
        "partner",
        "suspended",
        `organization ${org} (${partner.name}) is suspended: its trust is removed`,
        `reinstate it: set status: active for ${org} in ${input.manifestFile}, ${pr}`,
      ),
    );
  } else checks.push(ok("partner", `organization ${org} (${partner.name}) is active`));

  const sig = input.signature;
  if (sig !== undefined) {
    checks.push(
      sig.ok
        ? ok("signature", sig.detail)
        : fail(
            "signature",
            sig.cause,
            sig.detail,
            sig.cause === "signature"
              ? "use the token exactly as Skyporten issued it"
              : "check the network or the --discovery-url, then run again",
          ),
    );
  }
  return checks;
}

/** The error each cloud returns for a failed check (what the partner sees). */
function cloudError(cloud: Cloud, check: Check, iss: unknown): string {
  if (check.name === "signature" && check.reason === "unverified")
    return "unknown: the signature could not be checked";
  if (cloud === "azure") {
    // https://learn.microsoft.com/entra/identity-platform/reference-error-codes; the federated-credential match is
    // exact on issuer, subject and audience (https://learn.microsoft.com/entra/workload-id/workload-identity-federation).
    if (check.name === "expiry") return "AADSTS700024: Client assertion is not within its valid time range";
    if (check.name === "signature")
      return "invalid_client: Entra ID cannot verify the assertion's signature with the issuer's keys";
    if (check.name === "partner" && (check.reason === "not-onboarded" || check.reason === "offboarded")) {
      return "AADSTS700016: Application with identifier '...' was not found in the directory (no identity exists for this organization), or AADSTS70021 with another organization's client id";
    }
    return "AADSTS70021: No matching federated identity record found for presented assertion";
  }
  // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html (Errors).
  if (check.name === "issuer")
    return `InvalidIdentityToken: No OpenIDConnect provider found in your account for ${typeof iss === "string" ? iss : "(no iss)"}`;
  if (check.name === "audience") return "InvalidIdentityToken: Incorrect token audience";
  if (check.name === "expiry") return "ExpiredTokenException: Token expired";
  if (check.name === "signature") return "InvalidIdentityToken: the token's signature could not be verified";
  return "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity";
}

/** Diagnose a decoded token against the stack. Pure: the time and the signature verdict come in. */
export function explainToken(input: ExplainInput): Explanation {
  const { settings, manifest, token } = input;
  const c = token.claims;
  const consumer =
    typeof c.consumer === "object" && c.consumer !== null
      ? (c.consumer as Record<string, unknown>).ID
      : undefined;
  const consumerOrg = typeof consumer === "string" ? CONSUMER_ID.exec(consumer)?.[1] : undefined;
  const subOrg = typeof c.sub === "string" ? SUBJECT.exec(c.sub)?.[1] : undefined;
  const tokenOrg = consumerOrg ?? subOrg ?? null;
  // With --org the token is judged against that organization's trust: "would this work for Entur?"
  const org = input.expectedOrg ?? tokenOrg;
  const find = (o: string | null) =>
    o === null ? undefined : manifest.partners.find((p) => p.orgNumber === o);
  const partner = find(org);
  const facts =
    partner !== undefined && partner.status !== "offboarded"
      ? partnerFacts(settings, partner, input.outputs?.[partner.orgNumber])
      : null;
  const tokenEndpoint = tokenExpectations(settings, org ?? "<orgno>").tokenEndpoint;

  const general: Check[] = [];
  if (tokenOrg === null) {
    general.push(
      fail(
        "partner",
        "no-organization",
        `neither consumer.ID nor sub names an organization (${ICD_NORWAY}:<9 digits>): this is not a Skyporten token`,
        `request the token from ${tokenEndpoint}`,
      ),
    );
  } else {
    general.push(
      ok(
        "partner",
        `the token belongs to organization ${tokenOrg} (from ${consumerOrg !== undefined ? "consumer.ID" : "sub; the token has no consumer.ID"})`,
      ),
    );
  }
  if (consumerOrg !== undefined && subOrg !== undefined && consumerOrg !== subOrg) {
    general.push(
      fail(
        "subject",
        "inconsistent",
        `sub names organization ${subOrg} but consumer.ID names ${consumerOrg}: Skyporten never issues that`,
        "use the token exactly as Skyporten issued it",
      ),
    );
  }
  let otherOrgFix = "use the token exactly as Skyporten issued it";
  if (input.expectedOrg !== undefined && tokenOrg !== null && tokenOrg !== input.expectedOrg) {
    const holder = find(tokenOrg);
    const fix = `organization ${input.expectedOrg} must get its token with its own Maskinporten client`;
    otherOrgFix = fix;
    general.push(
      fail(
        "partner",
        "other-organization",
        `the token belongs to organization ${tokenOrg}${holder === undefined ? "" : ` (${holder.name})`}, not ${input.expectedOrg}: it was obtained with another organization's Maskinporten client`,
        fix,
      ),
    );
  }

  const checks = sharedChecks(input, org, partner, otherOrgFix);
  const exchanges: Exchange[] = [];
  const notProvisioned: Cloud[] = [];
  // Which exchanges to judge: the clouds the partner has access on; for an organization with nothing on this
  // stack, every cloud the stack serves (all of them refuse it).
  const clouds: { cloud: Cloud; target: string }[] = [];
  if (facts !== null) {
    if (facts.azure !== null) {
      const id =
        facts.azure.clientId === null
          ? `identity ${facts.azure.identityName}`
          : `identity ${facts.azure.identityName} (client id ${facts.azure.clientId})`;
      clouds.push({ cloud: "azure", target: `${id} in tenant ${facts.azure.tenantId}` });
    } else notProvisioned.push("azure");
    if (facts.aws !== null) clouds.push({ cloud: "aws", target: `role ${facts.aws.roleArn}` });
    else notProvisioned.push("aws");
  } else {
    clouds.push({ cloud: "azure", target: `an identity in tenant ${settings.azure.tenantId}` });
    if (settings.aws.enabled)
      clouds.push({ cloud: "aws", target: `a role in account ${settings.aws.accountId}` });
  }
  const aud = audiences(c.aud);
  for (const { cloud, target } of clouds) {
    const cloudChecks = checks.map((ch) => (ch.ok ? ch : { ...ch, error: cloudError(cloud, ch, c.iss) }));
    // AWS STS matches a single aud against the provider's client id list; Azure accepts a token whose aud list
    // contains the credential's audience (Digdir's multiple-audience test, felleslosninger/skyporten-examples).
    if (cloud === "aws" && aud !== null && aud.length > 1) {
      const i = cloudChecks.findIndex((ch) => ch.name === "audience");
      cloudChecks[i] = {
        ...fail(
          "audience",
          "several-audiences",
          `aud carries ${aud.length} audiences; AWS STS is not documented to accept a multi-valued aud`,
          `send only resource "${settings.audience}"`,
        ),
        error: "InvalidIdentityToken: Incorrect token audience",
      };
    }
    exchanges.push({ cloud, target, ok: cloudChecks.every((ch) => ch.ok), checks: cloudChecks });
  }
  return {
    orgNumber: tokenOrg,
    judgedOrg: org,
    partner:
      partner === undefined
        ? null
        : { orgNumber: partner.orgNumber, name: partner.name, status: partner.status },
    general,
    exchanges,
    notProvisioned,
    ok: general.every((g) => g.ok) && exchanges.length > 0 && exchanges.every((e) => e.ok),
  };
}

const CLOUD_NAME: Record<Cloud, string> = { azure: "Azure", aws: "AWS" };

/** The decoded token, without the raw token or its signature. */
export function formatToken(token: DecodedToken, now: Date): string {
  const c = token.claims;
  const h = token.header;
  const lines = [
    `Token: ${String(h.alg ?? "no alg")} JWT${h.kid === undefined ? "" : `, kid ${JSON.stringify(h.kid)}`} (raw token and signature not shown)`,
  ];
  const consumer =
    typeof c.consumer === "object" && c.consumer !== null
      ? (c.consumer as Record<string, unknown>).ID
      : undefined;
  const rows: [string, unknown][] = [
    ["iss", c.iss],
    ["sub", c.sub],
    ["aud", c.aud],
    ["scope", c.scope],
    ["consumer", consumer],
    ["client_id", c.client_id],
  ];
  for (const [k, v] of rows)
    lines.push(
      `  ${k.padEnd(10)} ${v === undefined ? "(absent)" : typeof v === "string" ? v : JSON.stringify(v)}`,
    );
  for (const k of ["iat", "exp"] as const) {
    const v = c[k];
    lines.push(`  ${k.padEnd(10)} ${typeof v === "number" ? when(v, now) : "(absent)"}`);
  }
  return lines.join("\n");
}

function formatCheck(ch: Check): string[] {
  const lines = [`  ${ch.ok ? "ok  " : "FAIL"}  ${ch.name.padEnd(9)} ${ch.detail}`];
  if (!ch.ok && ch.error !== undefined) lines.push(`        error: ${ch.error}`);
  if (!ch.ok && ch.fix !== undefined) lines.push(`        fix:   ${ch.fix}`);
  return lines;
}

export function formatExplanation(e: Explanation, stack: string, manifestFile: string): string {
  const lines: string[] = [];
  if (e.partner !== null)
    lines.push(
      `Judged as organization ${e.partner.orgNumber}: ${e.partner.name} (${e.partner.status}) in ${manifestFile}, stack ${stack}`,
    );
  else if (e.judgedOrg !== null)
    lines.push(`Judged as organization ${e.judgedOrg}: not in ${manifestFile} (stack ${stack})`);
  for (const g of e.general) lines.push(...formatCheck(g));
  for (const x of e.exchanges) {
    lines.push("", `${CLOUD_NAME[x.cloud]}: exchange for ${x.target} would ${x.ok ? "succeed" : "FAIL"}`);
    for (const ch of x.checks) lines.push(...formatCheck(ch));
  }
  for (const cloud of e.notProvisioned)
    lines.push(
      "",
      `${CLOUD_NAME[cloud]}: not provisioned for this organization (no grants): nothing to check`,
    );
  const failed = e.exchanges.filter((x) => !x.ok).length;
  lines.push(
    "",
    e.ok
      ? `Result: every exchange this organization is provisioned for would succeed (${e.exchanges.map((x) => CLOUD_NAME[x.cloud]).join(", ")})`
      : e.exchanges.length === 0
        ? "Result: this organization is provisioned for no exchange on this stack"
        : `Result: ${failed} of ${e.exchanges.length} exchange(s) would fail${e.general.some((g) => !g.ok) ? " (and see the token problems above)" : ""}`,
  );
  return lines.join("\n");
}
