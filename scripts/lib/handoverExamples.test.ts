import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { exportPKCS8, generateKeyPair, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifestFile } from "../../infra/manifest/load";
import { stackSettings } from "../../infra/settings";
import { tokenRequestFor } from "../../infra/tokenRequest";
import { decodeToken, explainToken } from "./explain";
import { startLocalIssuer, type LocalIssuer } from "./explainTestIssuer";
import { nodeTokenExample, PARTNER_ENV, TOKEN_FILE, tokenExamples } from "./handoverExamples";
import { startTestTokenEndpoint, type TestTokenEndpoint } from "./skyportenTestTokenEndpoint";

/**
 * The handover's token examples, run: the Node.js one (and the shell one) generated for the committed test stack,
 * pointed at a local Skyporten-like token endpoint instead of https://test.sky.maskinporten.no/token (the only
 * change), must obtain a token that `explain` accepts for the partner.
 */

const settings = stackSettings("test");
const loaded = loadManifestFile("stacks/test.yaml");
if (!loaded.ok) throw new Error("stacks/test.yaml must be valid for these tests");
const manifest = loaded.manifest;
const ENTUR = "917422575";
const CLIENT_ID = "5f0c1d2e-aaaa-4bbb-8ccc-partner00001";
const KID = "entur-key-1";

let issuer: LocalIssuer;
let endpoint: TestTokenEndpoint;
let dir: string;
let keyFile: string;
let publicKey: CryptoKey;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  const pair = await generateKeyPair("RS256", { extractable: true });
  publicKey = pair.publicKey;
  endpoint = await startTestTokenEndpoint(issuer, [{ clientId: CLIENT_ID, kid: KID, publicKey, orgNumber: ENTUR }]);
  // Inside the project, so the example's `import "jose"` resolves to the project's node_modules.
  dir = fs.mkdtempSync(path.join(process.cwd(), ".handover-example-"));
  keyFile = path.join(dir, "maskinporten-key.pem");
  fs.writeFileSync(keyFile, await exportPKCS8(pair.privateKey));
});
afterAll(async () => {
  await endpoint.close();
  await issuer.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The example's code with the real token endpoint replaced by the local one; it must occur exactly once. */
function pointedAtLocal(code: string): string {
  const real = tokenRequestFor(settings).tokenEndpoint;
  expect(code.split(real).length - 1).toBe(1);
  return code.replace(real, endpoint.url);
}

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: dir,
        timeout: 20_000,
        env: { PATH: process.env.PATH, [PARTNER_ENV.clientId]: CLIENT_ID, [PARTNER_ENV.keyId]: KID, [PARTNER_ENV.keyFile]: keyFile },
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr }),
    );
  });
}

function tokenIsAcceptedForEntur(): void {
  const token = decodeToken(fs.readFileSync(path.join(dir, TOKEN_FILE), "utf8"));
  const e = explainToken({ settings, manifest, manifestFile: "stacks/test.yaml", token, now: new Date() });
  expect([e.orgNumber, e.exchanges.map((x) => [x.cloud, x.ok])]).toEqual([ENTUR, [["azure", true], ["aws", true]]]);
  expect(token.claims.aud).toBe("https://skyporten.test.banenor.example.no");
}

describe("the Node.js token example", () => {
  it("gets a token from a Skyporten-like endpoint that explain accepts, with exactly the documented grant", async () => {
    fs.rmSync(path.join(dir, TOKEN_FILE), { force: true });
    const file = path.join(dir, "skyporten-token.mjs");
    fs.writeFileSync(file, pointedAtLocal(nodeTokenExample(tokenRequestFor(settings)).lines.join("\n")));
    const before = endpoint.grants.length;
    const result = await run(process.execPath, [file]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    tokenIsAcceptedForEntur();
    const grant = endpoint.grants[before]!;
    expect(grant.header).toEqual({ alg: "RS256", kid: KID });
    expect(Object.keys(grant.claims).sort()).toEqual(["aud", "exp", "iat", "iss", "jti", "resource", "scope"]);
    expect(grant.claims).toMatchObject({
      aud: "https://test.sky.maskinporten.no",
      iss: CLIENT_ID,
      scope: "banenor:payloadmanager.storage",
      resource: "https://skyporten.test.banenor.example.no",
    });
    expect(grant.claims.exp! - grant.claims.iat!).toBe(100);
  });

  it("fails with Skyporten's answer when the grant's aud has a trailing slash (the endpoint checks it)", async () => {
    const file = path.join(dir, "slash.mjs");
    const code = pointedAtLocal(nodeTokenExample(tokenRequestFor(settings)).lines.join("\n")).replace(
      '.setAudience("https://test.sky.maskinporten.no")',
      '.setAudience("https://test.sky.maskinporten.no/")',
    );
    fs.writeFileSync(file, code);
    const result = await run(process.execPath, [file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Skyporten answered 400: {"error":"invalid_grant","error_description":"Invalid JWT claim aud"}');
  });
});

describe("the shell token example", () => {
  const tools = ["bash", "openssl", "curl", "jq"].every((t) =>
    (process.env.PATH ?? "").split(path.delimiter).some((d) => fs.existsSync(path.join(d, t))),
  );
  it.skipIf(!tools)("gets a token that explain accepts (openssl signs, curl posts)", async () => {
    fs.rmSync(path.join(dir, TOKEN_FILE), { force: true });
    const shell = tokenExamples(tokenRequestFor(settings)).find((x) => x.lang === "bash")!;
    const file = path.join(dir, "token.sh");
    fs.writeFileSync(file, `set -euo pipefail\n${pointedAtLocal(shell.lines.join("\n"))}\n`);
    const result = await run("bash", [file]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    tokenIsAcceptedForEntur();
  });
});

describe("every token example", () => {
  it.each(["test", "prod"])("%s: the grant's aud is the Skyporten issuer exactly, never with a slash or the token endpoint", (stack) => {
    const s = stackSettings(stack);
    const examples = tokenExamples(tokenRequestFor(s));
    expect(examples.map((x) => x.lang)).toEqual(["bash", "js", "python", "csharp"]);
    for (const x of examples) {
      const text = x.lines.join("\n");
      expect([x.title, text.includes(`"${s.issuer}"`)]).toEqual([x.title, true]);
      expect([x.title, text.includes(`${s.issuer}/"`)]).toEqual([x.title, false]);
      expect([x.title, text.includes(`"${s.issuer}/token"`) || text.includes(` ${s.issuer}/token `)]).toEqual([x.title, true]);
      // The partner's secrets only ever come from the environment.
      for (const name of Object.values(PARTNER_ENV)) expect([x.title, text.includes(name)]).toEqual([x.title, true]);
    }
  });
});
