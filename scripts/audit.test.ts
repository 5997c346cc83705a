import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { FOREIGN, PLATFORM } from "../infra/audit/plantTable";
import { deployed, sampleExpectation, sampleStack } from "../infra/audit/testing";
import type { AccessState } from "../infra/audit/observed";
import { audit, type AuditDeps } from "./audit";
import { sourcesFor, startDoubles, stopDoubles, type Doubles } from "./lib/audit/testing/doubles";
import { armForbidden } from "./lib/audit/testing/armServer";
import { CliError } from "./lib/cli";

/**
 * `npm run audit` end to end: in a child process with no cloud credentials in the environment (--write-expected,
 * --observed, exit codes, reasons without stack traces), and in process with live collection against the local
 * doubles of ARM, Graph, DFS and IAM.
 */

const ROOT = path.resolve(__dirname, "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-audit-test-"));
const exec = promisify(execFile);

/** The environment of a fresh clone on a machine without cloud credentials. */
const BARE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(AZURE_|ARM_|AWS_|MASKINPORTEN_|GITHUB_)/.test(k)),
);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "scripts", "audit.ts"), ...args],
      { cwd: ROOT, env: BARE_ENV },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

const expectedFile = path.join(TMP, "expected-test.json");
let written: { code: number; stdout: string; stderr: string };

beforeAll(async () => {
  written = await cli("--stack", "test", "--write-expected", expectedFile);
}, 60_000);

describe("npm run audit from a fresh clone (no credentials)", () => {
  it("--write-expected writes the expected state with the offline plan's placeholder ids", async () => {
    expect(written).toMatchObject({ code: 0, stderr: "" });
    const doc = JSON.parse(fs.readFileSync(expectedFile, "utf8")) as AccessState;
    const plan = await exec(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(ROOT, "scripts", "plan.ts"),
        "--stack",
        "test",
        "--json",
        path.join(TMP, "plan.json"),
      ],
      { cwd: ROOT, env: BARE_ENV },
    );
    expect(plan.stderr).toBe("");
    const resources = (
      JSON.parse(fs.readFileSync(path.join(TMP, "plan.json"), "utf8")) as {
        resources: { type: string; name: string; inputs: Record<string, unknown> }[];
      }
    ).resources;
    // The ids in the document are the ones the plan's resources carry: group members name the identities'
    // principal ids, ACL entries the groups' and identities' object ids.
    const members = resources
      .filter((r) => r.type === "azuread:index/groupMember:GroupMember")
      .map((r) => `${String(r.inputs.groupObjectId)}<-${String(r.inputs.memberObjectId)}`)
      .sort();
    expect(doc.azure!.groups.flatMap((g) => g.memberIds.map((m) => `${g.objectId}<-${m}`)).sort()).toEqual(
      members,
    );
    const entries = resources
      .filter((r) => r.type === "pulumi-nodejs:dynamic/adls:PathAcl")
      .flatMap((r) =>
        (r.inputs.entries as string[]).map(
          (e) => `${String(r.inputs.fileSystem)}${String(r.inputs.path)} ${e}`,
        ),
      )
      .sort();
    expect(
      doc
        .azure!.acls.flatMap((a) => [...a.access, ...a.default].map((e) => `${a.container}${a.path} ${e}`))
        .sort(),
    ).toEqual(entries);
    const assignments = resources
      .filter((r) => r.type === "azure-native:authorization:RoleAssignment")
      .map(
        (r) =>
          `${String(r.inputs.scope)}|${String(r.inputs.roleDefinitionId)}|${String(r.inputs.principalId)}`,
      )
      .sort();
    expect(
      doc.azure!.roleAssignments.map((a) => `${a.scope}|${a.roleDefinitionId}|${a.principalId}`).sort(),
    ).toEqual(assignments);
    const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    const trusts = resources
      .filter((r) => r.type === "aws:iam/role:Role")
      .map((r) => JSON.parse(String(r.inputs.assumeRolePolicy)) as unknown);
    expect(sorted(doc.aws!.roles.map((r) => r.trustPolicy))).toEqual(sorted(trusts));
    const fics = resources
      .filter((r) => r.type === "azure-native:managedidentity:FederatedIdentityCredential")
      .map((r) => ({
        name: r.inputs.federatedIdentityCredentialResourceName,
        issuer: r.inputs.issuer,
        subject: r.inputs.subject,
        audiences: r.inputs.audiences,
      }));
    expect(sorted(doc.azure!.identities.flatMap((i) => i.federatedCredentials))).toEqual(sorted(fics));
    const policies = resources
      .filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy")
      .map((r) => JSON.parse(String(r.inputs.policy)) as unknown);
    expect(sorted(doc.aws!.roles.flatMap((r) => Object.values(r.inlinePolicies)))).toEqual(sorted(policies));
  }, 60_000);

  it("--observed: exit 0 when the clouds hold what the manifest says", async () => {
    const clean = await cli("--stack", "test", "--observed", expectedFile, "--today", "2026-12-02");
    expect(clean).toMatchObject({ code: 0, stderr: "" });
    expect(clean.stdout).toContain("nothing unexpected");
  }, 60_000);
});

describe("npm run audit --observed (in process)", () => {
  const out: string[] = [];
  beforeEach(() => {
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });

  it("exit 1 with findings, JSON and markdown written, review reminders included", async () => {
    const doc = JSON.parse(fs.readFileSync(expectedFile, "utf8")) as AccessState;
    doc.azure!.groups.find((g) => g.name === "sg-skyporten-test-inbound-write")!.memberIds.push(FOREIGN);
    const planted = path.join(TMP, "planted.json");
    fs.writeFileSync(planted, JSON.stringify(doc));
    const json = path.join(TMP, "findings.json");
    const md = path.join(TMP, "report.md");
    expect(
      await audit([
        "--stack",
        "test",
        "--observed",
        planted,
        "--json",
        json,
        "--markdown",
        md,
        "--today",
        "2027-06-10",
      ]),
    ).toBe(1);
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as {
      stack: string;
      findings: unknown[];
      reviews: { orgNumber: string; daysLeft: number }[];
      unreadable: unknown[];
    };
    expect(report.stack).toBe("test");
    expect(report.findings).toEqual([
      {
        severity: "critical",
        kind: "unexpected",
        cloud: "azure",
        orgNumber: null,
        subject: "sg-skyporten-test-inbound-write",
        message: `unknown principal ${FOREIGN} is a member of sg-skyporten-test-inbound-write, which the manifest does not grant (a foreign member): remove the member (pulumi up removes only members it manages)`,
      },
    ]);
    expect(report.reviews.map((r) => [r.orgNumber, r.daysLeft])).toEqual([["917422575", 20]]);
    expect(report.unreadable).toEqual([]);
    expect(fs.readFileSync(md, "utf8")).toContain(
      `| unexpected | azure | platform | \`sg-skyporten-test-inbound-write\` | unknown principal ${FOREIGN} is a member`,
    );
  });

  it("exit 2 for an unreadable observed file, or one of another stack, with the reason", async () => {
    fs.writeFileSync(path.join(TMP, "broken.json"), '{"stack": "test", "azure": {"identities": "none"}}');
    await expect(audit(["--stack", "test", "--observed", path.join(TMP, "broken.json")])).rejects.toEqual(
      new CliError(
        `${path.join(TMP, "broken.json")}: azure.identities: identities must be a list\n${path.join(TMP, "broken.json")}: azure.groups: groups is required (a list)\n${path.join(TMP, "broken.json")}: azure.roleAssignments: roleAssignments is required (a list)\n${path.join(TMP, "broken.json")}: azure.acls: acls is required (a list)`,
        2,
      ),
    );
    await expect(audit(["--stack", "prod", "--observed", expectedFile])).rejects.toEqual(
      new CliError(
        `${expectedFile}: stack is "test", but --stack is "prod"; pass the stack the document was read from`,
        2,
      ),
    );
    await expect(
      audit(["--stack", "test", "--observed", path.join(TMP, "absent.json")]),
    ).rejects.toMatchObject({ code: 2, message: expect.stringContaining("does not exist") as unknown });
  });

  it("a past reviewBy does not stop the audit: it is reported as a reminder", async () => {
    const manifest = path.join(TMP, "overdue.yaml");
    fs.writeFileSync(
      manifest,
      fs
        .readFileSync(path.join(ROOT, "stacks", "test.yaml"), "utf8")
        .replace("reviewBy: 2027-06-30", "reviewBy: 2026-01-31"),
    );
    expect(
      await audit([
        "--stack",
        "test",
        "--manifest",
        manifest,
        "--observed",
        expectedFile,
        "--today",
        "2026-12-02",
      ]),
    ).toBe(0);
    expect(out.join("")).toContain(
      "review   917422575 the access review of organization 917422575 (Entur AS) was due 2026-01-31, 305 day(s) ago: review the access, then set a new reviewBy date or offboard the partner",
    );
  });
});

describe("npm run audit with live collection (local doubles)", () => {
  const { settings } = sampleStack("test");
  let doubles: Doubles | undefined;
  const out: string[] = [];
  afterEach(async () => {
    await stopDoubles(doubles);
    doubles = undefined;
    vi.restoreAllMocks();
    out.length = 0;
  });
  const deps = (d: Doubles): AuditDeps => ({
    liveSources: () => Promise.resolve(sourcesFor(d, settings)),
    planIds: () => Promise.reject(new Error("not used")),
    now: () => new Date("2026-12-02T00:00:00Z"),
  });
  const capture = () =>
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });

  it("exit 0 for a deployment as declared, 1 when a portal assignment appears, with --platform-principal as a notice", async () => {
    const e = sampleExpectation("test");
    const state = deployed(e);
    state.azure!.roleAssignments.push({
      scope: e.context.storageAccountScope,
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
      principalId: PLATFORM,
      principalType: "ServicePrincipal",
    });
    doubles = await startDoubles(settings, state);
    capture();
    const json = path.join(TMP, "live.json");
    expect(
      await audit(["--stack", "test", "--platform-principal", PLATFORM, "--json", json], deps(doubles)),
    ).toBe(0);
    expect(
      (JSON.parse(fs.readFileSync(json, "utf8")) as { findings: { severity: string }[] }).findings.map(
        (f) => f.severity,
      ),
    ).toEqual(["notice"]);
    expect(await audit(["--stack", "test", "--json", json], deps(doubles))).toBe(1);
    expect(
      (
        JSON.parse(fs.readFileSync(json, "utf8")) as { findings: { severity: string; subject: string }[] }
      ).findings.map((f) => [f.severity, f.subject]),
    ).toEqual([["critical", e.context.storageAccountScope]]);
  });

  it("exit 2 when a source answers 403, naming the missing permission, never a clean verdict", async () => {
    const e = sampleExpectation("test");
    doubles = await startDoubles(settings, deployed(e));
    doubles.arm.inject({
      when: /userAssignedIdentities/,
      status: 403,
      headers: { "content-type": "application/json" },
      body: armForbidden(
        "Microsoft.ManagedIdentity/userAssignedIdentities/read",
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test",
      ),
      times: 9,
    });
    capture();
    const md = path.join(TMP, "live.md");
    expect(await audit(["--stack", "test", "--markdown", md], deps(doubles))).toBe(2);
    const text = out.join("");
    expect(text).toContain("UNREADABLE azure.identities: access denied (HTTP 403 AuthorizationFailed");
    expect(text).toContain(
      "the auditing principal needs Microsoft.ManagedIdentity/userAssignedIdentities/read and .../federatedIdentityCredentials/read on the resource group",
    );
    expect(text).toContain(
      "INCOMPLETE: 1 source(s) could not be read, so the stack is NOT known to be clean",
    );
    expect(fs.readFileSync(md, "utf8")).toContain("### Could not be read");
  });

  it("usage and settings mistakes are exit 2 with the reason", async () => {
    await expect(audit(["--stack", "nope"])).rejects.toMatchObject({
      code: 2,
      message: expect.stringContaining("no stack file Pulumi.nope.yaml") as unknown,
    });
    await expect(audit(["--platform-principal", "deployer"])).rejects.toEqual(
      new CliError('--platform-principal "deployer" must be an Entra object id (a GUID)', 2),
    );
    await expect(audit(["--frobnicate"])).rejects.toMatchObject({ code: 2 });
  });
});
