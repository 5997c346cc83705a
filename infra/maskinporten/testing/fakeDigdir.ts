import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { KeyObject } from "node:crypto";
import { randomBytes } from "node:crypto";
import * as jose from "jose";

/**
 * A local stand-in for plain Maskinporten's token endpoint and Digdir's self-service scope-access API, on
 * 127.0.0.1, following the documented shapes:
 * - token: POST form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=`, answers
 *   `{access_token, token_type, expires_in, scope}` or 400 `{error, error_description}`
 *   (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token); the grant is verified as Maskinporten
 *   documents (https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant): RS256 signature against
 *   the registered public key and `kid`, `aud` = issuer, `iss` = client id, `scope`, `iat` within 10 s,
 *   `exp - iat <= 120`, `jti` never reused, no undocumented claims.
 * - API: `PUT|DELETE /api/v1/scopes/access/{orgno}?scope=`, `GET /api/v1/scopes/access?scope=` returning
 *   `[{scope, state, created, consumer_orgno, last_updated, owner_orgno}]`
 *   (https://docs.digdir.no/docs/idporten/oidc/oidc_api_admin_maskinporten). Revoked entries are deactivated
 *   and left out of the list.
 * Faults (status codes with Retry-After, or no answer at all) can be queued per method/path.
 */

export interface FakeDigdirOptions {
  publicKey: KeyObject;
  clientId: string;
  keyId: string;
  /** The Maskinporten issuer the grant's `aud` must equal. */
  audience: string;
  scopes: string[];
  knownOrgs: string[];
  ownerOrgno?: string;
  /** False: the admin client was not given idporten:scopes.write (token endpoint answers invalid_scope). */
  adminHasScopesWrite?: boolean;
  tokenExpiresIn?: number;
  /** How PUT answers for an entry that is already APPROVED. Default "200" (the registration again). */
  existingGrant?: "200" | "409";
  /** Timestamp written to created/last_updated. */
  now?: string;
}

export interface Fault {
  method?: string;
  /** Path prefix, e.g. "/token" or "/api/v1/scopes/access/". */
  path?: string;
  status?: number;
  retryAfter?: string;
  body?: string;
  /** Accept the request and never answer. */
  hang?: boolean;
  /** How many matching requests this fault applies to. Default 1. */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  search: string;
  at: number;
  body: string;
  authorization?: string;
}

export interface VerifiedGrant {
  header: jose.ProtectedHeaderParameters;
  claims: jose.JWTPayload;
}

interface Entry {
  scope: string;
  state: string;
  created: string;
  last_updated: string;
  consumer_orgno: string;
  owner_orgno: string;
  active: boolean;
}

export interface FakeDigdir {
  url: string;
  tokenEndpoint: string;
  requests: RecordedRequest[];
  grants: VerifiedGrant[];
  /** Every response body sent, for leak checks. */
  responses: string[];
  rejectApiTokens: boolean;
  failNext(fault: Fault): void;
  /** Change an entry behind the provider's back (manual revoke, denial); undefined removes it. */
  setState(scope: string, orgNumber: string, state: string | undefined): void;
  entries(scope: string): Entry[];
  close(): Promise<void>;
}

const ALLOWED_CLAIMS = new Set(["aud", "iss", "iat", "exp", "jti", "scope", "resource"]);

export async function startFakeDigdir(options: FakeDigdirOptions): Promise<FakeDigdir> {
  const requests: RecordedRequest[] = [];
  const grants: VerifiedGrant[] = [];
  const responses: string[] = [];
  const faults: Fault[] = [];
  const jtis = new Set<string>();
  const tokens = new Map<string, number>();
  const table = new Map<string, Map<string, Entry>>(options.scopes.map((s) => [s, new Map()]));
  const now = options.now ?? "2026-01-02T03:04:05Z";
  const owner = options.ownerOrgno ?? "123456785";
  const hanging = new Set<http.ServerResponse>();

  const fake: FakeDigdir = {
    url: "",
    tokenEndpoint: "",
    requests,
    grants,
    responses,
    rejectApiTokens: false,
    failNext: (fault) => faults.push({ times: 1, ...fault }),
    setState(scope, orgNumber, state) {
      const entries = table.get(scope);
      if (entries === undefined) throw new Error(`fake: unknown scope ${scope}`);
      if (state === undefined) entries.delete(orgNumber);
      else {
        const e = entries.get(orgNumber);
        if (e === undefined) throw new Error(`fake: no entry for ${orgNumber}`);
        e.state = state;
      }
    },
    entries: (scope) => [...(table.get(scope)?.values() ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    responses.push(text);
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(text);
  }

  async function token(body: string, res: http.ServerResponse): Promise<void> {
    const form = new URLSearchParams(body);
    const invalid = (description: string) =>
      send(res, 400, {
        error: "invalid_grant",
        error_description: `Invalid assertion. Client authentication failed. ${description}`,
      });
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
      return send(res, 400, { error: "unsupported_grant_type", error_description: "grant_type" });
    const assertion = form.get("assertion");
    if (assertion === null) return invalid("missing assertion");
    let verified: jose.JWTVerifyResult;
    try {
      verified = await jose.jwtVerify(assertion, options.publicKey, {
        algorithms: ["RS256"],
        audience: options.audience,
        issuer: options.clientId,
      });
    } catch (e) {
      return invalid((e as Error).message);
    }
    const { payload, protectedHeader } = verified;
    if (protectedHeader.kid !== options.keyId) return invalid("unknown kid");
    const extra = Object.keys(payload).filter((k) => !ALLOWED_CLAIMS.has(k));
    if (extra.length > 0) return invalid(`undocumented claims ${extra.join(",")}`);
    if (typeof payload.aud !== "string") return invalid("aud must be a single value");
    if (typeof payload.iat !== "number" || typeof payload.exp !== "number" || payload.exp - payload.iat > 120)
      return invalid("exp - iat > 120");
    if (Math.abs(payload.iat - Date.now() / 1000) > 10) return invalid("iat not within 10 s");
    if (typeof payload.jti !== "string" || jtis.has(payload.jti)) return invalid("jti reused");
    jtis.add(payload.jti);
    grants.push({ header: protectedHeader, claims: payload });
    if (payload.scope !== "idporten:scopes.write" || options.adminHasScopesWrite === false) {
      return send(res, 400, {
        error: "invalid_scope",
        error_description: "Invalid scopes : idporten:scopes.write",
      });
    }
    const accessToken = randomBytes(24).toString("base64url");
    const expiresIn = options.tokenExpiresIn ?? 120;
    tokens.set(accessToken, Date.now() + expiresIn * 1000);
    send(res, 200, {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: expiresIn,
      scope: "idporten:scopes.write",
    });
  }

  function registration(e: Entry) {
    const { active: _active, ...rest } = e;
    return rest;
  }

  function scopesApi(
    method: string,
    url: URL,
    authorization: string | undefined,
    res: http.ServerResponse,
  ): void {
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice(7) : undefined;
    const expiry = bearer === undefined ? undefined : tokens.get(bearer);
    if (fake.rejectApiTokens || expiry === undefined || expiry < Date.now())
      return send(res, 401, { error: "invalid_token" });
    const scope = url.searchParams.get("scope");
    const entries = scope === null ? undefined : table.get(scope);
    if (scope === null || entries === undefined)
      return send(res, 404, { error: "not_found", error_description: `Scope ${scope} not found` });
    const match = /^\/api\/v1\/scopes\/access(?:\/(\d+))?$/.exec(url.pathname);
    const org = match?.[1];
    if (method === "GET" && org === undefined)
      return send(res, 200, [...entries.values()].filter((e) => e.active).map(registration));
    if (org === undefined) return send(res, 405, { error: "method_not_allowed" });
    const existing = entries.get(org);
    if (method === "PUT") {
      if (!options.knownOrgs.includes(org))
        return send(res, 400, {
          error: "invalid_request",
          error_description: `Unknown organization number ${org}`,
        });
      if (existing?.active && existing.state === "APPROVED" && options.existingGrant === "409") {
        return send(res, 409, { error: "conflict", error_description: "Consumer already has access" });
      }
      const e: Entry = {
        scope,
        state: "APPROVED",
        created: existing?.created ?? now,
        last_updated: now,
        consumer_orgno: org,
        owner_orgno: owner,
        active: true,
      };
      entries.set(org, e);
      return send(res, 200, registration(e));
    }
    if (method === "DELETE") {
      if (existing === undefined || !existing.active)
        return send(res, 404, { error: "not_found", error_description: `No access for ${org}` });
      existing.active = false;
      existing.last_updated = now;
      return send(res, 200, registration(existing));
    }
    send(res, 405, { error: "method_not_allowed" });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const body = Buffer.concat(chunks).toString("utf8");
      const method = req.method ?? "GET";
      const recorded: RecordedRequest = {
        method,
        path: url.pathname,
        search: url.search,
        at: Date.now(),
        body,
      };
      if (req.headers.authorization !== undefined) recorded.authorization = req.headers.authorization;
      requests.push(recorded);
      const fault = faults.find(
        (f) =>
          (f.method === undefined || f.method === method) &&
          (f.path === undefined || url.pathname.startsWith(f.path)),
      );
      if (fault !== undefined) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
        if (fault.hang === true) {
          hanging.add(res);
          return;
        }
        return send(
          res,
          fault.status ?? 500,
          fault.body ?? { error: "fault" },
          fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter },
        );
      }
      if (method === "POST" && url.pathname === "/token") {
        token(body, res).catch((e: unknown) => send(res, 500, { error: String(e) }));
        return;
      }
      if (url.pathname.startsWith("/api/v1/scopes/access"))
        return scopesApi(method, url, req.headers.authorization, res);
      send(res, 404, { error: "no_route" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.tokenEndpoint = `${fake.url}/token`;
  return fake;
}
