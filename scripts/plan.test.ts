import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planInChildProcess, type ChildPlanResult } from "./lib/planChild";

/**
 * `npm run plan` end to end, in child processes (Pulumi's runtime is process-global): the plan JSON contract
 * (design.md), exit codes 0 / 1 / 2, policies applied to the real program's resources, secrets redacted.
 */

const ROOT = path.resolve(__dirname, "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-plan-test-"));

/** A temporary copy of Pulumi.<base>.yaml with one edit, for `--config-file` (never next to the real ones). */
function stackFileFrom(base: "test" | "prod", name: string, edit: (text: string) => string): string {
  const text = fs.readFileSync(path.join(ROOT, `Pulumi.${base}.yaml`), "utf8");
  const edited = edit(text);
  if (edited === text) throw new Error(`the edit of Pulumi.${base}.yaml changed nothing`);
  const file = path.join(TMP, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, edited);
  return file;
}

const runs: Record<string, ChildPlanResult> = {};

beforeAll(async () => {
  const unprotectedFile = stackFileFrom("prod", "unprotected", (t) =>
    t.replace(
      "skyporten-onboarding:environment: prod",
      "skyporten-onboarding:environment: prod\n  skyporten-onboarding:protectIdentities: false",
    ),
  );
  const scopeAccessFile = stackFileFrom(
    "test",
    "scope-access",
    (t) =>
      t.replace(
        "    manageScopeAccess: false",
        "    manageScopeAccess: true\n    adminClientId: 11111111-2222-3333-4444-555555555555\n    adminKeyId: platform-admin-2026",
      ) + "  skyporten-onboarding:adminPrivateKey:\n    secure: v1:CIPHERTEXT-THAT-MUST-NEVER-APPEAR\n",
  );
  // A second stack of the test environment, named apart from the test stack by its name key.
  const devFile = stackFileFrom("test", "dev", (t) =>
    t.replace(
      "skyporten-onboarding:environment: test",
      "skyporten-onboarding:environment: test\n  skyporten-onboarding:nameKey: dev\n  skyporten-onboarding:manifest: stacks/test.yaml",
    ),
  );
  const [test, prod, invalid, unprotected, scopeAccess, dev] = await Promise.all([
    planInChildProcess({ stack: "test", projectDir: ROOT }),
    planInChildProcess({ stack: "prod", projectDir: ROOT }),
    planInChildProcess({
      stack: "test",
      projectDir: ROOT,
      manifestText:
        'containers: [{ name: inbound }]\npartners:\n  - orgNumber: "917422576"\n    name: Wrong Check Digit AS\n',
    }),
    planInChildProcess({ stack: "prod", projectDir: ROOT, extraArgs: ["--config-file", unprotectedFile] }),
    planInChildProcess({ stack: "test", projectDir: ROOT, extraArgs: ["--config-file", scopeAccessFile] }),
    planInChildProcess({ stack: "dev", projectDir: ROOT, extraArgs: ["--config-file", devFile] }),
  ]);
  Object.assign(runs, { test, prod, invalid, unprotected, scopeAccess, dev });
}, 120_000);

afterAll(() => {
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe("exit codes", () => {
  it("0 for the sample stacks, with no policy violations", () => {
    for (const key of ["test", "prod"]) {
      expect(runs[key]!.exitCode, runs[key]!.stderr).toBe(0);
      expect(runs[key]!.plan!.policyViolations).toEqual([]);
    }
  });

  it("1 for an invalid manifest, with the same positioned message as validate, and no plan written", () => {
    expect(runs.invalid!.exitCode).toBe(1);
    expect(runs.invalid!.stderr).toMatch(
      /manifest\.yaml:3:16 partners\[0\]\.orgNumber: organization number "917422576" has a wrong MOD11 check digit \(expected 5, got 6\)/,
    );
    expect(runs.invalid!.plan).toBeUndefined();
  });

  it("0 for a stack with nameKey dev: every identity, group and role name carries dev, and the policies agree", () => {
    const r = runs.dev!;
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.plan!.policyViolations).toEqual([]);
    const text = JSON.stringify(r.plan);
    expect(text).not.toMatch(/skyporten-test-/);
    const names = (pattern: RegExp) => [...new Set(text.match(pattern) ?? [])].sort();
    expect(names(/id-skyporten-dev-\d{9}/g)).toEqual([
      "id-skyporten-dev-812345672",
      "id-skyporten-dev-910000012",
      "id-skyporten-dev-917422575",
      "id-skyporten-dev-934567811",
    ]);
    expect(names(/(?<![-\w])skyporten-dev-\d{9}/g)).toEqual(["skyporten-dev-917422575", "skyporten-dev-921345674"]);
    expect(names(/sg-skyporten-dev-inbound-[a-z-]+/g)).toEqual([
      "sg-skyporten-dev-inbound-read",
      "sg-skyporten-dev-inbound-read-write",
      "sg-skyporten-dev-inbound-traverse",
      "sg-skyporten-dev-inbound-write",
    ]);
  });

  it("2 for a mandatory policy violation, with the JSON still written", () => {
    const r = runs.unprotected!;
    expect(r.exitCode, r.stderr).toBe(2);
    const violations = r.plan!.policyViolations;
    expect(violations.length).toBe(2);
    expect(
      violations.every((v) => v.policy === "skyporten-prod-identity-protected" && v.level === "mandatory"),
    ).toBe(true);
    expect(violations.map((v) => v.urn).sort()).toEqual([
      "urn:pulumi:prod::skyporten-onboarding::skyporten:partner:SkyportenPartner$azure-native:managedidentity:UserAssignedIdentity::partner-910000012-identity",
      "urn:pulumi:prod::skyporten-onboarding::skyporten:partner:SkyportenPartner$azure-native:managedidentity:UserAssignedIdentity::partner-917422575-identity",
    ]);
    expect(r.stdout).toContain("policies: 2 violation(s)");
  });
});

describe("plan JSON contract", () => {
  it("has the design's top-level shape", () => {
    const plan = runs.test!.plan!;
    expect(Object.keys(plan).sort()).toEqual([
      "budgets",
      "manifest",
      "partners",
      "policyViolations",
      "resources",
      "stack",
    ]);
    expect(plan.stack).toBe("test");
    expect(plan.manifest).toBe("stacks/test.yaml");
    expect(plan.partners).toEqual([
      { orgNumber: "917422575", name: "Entur AS", status: "active" },
      { orgNumber: "910000012", name: "Nordlys Logistikk AS", status: "active" },
      { orgNumber: "921345674", name: "Fjordkraft Data AS", status: "active" },
      { orgNumber: "934567811", name: "Vestland Vedlikehold AS", status: "active" },
      { orgNumber: "812345672", name: "Banemontasje Nord AS", status: "suspended" },
    ]);
  });

  it("lists every resource with type token, name, engine URN, parent and protect", () => {
    const plan = runs.test!.plan!;
    const urns = new Set(plan.resources.map((r) => r.urn));
    const stackUrn = "urn:pulumi:test::skyporten-onboarding::pulumi:pulumi:Stack::skyporten-onboarding-test";
    for (const r of plan.resources) {
      expect(r.urn).toBe(`urn:pulumi:test::skyporten-onboarding::${r.urn.split("::")[2]}::${r.name}`);
      expect(r.urn.split("::")[2]!.split("$").pop()).toBe(r.type);
      expect(r.parent === stackUrn || urns.has(r.parent ?? "")).toBe(true);
      expect(typeof r.protect).toBe("boolean");
    }
    const fic = plan.resources.find((r) => r.name === "partner-917422575-fic-skyporten-917422575")!;
    expect(fic.type).toBe("azure-native:managedidentity:FederatedIdentityCredential");
    expect(fic.parent).toBe(
      "urn:pulumi:test::skyporten-onboarding::skyporten:partner:SkyportenPartner::partner-917422575",
    );
    expect(fic.inputs).toMatchObject({
      issuer: "https://test.sky.maskinporten.no",
      subject: "0192:917422575;banenor:payloadmanager.storage",
      audiences: ["https://skyporten.test.banenor.example.no"],
    });
  });

  it("reports budgets with the limits next to them", () => {
    const b = runs.test!.plan!.budgets;
    expect(b.roleAssignments).toEqual({ used: 6, limit: 4000, at: null });
    expect(b.maxFederatedCredentialsPerIdentity).toMatchObject({ used: 1, limit: 20 });
    expect(b.maxAclEntriesPerPath).toMatchObject({ used: 2, limit: 28 });
    expect(b.maxTrustPolicyChars.limit).toBe(2048);
    expect(b.maxTrustPolicyChars.used).toBeGreaterThan(300);
    expect(b.maxTrustPolicyChars.used).toBeLessThan(2048);
    expect(b.resourcesPerPartner).toMatchObject({ used: 7, limit: null, at: "partner-917422575" });
    expect(b.maxGroupMembershipsPerPrincipal).toEqual({ used: 2, limit: null, at: "partner-910000012" });
    // Every preview refreshes: the reads of the 49 custom resources, per service (policies/rules/refreshCost.ts).
    expect(b.refresh.resourcesRead).toBe(49);
    expect(b.refresh.calls).toEqual({ arm: 16, graph: 40, dfs: 6, iam: 11, digdir: 0 });
    expect(runs.test!.stdout).toContain("  49 resources read: 16 ARM, 40 Graph (72 units), 6 DFS, 11 IAM, 0 Digdir reads");
  });

  it("prints the summary: a row per partner, counts by type, budgets, the manual scope-access step", () => {
    const out = runs.test!.stdout;
    expect(out).toContain('Offline plan of stack "test" (test), manifest stacks/test.yaml');
    expect(out).toMatch(
      /917422575 +Entur AS +active +id-skyporten-test-917422575 +0192:917422575;banenor:payloadmanager\.storage/,
    );
    expect(out).toMatch(/812345672 +Banemontasje Nord AS +suspended +id-skyporten-test-812345672/);
    expect(out).toMatch(/ 3 +azure-native:managedidentity:FederatedIdentityCredential/);
    expect(out).toContain(
      [
        "Maskinporten scope access is not managed on this stack (maskinporten.manageScopeAccess is off): do these by hand in Samarbeidsportalen (https://samarbeid.digdir.no) or with Digdir's self-service API:",
        "  PUT    https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage   (grant organization 917422575)",
      ].join("\n"),
    );
    expect(out).toContain(
      "  DELETE https://api.test.samarbeid.digdir.no/api/v1/scopes/access/812345672?scope=banenor%3Apayloadmanager.storage   (revoke organization 812345672)",
    );
  });
});

describe("Maskinporten scope access switched on", () => {
  it("plans one ScopeAccess per active partner and never shows the admin key", () => {
    const r = runs.scopeAccess!;
    expect(r.exitCode, r.stderr).toBe(0);
    const access = r.plan!.resources.filter(
      (x) => x.type === "pulumi-nodejs:dynamic/maskinporten:ScopeAccess",
    );
    expect(access.map((x) => x.inputs.orgNumber).sort()).toEqual([
      "910000012",
      "917422575",
      "921345674",
      "934567811",
    ]);
    for (const a of access) {
      expect(a.inputs.adminPrivateKey).toBe("[secret]");
      expect(a.inputs.scope).toBe("banenor:payloadmanager.storage");
      expect(a.inputs.apiBaseUrl).toBe("https://api.test.samarbeid.digdir.no");
      expect(a.inputs.tokenAudience).toBe("https://test.maskinporten.no/");
    }
    const everything = JSON.stringify(r.plan) + r.stdout + r.stderr;
    expect(everything).not.toContain("CIPHERTEXT-THAT-MUST-NEVER-APPEAR");
    expect(r.stdout).not.toContain("by hand");
    expect(r.stdout).not.toContain("api/v1/scopes/access/");
  });
});
