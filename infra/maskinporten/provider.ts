import type * as pulumi from "@pulumi/pulumi";

/**
 * The dynamic provider behind `ScopeAccess`: grants, reads and revokes one organization's access to one
 * Maskinporten scope through Digdir's self-service API, authenticated with an admin-client token obtained by a
 * JWT grant (RFC 7523).
 *
 * SELF-CONTAINED ON PURPOSE. Pulumi serialises a dynamic provider by capturing its closure as source text and
 * re-evaluating it in the provider process (`pulumi.runtime.serializeFunction`). Everything the provider needs is
 * therefore in this file, npm packages and Node built-ins are `require`d inside the functions that use them, and
 * the file has type-only imports. Constants are plain `const`s exported at the bottom: TypeScript would otherwise
 * compile references to `export const X` as `exports.X` and drag the whole module object into the closure.
 * provider.serialize.test.ts proves the serialised text runs.
 *
 * Digdir references (checked against the live docs):
 * - JWT grant: https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 *   header `alg` RS256 plus `kid` (pre-registered key) or `x5c` (business certificate chain); claims `aud` (the
 *   Maskinporten issuer, e.g. https://maskinporten.no/), `iss` (client id), `scope`, `iat`, `exp` (exp - iat <= 120),
 *   `jti` ("a JWT cannot be reused"). "Adding claims not present in the following documentation will result in a
 *   response of 400 Bad request": so no `nbf`, no `sub`.
 * - Token endpoint: https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 *   POST form-encoded `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<grant>`; "Using the
 *   token-endpoint url as audience is no longer valid". Errors are JSON `error` / `error_description`
 *   (https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking).
 * - Self-service API: https://docs.digdir.no/docs/idporten/oidc/oidc_api_admin_maskinporten and
 *   https://docs.digdir.no/docs/Maskinporten/maskinporten_sjolvbetjening_api : the admin client needs
 *   `idporten:scopes.write`; `PUT /scopes/access/{consumer_orgno}?scope=` grants, `DELETE` on the same path
 *   revokes, `GET /scopes/access?scope=` lists `[{scope, state, created, consumer_orgno, last_updated,
 *   owner_orgno}]` with state APPROVED / REQUESTED / DENIED. NAIS digdirator calls the same endpoints
 *   (nais/digdirator pkg/digdir/client.go: AddToScopeACL, DeactivateConsumer, GetScopeACL).
 */

/** Inputs of one ScopeAccess resource, as the provider receives them (secrets already unwrapped by the engine). */
export interface ScopeAccessInputs {
  orgNumber: string;
  scope: string;
  apiBaseUrl: string;
  tokenEndpoint: string;
  tokenAudience: string;
  adminClientId: string;
  adminKeyId?: string;
  /** PEM certificate chain for an `x5c` header instead of `kid`. */
  adminCertificateChain?: string;
  adminPrivateKey: string;
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

/** Observed state of the grant: Digdir's states plus ABSENT (no entry for the organization in the access list). */
export type AccessState = "APPROVED" | "REQUESTED" | "DENIED" | "ABSENT" | (string & {});

export interface AccessRecord {
  state: AccessState;
  created?: string;
  lastUpdated?: string;
  ownerOrgno?: string;
}

export interface ScopeAccessOutputs extends ScopeAccessInputs, AccessRecord {}

/** Connection settings resolved from inputs, with defaults. */
export interface Connection {
  apiBaseUrl: string;
  tokenEndpoint: string;
  tokenAudience: string;
  clientId: string;
  keyId?: string;
  certificateChain?: string;
  privateKey: string;
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
}

/** Why a call failed, for callers and tests; the message is always safe to print. */
export type FailureCode =
  | "unauthorized"
  | "forbidden"
  | "scope-not-found"
  | "org-unknown"
  | "token-rejected"
  | "scope-not-granted-to-admin"
  | "invalid-key"
  | "timeout"
  | "network"
  | "server"
  | "unexpected";

export interface ScopeAccessFailure extends Error {
  code: FailureCode;
  status?: number;
}

const SCOPES_WRITE = "idporten:scopes.write";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Lifetime of our JWT grant. Maskinporten allows at most 120 s (exp - iat <= 120); a minute is plenty. */
const GRANT_LIFETIME_SECONDS = 60;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 5;
const DEFAULT_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
/** Drop a cached token this long before Maskinporten's `expires_in` runs out (or a quarter of a short lifetime). */
const TOKEN_EXPIRY_MARGIN_MS = 30_000;
/** One cache per provider process, shared by every ScopeAccess of the run (and every copy of this module). */
const TOKEN_CACHE_KEY = "skyporten-onboarding/maskinporten/admin-token-cache";
/** Placeholder Pulumi puts in inputs whose value is not known yet (preview). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STRING_FIELDS = [
  "orgNumber",
  "scope",
  "apiBaseUrl",
  "tokenEndpoint",
  "tokenAudience",
  "adminClientId",
  "adminPrivateKey",
] as const;
/** Inputs whose change needs only an update (re-PUT with the new settings), never a replacement. */
const UPDATABLE_FIELDS = [
  "tokenEndpoint",
  "tokenAudience",
  "adminClientId",
  "adminKeyId",
  "adminCertificateChain",
  "adminPrivateKey",
  "timeoutMs",
  "maxAttempts",
  "retryBaseDelayMs",
] as const;

function failure(code: FailureCode, message: string, status?: number): ScopeAccessFailure {
  const error = new Error(message) as ScopeAccessFailure;
  error.name = "ScopeAccessError";
  error.code = code;
  if (status !== undefined) error.status = status;
  return error;
}

/** Remove private keys, JWTs (our grant, the access token) and any given secret from a text. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 8) out = out.split(secret).join("[redacted]");
  }
  return out
    .replace(
      /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
      "[redacted private key]",
    )
    .replace(/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, "[redacted token]");
}

/** Base URL without trailing slashes or a trailing /api/v1 (settings may give either form). */
export function normalizeApiBase(apiBaseUrl: string): string {
  return apiBaseUrl.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
}

/** `PUT`/`DELETE` URL of one organization's access to a scope. */
export function accessUrl(apiBaseUrl: string, orgNumber: string, scope: string): string {
  return `${normalizeApiBase(apiBaseUrl)}/api/v1/scopes/access/${encodeURIComponent(orgNumber)}?scope=${encodeURIComponent(scope)}`;
}

/** `GET` URL of a scope's access list. */
export function accessListUrl(apiBaseUrl: string, scope: string): string {
  return `${normalizeApiBase(apiBaseUrl)}/api/v1/scopes/access?scope=${encodeURIComponent(scope)}`;
}

/** "test" or "prod" for Digdir's own Maskinporten and self-service API hosts; undefined for any other URL. */
function digdirEnvironment(value: string): string | undefined {
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return undefined;
  }
  if (host === "test.maskinporten.no" || host === "api.test.samarbeid.digdir.no") return "test";
  if (host === "maskinporten.no" || host === "api.samarbeid.digdir.no") return "prod";
  return undefined;
}

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

function urlProblem(field: string, value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field} must be an absolute URL (got "${value}")`;
  }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && isLoopback(url)) return undefined;
  return `${field} must be an https URL (got "${value}"); plain http is accepted only for 127.0.0.1 test servers`;
}

/**
 * Problems with plain inputs (unknown values are skipped). Never mentions the private key's value.
 * Used by the provider's `check` and by the ScopeAccess constructor.
 */
export function inputProblems(
  inputs: Partial<Record<keyof ScopeAccessInputs, unknown>>,
): { property: string; reason: string }[] {
  const problems: { property: string; reason: string }[] = [];
  for (const field of STRING_FIELDS) {
    const value = inputs[field];
    if (value === UNKNOWN) continue;
    if (typeof value !== "string" || value.trim() === "") {
      problems.push({ property: field, reason: `${field} is required and must be a non-empty string` });
    }
  }
  const org = inputs.orgNumber;
  if (typeof org === "string" && org !== UNKNOWN && !/^\d{9}$/.test(org)) {
    problems.push({
      property: "orgNumber",
      reason: `orgNumber must be 9 digits without spaces (got "${org}")`,
    });
  }
  const scope = inputs.scope;
  if (typeof scope === "string" && scope !== UNKNOWN && !/^[a-z0-9_-]+:[A-Za-z0-9._/-]+$/.test(scope)) {
    problems.push({
      property: "scope",
      reason: `scope must look like "<prefix>:<subscope>", e.g. "banenor:payloadmanager.storage" (got "${scope}")`,
    });
  }
  for (const field of ["apiBaseUrl", "tokenEndpoint", "tokenAudience"] as const) {
    const value = inputs[field];
    if (typeof value === "string" && value !== UNKNOWN && value !== "") {
      const problem = urlProblem(field, value);
      if (problem !== undefined) problems.push({ property: field, reason: problem });
    }
  }
  const endpoint = inputs.tokenEndpoint;
  const audience = inputs.tokenAudience;
  if (
    typeof endpoint === "string" &&
    typeof audience === "string" &&
    endpoint !== UNKNOWN &&
    endpoint === audience
  ) {
    problems.push({
      property: "tokenAudience",
      reason: `tokenAudience must be the Maskinporten issuer (e.g. "https://test.maskinporten.no/"), not the token endpoint: Maskinporten no longer accepts the token endpoint URL as audience`,
    });
  }
  if (typeof audience === "string" && /^https:\/\/(test\.)?maskinporten\.no$/.test(audience)) {
    problems.push({
      property: "tokenAudience",
      reason: `tokenAudience "${audience}" lacks the trailing slash: the plain Maskinporten issuer is "${audience}/" (Skyporten's issuers have none, Maskinporten's do)`,
    });
  }
  if (typeof audience === "string" && /sky\.maskinporten/.test(audience)) {
    problems.push({
      property: "tokenAudience",
      reason: `tokenAudience "${audience}" is a Skyporten issuer; the admin client's JWT grant goes to plain Maskinporten: use "https://test.maskinporten.no/" or "https://maskinporten.no/"`,
    });
  }
  // Digdir's known hosts per environment: a token from one environment is refused by the other's API (401).
  const environments: [string, string | undefined][] = (
    ["tokenEndpoint", "tokenAudience", "apiBaseUrl"] as const
  ).map((field) => [field, typeof inputs[field] === "string" ? digdirEnvironment(inputs[field]) : undefined]);
  const knownEnvs = environments.filter((e): e is [string, string] => e[1] !== undefined);
  if (new Set(knownEnvs.map((e) => e[1])).size > 1) {
    problems.push({
      property: "tokenEndpoint",
      reason: `tokenEndpoint, tokenAudience and apiBaseUrl must belong to the same Digdir environment (got ${knownEnvs.map(([f, e]) => `${f}: ${e}`).join(", ")})`,
    });
  }
  const given = (v: unknown): boolean => v === UNKNOWN || (typeof v === "string" && v !== "");
  if (!given(inputs.adminKeyId) && !given(inputs.adminCertificateChain)) {
    problems.push({
      property: "adminKeyId",
      reason:
        "adminKeyId (the kid of the key registered on the admin client) or adminCertificateChain (x5c) is required: Maskinporten needs one of them in the JWT grant header",
    });
  }
  for (const field of ["timeoutMs", "maxAttempts", "retryBaseDelayMs"] as const) {
    const value = inputs[field];
    if (value === undefined || value === UNKNOWN) continue;
    if (
      typeof value !== "number" ||
      !Number.isInteger(value) ||
      value < (field === "retryBaseDelayMs" ? 0 : 1)
    ) {
      problems.push({
        property: field,
        reason: `${field} must be a positive whole number (got ${JSON.stringify(value)})`,
      });
    }
  }
  return problems;
}

export function connectionOf(inputs: ScopeAccessInputs): Connection {
  const problems = inputProblems(inputs);
  if (problems.length > 0)
    throw failure("unexpected", `invalid ScopeAccess inputs: ${problems.map((p) => p.reason).join("; ")}`);
  const conn: Connection = {
    apiBaseUrl: normalizeApiBase(inputs.apiBaseUrl),
    tokenEndpoint: inputs.tokenEndpoint,
    tokenAudience: inputs.tokenAudience,
    clientId: inputs.adminClientId,
    privateKey: inputs.adminPrivateKey,
    timeoutMs: inputs.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAttempts: inputs.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    baseDelayMs: inputs.retryBaseDelayMs ?? DEFAULT_BASE_DELAY_MS,
  };
  if (inputs.adminKeyId !== undefined && inputs.adminKeyId !== "") conn.keyId = inputs.adminKeyId;
  if (inputs.adminCertificateChain !== undefined && inputs.adminCertificateChain !== "")
    conn.certificateChain = inputs.adminCertificateChain;
  return conn;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP with timeouts and retries

interface HttpRequest {
  method: "GET" | "PUT" | "DELETE" | "POST";
  headers: Record<string, string>;
  body?: string;
}

interface HttpResponse {
  status: number;
  text: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry-After as milliseconds (delta-seconds or HTTP-date, RFC 9110 section 10.2.3), capped. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header.trim());
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), MAX_DELAY_MS * 2);
}

function backoffMs(conn: Connection, attempt: number): number {
  const ceiling = Math.min(MAX_DELAY_MS, conn.baseDelayMs * 2 ** (attempt - 1));
  // "Equal jitter": at least half the exponential delay, so parallel resources do not retry in lockstep.
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * Send a request, retrying 429, 5xx, network errors and timeouts with exponential backoff (Retry-After wins
 * when the server sends it). `build` runs once per attempt: a JWT grant must be fresh on every attempt because
 * Maskinporten refuses a reused `jti`. Every call here is idempotent (PUT, DELETE, GET, a new token).
 */
async function send(conn: Connection, url: string, build: () => Promise<HttpRequest>): Promise<HttpResponse> {
  let last = "";
  let lastCode: FailureCode = "network";
  let method = "";
  for (let attempt = 1; attempt <= conn.maxAttempts; attempt++) {
    const request = await build();
    method = request.method;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), conn.timeoutMs);
    let delay: number;
    try {
      const init: RequestInit = {
        method: request.method,
        headers: request.headers,
        signal: controller.signal,
        redirect: "error",
      };
      if (request.body !== undefined) init.body = request.body;
      const res = await fetch(url, init);
      const text = await res.text();
      if (res.status !== 429 && res.status < 500) return { status: res.status, text };
      last = `HTTP ${res.status}${excerpt(text)}`;
      lastCode = "server";
      delay = retryAfterMs(res.headers.get("retry-after")) ?? backoffMs(conn, attempt);
    } catch (e) {
      if (controller.signal.aborted) {
        last = `no answer within ${conn.timeoutMs} ms`;
        lastCode = "timeout";
      } else {
        const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
        const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
        last = text(cause?.code) ?? text(cause?.message) ?? text((e as Error).message) ?? "network error";
        lastCode = "network";
      }
      delay = backoffMs(conn, attempt);
    } finally {
      clearTimeout(timer);
    }
    if (attempt < conn.maxAttempts) await sleep(delay);
  }
  const what = lastCode === "timeout" ? "timed out" : "failed";
  throw failure(lastCode, `${method} ${url} ${what} after ${conn.maxAttempts} attempt(s); last: ${last}`);
}

/** A short, single-line, redacted excerpt of a response body for error messages (redacted before cutting). */
function excerpt(text: string): string {
  const flat = redact(text).replace(/\s+/g, " ").trim();
  if (flat === "") return "";
  return `: ${flat.length > 300 ? `${flat.slice(0, 300)}...` : flat}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Admin token (JWT grant), cached per provider process

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

function tokenCache(): Map<string, Promise<CachedToken>> {
  const g = globalThis as unknown as Record<string, Map<string, Promise<CachedToken>> | undefined>;
  let cache = g[TOKEN_CACHE_KEY];
  if (cache === undefined) {
    cache = new Map();
    g[TOKEN_CACHE_KEY] = cache;
  }
  return cache;
}

function cacheKey(conn: Connection): string {
  return JSON.stringify([
    conn.tokenEndpoint,
    conn.clientId,
    conn.keyId ?? conn.certificateChain ?? "",
    conn.tokenAudience,
  ]);
}

/** Forget every cached admin token of this process. */
export function clearAdminTokenCache(): void {
  tokenCache().clear();
}

function loadPrivateKey(text: string) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required at call time: see the file comment
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const invalid = () =>
    failure(
      "invalid-key",
      "adminPrivateKey is not a readable RSA private key: expected an unencrypted PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY) or a private JWK as JSON; set it with `pulumi config set --secret adminPrivateKey < admin-key.pem`",
    );
  let key: import("node:crypto").KeyObject;
  try {
    const trimmed = text.trim();
    key = trimmed.startsWith("{")
      ? crypto.createPrivateKey({
          key: JSON.parse(trimmed) as import("node:crypto").JsonWebKey,
          format: "jwk",
        })
      : crypto.createPrivateKey(trimmed.includes("\\n") ? trimmed.replace(/\\n/g, "\n") : trimmed);
  } catch {
    throw invalid();
  }
  if (key.type !== "private" || key.asymmetricKeyType !== "rsa") {
    throw failure(
      "invalid-key",
      `adminPrivateKey is a ${key.asymmetricKeyType ?? "non-asymmetric"} key; the JWT grant is signed with RS256 and needs an RSA private key`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048)
    throw failure("invalid-key", `adminPrivateKey is a ${bits}-bit RSA key; use at least 2048 bits`);
  return key;
}

/** The `x5c` header: base64 DER of each certificate in the PEM chain, leaf first (RFC 7515 section 4.1.6). */
function x5cOf(chain: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required at call time: see the file comment
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const blocks = [...chain.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map(
    (m) => (m[1] ?? "").replace(/\s+/g, ""),
  );
  if (blocks.length === 0)
    throw failure(
      "invalid-key",
      "adminCertificateChain must contain PEM certificates (BEGIN CERTIFICATE), leaf first",
    );
  for (const der of blocks) {
    try {
      new crypto.X509Certificate(Buffer.from(der, "base64"));
    } catch {
      throw failure(
        "invalid-key",
        "adminCertificateChain contains a block that is not a valid X.509 certificate",
      );
    }
  }
  return blocks;
}

/** Build and sign the JWT grant (RFC 7523 section 2.1) for `idporten:scopes.write`. */
export async function signGrant(
  conn: Connection,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required at call time: see the file comment
  const jose = require("jose") as typeof import("jose");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- required at call time: see the file comment
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const key = loadPrivateKey(conn.privateKey);
  const header: import("jose").JWTHeaderParameters =
    conn.certificateChain !== undefined
      ? { alg: "RS256", x5c: x5cOf(conn.certificateChain) }
      : { alg: "RS256", kid: conn.keyId ?? "" };
  return new jose.SignJWT({ scope: SCOPES_WRITE })
    .setProtectedHeader(header)
    .setAudience(conn.tokenAudience)
    .setIssuer(conn.clientId)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + GRANT_LIFETIME_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(key);
}

async function requestToken(conn: Connection): Promise<CachedToken> {
  const res = await send(conn, conn.tokenEndpoint, async () => {
    const assertion = await signGrant(conn);
    const body = new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString();
    return {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
    };
  });
  let json: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } =
    {};
  try {
    json = JSON.parse(res.text) as typeof json;
  } catch {
    // handled below: a non-JSON answer is reported with its excerpt
  }
  if (res.status === 200 && typeof json.access_token === "string" && json.access_token !== "") {
    const lifetimeMs =
      (typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in : 120) * 1000;
    return {
      accessToken: json.access_token,
      expiresAt: Date.now() + lifetimeMs - Math.min(TOKEN_EXPIRY_MARGIN_MS, lifetimeMs / 4),
    };
  }
  const error = typeof json.error === "string" ? json.error : "";
  const said =
    typeof json.error_description === "string" ? ` (${error}: ${json.error_description})` : excerpt(res.text);
  if (error === "invalid_scope") {
    throw failure(
      "scope-not-granted-to-admin",
      `Maskinporten (${conn.tokenEndpoint}) refused scope ${SCOPES_WRITE} for admin client "${conn.clientId}"${said}: the admin client lacks ${SCOPES_WRITE}; ask servicedesk@digdir.no to grant it to the platform's admin client`,
      res.status,
    );
  }
  throw failure(
    "token-rejected",
    `Maskinporten (${conn.tokenEndpoint}) rejected the admin client's JWT grant with HTTP ${res.status}${said}. Check maskinporten.adminClientId ("${conn.clientId}"), ` +
      `adminKeyId ("${conn.keyId ?? "x5c"}", the key must be registered on that client), the secret adminPrivateKey, and tokenAudience ("${conn.tokenAudience}": ` +
      `the plain Maskinporten issuer of the environment, https://test.maskinporten.no/ or https://maskinporten.no/, with its trailing slash)`,
    res.status,
  );
}

/** An admin access token, from the process-wide cache while it is valid; concurrent callers share one request. */
export async function adminToken(conn: Connection): Promise<string> {
  const cache = tokenCache();
  const key = cacheKey(conn);
  const hit = cache.get(key);
  if (hit !== undefined) {
    // A failure of the shared request propagates to every waiting resource: retrying N times would not help.
    const token = await hit;
    if (Date.now() < token.expiresAt) return token.accessToken;
    if (cache.get(key) === hit) cache.delete(key);
    const again = cache.get(key);
    if (again !== undefined) return (await again).accessToken;
  }
  const pending = requestToken(conn);
  cache.set(key, pending);
  pending.catch(() => {
    if (cache.get(key) === pending) cache.delete(key);
  });
  return (await pending).accessToken;
}

/** Forget `accessToken` if it is still the cached one (the API refused it). */
async function evictToken(conn: Connection, accessToken: string): Promise<void> {
  const cache = tokenCache();
  const key = cacheKey(conn);
  const hit = cache.get(key);
  if (hit === undefined) return;
  const token = await hit.catch(() => undefined);
  if (token?.accessToken === accessToken && cache.get(key) === hit) cache.delete(key);
}

// ---------------------------------------------------------------------------------------------------------------
// Self-service API

async function api(conn: Connection, method: "GET" | "PUT" | "DELETE", url: string): Promise<HttpResponse> {
  const call = async (): Promise<[HttpResponse, string]> => {
    const token = await adminToken(conn);
    const res = await send(conn, url, () =>
      Promise.resolve({ method, headers: { authorization: `Bearer ${token}`, accept: "application/json" } }),
    );
    return [res, token];
  };
  const [res, token] = await call();
  if (res.status !== 401) return res;
  // A cached token may have been revoked or have expired early: retry once with a fresh one before giving up.
  await evictToken(conn, token);
  return (await call())[0];
}

function apiError(
  conn: Connection,
  res: HttpResponse,
  method: string,
  url: string,
  orgNumber: string,
  scope: string,
): ScopeAccessFailure {
  const head = `Digdir's self-service API answered HTTP ${res.status} to ${method} ${url}`;
  const said = excerpt(res.text);
  switch (res.status) {
    case 401:
      return failure(
        "unauthorized",
        `${head}: the admin client "${conn.clientId}"'s token was not accepted. The admin client lacks ${SCOPES_WRITE} (ask servicedesk@digdir.no), ` +
          `or the token comes from another environment's Maskinporten (tokenEndpoint ${conn.tokenEndpoint}, apiBaseUrl ${conn.apiBaseUrl})${said}`,
        401,
      );
    case 403:
      return failure(
        "forbidden",
        `${head}: the admin client "${conn.clientId}" may not manage access to "${scope}". It lacks ${SCOPES_WRITE} (ask servicedesk@digdir.no), ` +
          `or the scope is owned by another organization${said}`,
        403,
      );
    case 404:
      return failure(
        "scope-not-found",
        `${head}: the scope "${scope}" does not exist (or is inactive) in this environment's Maskinporten. Create it in Samarbeidsportalen first, ` +
          `or check maskinporten.apiBaseUrl ("${conn.apiBaseUrl}") and the stack's environment${said}`,
        404,
      );
    case 400:
      return failure(
        "org-unknown",
        `${head}: Maskinporten does not accept organization ${orgNumber} for "${scope}", usually because the organization is unknown to Maskinporten. ` +
          `Check the partner's orgNumber in the manifest against Enhetsregisteret (https://www.brreg.no)${said}`,
        400,
      );
    default:
      return failure("unexpected", `${head}${said}`, res.status);
  }
}

/** One entry of a scope's access list as Digdir returns it (fields unchecked: see pickAccess and recordOf). */
export interface Registration {
  consumer_orgno?: unknown;
  state?: unknown;
  created?: unknown;
  last_updated?: unknown;
  owner_orgno?: unknown;
}

function recordOf(r: Registration): AccessRecord {
  const record: AccessRecord = { state: typeof r.state === "string" ? r.state : "ABSENT" };
  if (typeof r.created === "string") record.created = r.created;
  if (typeof r.last_updated === "string") record.lastUpdated = r.last_updated;
  if (typeof r.owner_orgno === "string") record.ownerOrgno = r.owner_orgno;
  return record;
}

/** The organization's entry in a scope's access list: APPROVED wins, else the most recently updated; ABSENT if none. */
export function pickAccess(list: readonly Registration[], orgNumber: string): AccessRecord {
  const mine = list.filter((r) => r.consumer_orgno === orgNumber);
  const approved = mine.find((r) => r.state === "APPROVED");
  if (approved !== undefined) return recordOf(approved);
  const updated = (r: Registration): string => (typeof r.last_updated === "string" ? r.last_updated : "");
  const latest = [...mine].sort((a, b) => updated(b).localeCompare(updated(a)))[0];
  return latest === undefined ? { state: "ABSENT" } : recordOf(latest);
}

/** Read the organization's access to the scope (`GET /api/v1/scopes/access?scope=`). */
export async function readAccess(conn: Connection, orgNumber: string, scope: string): Promise<AccessRecord> {
  return pickAccess(await listAccess(conn, scope, orgNumber), orgNumber);
}

/**
 * The scope's whole access list (`GET /api/v1/scopes/access?scope=`), every organization's entries. `orgNumber`
 * only words the errors (the access audit reads the list for no organization in particular).
 */
export async function listAccess(conn: Connection, scope: string, orgNumber = "(any)"): Promise<Registration[]> {
  const url = accessListUrl(conn.apiBaseUrl, scope);
  const res = await api(conn, "GET", url);
  if (res.status !== 200) throw apiError(conn, res, "GET", url, orgNumber, scope);
  let list: unknown;
  try {
    list = JSON.parse(res.text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list))
    throw failure(
      "unexpected",
      `GET ${url} did not answer with a JSON array of access entries${excerpt(res.text)}`,
    );
  return list as Registration[];
}

/** Grant access (`PUT`); an existing approved grant is success. Returns the observed entry (APPROVED). */
export async function grantAccess(conn: Connection, orgNumber: string, scope: string): Promise<AccessRecord> {
  const url = accessUrl(conn.apiBaseUrl, orgNumber, scope);
  const res = await api(conn, "PUT", url);
  if (res.status >= 200 && res.status < 300) {
    let body: Registration | undefined;
    try {
      body = JSON.parse(res.text) as Registration;
    } catch {
      body = undefined;
    }
    const record =
      body !== undefined && body.consumer_orgno === orgNumber && typeof body.state === "string"
        ? recordOf(body)
        : await readAccess(conn, orgNumber, scope);
    if (record.state !== "APPROVED") {
      throw failure(
        "unexpected",
        `PUT ${url} answered HTTP ${res.status}, but Maskinporten lists organization ${orgNumber} for "${scope}" with state ${record.state}, not APPROVED`,
        res.status,
      );
    }
    return record;
  }
  if (res.status === 400 || res.status === 409) {
    // Idempotency: if the grant already exists, an "already exists" style refusal is success.
    const existing = await readAccess(conn, orgNumber, scope);
    if (existing.state === "APPROVED") return existing;
  }
  throw apiError(conn, res, "PUT", url, orgNumber, scope);
}

/** Revoke access (`DELETE`); access that is already gone (absent or not APPROVED) is success. */
export async function revokeAccess(conn: Connection, orgNumber: string, scope: string): Promise<void> {
  const url = accessUrl(conn.apiBaseUrl, orgNumber, scope);
  const res = await api(conn, "DELETE", url);
  if (res.status >= 200 && res.status < 300) return;
  if (res.status === 400 || res.status === 404 || res.status === 409) {
    // readAccess throws the scope-not-found error itself when the scope does not exist at all.
    const existing = await readAccess(conn, orgNumber, scope);
    if (existing.state !== "APPROVED") return;
  }
  throw apiError(conn, res, "DELETE", url, orgNumber, scope);
}

// ---------------------------------------------------------------------------------------------------------------
// The dynamic provider

/** Run a provider operation; anything thrown is replaced by an error whose message is redacted. */
async function guarded<T>(inputs: Partial<ScopeAccessInputs>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const source = e as Partial<ScopeAccessFailure>;
    const message = redact(typeof source.message === "string" ? source.message : String(e), [
      inputs.adminPrivateKey,
    ]);
    const safe = failure(source.code ?? "unexpected", message, source.status);
    // No `cause`: the original error may hold request details; only the redacted message leaves the provider.
    throw safe;
  }
}

function identityOf(inputs: ScopeAccessInputs): string {
  return `${inputs.scope}/${inputs.orgNumber}`;
}

function outputsOf(inputs: ScopeAccessInputs, record: AccessRecord): ScopeAccessOutputs {
  // Only defined values: the gRPC Struct encoding rejects `undefined`.
  const outs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...inputs, ...record })) {
    if (v !== undefined && k !== "__provider") outs[k] = v;
  }
  return outs as unknown as ScopeAccessOutputs;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

const scopeAccessProvider: pulumi.dynamic.ResourceProvider<ScopeAccessInputs, ScopeAccessOutputs> = {
  check(_olds, news) {
    const failures = inputProblems(news);
    return Promise.resolve(failures.length > 0 ? { inputs: news, failures } : { inputs: news });
  },

  diff(_id, olds, news) {
    const replaces: string[] = [];
    if (!sameValue(olds.orgNumber, news.orgNumber)) replaces.push("orgNumber");
    if (!sameValue(olds.scope, news.scope)) replaces.push("scope");
    if (
      typeof olds.apiBaseUrl !== "string" ||
      typeof news.apiBaseUrl !== "string" ||
      normalizeApiBase(olds.apiBaseUrl) !== normalizeApiBase(news.apiBaseUrl)
    ) {
      replaces.push("apiBaseUrl");
    }
    // Drift seen by refresh (revoked by hand, DENIED, REQUESTED, ABSENT) makes the next `up` grant again.
    const drift = olds.state !== "APPROVED";
    const updated = UPDATABLE_FIELDS.some((k) => !sameValue(olds[k], news[k]));
    // Create-before-delete is safe: a replacement always targets another (org, scope, API) triple.
    return Promise.resolve({
      changes: replaces.length > 0 || drift || updated,
      replaces,
      deleteBeforeReplace: false,
    });
  },

  create(inputs) {
    return guarded(inputs, async () => {
      const record = await grantAccess(connectionOf(inputs), inputs.orgNumber, inputs.scope);
      return { id: identityOf(inputs), outs: outputsOf(inputs, record) };
    });
  },

  read(id, props) {
    return guarded(props ?? {}, async () => {
      if (props === undefined)
        throw failure(
          "unexpected",
          `cannot read ScopeAccess ${id} without its stored properties; import is not supported`,
        );
      const record = await readAccess(connectionOf(props), props.orgNumber, props.scope);
      const outs: Record<string, unknown> = { ...props };
      for (const k of ["state", "created", "lastUpdated", "ownerOrgno"] as const) delete outs[k];
      return { id, props: outputsOf(outs as unknown as ScopeAccessInputs, record) };
    });
  },

  update(_id, _olds, news) {
    return guarded(news, async () => {
      const record = await grantAccess(connectionOf(news), news.orgNumber, news.scope);
      return { outs: outputsOf(news, record) };
    });
  },

  delete(_id, props) {
    return guarded(props, async () => {
      await revokeAccess(connectionOf(props), props.orgNumber, props.scope);
    });
  },
};

export { scopeAccessProvider, SCOPES_WRITE, JWT_BEARER, GRANT_LIFETIME_SECONDS, UNKNOWN as UNKNOWN_INPUT };
