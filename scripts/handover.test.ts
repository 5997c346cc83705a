import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { handover } from "./handover";
import { CliError } from "./lib/cli";
import type { HandoverJson } from "./lib/handover";
import { captureOutput } from "../test/support/captureOutput";

/** In-process runs of `npm run handover` on the sample stack (Pulumi.test.yaml, stacks/test.yaml). */

let dir: string;
let stdout: string[];
let stderr: string[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "handover-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  stdout = [];
  stderr = [];
  captureOutput({ stdout, stderr });
});
afterEach(() => vi.restoreAllMocks());

const run = (...argv: string[]) => handover(["--stack", "test", ...argv]);
const out = () => stdout.join("");

/** The deployed outputs of Entur as `pulumi stack output --json` prints them. */
function enturOutputs(patch: (e: Record<string, unknown>) => void = () => undefined): string {
  const entur: Record<string, unknown> = {
    name: "Entur AS",
    status: "active",
    issuer: "https://test.sky.maskinporten.no",
    subject: "0192:917422575;banenor:payloadmanager.storage",
    audience: "https://skyporten.test.banenor.example.no",
    azure: {
      clientId: "6f1e2d3c-1111-4222-8333-444455556666",
      principalId: "0bad0bad-1111-4222-8333-444455556666",
      tenantId: "6ee535f2-3064-4ac9-81d8-4ceb2ff790c6",
      storageAccount: "bnplmextnwesttest",
      blobEndpoint: "https://bnplmextnwesttest.blob.core.windows.net",
      dfsEndpoint: "https://bnplmextnwesttest.dfs.core.windows.net",
      grants: [{ container: "entur-exchange", access: "read-write" }],
    },
    aws: {
      roleArn: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575",
      providerArn: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no",
      region: "eu-north-1",
      grants: [{ bucket: "banenor-payload-test", prefix: "entur/", access: "read-write" }],
    },
  };
  patch(entur);
  const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify({ partners: { "917422575": entur } }, null, 2));
  return file;
}

describe("npm run handover", () => {
  it("--org prints one partner's document offline; the client id is 'assigned at deployment'", async () => {
    expect(await run("--org", "917422575")).toBe(0);
    const md = out();
    expect(md.startsWith("# Skyporten access for Entur AS (917422575): test environment\n")).toBe(true);
    expect(md).toContain("| Client id (log in with this) | _assigned at deployment_ |");
    expect(md).toContain(
      "| Role ARN | `arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575` |",
    );
    expect(stderr.join("")).toContain(
      "organization 917422575: the client id is assigned at deployment: pass the deployed stack's outputs (--outputs) to include it\n",
    );
    // Scope access is manual on the sample stack: the platform team is told where.
    expect(stderr.join("")).toContain(
      "organization 917422575: Maskinporten scope access is not managed by this stack (skyporten-onboarding:maskinporten.manageScopeAccess is false): grant it by hand.",
    );
  });

  it("without --org prints every partner that is not offboarded (Azure-only, AWS-only, both, suspended)", async () => {
    expect(await run()).toBe(0);
    const titles = out()
      .split("\n")
      .filter((l) => l.startsWith("# Skyporten access"));
    expect(titles).toEqual([
      "# Skyporten access for Entur AS (917422575): test environment",
      "# Skyporten access for Nordlys Logistikk AS (910000012): test environment",
      "# Skyporten access for Fjordkraft Data AS (921345674): test environment",
      "# Skyporten access for Vestland Vedlikehold AS (934567811): test environment",
      "# Skyporten access for Banemontasje Nord AS (812345672): test environment",
    ]);
    expect(out()).toContain("> **Access is suspended.**");
  });

  it("--out writes <orgno>.md and the JSON twin", async () => {
    const outDir = path.join(dir, "docs");
    expect(await run("--org", "921345674", "--out", outDir)).toBe(0);
    expect(fs.readdirSync(outDir).sort()).toEqual(["921345674.json", "921345674.md"]);
    expect(out()).toBe(
      `wrote ${path.join(outDir, "921345674.md")} and ${path.join(outDir, "921345674.json")}\n`,
    );
    const json = JSON.parse(fs.readFileSync(path.join(outDir, "921345674.json"), "utf8")) as HandoverJson;
    expect([json.kind, json.version, json.stack, json.manifest, json.outputs]).toEqual([
      "skyporten-handover",
      1,
      "test",
      "stacks/test.yaml",
      null,
    ]);
    expect(json.partner.azure).toBeNull();
    expect(json.partner.aws).toEqual({
      exchangeEnabled: true,
      roleName: "skyporten-test-921345674",
      roleArn: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-921345674",
      providerArn: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no",
      region: "eu-north-1",
      maxSessionDurationSeconds: 3600,
      grants: [
        {
          bucket: "banenor-payload-test",
          prefix: "fjordkraft/",
          access: "read",
          s3Uri: "s3://banenor-payload-test/fjordkraft/",
        },
      ],
    });
    expect(fs.readFileSync(path.join(outDir, "921345674.md"), "utf8")).toContain("## 3. AWS");
  });

  it("--outputs adds the deployed client id, and never the object id", async () => {
    expect(await run("--org", "917422575", "--outputs", enturOutputs())).toBe(0);
    expect(out()).toContain("| Client id (log in with this) | `6f1e2d3c-1111-4222-8333-444455556666` |");
    expect(out()).toContain(
      "az login --service-principal -u 6f1e2d3c-1111-4222-8333-444455556666 -t 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6",
    );
    expect(out()).not.toContain("0bad0bad-1111-4222-8333-444455556666");
  });

  it("refuses to hand over when the deployed outputs disagree with the files (exit 1)", async () => {
    const file = enturOutputs((e) => {
      e.audience = "https://skyporten.old.example.no";
    });
    expect(await run("--org", "917422575", "--outputs", file)).toBe(1);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([
      'organization 917422575: audience: deployed "https://skyporten.old.example.no", the stack files say "https://skyporten.test.banenor.example.no"\n',
      `${file}: the deployed stack differs from stacks/test.yaml / Pulumi.test.yaml; run \`pulumi up\`, export the outputs again, then hand over (a handover must describe what is deployed)\n`,
    ]);
  });

  it("bad input is a CliError naming the fix", async () => {
    await expect(run("--org", "991825827")).rejects.toThrow(
      new CliError(
        "organization 991825827 is not in stacks/test.yaml: onboard it first (add a manifest entry, open a pull request, pulumi up)",
      ),
    );
    await expect(run("--org", "12345")).rejects.toThrow(
      /^--org 12345: organization number must be exactly 9 digits/,
    );
    const notJson = path.join(dir, "bad.json");
    fs.writeFileSync(notJson, "Current stack outputs (1):");
    await expect(run("--outputs", notJson)).rejects.toThrow(
      new CliError(
        `${notJson}: not JSON; pass the file written by \`pulumi stack output --json > ${notJson}\``,
      ),
    );
    await expect(run("--outputs", path.join(dir, "missing.json"))).rejects.toThrow(
      /^cannot read --outputs file/,
    );
    await expect(run("--manifest", path.join(dir, "none.yaml"))).rejects.toThrow(
      /it does not exist; pass the path of stacks\/<stack>\.yaml/,
    );
  });

  it("an offboarded partner has nothing to hand over", async () => {
    const manifest = path.join(dir, "offboarded.yaml");
    fs.writeFileSync(
      manifest,
      [
        "containers:",
        "  - name: inbound",
        "partners:",
        '  - orgNumber: "917422575"',
        "    name: Entur AS",
        "    status: offboarded",
        "    azure:",
        "      - container: inbound",
        "        access: write",
        "",
      ].join("\n"),
    );
    await expect(run("--manifest", manifest, "--org", "917422575")).rejects.toThrow(
      new CliError("organization 917422575 is offboarded on stack test: nothing to hand over"),
    );
    expect(await run("--manifest", manifest)).toBe(0);
    expect(stdout).toEqual([]);
    expect(stderr).toEqual([
      "skipping organization 917422575: offboarded\n",
      `no partner to hand over in ${manifest}\n`,
    ]);
  });
});
