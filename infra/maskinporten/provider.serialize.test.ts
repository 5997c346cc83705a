import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import type * as pulumi from "@pulumi/pulumi";
import type { ScopeAccessInputs, ScopeAccessOutputs } from "./provider";
import { startFakeDigdir, type FakeDigdir } from "./testing/fakeDigdir";
import { keyFragments, testKey } from "./testing/keys";

/**
 * `pulumi up` compiles the program with ts-node (Pulumi.yaml: runtime nodejs, typescript) and serialises the
 * provider from that JavaScript. This test does the same in a child process (ts-node, transpile-only: the emitted
 * code is identical), then loads the text the way @pulumi/pulumi/cmd/dynamic-provider does and runs a whole
 * lifecycle against a local Digdir.
 */

const SCOPE = "banenor:payloadmanager.storage";
const ORG = "917422575";
const KEY = testKey();
const ROOT = path.resolve(__dirname, "../..");
let fake: FakeDigdir;

beforeAll(async () => {
  fake = await startFakeDigdir({
    publicKey: KEY.publicKey,
    clientId: "platform-admin-client",
    keyId: "kid-1",
    audience: "https://maskinporten.no/",
    scopes: [SCOPE],
    knownOrgs: [ORG],
  });
});

afterAll(async () => {
  await fake.close();
});

test("the ts-node-compiled provider serialises without secrets and runs create, read, delete", async () => {
  const script = [
    'const pulumi = require("@pulumi/pulumi");',
    'const { scopeAccessProvider } = require("./infra/maskinporten/provider.ts");',
    "pulumi.runtime.serializeFunction(() => scopeAccessProvider, { allowSecrets: true })",
    "  .then((sf) => process.stdout.write(JSON.stringify({ text: sf.text, containsSecrets: sf.containsSecrets })));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "-e", script],
    {
      cwd: ROOT,
      timeout: 25_000,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    },
  );
  const serialized = JSON.parse(stdout) as { text: string; containsSecrets: boolean };
  expect(serialized.containsSecrets).toBe(false);
  expect(serialized.text).toContain('require("jose")');
  expect(serialized.text).toMatch(/^exports\.handler = __f0;/);

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's own transitive loader, not a project dependency
  const requireFromString = require(
    require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }),
  ) as (code: string) => {
    handler: () => Required<pulumi.dynamic.ResourceProvider<ScopeAccessInputs, ScopeAccessOutputs>>;
  };
  const provider = requireFromString(serialized.text).handler();
  const inputs: ScopeAccessInputs = {
    orgNumber: ORG,
    scope: SCOPE,
    apiBaseUrl: fake.url,
    tokenEndpoint: fake.tokenEndpoint,
    tokenAudience: "https://maskinporten.no/",
    adminClientId: "platform-admin-client",
    adminKeyId: "kid-1",
    adminPrivateKey: KEY.pem,
    timeoutMs: 2000,
  };
  const created = await provider.create(inputs);
  expect(created.outs?.state).toBe("APPROVED");
  fake.setState(SCOPE, ORG, undefined);
  const read = await provider.read(created.id, created.outs);
  expect(read.props?.state).toBe("ABSENT");
  expect((await provider.update(created.id, read.props!, inputs)).outs?.state).toBe("APPROVED");
  await provider.delete(created.id, created.outs!);
  expect(fake.entries(SCOPE).map((e) => [e.consumer_orgno, e.active])).toEqual([[ORG, false]]);
  expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
    "POST /token",
    "PUT /api/v1/scopes/access/917422575",
    "GET /api/v1/scopes/access",
    "PUT /api/v1/scopes/access/917422575",
    "DELETE /api/v1/scopes/access/917422575",
  ]);
  expect(keyFragments(KEY.pem).some((f) => serialized.text.includes(f))).toBe(false);
});
