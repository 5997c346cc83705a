import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliError } from "./lib/cli";
import { engineUrn } from "./lib/offlineRun";
import { identityStateUrn, identityStateUrns, onboard, type OnboardIo } from "./onboard";
import { validate } from "./validate";

const PROJECT_DIR = path.resolve(__dirname, "..");
const SAMPLE_TEST = fs.readFileSync(path.join(PROJECT_DIR, "stacks", "test.yaml"), "utf8");
const SAMPLE_PROD = fs.readFileSync(path.join(PROJECT_DIR, "stacks", "prod.yaml"), "utf8");
/** Where an entry appended to the sample test manifest starts: its line number and its index. */
const NEXT_LINE = SAMPLE_TEST.split("\n").length;
const NEXT_INDEX = (SAMPLE_TEST.match(/^  - orgNumber: /gm) ?? []).length;

let dir: string;
let testFile: string;
let prodFile: string;
let out: string[];
let err: string[];
let servers: http.Server[];

function io(env: NodeJS.ProcessEnv = {}): OnboardIo {
  return { out: (l) => out.push(l), err: (l) => err.push(l), env };
}

/** A stand-in for data.brreg.no on 127.0.0.1. */
async function brreg(status: number, body: unknown): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, requests };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-onboard-"));
  testFile = path.join(dir, "test.yaml");
  prodFile = path.join(dir, "prod.yaml");
  fs.writeFileSync(testFile, SAMPLE_TEST);
  fs.writeFileSync(prodFile, SAMPLE_PROD);
  out = [];
  err = [];
  servers = [];
  // validate() reports on stdout; keep the test output readable.
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

const ADDED = `  - orgNumber: "123456785"
    name: NY PARTNER AS
    contact: ops@ny.example
    azure:
      - container: inbound
        access: write
    aws:
      - bucket: banenor-payload-test
        prefix: ny/
        access: read
`;

describe("onboard add", () => {
  it("--lookup fills the legal name from Enhetsregisteret; the file only grows by the entry and then validates", async () => {
    const api = await brreg(200, { organisasjonsnummer: "123456785", navn: "NY PARTNER AS" });
    const argv = ["add", "--stack", "test", "--org", "123456785", "--lookup", "--azure", "inbound:write", "--aws", "banenor-payload-test:ny/:read", "--contact", "ops@ny.example", "--manifest", testFile];
    await expect(onboard(argv, io({ BRREG_API_URL: api.url }))).resolves.toBe(0);
    expect(api.requests).toEqual(["/api/enheter/123456785"]);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST + ADDED);
    expect(out).toEqual([
      "Enhetsregisteret: 123456785 is NY PARTNER AS",
      `${testFile}: added organization 123456785 (NY PARTNER AS); the manifest is valid`,
      "Next steps:",
      `  1. Open a pull request with ${testFile}; its checks post the access diff (locally: npm run plan -- --stack test --base origin/main).`,
      "  2. After the merge has been deployed to test, write the partner's handover document and send it: pulumi stack output --stack test --json > outputs.json && npm run handover -- --stack test --org 123456785 --outputs outputs.json",
      "  3. This stack does not manage Maskinporten scope access: give organization 123456785 access to banenor:payloadmanager.storage in Samarbeidsportalen.",
    ]);
    expect(err).toEqual([]);
    expect(validate(["--stack", "test", testFile])).toBe(0);
  });

  it("refuses a duplicate with validate's message, writes nothing and asks the register nothing", async () => {
    const api = await brreg(200, {});
    await expect(onboard(["add", "--stack", "test", "--org", "917422575", "--lookup", "--manifest", testFile], io({ BRREG_API_URL: api.url }))).resolves.toBe(1);
    expect(err).toEqual([
      `${testFile}:${NEXT_LINE}:16 partners[${NEXT_INDEX}].orgNumber: organization 917422575 is listed twice (first at partners[0]); merge the two entries`,
      `${testFile}: not written: the change would make the manifest invalid (1 error(s))`,
    ]);
    expect(api.requests).toEqual([]);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST);
  });

  it("refuses an invalid organization number and an unknown container with validate's messages", async () => {
    await expect(onboard(["add", "--stack", "test", "--org", "123456789", "--name", "X", "--azure", "nosuch:read", "--manifest", testFile], io())).resolves.toBe(1);
    expect(err).toEqual([
      `${testFile}:${NEXT_LINE}:16 partners[${NEXT_INDEX}].orgNumber: organization number "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)`,
      `${testFile}:${NEXT_LINE + 3}:20 partners[${NEXT_INDEX}].azure[0].container: container "nosuch" is not declared under containers; declare it or fix the name`,
      `${testFile}: not written: the change would make the manifest invalid (2 error(s))`,
    ]);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST);
  });

  it("--lookup while offline: a clear message, nothing written", async () => {
    const api = await brreg(200, {});
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(onboard(["add", "--stack", "test", "--org", "123456785", "--lookup", "--manifest", testFile], io({ BRREG_API_URL: api.url }))).rejects.toThrow(
      new CliError(
        `cannot reach Brønnøysundregistrene at ${api.url}/enheter/123456785 (ECONNREFUSED): this machine seems to be offline or behind a proxy; pass the legal name with --name instead of --lookup`,
      ),
    );
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST);
  });

  it("usage errors name the missing option", async () => {
    await expect(onboard(["add", "--org", "123456785", "--name", "X"], io())).rejects.toThrow(/^--stack is required\nusage: npm run onboard/);
    await expect(onboard(["add", "--stack", "test", "--org", "123456785"], io())).rejects.toThrow(/^give the organization's legal name with --name, or --lookup/);
    await expect(onboard(["add", "--stack", "test", "--org", "123456785", "--name", "X", "--lookup"], io())).rejects.toThrow("give either --name or --lookup, not both");
    await expect(onboard(["frobnicate"], io())).rejects.toThrow(/^unknown command "frobnicate"/);
  });
});

describe("onboard promote, suspend, reinstate, offboard", () => {
  it("promote copies the entry into prod with the bucket mapped, then prod validates", async () => {
    await onboard(["add", "--stack", "test", "--org", "123456785", "--name", "NY PARTNER AS", "--azure", "inbound:write", "--aws", "banenor-payload-test:ny/:read", "--contact", "ops@ny.example", "--manifest", testFile], io());
    out = [];
    const argv = ["promote", "--org", "123456785", "--from", "test", "--to", "prod", "--from-manifest", testFile, "--to-manifest", prodFile];
    await expect(onboard(argv, io())).rejects.toThrow(
      new CliError(
        `${prodFile} declares no bucket "banenor-payload-test" (aws[0] of organization 123456785); declare it under buckets in ${prodFile}, or map it to a bucket of ${prodFile} with --bucket banenor-payload-test=banenor-payload-prod`,
      ),
    );
    await expect(onboard([...argv, "--bucket", "banenor-payload-test=banenor-payload-prod"], io())).resolves.toBe(0);
    expect(fs.readFileSync(prodFile, "utf8")).toBe(SAMPLE_PROD + ADDED.replace("banenor-payload-test", "banenor-payload-prod"));
    expect(out[0]).toBe(`${prodFile}: copied organization 123456785 (NY PARTNER AS) from ${testFile}; the manifest is valid`);
    expect(validate(["--stack", "prod", prodFile])).toBe(0);
    // Promoting again is a duplicate: validate's message, nothing written.
    err = [];
    await expect(onboard([...argv, "--bucket", "banenor-payload-test=banenor-payload-prod"], io())).resolves.toBe(1);
    expect(err[0]).toMatch(/^.*prod\.yaml:\d+:16 partners\[\d+\]\.orgNumber: organization 123456785 is listed twice \(first at partners\[\d+\]\); merge the two entries$/);
  });

  it("promote of a suspended partner keeps it suspended and asks for no handover or scope access", async () => {
    const argv = ["promote", "--org", "812345672", "--from", "test", "--to", "prod", "--from-manifest", testFile, "--to-manifest", prodFile];
    await expect(onboard(argv, io()), err.join("\n")).resolves.toBe(0);
    expect(fs.readFileSync(prodFile, "utf8")).toContain("  - orgNumber: \"812345672\"\n    name: Banemontasje Nord AS\n    status: suspended\n");
    expect(out).toEqual([
      `${prodFile}: copied organization 812345672 (Banemontasje Nord AS) from ${testFile}; the manifest is valid`,
      `organization 812345672 is suspended in ${testFile}, and so it is in ${prodFile}: it gets no access in prod until reinstated`,
      "Next steps:",
      `  1. Open a pull request with ${prodFile}; its checks post the access diff (locally: npm run plan -- --stack prod --base origin/main).`,
      "  2. When the partner is to have access in prod: npm run onboard -- reinstate --stack prod --org 812345672",
    ]);
    expect(validate(["--stack", "prod", prodFile])).toBe(0);
  });

  it("suspend then reinstate gives the manifest back byte for byte", async () => {
    await expect(onboard(["suspend", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST.replace("    name: Nordlys Logistikk AS\n", "    name: Nordlys Logistikk AS\n    status: suspended\n"));
    expect(out[0]).toBe(`${testFile}: organization 910000012 (Nordlys Logistikk AS) suspended (was active); the manifest is valid`);
    await expect(onboard(["reinstate", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST);
    await expect(onboard(["reinstate", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).rejects.toThrow(
      `organization 910000012 in ${testFile} is already active; nothing to change`,
    );
  });

  it("offboard in prod prints the exact unprotect command for the protected identity", async () => {
    await expect(onboard(["offboard", "--stack", "prod", "--org", "917422575", "--manifest", prodFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(prodFile, "utf8")).toBe(SAMPLE_PROD.replace("    name: Entur AS\n", "    name: Entur AS\n    status: offboarded\n"));
    expect(out).toContain(
      "  2. This stack protects managed identities: after approval, and before pulumi up, run: pulumi state unprotect --stack prod --yes 'urn:pulumi:prod::skyporten-onboarding::skyporten:partner:SkyportenPartner$azure-native:managedidentity:UserAssignedIdentity::partner-917422575-identity'",
    );
    expect(identityStateUrn("test", "910000012")).toBe(
      "urn:pulumi:test::skyporten-onboarding::skyporten:partner:SkyportenPartner$azure-native:managedidentity:UserAssignedIdentity::partner-910000012-identity",
    );
  });

  it("offboard in test (identities not protected) needs no manual step", async () => {
    await expect(onboard(["offboard", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).resolves.toBe(0);
    expect(out.some((l) => l.includes("pulumi state unprotect"))).toBe(false);
    expect(validate(["--stack", "test", testFile])).toBe(0);
  });
});

describe("onboard under concurrent edits, unrelated problems and odd files", () => {
  it("add --lookup does not undo a suspend made while it waited for the register (no lost update)", async () => {
    const suspended = SAMPLE_TEST.replace("    name: Nordlys Logistikk AS\n", "    name: Nordlys Logistikk AS\n    status: suspended\n");
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(req.url ?? "");
      // The emergency suspend lands while the lookup is on the network.
      fs.writeFileSync(testFile, suspended);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ organisasjonsnummer: "123456785", navn: "NY PARTNER AS" }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    const argv = ["add", "--stack", "test", "--org", "123456785", "--lookup", "--azure", "inbound:write", "--aws", "banenor-payload-test:ny/:read", "--contact", "ops@ny.example", "--manifest", testFile];
    await expect(onboard(argv, io({ BRREG_API_URL: url }))).resolves.toBe(0);
    expect(requests).toEqual(["/api/enheter/123456785"]);
    expect(fs.readFileSync(testFile, "utf8")).toBe(suspended + ADDED);
  });

  it("suspend and offboard go through when another partner's review date has passed; the old error is shown as a warning", async () => {
    const expired = SAMPLE_TEST.replace("    reviewBy: 2027-06-30\n", "    reviewBy: 2020-01-31\n");
    fs.writeFileSync(testFile, expired);
    await expect(onboard(["suspend", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toBe(expired.replace("    name: Nordlys Logistikk AS\n", "    name: Nordlys Logistikk AS\n    status: suspended\n"));
    expect(err).toEqual([
      `warning: ${testFile}:17:15 partners[0].reviewBy: review of organization 917422575 was due 2020-01-31; review the access, then set a new reviewBy date or offboard the partner`,
      `warning: ${testFile} already had 1 error(s) that this change does not touch; it is written anyway, fix them before the pull request`,
    ]);
    err = [];
    await expect(onboard(["offboard", "--stack", "test", "--org", "921345674", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toContain("    name: Fjordkraft Data AS\n    status: offboarded\n");
    // Reinstating is no emergency: it still needs a valid file.
    err = [];
    fs.writeFileSync(testFile, expired);
    const before = fs.readFileSync(testFile, "utf8");
    await expect(onboard(["reinstate", "--stack", "test", "--org", "812345672", "--manifest", testFile], io())).resolves.toBe(1);
    expect(fs.readFileSync(testFile, "utf8")).toBe(before);
  });

  it("a single-value option given twice is an error, never the last one silently", async () => {
    await expect(onboard(["suspend", "--stack", "test", "--org", "910000012", "--org", "917422575", "--manifest", testFile], io())).rejects.toThrow(
      /^--org is given more than once; give it once\nusage: npm run onboard/,
    );
    await expect(onboard(["add", "--stack", "test", "--stack", "prod", "--org", "123456785", "--name", "X", "--manifest", testFile], io())).rejects.toThrow(/^--stack is given more than once/);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST);
  });

  it("a symlinked manifest stays a link (its target is rewritten) and the file's mode is kept", async () => {
    const target = path.join(dir, "real.yaml");
    fs.writeFileSync(target, SAMPLE_TEST, { mode: 0o640 });
    fs.chmodSync(target, 0o640);
    const link = path.join(dir, "link.yaml");
    fs.symlinkSync(target, link);
    await expect(onboard(["suspend", "--stack", "test", "--org", "910000012", "--manifest", link], io())).resolves.toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toContain("    name: Nordlys Logistikk AS\n    status: suspended\n");
    expect(fs.statSync(target).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir).sort()).toEqual(["link.yaml", "prod.yaml", "real.yaml", "test.yaml"]);
  });

  it("reinstate keeps a comment on the status line (the value becomes active)", async () => {
    fs.writeFileSync(testFile, SAMPLE_TEST.replace("    status: suspended\n", "    status: suspended # fraud case 2026-117, ask security first\n"));
    await expect(onboard(["reinstate", "--stack", "test", "--org", "812345672", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST.replace("    status: suspended\n", "    status: active # fraud case 2026-117, ask security first\n"));
  });

  it("a file with CR-only line endings is edited line by line and keeps its line endings", async () => {
    fs.writeFileSync(testFile, SAMPLE_TEST.replace(/\n/g, "\r"));
    await expect(onboard(["suspend", "--stack", "test", "--org", "910000012", "--manifest", testFile], io())).resolves.toBe(0);
    expect(fs.readFileSync(testFile, "utf8")).toBe(SAMPLE_TEST.replace("    name: Nordlys Logistikk AS\n", "    name: Nordlys Logistikk AS\n    status: suspended\n").replace(/\n/g, "\r"));
  });

  it("the unprotect command names the resources of the stack's identity kind", () => {
    const parent = "urn:pulumi:prod::skyporten-onboarding::skyporten:partner:SkyportenPartner";
    expect(identityStateUrns("prod", "917422575", "app-registration")).toEqual([
      `${parent}$azuread:index/application:Application::partner-917422575-app`,
      `${parent}$azuread:index/servicePrincipal:ServicePrincipal::partner-917422575-sp`,
    ]);
    // The same URNs the engine gives (the plan's URNs), from the parent's URN, type and logical name.
    const component = engineUrn("prod", "skyporten-onboarding", null, "skyporten:partner:SkyportenPartner", "partner-917422575");
    expect(identityStateUrns("prod", "917422575", "app-registration")).toEqual([
      engineUrn("prod", "skyporten-onboarding", component, "azuread:index/application:Application", "partner-917422575-app"),
      engineUrn("prod", "skyporten-onboarding", component, "azuread:index/servicePrincipal:ServicePrincipal", "partner-917422575-sp"),
    ]);
    expect(identityStateUrns("prod", "917422575", "managed-identity")).toEqual([identityStateUrn("prod", "917422575")]);
  });
});
