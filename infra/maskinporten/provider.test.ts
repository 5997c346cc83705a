import { generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import * as jose from "jose";
import {
  accessListUrl,
  accessUrl,
  clearAdminTokenCache,
  connectionOf,
  GRANT_LIFETIME_SECONDS,
  inputProblems,
  pickAccess,
  redact,
  scopeAccessProvider,
  signGrant,
  UNKNOWN_INPUT,
  type ScopeAccessInputs,
  type ScopeAccessOutputs,
} from "./provider";
import { startFakeDigdir, type FakeDigdir, type FakeDigdirOptions } from "./testing/fakeDigdir";
import { TEST_CERTIFICATE_PEM } from "./testing/certificate";
import { keyFragments, testKey } from "./testing/keys";

const SCOPE = "banenor:payloadmanager.storage";
const SCOPE_Q = "?scope=banenor%3Apayloadmanager.storage";
const CLIENT = "platform-admin-client";
const KID = "platform-admin-kid-1";
const AUD = "https://test.maskinporten.no/";
const ORG = "917422575";
const ORG2 = "991825827";
const ORG3 = "974760673";
const UNKNOWN_ORG = "889640782";
const NOW = "2026-01-02T03:04:05Z";
const KEY = testKey();

const provider = scopeAccessProvider as Required<typeof scopeAccessProvider>;

/** Every error message, output and console line produced: checked for key material at the end. */
const seen: string[] = [];
const consoleSpies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
  vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
    seen.push(args.map(String).join(" "));
  }),
);

let fake: FakeDigdir | undefined;

async function start(options: Partial<FakeDigdirOptions> = {}): Promise<FakeDigdir> {
  fake = await startFakeDigdir({
    publicKey: KEY.publicKey,
    clientId: CLIENT,
    keyId: KID,
    audience: AUD,
    scopes: [SCOPE],
    knownOrgs: [ORG, ORG2, ORG3],
    now: NOW,
    ...options,
  });
  return fake;
}

function inputs(f: FakeDigdir, over: Partial<ScopeAccessInputs> = {}): ScopeAccessInputs {
  return {
    orgNumber: ORG,
    scope: SCOPE,
    apiBaseUrl: f.url,
    tokenEndpoint: f.tokenEndpoint,
    tokenAudience: AUD,
    adminClientId: CLIENT,
    adminKeyId: KID,
    adminPrivateKey: KEY.pem,
    timeoutMs: 2000,
    maxAttempts: 3,
    retryBaseDelayMs: 5,
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  try {
    await p;
  } catch (e) {
    const error = e as Error & { code?: string; status?: number };
    seen.push(error.message, String(error.stack));
    return error;
  }
  throw new Error("expected a rejection");
}

async function create(f: FakeDigdir, over: Partial<ScopeAccessInputs> = {}) {
  const result = await provider.create(inputs(f, over));
  seen.push(JSON.stringify({ ...result.outs, adminPrivateKey: undefined }));
  return result;
}

const calls = (f: FakeDigdir) => f.requests.map((r) => `${r.method} ${r.path}${r.search}`);

afterEach(async () => {
  await fake?.close();
  fake = undefined;
  clearAdminTokenCache();
  vi.useRealTimers();
});

afterAll(() => {
  const fragments = keyFragments(KEY.pem);
  const leaks = seen.filter((text) => fragments.some((f) => text.includes(f)));
  expect(leaks).toEqual([]);
  for (const spy of consoleSpies) spy.mockRestore();
});

describe("URLs", () => {
  test("grant/revoke and list URLs follow Digdir's paths with the scope URL-encoded", () => {
    expect(accessUrl("https://api.test.samarbeid.digdir.no", ORG, SCOPE)).toBe(
      "https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage",
    );
    expect(accessUrl("https://api.samarbeid.digdir.no/api/v1/", ORG, SCOPE)).toBe(
      "https://api.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage",
    );
    expect(accessListUrl("https://api.test.samarbeid.digdir.no/", SCOPE)).toBe(
      "https://api.test.samarbeid.digdir.no/api/v1/scopes/access?scope=banenor%3Apayloadmanager.storage",
    );
  });
});

describe("JWT grant", () => {
  test("RS256 with kid; aud, iss, scope, iat, exp (60 s), jti and nothing else", async () => {
    const conn = connectionOf({
      ...inputs({ url: "https://x", tokenEndpoint: "https://test.maskinporten.no/token" } as FakeDigdir),
    });
    const grant = await signGrant(conn, 1_800_000_000);
    expect(jose.decodeProtectedHeader(grant)).toEqual({ alg: "RS256", kid: KID });
    const claims = jose.decodeJwt(grant);
    expect(Object.keys(claims).sort()).toEqual(["aud", "exp", "iat", "iss", "jti", "scope"]);
    expect(claims).toMatchObject({
      aud: AUD,
      iss: CLIENT,
      scope: "idporten:scopes.write",
      iat: 1_800_000_000,
      exp: 1_800_000_060,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(GRANT_LIFETIME_SECONDS).toBeLessThanOrEqual(120);
    const { payload } = await jose.jwtVerify(grant, KEY.publicKey, {
      currentDate: new Date(1_800_000_010_000),
    });
    expect(payload.iss).toBe(CLIENT);
    const second = jose.decodeJwt(await signGrant(conn, 1_800_000_000));
    expect(second.jti).not.toBe(claims.jti);
  });

  test("x5c header carries the certificate chain instead of kid", async () => {
    // A public, self-signed test certificate (no private key): only the header construction is under test.
    const cert = [
      "-----BEGIN CERTIFICATE-----",
      "MIIBfzCCASWgAwIBAgIUJ3m5Q3xg5vUy0mC0V7lY1VQ0Y5swCgYIKoZIzj0EAwIw",
      "FTETMBEGA1UEAwwKc2t5cG9ydGVuMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAw",
      "MDAwMFowFTETMBEGA1UEAwwKc2t5cG9ydGVuMFkwEwYHKoZIzj0CAQYIKoZIzj0D",
      "AQcDQgAE",
      "-----END CERTIFICATE-----",
    ].join("\n");
    const conn = connectionOf({
      ...inputs({ url: "https://x", tokenEndpoint: "https://t/token" } as FakeDigdir),
      adminCertificateChain: cert,
    });
    const error = await rejection(signGrant(conn));
    expect(error.message).toBe(
      "adminCertificateChain contains a block that is not a valid X.509 certificate",
    );

    const certPem = TEST_CERTIFICATE_PEM;
    const good = connectionOf({
      ...inputs({ url: "https://x", tokenEndpoint: "https://t/token" } as FakeDigdir),
      adminKeyId: undefined,
      adminCertificateChain: certPem,
    });
    const header = jose.decodeProtectedHeader(await signGrant(good));
    expect(header).toEqual({
      alg: "RS256",
      x5c: [
        certPem
          .split("\n")
          .filter((l) => !l.startsWith("-----"))
          .join(""),
      ],
    });
  });

  test("unreadable, non-RSA and short keys are refused without echoing the key", async () => {
    const f = await start();
    const bogus =
      "-----BEGIN PRIVATE KEY-----\nTk9UQUtFWU5PVEFLRVlOT1RBS0VZTk9UQUtFWQ==\n-----END PRIVATE KEY-----";
    const e1 = await rejection(provider.create(inputs(f, { adminPrivateKey: bogus })));
    expect(e1.message).toBe(
      "adminPrivateKey is not a readable RSA private key: expected an unencrypted PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY) or a private JWK as JSON; set it with `pulumi config set --secret adminPrivateKey < admin-key.pem`",
    );
    expect(e1.message).not.toContain("Tk9UQUtFWU5PVEFLRVlO");
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const e2 = await rejection(provider.create(inputs(f, { adminPrivateKey: ec })));
    expect(e2.message).toBe(
      "adminPrivateKey is a ec key; the JWT grant is signed with RS256 and needs an RSA private key",
    );
    const short = generateKeyPairSync("rsa", { modulusLength: 1024 })
      .privateKey.export({ format: "pem", type: "pkcs1" })
      .toString();
    const e3 = await rejection(provider.create(inputs(f, { adminPrivateKey: short })));
    expect(e3.message).toBe("adminPrivateKey is a 1024-bit RSA key; use at least 2048 bits");
    expect(f.requests).toEqual([]);
  });

  test("a JWK private key and a PEM with literal \\n escapes both work", async () => {
    const f = await start();
    const jwk = JSON.stringify(
      await jose.exportJWK(await jose.importPKCS8(KEY.pem, "RS256", { extractable: true })),
    );
    await create(f, { adminPrivateKey: jwk });
    clearAdminTokenCache();
    await create(f, { orgNumber: ORG2, adminPrivateKey: KEY.pem.replace(/\n/g, "\\n") });
    expect(f.grants).toHaveLength(2);
  });
});

describe("create, read, delete against the local Digdir", () => {
  test("create grants with PUT after one verified JWT grant, and records the entry", async () => {
    const f = await start();
    const result = await create(f);
    expect(calls(f)).toEqual(["POST /token", `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`]);
    expect(f.requests[0]?.body).toMatch(
      /^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=eyJ/,
    );
    expect(f.grants).toHaveLength(1);
    expect(f.grants[0]?.header).toEqual({ alg: "RS256", kid: KID });
    expect(f.grants[0]?.claims).toMatchObject({ aud: AUD, iss: CLIENT, scope: "idporten:scopes.write" });
    expect(result.id).toBe(`${SCOPE}/${ORG}`);
    const { adminPrivateKey, ...outs } = result.outs as ScopeAccessOutputs;
    expect(adminPrivateKey).toBe(KEY.pem);
    expect(outs).toEqual({
      ...inputs(f),
      adminPrivateKey: undefined,
      state: "APPROVED",
      created: NOW,
      lastUpdated: NOW,
      ownerOrgno: "123456785",
    });
    expect(f.entries(SCOPE)).toEqual([
      {
        scope: SCOPE,
        state: "APPROVED",
        created: NOW,
        last_updated: NOW,
        consumer_orgno: ORG,
        owner_orgno: "123456785",
        active: true,
      },
    ]);
  });

  test("re-creating an existing grant is success (API answers 200 again)", async () => {
    const f = await start();
    await create(f);
    const again = await create(f);
    expect(again.outs?.state).toBe("APPROVED");
    expect(f.entries(SCOPE)).toHaveLength(1);
    expect(calls(f)).toEqual([
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
    ]);
  });

  test("re-creating an existing grant is success (API answers 409: confirmed from the access list)", async () => {
    const f = await start({ existingGrant: "409" });
    await create(f);
    const again = await create(f);
    expect(again.outs?.state).toBe("APPROVED");
    expect(calls(f)).toEqual([
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `GET /api/v1/scopes/access${SCOPE_Q}`,
    ]);
  });

  test("delete revokes with DELETE; deleting again (already gone) is success", async () => {
    const f = await start();
    const { id, outs } = await create(f);
    await provider.delete(id, outs as ScopeAccessOutputs);
    expect(f.entries(SCOPE).map((e) => [e.consumer_orgno, e.active])).toEqual([[ORG, false]]);
    await provider.delete(id, outs as ScopeAccessOutputs);
    expect(calls(f)).toEqual([
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `DELETE /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `DELETE /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `GET /api/v1/scopes/access${SCOPE_Q}`,
    ]);
  });

  test("read reports drift (denied by hand, removed by hand) and the next diff/update grants again", async () => {
    const f = await start();
    const { id, outs } = await create(f);
    const clean = await provider.read(id, outs);
    expect(clean.props?.state).toBe("APPROVED");
    expect((await provider.diff(id, clean.props as ScopeAccessOutputs, inputs(f))).changes).toBe(false);

    f.setState(SCOPE, ORG, "DENIED");
    const denied = await provider.read(id, outs);
    expect(denied.id).toBe(id);
    expect(denied.props).toEqual({ ...outs, state: "DENIED" });
    expect(await provider.diff(id, denied.props as ScopeAccessOutputs, inputs(f))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });

    f.setState(SCOPE, ORG, undefined);
    const removed = await provider.read(id, outs);
    const { created: _c, lastUpdated: _l, ownerOrgno: _o, ...rest } = outs as ScopeAccessOutputs;
    expect(removed.props).toEqual({ ...rest, state: "ABSENT" });
    expect((await provider.diff(id, removed.props as ScopeAccessOutputs, inputs(f))).changes).toBe(true);

    const updated = await provider.update(id, removed.props as ScopeAccessOutputs, inputs(f));
    expect(updated.outs?.state).toBe("APPROVED");
    expect(f.entries(SCOPE).map((e) => [e.consumer_orgno, e.state, e.active])).toEqual([
      [ORG, "APPROVED", true],
    ]);
    expect(f.requests.filter((r) => r.path === "/token")).toHaveLength(1);
  });

  test("diff: a new org, scope or API replaces; key rotation and tuning only update; a trailing slash changes nothing", async () => {
    const f = await start();
    const { id, outs } = await create(f);
    const olds = outs as ScopeAccessOutputs;
    expect(await provider.diff(id, olds, inputs(f, { orgNumber: ORG2 }))).toEqual({
      changes: true,
      replaces: ["orgNumber"],
      deleteBeforeReplace: false,
    });
    expect(
      (await provider.diff(id, olds, inputs(f, { apiBaseUrl: "https://api.samarbeid.digdir.no" }))).replaces,
    ).toEqual(["apiBaseUrl"]);
    expect(await provider.diff(id, olds, inputs(f, { apiBaseUrl: `${f.url}/` }))).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await provider.diff(id, olds, inputs(f, { adminKeyId: "kid-2" }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await provider.diff(id, olds, inputs(f, { timeoutMs: 9000 }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
});

describe("token cache", () => {
  test("one token serves concurrent creates of several resources and later reads and deletes", async () => {
    const f = await start();
    const results = await Promise.all([ORG, ORG2, ORG3].map((orgNumber) => create(f, { orgNumber })));
    expect(results.map((r) => r.outs?.state)).toEqual(["APPROVED", "APPROVED", "APPROVED"]);
    for (const r of results) await provider.read(r.id, r.outs);
    for (const r of results) await provider.delete(r.id, r.outs as ScopeAccessOutputs);
    expect(f.requests.filter((r) => r.path === "/token")).toHaveLength(1);
    expect(new Set(f.requests.filter((r) => r.path !== "/token").map((r) => r.authorization)).size).toBe(1);
  });

  test("a token close to its expiry is replaced", async () => {
    const f = await start({ tokenExpiresIn: 120 });
    vi.useFakeTimers({ toFake: ["Date"] });
    await create(f);
    vi.setSystemTime(Date.now() + 85_000); // 120 s lifetime minus the 30 s margin is 90 s: still cached
    await create(f);
    expect(f.requests.filter((r) => r.path === "/token")).toHaveLength(1);
    vi.setSystemTime(Date.now() + 10_000); // 95 s after issue: inside the margin
    await create(f);
    expect(f.requests.filter((r) => r.path === "/token")).toHaveLength(2);
  });

  test("separate admin clients get separate tokens", async () => {
    const f = await start();
    await create(f);
    const error = await rejection(provider.create(inputs(f, { adminClientId: "other-client" })));
    expect(error.code).toBe("token-rejected");
    expect(f.requests.filter((r) => r.path === "/token")).toHaveLength(2);
  });
});

describe("failures", () => {
  test("429 with Retry-After is retried after the advertised delay, then succeeds", async () => {
    const f = await start();
    f.failNext({ method: "PUT", status: 429, retryAfter: "1", body: '{"error":"too_many_requests"}' });
    const result = await create(f);
    expect(result.outs?.state).toBe("APPROVED");
    const puts = f.requests.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(2);
    expect(puts[1]!.at - puts[0]!.at).toBeGreaterThanOrEqual(990);
  });

  test("5xx on the token endpoint and on the API are retried with backoff; a fresh grant (new jti) per attempt", async () => {
    const f = await start();
    f.failNext({ path: "/token", status: 503 });
    f.failNext({ method: "PUT", status: 502, times: 2 });
    const result = await create(f);
    expect(result.outs?.state).toBe("APPROVED");
    expect(calls(f)).toEqual([
      "POST /token",
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
    ]);
    const assertions = f.requests
      .filter((r) => r.path === "/token")
      .map((r) => new URLSearchParams(r.body).get("assertion"));
    expect(new Set(assertions.map((a) => jose.decodeJwt(a!).jti)).size).toBe(2);
  });

  test("5xx that never ends fails after maxAttempts with the last answer", async () => {
    const f = await start();
    f.failNext({ method: "PUT", status: 503, times: 3, body: '{"error":"unavailable"}' });
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q} failed after 3 attempt(s); last: HTTP 503: {"error":"unavailable"}`,
    );
    expect(error.code).toBe("server");
  });

  test("401 from the API: one retry with a fresh token, then a message naming idporten:scopes.write", async () => {
    const f = await start();
    f.rejectApiTokens = true;
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `Digdir's self-service API answered HTTP 401 to PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q}: the admin client "${CLIENT}"'s token was not accepted. ` +
        `The admin client lacks idporten:scopes.write (ask servicedesk@digdir.no), or the token comes from another environment's Maskinporten ` +
        `(tokenEndpoint ${f.tokenEndpoint}, apiBaseUrl ${f.url}): {"error":"invalid_token"}`,
    );
    expect(error.code).toBe("unauthorized");
    expect(calls(f)).toEqual([
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
      "POST /token",
      `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`,
    ]);
    expect(error.message).not.toMatch(/Bearer|eyJ/);
  });

  test("403 from the API says the admin client lacks idporten:scopes.write or does not own the scope", async () => {
    const f = await start();
    f.failNext({ method: "PUT", status: 403, body: '{"error":"access_denied"}' });
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `Digdir's self-service API answered HTTP 403 to PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q}: the admin client "${CLIENT}" may not manage access to "${SCOPE}". ` +
        `It lacks idporten:scopes.write (ask servicedesk@digdir.no), or the scope is owned by another organization: {"error":"access_denied"}`,
    );
  });

  test("token endpoint invalid_scope: the admin client lacks idporten:scopes.write", async () => {
    const f = await start({ adminHasScopesWrite: false });
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `Maskinporten (${f.tokenEndpoint}) refused scope idporten:scopes.write for admin client "${CLIENT}" (invalid_scope: Invalid scopes : idporten:scopes.write): ` +
        `the admin client lacks idporten:scopes.write; ask servicedesk@digdir.no to grant it to the platform's admin client`,
    );
    expect(error.code).toBe("scope-not-granted-to-admin");
  });

  test("a grant with the wrong audience is rejected and the message explains the trailing-slash issuer", async () => {
    const f = await start();
    const error = await rejection(provider.create(inputs(f, { tokenAudience: "https://maskinporten.no/" })));
    expect(error.code).toBe("token-rejected");
    expect(error.message).toBe(
      `Maskinporten (${f.tokenEndpoint}) rejected the admin client's JWT grant with HTTP 400 (invalid_grant: Invalid assertion. Client authentication failed. unexpected "aud" claim value). ` +
        `Check maskinporten.adminClientId ("${CLIENT}"), adminKeyId ("${KID}", the key must be registered on that client), the secret adminPrivateKey, and tokenAudience ("https://maskinporten.no/": ` +
        `the plain Maskinporten issuer of the environment, https://test.maskinporten.no/ or https://maskinporten.no/, with its trailing slash)`,
    );
  });

  test("a grant signed with another key is rejected", async () => {
    const f = await start();
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    const error = await rejection(provider.create(inputs(f, { adminPrivateKey: other })));
    expect(error.code).toBe("token-rejected");
    expect(error.message).toContain(
      "(invalid_grant: Invalid assertion. Client authentication failed. signature verification failed)",
    );
  });

  test("404: the scope does not exist", async () => {
    const f = await start({ scopes: [] });
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `Digdir's self-service API answered HTTP 404 to PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q}: the scope "${SCOPE}" does not exist (or is inactive) in this environment's Maskinporten. ` +
        `Create it in Samarbeidsportalen first, or check maskinporten.apiBaseUrl ("${f.url}") and the stack's environment: {"error":"not_found","error_description":"Scope ${SCOPE} not found"}`,
    );
    expect(error.code).toBe("scope-not-found");
    const readError = await rejection(provider.read(`${SCOPE}/${ORG}`, { ...inputs(f), state: "APPROVED" }));
    expect(readError.code).toBe("scope-not-found");
    const deleteError = await rejection(
      provider.delete(`${SCOPE}/${ORG}`, { ...inputs(f), state: "APPROVED" }),
    );
    expect(deleteError.message).toMatch(
      /^Digdir's self-service API answered HTTP 404 to GET .*the scope "banenor:payloadmanager.storage" does not exist/,
    );
  });

  test("400: the organization is unknown to Maskinporten", async () => {
    const f = await start();
    const error = await rejection(provider.create(inputs(f, { orgNumber: UNKNOWN_ORG })));
    expect(error.message).toBe(
      `Digdir's self-service API answered HTTP 400 to PUT ${f.url}/api/v1/scopes/access/${UNKNOWN_ORG}${SCOPE_Q}: Maskinporten does not accept organization ${UNKNOWN_ORG} for "${SCOPE}", ` +
        `usually because the organization is unknown to Maskinporten. Check the partner's orgNumber in the manifest against Enhetsregisteret (https://www.brreg.no): ` +
        `{"error":"invalid_request","error_description":"Unknown organization number ${UNKNOWN_ORG}"}`,
    );
    expect(error.code).toBe("org-unknown");
    expect(calls(f).slice(-1)).toEqual([`GET /api/v1/scopes/access${SCOPE_Q}`]);
  });

  test("a server echoing the key or a token in its error body gets redacted in the message", async () => {
    const f = await start();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl";
    f.failNext({ method: "PUT", status: 418, body: `echo ${KEY.pem} and ${jwt}` });
    const error = await rejection(provider.create(inputs(f)));
    expect(error.message).toBe(
      `Digdir's self-service API answered HTTP 418 to PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q}: echo [redacted private key] and [redacted token]`,
    );
    expect(error.code).toBe("unexpected");
  });

  test("an API that never answers times out on every attempt", async () => {
    const f = await start();
    f.failNext({ method: "PUT", hang: true, times: 2 });
    const error = await rejection(provider.create(inputs(f, { timeoutMs: 150, maxAttempts: 2 })));
    expect(error.message).toBe(
      `PUT ${f.url}/api/v1/scopes/access/${ORG}${SCOPE_Q} timed out after 2 attempt(s); last: no answer within 150 ms`,
    );
    expect(error.code).toBe("timeout");
  });

  test("a token endpoint that does not answer once is retried", async () => {
    const f = await start();
    f.failNext({ path: "/token", hang: true });
    const result = await create(f, { timeoutMs: 150 });
    expect(result.outs?.state).toBe("APPROVED");
    expect(calls(f)).toEqual(["POST /token", "POST /token", `PUT /api/v1/scopes/access/${ORG}${SCOPE_Q}`]);
  });

  test("a closed port is a network error after the retries", async () => {
    const f = await start();
    const url = f.url;
    await f.close();
    fake = undefined;
    const error = await rejection(
      provider.create({ ...inputs({ url, tokenEndpoint: `${url}/token` } as FakeDigdir), maxAttempts: 2 }),
    );
    expect(error.message).toBe(`POST ${url}/token failed after 2 attempt(s); last: ECONNREFUSED`);
    expect(error.code).toBe("network");
  });
});

describe("check and redaction", () => {
  test("check reports bad inputs by field and skips unknown values", async () => {
    const f = await start();
    const result = await provider.check(
      {} as ScopeAccessInputs,
      inputs(f, {
        orgNumber: "91742257",
        scope: "storage",
        apiBaseUrl: "http://api.test.samarbeid.digdir.no",
        tokenAudience: "https://test.maskinporten.no",
        adminKeyId: undefined,
        timeoutMs: 0,
      }),
    );
    expect(result.failures).toEqual([
      { property: "orgNumber", reason: 'orgNumber must be 9 digits without spaces (got "91742257")' },
      {
        property: "scope",
        reason:
          'scope must look like "<prefix>:<subscope>", e.g. "banenor:payloadmanager.storage" (got "storage")',
      },
      {
        property: "apiBaseUrl",
        reason:
          'apiBaseUrl must be an https URL (got "http://api.test.samarbeid.digdir.no"); plain http is accepted only for 127.0.0.1 test servers',
      },
      {
        property: "tokenAudience",
        reason:
          'tokenAudience "https://test.maskinporten.no" lacks the trailing slash: the plain Maskinporten issuer is "https://test.maskinporten.no/" (Skyporten\'s issuers have none, Maskinporten\'s do)',
      },
      {
        property: "adminKeyId",
        reason:
          "adminKeyId (the kid of the key registered on the admin client) or adminCertificateChain (x5c) is required: Maskinporten needs one of them in the JWT grant header",
      },
      { property: "timeoutMs", reason: "timeoutMs must be a positive whole number (got 0)" },
    ]);
    expect(JSON.stringify(result.failures)).not.toContain(KEY.fingerprint);
    expect(
      inputProblems({
        ...inputs(f),
        tokenAudience: "https://test.maskinporten.no/token",
        tokenEndpoint: "https://test.maskinporten.no/token",
      }),
    ).toEqual([
      {
        property: "tokenAudience",
        reason:
          'tokenAudience must be the Maskinporten issuer (e.g. "https://test.maskinporten.no/"), not the token endpoint: Maskinporten no longer accepts the token endpoint URL as audience',
      },
    ]);
    expect(
      inputProblems({
        ...inputs(f),
        tokenEndpoint: "https://maskinporten.no/token",
        tokenAudience: "https://test.sky.maskinporten.no",
        apiBaseUrl: "https://api.test.samarbeid.digdir.no",
      }),
    ).toEqual([
      {
        property: "tokenAudience",
        reason:
          'tokenAudience "https://test.sky.maskinporten.no" is a Skyporten issuer; the admin client\'s JWT grant goes to plain Maskinporten: use "https://test.maskinporten.no/" or "https://maskinporten.no/"',
      },
      {
        property: "tokenEndpoint",
        reason:
          "tokenEndpoint, tokenAudience and apiBaseUrl must belong to the same Digdir environment (got tokenEndpoint: prod, apiBaseUrl: test)",
      },
    ]);
    expect(
      inputProblems({
        ...inputs(f),
        orgNumber: UNKNOWN_INPUT,
        adminKeyId: UNKNOWN_INPUT,
        adminPrivateKey: UNKNOWN_INPUT,
      }),
    ).toEqual([]);
    expect(inputProblems({ ...inputs(f), adminPrivateKey: "" })).toEqual([
      { property: "adminPrivateKey", reason: "adminPrivateKey is required and must be a non-empty string" },
    ]);
  });

  test("redact removes private keys, JWTs and given secrets", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl";
    expect(redact(`key ${KEY.pem} grant ${jwt} token abcdefghijkl end`, ["abcdefghijkl"])).toBe(
      "key [redacted private key]\n grant [redacted token] token [redacted] end",
    );
    expect(redact("-----BEGIN RSA PRIVATE KEY-----\nMIIEow truncated")).toBe("[redacted private key]");
  });

  test("pickAccess prefers APPROVED, else the latest entry, else ABSENT", () => {
    const list = [
      { consumer_orgno: ORG, state: "DENIED", last_updated: "2026-01-01T00:00:00Z" },
      { consumer_orgno: ORG, state: "REQUESTED", last_updated: "2026-02-01T00:00:00Z" },
      {
        consumer_orgno: ORG2,
        state: "APPROVED",
        last_updated: "2025-01-01T00:00:00Z",
        created: "2025-01-01T00:00:00Z",
        owner_orgno: "123456785",
      },
    ];
    expect(pickAccess(list, ORG)).toEqual({ state: "REQUESTED", lastUpdated: "2026-02-01T00:00:00Z" });
    expect(pickAccess(list, ORG2)).toEqual({
      state: "APPROVED",
      created: "2025-01-01T00:00:00Z",
      lastUpdated: "2025-01-01T00:00:00Z",
      ownerOrgno: "123456785",
    });
    expect(pickAccess(list, ORG3)).toEqual({ state: "ABSENT" });
  });
});
