import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifestFile } from "../../infra/manifest/load";
import type { Manifest } from "../../infra/manifest/schema";
import { stackSettings } from "../../infra/settings";
import {
  decodeToken,
  explainToken,
  extractToken,
  formatExplanation,
  formatToken,
  issuerMismatch,
  UnreadableToken,
  verifySignature,
  type DecodedToken,
  type Explanation,
  type SignatureResult,
} from "./explain";
import { KID, startLocalIssuer, TEST_AUDIENCE, TEST_ISSUER, type LocalIssuer } from "./explainTestIssuer";

const settings = stackSettings("test");
const loaded = loadManifestFile("stacks/test.yaml");
if (!loaded.ok) throw new Error("stacks/test.yaml must be valid for these tests");
const manifest: Manifest = {
  ...loaded.manifest,
  partners: [
    ...loaded.manifest.partners,
    {
      orgNumber: "123456785",
      name: "Gone AS",
      status: "offboarded",
      azure: [{ container: "inbound", access: "write" }],
      aws: [],
    },
  ],
};

const ENTUR = "917422575"; // Azure + AWS
const NORDLYS = "910000012"; // Azure only
const FJORDKRAFT = "921345674"; // AWS only
const SUSPENDED = "812345672";
const NOW_S = 1_900_000_000;
const NOW = new Date(NOW_S * 1000);

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await startLocalIssuer();
});
afterAll(async () => {
  await issuer.close();
});

async function token(
  org: string,
  overrides: Parameters<LocalIssuer["mint"]>[1] = {},
  opts: Parameters<LocalIssuer["mint"]>[2] = {},
): Promise<DecodedToken> {
  return decodeToken(await issuer.mint(org, overrides, { now: NOW_S - 10, ...opts }));
}

function explainAt(
  t: DecodedToken,
  extra: { expectedOrg?: string; signature?: SignatureResult } = {},
): Explanation {
  return explainToken({ settings, manifest, manifestFile: "stacks/test.yaml", token: t, now: NOW, ...extra });
}

/** Failed checks as `cloud check reason -> error`, the shape the assertions compare exactly. */
function failures(e: Explanation): string[] {
  return e.exchanges.flatMap((x) =>
    x.checks.filter((c) => !c.ok).map((c) => `${x.cloud} ${c.name} ${c.reason ?? ""} -> ${c.error ?? ""}`),
  );
}

const AZ70021 = "AADSTS70021: No matching federated identity record found for presented assertion";
const AZ700213 = (sub: string) =>
  `AADSTS700213: No matching federated identity record found for presented assertion subject '${sub}'`;

describe("decodeToken", () => {
  it("accepts the token, `Bearer <token>` and the token endpoint's JSON response", async () => {
    const raw = await issuer.mint(ENTUR);
    expect(extractToken(`  ${raw}\n`)).toBe(raw);
    expect(extractToken(`Bearer ${raw}`)).toBe(raw);
    expect(extractToken(JSON.stringify({ access_token: raw, token_type: "Bearer", expires_in: 120 }))).toBe(
      raw,
    );
    const d = decodeToken(raw);
    expect(d.header).toEqual({ alg: "RS256", kid: KID, typ: "JWT" });
    expect(d.claims.sub).toBe(`0192:${ENTUR};banenor:payloadmanager.storage`);
  });

  it.each([
    ["", "the input is empty; give a file with the Skyporten access token"],
    [
      "garbage input, not a token",
      "not a JWT: expected three base64url parts separated by dots (header.payload.signature)",
    ],
    ["a.b.c.d.e", "this is an encrypted token (JWE, five parts); Skyporten issues signed JWTs (three parts)"],
    [
      "{not json",
      "the input starts with { but is not JSON; give the token itself or the token endpoint's JSON response",
    ],
    [
      '{"token":"x"}',
      "the JSON has no access_token string; give the token itself or the token endpoint's JSON response",
    ],
    ["aGVsbG8.aGVsbG8.c2ln", "not a JWT: the header is not base64url-encoded JSON"],
    [
      `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from("[1,2]").toString("base64url")}.c2ln`,
      "not a JWT: the payload is not a base64url-encoded JSON object",
    ],
    ["x".repeat(70_000), "the input is larger than 65536 bytes; a Skyporten token is about 1 KB"],
  ])("refuses %j as unreadable, without echoing it", (input, message) => {
    expect(() => decodeToken(input)).toThrow(new UnreadableToken(message));
  });
});

describe("issuerMismatch", () => {
  it.each([
    ["https://test.sky.maskinporten.no", undefined],
    ["https://test.sky.maskinporten.no/", "trailing-slash"],
    ["https://test.maskinporten.no/", "plain-maskinporten"],
    ["https://maskinporten.no/", "plain-maskinporten"],
    ["https://sky.maskinporten.dev/", "outdated-dev-issuer"],
    ["https://sky.maskinporten.no", "other-environment"],
    ["https://TEST.sky.maskinporten.no", "letter-case"],
    ["https://issuer.example.com", "unknown-issuer"],
    [undefined, "missing"],
  ])("iss %j -> %s", (iss, reason) => {
    expect(issuerMismatch(settings, iss)?.reason).toBe(reason);
  });

  it("explains the trailing slash exactly", () => {
    expect(issuerMismatch(settings, "https://test.sky.maskinporten.no/")?.detail).toBe(
      'iss "https://test.sky.maskinporten.no/" has a trailing slash; this stack trusts "https://test.sky.maskinporten.no" exactly (Skyporten\'s issuer has none)',
    );
  });
});

describe("explainToken", () => {
  it("a good token of a partner with Azure and AWS: both exchanges succeed", async () => {
    const e = explainAt(await token(ENTUR));
    expect(e.ok).toBe(true);
    expect(e.orgNumber).toBe(ENTUR);
    expect(e.partner).toEqual({ orgNumber: ENTUR, name: "Entur AS", status: "active" });
    expect(e.exchanges.map((x) => [x.cloud, x.target, x.ok])).toEqual([
      ["azure", "identity id-skyporten-test-917422575 in tenant 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6", true],
      ["aws", "role arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575", true],
    ]);
    expect(e.exchanges[0]!.checks.map((c) => `${c.name}: ${c.detail}`)).toEqual([
      "algorithm: RS256 is a signing algorithm the clouds accept",
      'issuer: "https://test.sky.maskinporten.no" matches exactly',
      'subject: "0192:917422575;banenor:payloadmanager.storage" is exactly the trusted subject',
      'audience: "https://skyporten.test.banenor.example.no" matches exactly',
      "expiry: valid until 2030-03-17T17:48:30Z (in 110 s)",
      "partner: organization 917422575 (Entur AS) is active",
    ]);
  });

  it("Azure-only and AWS-only partners are judged on their one cloud", async () => {
    const az = explainAt(await token(NORDLYS));
    expect([az.ok, az.exchanges.map((x) => x.cloud), az.notProvisioned]).toEqual([true, ["azure"], ["aws"]]);
    const aws = explainAt(await token(FJORDKRAFT));
    expect([aws.ok, aws.exchanges.map((x) => x.cloud), aws.notProvisioned]).toEqual([
      true,
      ["aws"],
      ["azure"],
    ]);
  });

  it("trailing-slash issuer: AADSTS700211 on Azure, no OIDC provider on AWS", async () => {
    const e = explainAt(await token(ENTUR, { iss: `${TEST_ISSUER}/` }));
    expect(e.ok).toBe(false);
    expect(failures(e)).toEqual([
      "azure issuer trailing-slash -> AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://test.sky.maskinporten.no/'",
      "aws issuer trailing-slash -> InvalidIdentityToken: No OpenIDConnect provider found in your account for https://test.sky.maskinporten.no/",
    ]);
    expect(e.exchanges[0]!.checks[1]!.fix).toBe(
      'request the token from Skyporten\'s token endpoint https://test.sky.maskinporten.no/token; its iss is then "https://test.sky.maskinporten.no"',
    );
  });

  it("plain Maskinporten and the outdated sky.maskinporten.dev issuers are named as such", async () => {
    expect(failures(explainAt(await token(NORDLYS, { iss: "https://test.maskinporten.no/" })))).toEqual([
      "azure issuer plain-maskinporten -> AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://test.maskinporten.no/'",
    ]);
    expect(failures(explainAt(await token(NORDLYS, { iss: "https://sky.maskinporten.dev/" })))).toEqual([
      "azure issuer outdated-dev-issuer -> AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://sky.maskinporten.dev/'",
    ]);
  });

  it("subject without scope (the outdated format) fails on both clouds with the one-scope fix", async () => {
    const e = explainAt(await token(ENTUR, { sub: `0192:${ENTUR}` }));
    expect(failures(e)).toEqual([
      `azure subject no-scope -> ${AZ700213(`0192:${ENTUR}`)}`,
      "aws subject no-scope -> AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ]);
    const check = e.exchanges[0]!.checks.find((c) => c.name === "subject")!;
    expect(check.detail).toBe(
      'sub "0192:917422575" has no scope (the outdated format, or several scopes were requested); the trust is for "0192:917422575;banenor:payloadmanager.storage"',
    );
    expect(check.fix).toBe(
      'request exactly one scope, "banenor:payloadmanager.storage", from https://test.sky.maskinporten.no/token: Skyporten then sets sub to "0192:917422575;banenor:payloadmanager.storage"',
    );
  });

  it("another scope or several scopes in sub", async () => {
    expect(failures(explainAt(await token(NORDLYS, { sub: `0192:${NORDLYS};other:scope` })))).toEqual([
      `azure subject other-scope -> ${AZ700213(`0192:${NORDLYS};other:scope`)}`,
    ]);
    expect(
      failures(
        explainAt(
          await token(NORDLYS, { sub: `0192:${NORDLYS};banenor:payloadmanager.storage other:scope` }),
        ),
      ),
    ).toEqual([`azure subject several-scopes -> ${AZ700213(`0192:${NORDLYS};banenor:payloadmanager.storage other:scope`)}`]);
  });

  it("other org: a token of Fjordkraft judged for Entur (--org) fails, naming whose client was used", async () => {
    const e = explainAt(await token(FJORDKRAFT), { expectedOrg: ENTUR });
    expect(e.ok).toBe(false);
    expect([e.orgNumber, e.judgedOrg]).toEqual([FJORDKRAFT, ENTUR]);
    expect(e.general.filter((g) => !g.ok).map((g) => g.detail)).toEqual([
      "the token belongs to organization 921345674 (Fjordkraft Data AS), not 917422575: it was obtained with another organization's Maskinporten client",
    ]);
    expect(failures(e)).toEqual([
      `azure subject other-organization -> ${AZ700213(`0192:${FJORDKRAFT};banenor:payloadmanager.storage`)}`,
      "aws subject other-organization -> AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ]);
  });

  it("sub and consumer.ID naming different organizations is refused as not issued by Skyporten", async () => {
    const e = explainAt(await token(ENTUR, { sub: `0192:${FJORDKRAFT};banenor:payloadmanager.storage` }));
    expect(e.general.filter((g) => !g.ok).map((g) => g.reason)).toEqual(["inconsistent"]);
    expect(failures(e)).toEqual([
      `azure subject other-organization -> ${AZ700213(`0192:${FJORDKRAFT};banenor:payloadmanager.storage`)}`,
      "aws subject other-organization -> AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ]);
  });

  it("unknown org: every cloud the stack serves refuses it", async () => {
    const e = explainAt(await token("991825827"));
    expect(e.ok).toBe(false);
    expect(e.partner).toBeNull();
    expect(e.exchanges.map((x) => x.target)).toEqual([
      "an identity in tenant 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6",
      "a role in account 000000000000",
    ]);
    expect(failures(e)).toEqual([
      "azure partner not-onboarded -> AADSTS700016: Application with identifier '<client id>' was not found in the directory (no identity exists for this organization), or AADSTS700213 with another organization's client id",
      "aws partner not-onboarded -> AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ]);
    expect(e.exchanges[0]!.checks.find((c) => c.name === "partner")!.fix).toBe(
      "onboard it: add organization 991825827 to stacks/test.yaml, open a pull request, then pulumi up",
    );
  });

  it("suspended partner: the trust is gone until reinstated", async () => {
    const e = explainAt(await token(SUSPENDED));
    expect(failures(e)).toEqual([`azure partner suspended -> ${AZ70021} (the identity has no federated credential while suspended)`]);
    expect(e.exchanges[0]!.checks.find((c) => c.name === "partner")!.fix).toBe(
      "reinstate it: set status: active for 812345672 in stacks/test.yaml, open a pull request, then pulumi up",
    );
  });

  it("offboarded partner: nothing trusts it", async () => {
    const e = explainAt(await token("123456785"));
    expect(failures(e).map((f) => f.split(" -> ")[0])).toEqual([
      "azure partner offboarded",
      "aws partner offboarded",
    ]);
  });

  it("wrong audience: AADSTS700212 on Azure, Incorrect token audience on AWS", async () => {
    const e = explainAt(await token(ENTUR, { aud: "https://skyporten.test.banenor.example.no/" }));
    expect(failures(e)).toEqual([
      "azure audience wrong-audience -> AADSTS700212: No matching federated identity record found for presented assertion audience 'https://skyporten.test.banenor.example.no/'",
      "aws audience wrong-audience -> InvalidIdentityToken: Incorrect token audience",
    ]);
    expect(e.exchanges[1]!.checks.find((c) => c.name === "audience")!.fix).toBe(
      'send resource "https://skyporten.test.banenor.example.no" exactly in the JWT grant to https://test.sky.maskinporten.no/token (it becomes the token\'s aud)',
    );
  });

  it("an aud list containing the audience passes on Azure but not on AWS", async () => {
    const e = explainAt(await token(ENTUR, { aud: [TEST_AUDIENCE, "https://other.example.no"] }));
    expect(failures(e)).toEqual([
      "aws audience several-audiences -> InvalidIdentityToken: Incorrect token audience",
    ]);
  });

  it("expired: AADSTS700024 on Azure, ExpiredTokenException on AWS; other checks still reported", async () => {
    const e = explainAt(await token(ENTUR, {}, { now: NOW_S - 600 }));
    expect(failures(e)).toEqual([
      "azure expiry expired -> AADSTS700024: Client assertion is not within its valid time range",
      "aws expiry expired -> ExpiredTokenException: Token expired",
    ]);
    expect(e.exchanges[0]!.checks.find((c) => c.name === "expiry")!.detail).toBe(
      "expired 2030-03-17T17:38:40Z (8 min ago)",
    );
  });

  it("missing exp and a token issued in the future fail the expiry check", async () => {
    expect(failures(explainAt(await token(NORDLYS, { exp: undefined })))[0]).toBe(
      "azure expiry missing -> AADSTS700024: Client assertion is not within its valid time range",
    );
    expect(failures(explainAt(await token(NORDLYS, {}, { now: NOW_S + 600 })))[0]).toBe(
      "azure expiry not-yet-valid -> AADSTS700024: Client assertion is not within its valid time range",
    );
  });

  it("a signature verdict joins every exchange; an unverifiable one is not blamed on the cloud", async () => {
    const bad = explainAt(await token(ENTUR), {
      signature: { ok: false, cause: "signature", detail: "the signature does not verify" },
    });
    expect(failures(bad)).toEqual([
      "azure signature signature -> AADSTS700027: Client assertion contains an invalid signature",
      "aws signature signature -> InvalidIdentityToken: the token's signature could not be verified",
    ]);
    const unverified = explainAt(await token(NORDLYS), {
      signature: { ok: false, cause: "unverified", detail: "no answer" },
    });
    expect(failures(unverified)).toEqual([
      "azure signature unverified -> unknown: the signature could not be checked",
    ]);
  });
});

describe("formatting", () => {
  it("shows the claims but never the raw token or its signature", async () => {
    const raw = await issuer.mint(ENTUR, {}, { now: NOW_S - 10 });
    const t = decodeToken(raw);
    const text = `${formatToken(t, NOW)}\n${formatExplanation(explainAt(t), "test", "stacks/test.yaml")}`;
    const signature = raw.split(".")[2]!;
    expect(text).not.toContain(raw);
    expect(text).not.toContain(signature);
    expect(text.split("\n").slice(0, 9)).toEqual([
      'Token: RS256 JWT, kid "test-key-1" (raw token and signature not shown)',
      "  iss        https://test.sky.maskinporten.no",
      "  sub        0192:917422575;banenor:payloadmanager.storage",
      "  aud        https://skyporten.test.banenor.example.no",
      "  scope      banenor:payloadmanager.storage",
      "  consumer   0192:917422575",
      "  client_id  5f0c1d2e-partner-client",
      "  iat        2030-03-17T17:46:30Z (10 s ago)",
      "  exp        2030-03-17T17:48:30Z (in 110 s)",
    ]);
    expect(text).toContain("Signature: NOT checked");
    expect(text.split("\n").at(-1)).toBe(
      "Result: the claims are right: every exchange this organization is provisioned for would succeed (Azure, AWS) IF the signature is genuine. The signature was NOT checked (run with --verify to check it against the issuer's published keys)",
    );
  });
});

describe("verifySignature (JWKS served from 127.0.0.1)", () => {
  const opts = () => ({ discoveryUrl: issuer.discoveryUrl, issuer: TEST_ISSUER, timeoutMs: 2000 });

  it("verifies a token signed by the issuer's key, fetching discovery and then the JWKS", async () => {
    issuer.requests.length = 0;
    const result = await verifySignature(await token(ENTUR), opts());
    expect(result).toEqual({
      ok: true,
      detail: `signature verified with key "test-key-1" from ${issuer.base}/jwk`,
    });
    expect(issuer.requests).toEqual(["/.well-known/openid-configuration", "/jwk"]);
  });

  it("judges the signature of an expired token too (expiry is a separate check)", async () => {
    expect((await verifySignature(await token(ENTUR, {}, { now: NOW_S - 86_400 }), opts())).ok).toBe(true);
  });

  it("a token signed with another key (same kid) fails as a bad signature", async () => {
    expect(await verifySignature(await token(ENTUR, {}, { foreignKey: true }), opts())).toEqual({
      ok: false,
      cause: "signature",
      detail:
        "the signature does not verify with the issuer's key: the token was altered or not issued by this issuer",
    });
  });

  it("an unknown kid fails as not issued by this issuer", async () => {
    expect(
      await verifySignature(await token(ENTUR, {}, { foreignKey: true, kid: "someone-else" }), opts()),
    ).toEqual({
      ok: false,
      cause: "signature",
      detail: `the issuer's JWKS (${issuer.base}/jwk) has no key "someone-else" for RS256: the token was not issued by this issuer`,
    });
  });

  it("a discovery document of another issuer, an HTTP error, a timeout and a non-https URL leave it unverified", async () => {
    const t = await token(ENTUR);
    expect(await verifySignature(t, { ...opts(), discoveryUrl: issuer.wrongIssuerDiscoveryUrl })).toEqual({
      ok: false,
      cause: "unverified",
      detail:
        'the discovery document names issuer "https://sky.maskinporten.no", not "https://test.sky.maskinporten.no": it is not this stack\'s issuer\'s document',
    });
    expect(await verifySignature(t, { ...opts(), discoveryUrl: issuer.failingDiscoveryUrl })).toEqual({
      ok: false,
      cause: "unverified",
      detail: `discovery document ${issuer.failingDiscoveryUrl} answered HTTP 500`,
    });
    const started = Date.now();
    expect(
      await verifySignature(t, { ...opts(), discoveryUrl: issuer.hangingDiscoveryUrl, timeoutMs: 300 }),
    ).toEqual({
      ok: false,
      cause: "unverified",
      detail: `could not read the discovery document ${issuer.hangingDiscoveryUrl}: no answer within 300 ms`,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(
      await verifySignature(t, {
        ...opts(),
        discoveryUrl: "http://issuer.example.com/.well-known/openid-configuration",
      }),
    ).toEqual({
      ok: false,
      cause: "unverified",
      detail:
        'discovery URL "http://issuer.example.com/.well-known/openid-configuration" must be https (plain http only to 127.0.0.1)',
    });
  });

  it("a JWKS endpoint that never answers times out", async () => {
    const hanging = http.createServer((req, res) => {
      if (req.url === "/d") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            issuer: TEST_ISSUER,
            jwks_uri: `http://127.0.0.1:${(hanging.address() as { port: number }).port}/jwk`,
          }),
        );
      }
      // /jwk: never answers
    });
    await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
    try {
      const port = (hanging.address() as { port: number }).port;
      expect(
        await verifySignature(await token(ENTUR), {
          discoveryUrl: `http://127.0.0.1:${port}/d`,
          issuer: TEST_ISSUER,
          timeoutMs: 300,
        }),
      ).toEqual({
        ok: false,
        cause: "unverified",
        detail: `the JWKS http://127.0.0.1:${port}/jwk did not answer within 300 ms`,
      });
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((r) => hanging.close(() => r()));
    }
  });
});
