import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { explain } from "./explain";
import { CliError } from "./lib/cli";
import { startLocalIssuer, TEST_ISSUER, type LocalIssuer } from "./lib/explainTestIssuer";
import { captureOutput } from "../test/support/captureOutput";

/** In-process runs of `npm run explain` against the sample stack (Pulumi.test.yaml, stacks/test.yaml). */

const ENTUR = "917422575"; // Azure + AWS
const NORDLYS = "910000012"; // Azure only
const FJORDKRAFT = "921345674"; // AWS only
const SUSPENDED = "812345672";

let issuer: LocalIssuer;
let dir: string;
let stdout: string[];
let stderr: string[];
const minted: string[] = [];
/** Everything any run in this file printed, for the "never prints a token" check at the end. */
const everything: string[] = [];

beforeAll(async () => {
  issuer = await startLocalIssuer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "explain-test-"));
});
afterAll(async () => {
  await issuer.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  stdout = [];
  stderr = [];
  captureOutput({ stdout, stderr, everything });
});
afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.SKYPORTEN_DISCOVERY_URL;
});

async function tokenFile(
  org: string,
  overrides: Parameters<LocalIssuer["mint"]>[1] = {},
  opts: Parameters<LocalIssuer["mint"]>[2] = {},
): Promise<string> {
  const raw = await issuer.mint(org, overrides, opts);
  minted.push(raw);
  const file = path.join(dir, `t${minted.length}.jwt`);
  fs.writeFileSync(file, `${raw}\n`);
  return file;
}

const run = (...argv: string[]) => explain(["--stack", "test", ...argv]);
const out = () => stdout.join("");
const outLines = () => out().split("\n");

describe("npm run explain", () => {
  it("good token of a partner with Azure and AWS: exit 0", async () => {
    expect(await run("--token", await tokenFile(ENTUR))).toBe(0);
    expect(outLines()).toEqual(
      expect.arrayContaining([
        "Judged as organization 917422575: Entur AS (active) in stacks/test.yaml, stack test",
        "Azure: exchange for identity id-skyporten-test-917422575 in tenant 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6 would succeed",
        "AWS: exchange for role arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575 would succeed",
        "Signature: NOT checked",
        "Result: the claims are right: every exchange this organization is provisioned for would succeed (Azure, AWS) IF the signature is genuine. The signature was NOT checked (run with --verify to check it against the issuer's published keys)",
      ]),
    );
    expect(stderr).toEqual([]);
  });

  it("reads the token from standard input with --token -", async () => {
    const raw = await issuer.mint(NORDLYS);
    minted.push(raw);
    expect(
      await explain(["--stack", "test", "--token", "-"], { stdin: Readable.from([`Bearer ${raw}\n`]) }),
    ).toBe(0);
    expect(outLines()).toContain(
      "Result: the claims are right: every exchange this organization is provisioned for would succeed (Azure) IF the signature is genuine. The signature was NOT checked (run with --verify to check it against the issuer's published keys)",
    );
  });

  it.each([
    [
      "trailing-slash issuer",
      NORDLYS,
      { iss: `${TEST_ISSUER}/` },
      'FAIL  issuer    iss "https://test.sky.maskinporten.no/" has a trailing slash; this stack trusts "https://test.sky.maskinporten.no" exactly (Skyporten\'s issuer has none)',
      "error: AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://test.sky.maskinporten.no/'",
    ],
    [
      "plain Maskinporten issuer",
      FJORDKRAFT,
      { iss: "https://test.maskinporten.no/" },
      'FAIL  issuer    iss "https://test.maskinporten.no/" is plain Maskinporten, not Skyporten: the token was requested from the wrong token endpoint; this stack trusts "https://test.sky.maskinporten.no"',
      "error: InvalidIdentityToken: No OpenIDConnect provider found in your account for https://test.maskinporten.no/",
    ],
    [
      "old sky.maskinporten.dev issuer",
      NORDLYS,
      { iss: "https://sky.maskinporten.dev/" },
      'FAIL  issuer    iss "https://sky.maskinporten.dev/" is the outdated Skyporten development issuer; this stack trusts "https://test.sky.maskinporten.no"',
      "error: AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://sky.maskinporten.dev/'",
    ],
    [
      "subject without scope",
      FJORDKRAFT,
      { sub: `0192:${FJORDKRAFT}` },
      'FAIL  subject   sub "0192:921345674" has no scope (the outdated format, or several scopes were requested); the trust is for "0192:921345674;banenor:payloadmanager.storage"',
      "error: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ],
    [
      "unknown org",
      "991825827",
      {},
      "FAIL  partner   organization 991825827 is not in stacks/test.yaml: nothing on this stack trusts it",
      "fix:   onboard it: add organization 991825827 to stacks/test.yaml, open a pull request, then pulumi up",
    ],
    [
      "suspended partner",
      SUSPENDED,
      {},
      "FAIL  partner   organization 812345672 (Banemontasje Nord AS) is suspended: its trust is removed",
      "fix:   reinstate it: set status: active for 812345672 in stacks/test.yaml, open a pull request, then pulumi up",
    ],
    [
      "wrong audience",
      FJORDKRAFT,
      { aud: "https://skyporten.example.no" },
      'FAIL  audience  aud "https://skyporten.example.no" is not "https://skyporten.test.banenor.example.no"',
      "error: InvalidIdentityToken: Incorrect token audience",
    ],
  ])(
    "%s: exit 1 with the check, the cloud's error and the fix",
    async (_case, org, overrides, failLine, errorLine) => {
      expect(await run("--token", await tokenFile(org, overrides))).toBe(1);
      const lines = outLines().map((l) => l.trim());
      expect(lines).toContain(failLine);
      expect(lines).toContain(errorLine);
    },
  );

  it("exp 1e20, alg none and control characters: exit 1 with the reasons, no stack trace, nothing raw", async () => {
    expect(await run("--token", await tokenFile(ENTUR, { exp: 1e20, sub: `0192:${ENTUR};banenor:payloadmanager.storage\u001b[2J` }))).toBe(1);
    expect(outLines().map((l) => l.trim())).toContain("FAIL  expiry    exp 100000000000000000000 is not a real time: no issuer writes it");
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const unsigned = path.join(dir, "unsigned.jwt");
    fs.writeFileSync(unsigned, `${b64({ alg: "none" })}.${b64({ iss: TEST_ISSUER, sub: `0192:${ENTUR};banenor:payloadmanager.storage`, consumer: { ID: `0192:${ENTUR}` }, aud: "https://skyporten.test.banenor.example.no", exp: Math.floor(Date.now() / 1000) + 60 })}.`);
    expect(await run("--token", unsigned)).toBe(1);
    expect(outLines().map((l) => l.trim())).toContain('FAIL  algorithm alg "none": the token is not signed at all; no cloud accepts it');
    expect(out()).not.toMatch(/\n\s+at |\u001b/);
    expect(out()).toContain("\\u001b[2J");
    expect(stderr).toEqual([]);
  });

  it("expired token: exit 1 with AADSTS700024 and ExpiredTokenException", async () => {
    expect(
      await run("--token", await tokenFile(ENTUR, {}, { now: Math.floor(Date.now() / 1000) - 3600 })),
    ).toBe(1);
    const lines = outLines().map((l) => l.trim());
    expect(lines).toContain("error: AADSTS700024: Client assertion is not within its valid time range");
    expect(lines).toContain("error: ExpiredTokenException: Token expired");
  });

  it("other org: --org names the partner being helped; a token from another organization's client fails", async () => {
    expect(await run("--token", await tokenFile(FJORDKRAFT), "--org", ENTUR)).toBe(1);
    const lines = outLines().map((l) => l.trim());
    expect(lines).toContain(
      "FAIL  partner   the token belongs to organization 921345674 (Fjordkraft Data AS), not 917422575: it was obtained with another organization's Maskinporten client",
    );
    expect(lines).toContain(
      'FAIL  subject   sub "0192:921345674;banenor:payloadmanager.storage" names organization 921345674; the trust of organization 917422575 is for "0192:917422575;banenor:payloadmanager.storage"',
    );
  });

  it("--verify with --discovery-url: a good token verifies against the JWKS on 127.0.0.1 (exit 0)", async () => {
    issuer.requests.length = 0;
    expect(
      await run("--token", await tokenFile(ENTUR), "--verify", "--discovery-url", issuer.discoveryUrl),
    ).toBe(0);
    expect(outLines().map((l) => l.trim())).toContain(
      `ok    signature signature verified with key "test-key-1" from ${issuer.base}/jwk`,
    );
    expect(issuer.requests).toEqual(["/.well-known/openid-configuration", "/jwk"]);
  });

  it("--verify with SKYPORTEN_DISCOVERY_URL: a bad signature fails every exchange (exit 1)", async () => {
    process.env.SKYPORTEN_DISCOVERY_URL = issuer.discoveryUrl;
    expect(await run("--token", await tokenFile(ENTUR, {}, { foreignKey: true }), "--verify")).toBe(1);
    const lines = outLines().map((l) => l.trim());
    expect(lines).toContain(
      "FAIL  signature the signature does not verify with the issuer's key: the token was altered or not issued by this issuer",
    );
    expect(lines).toContain("error: AADSTS700027: Client assertion contains an invalid signature");
    expect(lines).toContain("error: InvalidIdentityToken: the token's signature could not be verified");
  });

  it("--verify still compares the token's own iss with the stack's issuer exactly", async () => {
    expect(
      await run(
        "--token",
        await tokenFile(NORDLYS, { iss: `${TEST_ISSUER}/` }),
        "--verify",
        "--discovery-url",
        issuer.discoveryUrl,
      ),
    ).toBe(1);
    expect(out()).toContain('FAIL  issuer    iss "https://test.sky.maskinporten.no/" has a trailing slash');
    expect(out()).toContain("ok    signature signature verified");
  });

  it("garbage input, an empty file and a missing file are unreadable: exit 2, input not echoed", async () => {
    const garbage = path.join(dir, "garbage.txt");
    fs.writeFileSync(garbage, "hello-secret-looking.garbage");
    expect(await run("--token", garbage)).toBe(2);
    expect(stderr.join("")).toBe(
      `unreadable token (${garbage}): not a JWT: expected three base64url parts separated by dots (header.payload.signature)\n`,
    );
    expect(stdout).toEqual([]);
    const empty = path.join(dir, "empty.txt");
    fs.writeFileSync(empty, "\n");
    expect(await run("--token", empty)).toBe(2);
    expect(await run("--token", path.join(dir, "nope.jwt"))).toBe(2);
    expect(stderr.slice(-1)[0]).toBe(
      `unreadable token (${path.join(dir, "nope.jwt")}): cannot read "${path.join(dir, "nope.jwt")}": no such file\n`,
    );
  });

  it("usage errors are CliErrors naming the fix", async () => {
    await expect(run()).rejects.toThrow(
      new CliError(
        `--token is required: a file with the token, or - for standard input\nusage: npm run explain -- --stack test|prod [--manifest FILE] [--outputs FILE] --token FILE|- [--org ORGNO] [--verify] [--discovery-url URL]`,
      ),
    );
    await expect(run("--token", "x", "--org", "123456789")).rejects.toThrow(
      /^--org 123456789: organization number "123456789" has a wrong MOD11 check digit/,
    );
  });

  it("no run above printed a raw token or a signature", () => {
    const captured = everything.join("");
    expect(minted.length).toBe(15);
    expect(captured).toContain("Token: RS256 JWT");
    for (const raw of minted) {
      expect(captured).not.toContain(raw);
      expect(captured).not.toContain(raw.split(".")[2]);
    }
  });
});
