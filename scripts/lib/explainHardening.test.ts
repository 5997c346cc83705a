import fc from "fast-check";
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifestFile } from "../../infra/manifest/load";
import type { PartnerOutputEntry } from "../../infra/partnerFacts";
import { stackSettings } from "../../infra/settings";
import {
  decodeToken,
  explainToken,
  formatExplanation,
  formatToken,
  verifySignature,
  type DecodedToken,
  type Explanation,
} from "./explain";
import { startLocalIssuer, TEST_ISSUER, type LocalIssuer } from "./explainTestIssuer";

/**
 * explain must never vouch for a token the clouds reject, never crash on any claim value, and never pass a claim's
 * control characters to the terminal. Tokens are minted here (the local issuer's keys, or forged on purpose).
 */

const settings = stackSettings("test");
const loaded = loadManifestFile("stacks/test.yaml");
if (!loaded.ok) throw new Error("stacks/test.yaml must be valid for these tests");
const manifest = loaded.manifest;
const ENTUR = "917422575";
const NOW_S = 1_900_000_000;
const NOW = new Date(NOW_S * 1000);
const TENANT = "6ee535f2-3064-4ac9-81d8-4ceb2ff790c6";
const ENTUR_CLIENT = "6f1e2d3c-1111-4222-8333-444455556666";

let issuer: LocalIssuer;
beforeAll(async () => {
  issuer = await startLocalIssuer();
});
afterAll(async () => {
  await issuer.close();
});

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
/** Entur's claims as Skyporten issues them, changed by `overrides`. */
function enturClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: TEST_ISSUER,
    sub: `0192:${ENTUR};banenor:payloadmanager.storage`,
    aud: "https://skyporten.test.banenor.example.no",
    scope: "banenor:payloadmanager.storage",
    consumer: { authority: "iso6523-actorid-upis", ID: `0192:${ENTUR}` },
    client_id: "5f0c1d2e-partner-client",
    iat: NOW_S - 10,
    exp: NOW_S + 110,
    jti: "jti-1",
    ...overrides,
  };
}
/** A token with any header and claims; the signature is whatever bytes are given (not a real one). */
const forged = (header: Record<string, unknown>, claims: Record<string, unknown>, signature = "c2ln") =>
  decodeToken(`${b64(header)}.${b64(claims)}.${signature}`);

const explainAt = (t: DecodedToken, outputs?: Record<string, PartnerOutputEntry>): Explanation =>
  explainToken({ settings, manifest, manifestFile: "stacks/test.yaml", token: t, now: NOW, outputs });
const report = (t: DecodedToken, e: Explanation) => `${formatToken(t, NOW)}\n\n${formatExplanation(e, "test", "stacks/test.yaml")}`;
const failures = (e: Explanation) =>
  e.exchanges.flatMap((x) => x.checks.filter((c) => !c.ok).map((c) => `${x.cloud} ${c.name} ${c.reason ?? ""} -> ${c.error ?? ""}`));

describe("the algorithm, judged without --verify", () => {
  it('alg "none" fails on both clouds: an unsigned token is never accepted', () => {
    const e = explainAt(forged({ alg: "none" }, enturClaims(), ""));
    expect(e.ok).toBe(false);
    expect(failures(e)).toEqual([
      "azure algorithm unsigned -> AADSTS700027: Client assertion contains an invalid signature",
      "aws algorithm unsigned -> InvalidIdentityToken: the token's signature could not be verified",
    ]);
    expect(report(forged({ alg: "none" }, enturClaims(), ""), e)).not.toMatch(/would succeed/);
  });

  it("HS256 (signed with a shared secret) fails, whatever its claims", async () => {
    const raw = await new SignJWT(enturClaims()).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32).fill(7));
    const e = explainAt(decodeToken(raw));
    expect(e.exchanges.map((x) => x.checks.find((c) => c.name === "algorithm")!.detail)).toEqual([
      'alg "HS256" is an HMAC with a shared secret: an issuer\'s token is never signed that way; no cloud accepts it',
      'alg "HS256" is an HMAC with a shared secret: an issuer\'s token is never signed that way; no cloud accepts it',
    ]);
    expect(e.ok).toBe(false);
  });

  it("PS256 and a missing alg are not algorithms the clouds accept", () => {
    expect(failures(explainAt(forged({ alg: "PS256" }, enturClaims())))[0]).toBe(
      "azure algorithm unsupported -> AADSTS700027: Client assertion contains an invalid signature",
    );
    expect(failures(explainAt(forged({}, enturClaims())))[0]).toBe(
      "azure algorithm unsupported -> AADSTS700027: Client assertion contains an invalid signature",
    );
  });

  it("ES256 is accepted; like any token without --verify, the verdict says the signature was not checked", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const t = decodeToken(await new SignJWT(enturClaims()).setProtectedHeader({ alg: "ES256", kid: "k" }).sign(privateKey));
    const e = explainAt(t);
    expect([e.ok, e.signatureChecked]).toEqual([true, false]);
    expect(report(t, e).split("\n").at(-1)).toBe(
      "Result: the claims are right: every exchange this organization is provisioned for would succeed (Azure, AWS) IF the signature is genuine. The signature was NOT checked (run with --verify to check it against the issuer's published keys)",
    );
  });

  it("a tampered RS256 token is never vouched for without the signature caveat, and --verify refuses it", async () => {
    const [h, , s] = (await issuer.mint(ENTUR, {}, { now: NOW_S - 10 })).split(".");
    const tampered = decodeToken(`${h!}.${b64(enturClaims({ scope: "banenor:payloadmanager.storage" }))}.${s!}`);
    const lines = report(tampered, explainAt(tampered)).split("\n");
    expect(lines.filter((l) => l.startsWith("Result:"))).toEqual([
      expect.stringContaining("IF the signature is genuine. The signature was NOT checked") as unknown as string,
    ]);
    const signature = await verifySignature(tampered, { discoveryUrl: issuer.discoveryUrl, issuer: TEST_ISSUER, timeoutMs: 2000 });
    expect(signature.ok).toBe(false);
    const verified = explainToken({ settings, manifest, manifestFile: "stacks/test.yaml", token: tampered, now: NOW, signature });
    expect([verified.ok, verified.signatureChecked]).toEqual([false, false]);
  });

  it("a verified token says so in the verdict line", async () => {
    const t = decodeToken(await issuer.mint(ENTUR, {}, { now: NOW_S - 10 }));
    const signature = await verifySignature(t, { discoveryUrl: issuer.discoveryUrl, issuer: TEST_ISSUER, timeoutMs: 2000 });
    const e = explainToken({ settings, manifest, manifestFile: "stacks/test.yaml", token: t, now: NOW, signature });
    expect(report(t, e).split("\n").at(-1)).toBe(
      "Result: every exchange this organization is provisioned for would succeed (Azure, AWS); the signature was verified",
    );
  });
});

describe("time claims no token carries", () => {
  it.each([
    [{ exp: 1e20 }, "out-of-range", "exp 100000000000000000000 is not a real time: no issuer writes it"],
    [{ exp: -1e20 }, "out-of-range", "exp -100000000000000000000 is not a real time: no issuer writes it"],
    [{ iat: 1e20 }, "out-of-range", "iat 100000000000000000000 is not a real time: no issuer writes it"],
    [{ nbf: -1e20 }, "out-of-range", "nbf -100000000000000000000 is not a real time: no issuer writes it"],
    [{ exp: Number.MAX_VALUE }, "out-of-range", `exp ${String(Number.MAX_VALUE)} is not a real time: no issuer writes it`],
    [{ exp: "soon" }, "not-a-number", 'exp is "soon", not a number of seconds'],
    [{ iat: null }, "not-a-number", "iat is null, not a number of seconds"],
  ])("%j fails the expiry check as %s, without a stack trace", (claims, reason, detail) => {
    const t = forged({ alg: "RS256", kid: "test-key-1" }, enturClaims(claims));
    const e = explainAt(t);
    const expiry = e.exchanges[0]!.checks.find((c) => c.name === "expiry")!;
    expect([expiry.ok, expiry.reason, expiry.detail]).toEqual([false, reason, detail]);
    expect(() => report(t, e)).not.toThrow();
  });

  it("formatToken shows an out-of-range time as it is", () => {
    const text = formatToken(forged({ alg: "RS256" }, enturClaims({ exp: 1e20, nbf: -1e20 })), NOW);
    expect(text.split("\n").slice(-3)).toEqual([
      "  iat        2030-03-17T17:46:30Z (10 s ago)",
      "  nbf        -100000000000000000000 (not a real time)",
      "  exp        100000000000000000000 (not a real time)",
    ]);
  });

  it("--verify on a token with extreme times gives a verdict, not a crash", async () => {
    const t = decodeToken(await issuer.mint(ENTUR, { iat: 1e20, exp: 1e20 }));
    const result = await verifySignature(t, { discoveryUrl: issuer.discoveryUrl, issuer: TEST_ISSUER, timeoutMs: 2000 });
    expect(typeof result.detail).toBe("string");
  });
});

/** Characters that must never reach a terminal raw (see terminalText.ts). */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe("control characters in claims", () => {
  it("are escaped in the token and in every check, one value per line", () => {
    const evil = "0192:917422575;banenor:payloadmanager.storage\u001b[2J\nok    partner   forged line\u202e\u0000";
    const t = forged({ alg: "RS256", kid: "k\u001b[31m" }, enturClaims({ sub: evil, aud: "x\u0007", client_id: "\u009b31m" }));
    const text = report(t, explainAt(t));
    expect(text).not.toMatch(UNSAFE);
    expect(text).toContain("  sub        0192:917422575;banenor:payloadmanager.storage\\u001b[2J\\u000aok    partner   forged line\\u202e\\u0000");
    expect(text.split("\n").filter((l) => l.startsWith("ok    partner   forged line"))).toEqual([]);
  });

  it("never reach the output for any claims (property)", () => {
    const nasty = fc.string({ unit: fc.constantFrom("a", "\u001b", "\n", "\r", "\u202e", "\u0000", "\u009b", "\u2028", "ø", "[", "0") });
    const value = fc.oneof(
      nasty,
      fc.double(),
      fc.constantFrom(1e20, -1e20, Number.MAX_VALUE, 0, null, true),
      fc.array(nasty, { maxLength: 3 }),
      fc.dictionary(nasty, nasty, { maxKeys: 2 }),
    );
    fc.assert(
      fc.property(
        fc.record({ iss: value, sub: value, aud: value, exp: value, iat: value, nbf: value, consumer: value, client_id: value, tid: value, appid: value }, { requiredKeys: [] }),
        fc.oneof(nasty, fc.constantFrom("RS256", "none", "HS256", "ES256")),
        (claims, alg) => {
          const t = forged({ alg, kid: alg }, claims);
          const e = explainAt(t);
          const text = report(t, e);
          expect(text).not.toMatch(UNSAFE);
          if (e.ok) expect(text).toContain("The signature was NOT checked");
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });
});

describe("an Entra access token presented to the gateway", () => {
  const OUTPUTS: Record<string, PartnerOutputEntry> = { [ENTUR]: { azure: { clientId: ENTUR_CLIENT, tenantId: TENANT } } };
  const entra = (overrides: Record<string, unknown> = {}) =>
    issuer.mint(
      ENTUR,
      {
        iss: `https://sts.windows.net/${TENANT}/`,
        aud: "https://bnplmextnwesttest.blob.core.windows.net",
        tid: TENANT,
        appid: ENTUR_CLIENT,
        oid: "0bad0bad-1111-4222-8333-444455556666",
        sub: "0bad0bad-1111-4222-8333-444455556666",
        scope: undefined,
        consumer: undefined,
        client_id: undefined,
        client_amr: undefined,
        ...overrides,
      },
      { now: NOW_S - 10 },
    );

  it("for the storage account's blob endpoint: the gateway accepts it; the partner is found by its client id", async () => {
    const t = decodeToken(await entra());
    const e = explainAt(t, OUTPUTS);
    expect([e.tokenKind, e.ok, e.orgNumber, e.exchanges.map((x) => [x.cloud, x.target, x.ok])]).toEqual([
      "entra",
      true,
      ENTUR,
      [["gateway", "the gateway https://test.api.apps.banenor.no/payload-manager/v1", true]],
    ]);
    const lines = report(t, e).split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "Gateway: presenting it to the gateway https://test.api.apps.banenor.no/payload-manager/v1 would be accepted",
        '  ok    audience  "https://bnplmextnwesttest.blob.core.windows.net" is the audience the gateway routes on',
        `  ok    client    client id ${ENTUR_CLIENT} is organization ${ENTUR} (Entur AS)`,
      ]),
    );
    expect(lines.at(-1)).toBe(
      "Result: the claims are right: the gateway would accept this token (Gateway) IF the signature is genuine. The signature was NOT checked (explain verifies Skyporten tokens only; the gateway checks Entra's signature)",
    );
  });

  it("for https://storage.azure.com (v2 issuer): the gateway refuses it with 401, naming the audience to request", async () => {
    const e = explainAt(decodeToken(await entra({ iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, aud: "https://storage.azure.com", appid: undefined, azp: ENTUR_CLIENT })), OUTPUTS);
    expect(e.ok).toBe(false);
    const aud = e.exchanges[0]!.checks.find((c) => c.name === "audience")!;
    expect([aud.reason, aud.detail, aud.error, aud.fix]).toEqual([
      "generic-storage-audience",
      'aud "https://storage.azure.com" is Azure Storage\'s generic audience; the gateway routes only tokens for https://bnplmextnwesttest.blob.core.windows.net',
      "401 Unauthorized from the gateway",
      "request the Entra token for https://bnplmextnwesttest.blob.core.windows.net exactly (az account get-access-token --resource https://bnplmextnwesttest.blob.core.windows.net; .NET: BlobClientOptions.Audience): the gateway routes on it",
    ]);
  });

  it("another tenant, the prod account's audience and an unknown client fail, each with its reason", async () => {
    const e = explainAt(
      decodeToken(await entra({ tid: "11111111-2222-4333-8444-555555555555", aud: "https://bnplmextnwestprod.blob.core.windows.net", appid: "00000000-dead-4bee-8fee-000000000000" })),
      OUTPUTS,
    );
    expect(e.exchanges[0]!.checks.filter((c) => !c.ok).map((c) => `${c.name} ${c.reason ?? ""} -> ${c.error ?? ""}`)).toEqual([
      "tenant other-tenant -> 401 Unauthorized from the gateway",
      "audience wrong-audience -> 401 Unauthorized from the gateway",
      "client not-a-partner -> 403 AuthorizationPermissionMismatch from storage (no grants)",
    ]);
  });
});
