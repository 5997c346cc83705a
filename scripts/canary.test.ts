import { createPrivateKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { canary, type CanaryIo } from "./canary";
import type { CanaryReport } from "./lib/canary/report";
import { CANARY_PROBE_NAME } from "./lib/canary/run";
import type { AwsStandIn } from "./lib/canary/testing/awsStandIn";
import { AZURITE_ACCOUNT, type Azurite, type TestCertificate } from "./lib/canary/testing/azurite";
import type { EntraStandIn } from "./lib/canary/testing/entraStandIn";
import type { GatewayStandIn } from "./lib/canary/testing/gatewayStandIn";
import type { SkyportenStandIn } from "./lib/canary/testing/skyportenStandIn";
import {
  ACCOUNT_AUDIENCE,
  AZ_CLIENT,
  AZ_OID,
  CLIENT_ID,
  KEY_ID,
  NEIGHBOUR_ORG,
  ROLE_ARN,
  startCanaryWorld,
  type CanaryWorld,
} from "./lib/canary/testing/world";
import { CliError } from "./lib/cli";
import { TEST_AUDIENCE, TEST_SCOPE } from "./lib/explainTestIssuer";
import { captureOutput } from "../test/support/captureOutput";

/**
 * `npm run canary` end to end against local servers only (127.0.0.1): the Skyporten token endpoint in front of
 * the explain tests' issuer, an Entra ID token endpoint, Azurite (the real Blob REST implementation, HTTPS and
 * OAuth) behind a gateway stand-in that routes on the token's audience and enforces grants, and STS + S3
 * (scripts/lib/canary/testing/world.ts). Azurite is started once for the file and always stopped.
 */

const GREEN_STEPS = [
  "skyporten.token",
  "skyporten.check",
  "azure.token",
  "azure.write",
  "azure.read",
  "azure.list",
  "azure.delete",
  "azure.outside-container",
  "azure.outside-path",
  "aws.assume-role",
  "aws.put",
  "aws.get",
  "aws.list",
  "aws.delete",
  "aws.outside-prefix",
  "aws.outside-bucket",
];

let cert: TestCertificate;
let azurite: Azurite;
let sky: SkyportenStandIn;
let entra: EntraStandIn;
let gateway: GatewayStandIn;
let aws: AwsStandIn;
let dir: string;
let privateKeyPem: string;
let gatewayStack: string;
let directStack: string;
let manifestFile: string;
let outputsFile: string;
let stdout: string[];
let stderr: string[];
/** Everything printed or written in this file, for the "never prints a token or key" test at the end. */
const everything: string[] = [];

let world: CanaryWorld | undefined;
let adminToken: CanaryWorld["adminToken"];
let azuriteRequest: CanaryWorld["azuriteRequest"];
let stackFile: CanaryWorld["stackFile"];

beforeAll(async () => {
  const w = (world = await startCanaryWorld());
  ({ cert, azurite, sky, entra, gateway, aws, dir, privateKeyPem, gatewayStack, directStack, manifestFile, outputsFile } = w);
  ({ adminToken, azuriteRequest, stackFile } = w);
});

afterAll(async () => {
  await world?.close();
});

beforeEach(() => {
  world!.deployed();
  stdout = [];
  stderr = [];
  captureOutput({ stdout, stderr, everything });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function io(overrides: Partial<CanaryIo> = {}, direct = false): CanaryIo {
  return {
    endpoints: {
      skyportenToken: sky.tokenUrl,
      discovery: sky.discoveryUrl,
      azure: { authorityHost: entra.authorityHost, ...(direct ? { baseUrl: `${azurite.origin}/${AZURITE_ACCOUNT}` } : {}) },
      aws: { sts: aws.stsUrl, s3: aws.s3Url },
    },
    http: { timeoutMs: 3000, ca: cert.cert },
    retry: { budgetMs: 800, baseDelayMs: 20, maxDelayMs: 200 },
    env: { SKYPORTEN_CANARY_PRIVATE_KEY: privateKeyPem },
    pulumi: () => Promise.reject(new Error("pulumi is not used in these tests")),
    ...overrides,
  };
}

let runs = 0;
async function run(opts: { direct?: boolean; io?: Partial<CanaryIo>; args?: string[] } = {}): Promise<{ code: number; report: CanaryReport }> {
  const json = path.join(dir, `report-${++runs}.json`);
  const code = await canary(
    ["--stack", "test", "--config-file", opts.direct === true ? directStack : gatewayStack, "--manifest", manifestFile, "--outputs", outputsFile, "--json", json, ...(opts.args ?? [])],
    io(opts.io, opts.direct === true),
  );
  const text = fs.readFileSync(json, "utf8");
  everything.push(text);
  return { code, report: JSON.parse(text) as CanaryReport };
}

const step = (r: CanaryReport, name: string) => r.steps.find((s) => s.step === name)!;
const statuses = (r: CanaryReport) => Object.fromEntries(r.steps.map((s) => [s.step, s.status]));
const notRunAfter = (r: CanaryReport, names: string[]) => names.every((n) => step(r, n).status === "not-run");

describe("npm run canary: all green", () => {
  it("proves every step through the gateway, each with its duration, and cleans up after itself on Azure", async () => {
    const canaryObjects = () => [...aws.objects.keys()].filter((k) => k.startsWith("canary-bucket/skyporten-canary/")).length;
    const before = canaryObjects();
    const { code, report } = await run();
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.failedSteps).toEqual([]);
    expect(report.steps.map((s) => s.step)).toEqual(GREEN_STEPS);
    expect(report.steps.every((s) => s.status === "proven" && s.attempts === 1 && s.durationMs >= 0)).toBe(true);
    expect(report.azureVia).toBe(`gateway ${gateway.url}`);
    expect(stdout.join("")).toMatch(/^Result: all 16 steps proven in \d+\.\d\d s$/m);

    // The JWT grant, exactly as a partner sends it.
    const grant = sky.grants.at(-1)!;
    expect(grant.header).toMatchObject({ alg: "RS256", kid: KEY_ID });
    expect(grant.claims).toMatchObject({ aud: "https://test.sky.maskinporten.no", iss: CLIENT_ID, scope: TEST_SCOPE, resource: TEST_AUDIENCE });
    expect(Number(grant.claims.exp) - Number(grant.claims.iat)).toBe(120);
    // The federated exchange: client credentials with a jwt-bearer assertion, for the gateway's token audience.
    expect(entra.requests.at(-1)).toMatchObject({
      grant_type: "client_credentials",
      client_id: AZ_CLIENT,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      scope: `${ACCOUNT_AUDIENCE}/.default`,
    });
    // Inside the grant forwarded to Azurite, outside refused by the gateway.
    const name = /wrote outbound\/skyporten-canary\/(skyporten-canary-\d{8}T\d{6}Z-[0-9a-f]{12}\.txt)/.exec(step(report, "azure.write").detail)![1]!;
    expect(gateway.log).toEqual([
      `PUT outbound/skyporten-canary/${name} forwarded`,
      `GET outbound/skyporten-canary/${name} forwarded`,
      "GET outbound/skyporten-canary/ forwarded",
      `DELETE outbound/skyporten-canary/${name} forwarded`,
      `GET inbound/${CANARY_PROBE_NAME} refused`,
      `GET outbound/nordlys/${CANARY_PROBE_NAME} refused`,
    ]);
    expect(step(report, "azure.outside-path").detail).toBe(
      `read in outbound/nordlys/ (a sibling path (organization ${NEIGHBOUR_ORG}'s directory)) refused: HTTP 403 AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.`,
    );
    const listing = await azuriteRequest("GET", "outbound?restype=container&comp=list&prefix=skyporten-canary/", await adminToken());
    expect(listing.body).not.toContain("skyporten-canary-2");
    // On AWS the role may not delete (no s3:DeleteObject): refused, and the object stays.
    expect(step(report, "aws.delete").detail).toMatch(/^delete of s3:\/\/canary-bucket\/skyporten-canary\/skyporten-canary-.*\.txt refused: HTTP 403 AccessDenied: Access Denied \(the role's policy grants no s3:DeleteObject/);
    expect(canaryObjects()).toBe(before + 1);
    expect(step(report, "aws.outside-prefix").detail).toBe(
      `read in s3://canary-bucket/nordlys/ (a sibling prefix (organization ${NEIGHBOUR_ORG}'s)) refused: HTTP 403 AccessDenied: Access Denied`,
    );
  });

  it("retries documented transients only: AADSTS70021 while a credential replicates, 429 and 503, then proves every step", async () => {
    entra.replicationDelays = 2;
    sky.script = [{ status: 429, body: { error: "slow_down" }, headers: { "retry-after": "0" } }];
    gateway.script = [{ status: 503, body: "<Error><Code>ServerBusy</Code><Message>busy</Message></Error>", headers: { "x-ms-error-code": "ServerBusy" } }];
    aws.stsScript = [{ status: 429, headers: { "content-type": "text/xml" }, body: '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>' }];
    const { code, report } = await run();
    expect(code).toBe(0);
    expect(step(report, "skyporten.token")).toMatchObject({ attempts: 2, retried: ["HTTP 429: throttled"] });
    expect(step(report, "azure.token")).toMatchObject({
      attempts: 3,
      retried: [
        "AADSTS70021: the federated credential may not have replicated in Entra ID yet",
        "AADSTS70021: the federated credential may not have replicated in Entra ID yet",
      ],
    });
    expect(step(report, "azure.write")).toMatchObject({ attempts: 2, retried: ["HTTP 503: service unavailable"] });
    expect(step(report, "aws.assume-role")).toMatchObject({ attempts: 2, retried: ["HTTP 429: throttled"] });
    expect(stdout.join("")).toContain("retried 2x: AADSTS70021: the federated credential may not have replicated in Entra ID yet");
  });
});

describe("npm run canary: each step failing names the step, the cloud's error and the fix", () => {
  it("a token for the wrong audience: stopped by explain's checks before use, nothing else runs", async () => {
    sky.overrides = { aud: "https://skyporten.example.no/other" };
    const { code, report } = await run();
    expect(code).toBe(1);
    expect(report.failedSteps).toEqual(["skyporten.check"]);
    expect(step(report, "skyporten.check")).toMatchObject({
      error: `explain: audience: aud "https://skyporten.example.no/other" is not "${TEST_AUDIENCE}"`,
      fix: `send resource "${TEST_AUDIENCE}" exactly in the JWT grant to https://test.sky.maskinporten.no/token (it becomes the token's aud)`,
    });
    expect(notRunAfter(report, GREEN_STEPS.slice(2))).toBe(true);
    expect(step(report, "azure.token").error).toBe("not run: no Skyporten token");
    expect(entra.requests.length === 0 || entra.requests.every((r) => r.client_id === AZ_CLIENT)).toBe(true);
  });

  it("an expired token: explain's expiry check", async () => {
    const now = Math.floor(Date.now() / 1000);
    sky.overrides = { iat: now - 600, exp: now - 300 };
    const { report } = await run();
    expect(report.failedSteps).toEqual(["skyporten.check"]);
    expect(step(report, "skyporten.check").error).toMatch(/^explain: expiry: expired 20\d\d-.*Z \(5 min ago\)$/);
    expect(step(report, "skyporten.check").fix).toContain("fetch a new token immediately before the exchange");
  });

  it.each([
    ["issuer", { issuer: "https://sky.maskinporten.no" }, "AADSTS700211", "the deployed federated credential's issuer differs from them"],
    ["audience", { audience: "https://skyporten.example.no/old" }, "AADSTS700212", "the deployed federated credential's audience differs from them"],
    ["subject", { subject: `0192:${NEIGHBOUR_ORG};${TEST_SCOPE}` }, "AADSTS700213", "the canary identity has no federated credential for its subject"],
  ])("Entra ID refuses a deployed credential with another %s: %s, the fix points at the deployed state", async (_what, change, code, fix) => {
    entra.identities = entra.identities.map((i) => ({ ...i, ...change }));
    const { code: exit, report } = await run();
    expect(exit).toBe(1);
    expect(report.failedSteps).toEqual(["azure.token"]);
    const s = step(report, "azure.token");
    expect(s.error).toMatch(new RegExp(`^Entra ID: .*${code}: No matching federated identity record found for presented assertion`));
    expect(s.fix).toContain(fix);
    expect(s.fix).toContain("npm run audit -- --stack test");
    expect(notRunAfter(report, ["azure.write", "azure.read", "azure.list", "azure.delete", "azure.outside-container", "azure.outside-path"])).toBe(true);
    // AWS does not depend on Azure: it still runs and proves its steps.
    expect(GREEN_STEPS.filter((n) => n.startsWith("aws.")).every((n) => step(report, n).status === "proven")).toBe(true);
    // Only AADSTS700213 is retried (a credential may be replicating), bounded by the budget.
    if (code === "AADSTS700213") {
      expect(s.attempts).toBeGreaterThan(1);
      expect(s.error).toMatch(/\(still failing after \d+ attempts over \d+(\.\d)? s: AADSTS700213/);
    } else expect(s.attempts).toBe(1);
  });

  it("Entra ID finds the token expired (AADSTS700024): the runner's clock", async () => {
    entra.clockOffsetSeconds = 3600;
    const { report } = await run();
    expect(report.failedSteps).toEqual(["azure.token"]);
    expect(step(report, "azure.token").error).toMatch(/AADSTS700024: Client assertion is not within its valid time range\./);
    expect(step(report, "azure.token").fix).toContain("check this runner's clock (NTP)");
  });

  it("a missing role on AWS: AccessDenied from STS, Azure unaffected", async () => {
    aws.roles = aws.roles.map((r) => ({ ...r, arn: `${ROLE_ARN}-old` }));
    const { code, report } = await run();
    expect(code).toBe(1);
    expect(report.failedSteps).toEqual(["aws.assume-role"]);
    expect(step(report, "aws.assume-role")).toMatchObject({
      error: "STS: HTTP 403 AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
    });
    expect(step(report, "aws.assume-role").fix).toContain(`role ${ROLE_ARN} does not exist or its trust policy does not admit`);
    expect(notRunAfter(report, GREEN_STEPS.slice(10))).toBe(true);
    expect(GREEN_STEPS.slice(0, 9).every((n) => step(report, n).status === "proven")).toBe(true);
  });

  it("403 inside the grant: the write is refused, the rest of Azure is not run", async () => {
    gateway.mode = "deny";
    const { report } = await run();
    expect(report.failedSteps).toEqual(["azure.write"]);
    expect(step(report, "azure.write").error).toBe(
      "HTTP 403 AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.",
    );
    expect(step(report, "azure.write").fix).toContain("the canary identity lacks the access its grant declares on outbound/skyporten-canary/ (read-write)");
    expect(statuses(report)["azure.read"]).toBe("not-run");
    expect(step(report, "azure.read").error).toBe("not run: azure.write failed");
  });

  it("an unexpected 200 outside the grant: a gateway that routes on the audience but forgets the grants", async () => {
    const token = await adminToken();
    expect((await azuriteRequest("PUT", `inbound/${CANARY_PROBE_NAME}`, token, "someone else's file")).status).toBe(201);
    gateway.mode = "open";
    try {
      const { code, report } = await run();
      expect(code).toBe(1);
      expect(report.failedSteps).toEqual(["azure.outside-container"]);
      expect(step(report, "azure.outside-container")).toMatchObject({
        error: "unexpected HTTP 200: the read in inbound/ (another container) succeeded, it must be refused with 403",
        fix: "the gateway let the canary read inbound/, another container: its policy must enforce each partner's grant, not only route on the token's audience",
      });
      expect(step(report, "azure.delete").status).toBe("proven");
    } finally {
      await azuriteRequest("DELETE", `inbound/${CANARY_PROBE_NAME}`, token);
    }
  });

  it("straight to the storage account (no gateway): Azurite's OAuth accepts the token; its missing ACLs show as a 404 where Azure refuses", async () => {
    const { report } = await run({ direct: true });
    expect(report.azureVia).toBe(`storage account ${azurite.origin}/${AZURITE_ACCOUNT}`);
    expect(entra.requests.at(-1)!.scope).toBe(`${ACCOUNT_AUDIENCE}/.default`);
    expect(GREEN_STEPS.slice(0, 7).every((n) => step(report, n).status === "proven")).toBe(true);
    expect(report.failedSteps).toEqual(["azure.outside-container"]);
    expect(step(report, "azure.outside-container").error).toBe("HTTP 404 BlobNotFound: The specified blob does not exist.");
    expect(step(report, "azure.outside-container").fix).toMatch(/^answered 404 instead of refusing with 403: the identity could look inside/);
  });

  it("a refusal after the write: the read fails inside the grant, and the written file is still cleaned up", async () => {
    gateway.grants = { [AZ_OID]: [{ container: "outbound", path: "skyporten-canary", access: "write" }] };
    const { report } = await run();
    expect(report.failedSteps).toEqual(["azure.read"]);
    expect(step(report, "azure.read").error).toBe(
      "HTTP 403 AuthorizationPermissionMismatch: This request is not authorized to perform this operation using this permission.",
    );
    expect(notRunAfter(report, ["azure.list", "azure.delete", "azure.outside-container", "azure.outside-path"])).toBe(true);
    const name = /^wrote (outbound\/skyporten-canary\/\S+)/.exec(step(report, "azure.write").detail)![1]!;
    expect(report.notices).toContain(`cleanup: deleted ${name} after the failure`);
    expect(gateway.log.at(-1)).toBe(`DELETE ${name} forwarded`);
  });

  it("an AWS role wider than declared: the read under the neighbour's prefix is not refused", async () => {
    aws.roles = aws.roles.map((r) => ({ ...r, grants: [...r.grants, { bucket: "canary-bucket", prefix: "nordlys/", access: "read" as const }] }));
    aws.objects.set(`canary-bucket/nordlys/${CANARY_PROBE_NAME}`, Buffer.from("neighbour"));
    try {
      const { report } = await run();
      expect(report.failedSteps).toEqual(["aws.outside-prefix"]);
      expect(step(report, "aws.outside-prefix")).toMatchObject({
        error: `unexpected success: the read in s3://canary-bucket/nordlys/ (a sibling prefix (organization ${NEIGHBOUR_ORG}'s)) must be refused with AccessDenied`,
        fix: `the read in s3://canary-bucket/nordlys/ (a sibling prefix (organization ${NEIGHBOUR_ORG}'s)) was not refused: the role's policy grants more than the manifest declares; run npm run audit -- --stack test`,
      });
      expect(step(report, "aws.outside-bucket").status).toBe("not-run");
    } finally {
      aws.objects.delete(`canary-bucket/nordlys/${CANARY_PROBE_NAME}`);
    }
  });

  it("AWS grants more than declared: a delete the policy does not grant succeeds, and the chain stops there", async () => {
    aws.s3Mode = "open";
    aws.objects.set(`canary-bucket/nordlys/${CANARY_PROBE_NAME}`, Buffer.from("neighbour"));
    const { report } = await run();
    expect(report.failedSteps).toEqual(["aws.delete"]);
    expect(step(report, "aws.delete").error).toMatch(/^unexpected success: the delete of s3:\/\/canary-bucket\/skyporten-canary\/.* must be refused with AccessDenied$/);
    expect(step(report, "aws.delete").fix).toBe(
      `the delete of ${step(report, "aws.delete").error!.split(" ")[5]} was not refused: the role's policy grants more than the manifest declares; run npm run audit -- --stack test`,
    );
    expect(notRunAfter(report, ["aws.outside-prefix", "aws.outside-bucket"])).toBe(true);
    aws.objects.delete(`canary-bucket/nordlys/${CANARY_PROBE_NAME}`);
  });

  it("a key that is not an RSA private key: named, never echoed", async () => {
    const { report } = await run({ io: { env: { SKYPORTEN_CANARY_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nbm90LWEta2V5LXdoYXRzb2V2ZXI=\n-----END PRIVATE KEY-----" } } });
    expect(report.failedSteps).toEqual(["skyporten.token"]);
    expect(step(report, "skyporten.token").error).toBe("the canary's private key is not an unencrypted RSA private key in PEM format");
    expect(JSON.stringify(report)).not.toContain("bm90LWEta2V5LXdoYXRzb2V2ZXI");
  });

  it("a wrong key id: Skyporten's invalid_client, the fix names the kid and the client, exit 1", async () => {
    const stack = stackFile("Pulumi.wrongkid.yaml", true, { "skyporten-onboarding:canary": { orgNumber: "991825827", clientId: CLIENT_ID, keyId: "rotated-away" } });
    const json = path.join(dir, "wrong-kid.json");
    const code = await canary(["--stack", "test", "--config-file", stack, "--manifest", manifestFile, "--outputs", outputsFile, "--json", json], io());
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as CanaryReport;
    everything.push(JSON.stringify(report));
    expect(code).toBe(1);
    expect(report.failedSteps).toEqual(["skyporten.token"]);
    expect(step(report, "skyporten.token")).toMatchObject({
      error: "Skyporten token endpoint: HTTP 400 invalid_client: Unknown kid rotated-away",
      fix: `check canary.clientId and canary.keyId: the key with kid "rotated-away" must be registered on Maskinporten client ${CLIENT_ID}, and the private key must be its pair`,
    });
    expect(notRunAfter(report, ["azure.token", "aws.assume-role"])).toBe(true);
  });

  it("a PKCS#1 key (openssl genrsa) is accepted as well", async () => {
    const pkcs1 = createPrivateKey(privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
    everything.push(`pkcs1 key used: ${pkcs1.length} characters`);
    const { code } = await run({ io: { env: { SKYPORTEN_CANARY_PRIVATE_KEY: pkcs1 } } });
    expect(code).toBe(0);
  });

  it.each([
    ["Skyporten", "skyporten.token", () => (sky.hang = true)],
    ["Entra ID", "azure.token", () => (entra.hang = true)],
    ["the gateway", "azure.write", () => (gateway.hang = true)],
    ["STS", "aws.assume-role", () => (aws.stsHang = true)],
  ])("a timeout at %s fails %s with the time waited", async (_who, failing, hang) => {
    hang();
    const { report } = await run({ io: { http: { timeoutMs: 300, ca: cert.cert } } });
    expect(report.failedSteps).toEqual([failing]);
    expect(step(report, failing).error).toMatch(/no answer (within 300 ms|in time)/);
  });
});

describe("npm run canary: not configured (exit 2)", () => {
  const expectExit2 = async (p: Promise<number>, message: RegExp) => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).code).toBe(2);
    expect((e as CliError).message).toMatch(message);
  };
  const base = (stack: string) => ["--stack", "test", "--config-file", stack, "--manifest", manifestFile, "--outputs", outputsFile];

  it("no canary settings", async () => {
    const stack = stackFile("Pulumi.none.yaml", true);
    const text = fs.readFileSync(stack, "utf8").replace(/ {2}skyporten-onboarding:canary:\n(?: {4}.*\n)+/, "");
    fs.writeFileSync(stack, text);
    await expectExit2(canary(base(stack), io()), /^no canary configured for stack test: set skyporten-onboarding:canary \(orgNumber, clientId, keyId\)/);
    // CI on a stack that may have none: a note and exit 0; a canary that is set but broken still exits 2.
    expect(await canary([...base(stack), "--if-configured"], io())).toBe(0);
    expect(stdout.join("")).toBe("no canary configured for stack test: nothing to prove (--if-configured)\n");
    await expectExit2(canary([...base(gatewayStack), "--if-configured"], io({ env: {} })), /the canary's private key is not set/);
  });

  it("settings that name what is missing", async () => {
    const stack = stackFile("Pulumi.bad.yaml", true, { "skyporten-onboarding:canary": { orgNumber: "123456789", clientId: "" } });
    await expectExit2(
      canary(base(stack), io()),
      /skyporten-onboarding:canary\.orgNumber: canary\.orgNumber "123456789" has a wrong MOD11 check digit[\s\S]*skyporten-onboarding:canary\.clientId: canary\.clientId must not be empty[\s\S]*skyporten-onboarding:canary\.keyId is not set/,
    );
  });

  it("an organization that is not a partner of the manifest", async () => {
    const stack = stackFile("Pulumi.other.yaml", true, { "skyporten-onboarding:canary": { orgNumber: "917422575", clientId: CLIENT_ID, keyId: KEY_ID } });
    await expectExit2(canary(base(stack), io()), /canary\.orgNumber 917422575 is not a partner in .*manifest\.yaml: add a partner entry/);
  });

  it("no private key: neither the environment variable nor the Pulumi secret", async () => {
    await expectExit2(canary(base(gatewayStack), io({ env: {} })), /the canary's private key is not set: set the environment variable SKYPORTEN_CANARY_PRIVATE_KEY, or pulumi config set --secret skyporten-onboarding:canaryPrivateKey < key\.pem/);
  });

  it("the Pulumi secret is read with pulumi config get when the environment has no key", async () => {
    const stack = stackFile("Pulumi.secret.yaml", true, { "skyporten-onboarding:canaryPrivateKey": { secure: "v1:AAAA" } });
    const calls: string[][] = [];
    const pulumi = (args: string[]) => {
      calls.push(args);
      return Promise.resolve(privateKeyPem);
    };
    const json = path.join(dir, "secret-run.json");
    expect(await canary([...base(stack), "--json", json], io({ env: {}, pulumi }))).toBe(0);
    everything.push(fs.readFileSync(json, "utf8"));
    expect(calls).toEqual([["config", "get", "skyporten-onboarding:canaryPrivateKey", "--stack", "test", "--config-file", stack]]);
  });

  it("no --outputs: the outputs come from pulumi stack output", async () => {
    const calls: string[][] = [];
    const pulumi = (args: string[]) => {
      calls.push(args);
      return Promise.resolve(fs.readFileSync(outputsFile, "utf8"));
    };
    const json = path.join(dir, "pulumi-outputs-run.json");
    expect(await canary(["--stack", "test", "--config-file", gatewayStack, "--manifest", manifestFile, "--json", json], io({ pulumi }))).toBe(0);
    everything.push(fs.readFileSync(json, "utf8"));
    expect(calls).toEqual([["stack", "output", "--stack", "test", "--json"]]);
  });

  it("no outputs: asks pulumi, and says how to pass them when that fails", async () => {
    await expectExit2(
      canary(["--stack", "test", "--config-file", gatewayStack, "--manifest", manifestFile], io()),
      /^cannot read the stack outputs from pulumi stack output --stack test --json \(pulumi is not used in these tests\); pass --outputs FILE/,
    );
  });

  it("a --json path that cannot be written: exit 2 with the reason after the report is printed, no stack trace", async () => {
    await expectExit2(
      canary([...base(gatewayStack), "--json", dir], io()),
      /^cannot write --json .*: EISDIR; the report above is the run's result/,
    );
    expect(stdout.join("")).toMatch(/Result: all \d+ steps proven/);
  });

  it("--help documents the settings", async () => {
    expect(await canary(["--help"])).toBe(0);
    const help = stdout.join("");
    for (const s of ["skyporten-onboarding:canary:", "orgNumber:", "clientId:", "keyId:", "SKYPORTEN_CANARY_PRIVATE_KEY", "skyporten-onboarding:canaryPrivateKey", "--outputs FILE", "--json OUT", "Exit: 0"])
      expect(help).toContain(s);
  });
});

describe("npm run canary: secrets", () => {
  it("never prints or writes a token or key (every run of this file, success and failure)", () => {
    const all = everything.join("\n");
    expect(all.length).toBeGreaterThan(10_000);
    const secrets = [
      ...sky.issued,
      ...entra.issued,
      ...aws.issued,
      ...privateKeyPem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----")),
    ];
    expect(sky.issued.length).toBeGreaterThan(10);
    expect(entra.issued.length).toBeGreaterThan(5);
    expect(aws.issued.length).toBeGreaterThan(5);
    for (const s of secrets) {
      expect(all.includes(s)).toBe(false);
      // Not even the signature part of a token.
      const sig = s.split(".")[2];
      if (sig !== undefined && sig.length > 20) expect(all.includes(sig)).toBe(false);
    }
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}\.eyJ/);
    expect(all).not.toContain("PRIVATE KEY");
  });
});
