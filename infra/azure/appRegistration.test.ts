import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { handoverMarkdown } from "../../scripts/lib/handover";
import { placeholderGuid, runProgramOffline, type OfflineRunResult } from "../../scripts/lib/offlineRun";
import type { PlanJson } from "../../scripts/lib/plan";
import { planInChildProcess } from "../../scripts/lib/planChild";
import { ManifestSchema } from "../manifest/schema";
import { parseStackOutputs, partnerFacts } from "../partnerFacts";

/**
 * The app-registration identity kind (settings azure.identityKind: app-registration) in the real program
 * (infra/index.ts), run offline: `npm run plan` in child processes for the plan JSON and the policy pack, and
 * once in this process (Pulumi's runtime is process-global; vitest gives each file its own) for what the plan
 * JSON leaves out: dependencies and stack outputs. Exact inputs throughout. The managed-identity default is
 * covered by azure.test.ts, unchanged.
 */

const ROOT = path.resolve(__dirname, "..", "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-app-registration-"));
const SCOPE = "banenor:payloadmanager.storage";
const ZERO = "00000000-0000-0000-0000-000000000000";
const APP = "azuread:index/application:Application";
const SP = "azuread:index/servicePrincipal:ServicePrincipal";
const APP_FIC = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";
const MEMBER = "azuread:index/groupMember:GroupMember";
const PATH_ACL = "pulumi-nodejs:dynamic/adls:PathAcl";
const ACTIVE = ["910000012", "917422575", "934567811"];
const SUSPENDED = "812345672";

const manifest = {
  containers: [{ name: "inbound", shared: true }, { name: "outbound" }, { name: "shared", shared: true }],
  partners: [
    { orgNumber: "917422575", name: "Entur AS", azure: [{ container: "shared", access: "read-write" }] },
    { orgNumber: "910000012", name: "Nordlys Logistikk AS", azure: [{ container: "outbound", access: "read", path: "nordlys" }, { container: "inbound", access: "write" }] },
    { orgNumber: "934567811", name: "Vestland AS", azure: [{ container: "shared", access: "read" }] },
    { orgNumber: SUSPENDED, name: "Banemontasje Nord AS", status: "suspended", azure: [{ container: "inbound", access: "write" }] },
    { orgNumber: "921345674", name: "Gone AS", status: "offboarded", azure: [{ container: "inbound", access: "write" }] },
  ],
};

/** A temporary copy of Pulumi.<stack>.yaml choosing the app-registration kind, for `--config-file`. */
function appRegistrationStackFile(stack: "test" | "prod"): string {
  const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
  const edited = text.replace("    groupOwners:\n", "    identityKind: app-registration\n    groupOwners:\n");
  if (edited === text) throw new Error(`Pulumi.${stack}.yaml has no azure.groupOwners to insert identityKind before`);
  const file = path.join(TMP, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, edited);
  return file;
}

/** The mock engine's URN of a partner resource: what placeholderGuid derives computed values from. */
const mockUrn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::skyporten-onboarding::${type}::${name}`;
const appObjectId = (org: string, stack = "test") => placeholderGuid(mockUrn(stack, APP, `partner-${org}-app`), "objectId");
const appClientId = (org: string, stack = "test") => placeholderGuid(mockUrn(stack, APP, `partner-${org}-app`), "clientId");
const spObjectId = (org: string, stack = "test") => placeholderGuid(mockUrn(stack, SP, `partner-${org}-sp`), "objectId");
const componentUrn = (org: string, stack = "test") => `urn:pulumi:${stack}::skyporten-onboarding::skyporten:partner:SkyportenPartner::partner-${org}`;

const plans: Record<string, PlanJson> = {};
const exitCodes: Record<string, number> = {};
let run: OfflineRunResult;

beforeAll(async () => {
  const manifestText = stringify(manifest);
  const manifestFile = path.join(TMP, "manifest.yaml");
  fs.writeFileSync(manifestFile, manifestText);
  const [test, prod] = await Promise.all(
    (["test", "prod"] as const).map((stack) =>
      planInChildProcess({ stack, projectDir: ROOT, manifestText, extraArgs: ["--config-file", appRegistrationStackFile(stack)] }),
    ),
  );
  for (const [key, r] of Object.entries({ test, prod })) {
    if (r?.plan === undefined) throw new Error(`plan ${key} failed (exit ${r?.exitCode}): ${r?.stderr}`);
    plans[key] = r.plan;
    exitCodes[key] = r.exitCode;
  }
  run = await runProgramOffline({ stack: "test", projectDir: ROOT, manifest: manifestFile, configFile: appRegistrationStackFile("test") });
}, 120_000);

afterAll(() => {
  fs.rmSync(TMP, { recursive: true, force: true });
});

type Res = PlanJson["resources"][number];
const of = (plan: PlanJson, type: string) => plan.resources.filter((r) => r.type === type);
const one = (plan: PlanJson, type: string, name: string): Res => {
  const found = plan.resources.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0]!;
};
const tagList = (org: string, status: string, name: string, environment = "test") => [
  "managed-by:skyporten-onboarding",
  `environment:${environment}`,
  `org-number:${org}`,
  `partner-status:${status}`,
  `partner-name:${name}`,
];

describe("the plan of an app-registration stack", () => {
  it("exits 0 with zero policy violations, in test and in prod", () => {
    expect([exitCodes.test, exitCodes.prod]).toEqual([0, 0]);
    expect(plans.test!.policyViolations).toEqual([]);
    expect(plans.prod!.policyViolations).toEqual([]);
  });

  it("has no managed identity and no managed-identity credential", () => {
    expect(plans.test!.resources.filter((r) => r.type.startsWith("azure-native:managedidentity:"))).toEqual([]);
  });

  it("gives every partner resource a unique logical name under the partner's prefix", () => {
    const keys = plans.test!.resources.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    const identityResources = plans.test!.resources.filter((r) => [APP, SP, APP_FIC].includes(r.type));
    for (const r of identityResources) expect(r.name).toMatch(/^partner-\d{9}-/);
    expect(new Set(identityResources.map((r) => r.name)).size).toBe(identityResources.length);
  });

  it("counts the application's credentials in the federated credential budget", () => {
    expect(plans.test!.budgets.maxFederatedCredentialsPerIdentity).toEqual({ limit: 20, used: 1, at: `/applications/${appObjectId("910000012")}` });
  });
});

describe("application", () => {
  it("is named from environment and org number only, single-tenant, without secrets, tagged and owned", () => {
    const app = one(plans.test!, APP, "partner-917422575-app");
    expect(app.inputs).toEqual({
      displayName: "id-skyporten-test-917422575",
      signInAudience: "AzureADMyOrg",
      preventDuplicateNames: true,
      owners: [ZERO],
      tags: tagList("917422575", "active", "Entur AS"),
      notes: "Skyporten identity of organization 917422575 on the test stack, managed by skyporten-onboarding: changes made by hand are overwritten.",
    });
    expect(app.parent).toBe(componentUrn("917422575"));
  });

  it("exists for active and suspended partners (same client id on reinstatement), not for offboarded ones", () => {
    expect(of(plans.test!, APP).map((r) => r.inputs.displayName).sort()).toEqual(
      [...ACTIVE, SUSPENDED].sort().map((org) => `id-skyporten-test-${org}`),
    );
    expect(plans.test!.resources.filter((r) => r.name.startsWith(`partner-${SUSPENDED}`)).map((r) => r.type).sort()).toEqual([
      APP,
      SP,
      "skyporten:partner:SkyportenPartner",
    ]);
    expect(plans.test!.resources.filter((r) => r.name.includes("921345674"))).toEqual([]);
  });

  it("and its service principal are protected in prod and not in test", () => {
    for (const type of [APP, SP]) {
      expect(of(plans.prod!, type).map((r) => r.protect)).toEqual([true, true, true, true]);
      expect(of(plans.test!, type).map((r) => r.protect)).toEqual([false, false, false, false]);
    }
  });
});

describe("service principal", () => {
  it("belongs to the application's client id and carries the same tags", () => {
    expect(one(plans.test!, SP, `partner-${SUSPENDED}-sp`).inputs).toEqual({
      clientId: appClientId(SUSPENDED),
      owners: [ZERO],
      tags: tagList(SUSPENDED, "suspended", "Banemontasje Nord AS"),
    });
  });
});

describe("application federated identity credential", () => {
  it.each([
    ["test", "https://test.sky.maskinporten.no", "https://skyporten.test.banenor.example.no"],
    ["prod", "https://sky.maskinporten.no", "https://skyporten.banenor.example.no"],
  ] as const)("on %s: exact issuer, subject, single audience, name, on the partner's application", (stack, issuer, audience) => {
    const fic = one(plans[stack]!, APP_FIC, "partner-917422575-app-fic-skyporten-917422575");
    expect(fic.inputs).toEqual({
      applicationId: `/applications/${appObjectId("917422575", stack)}`,
      displayName: "skyporten-917422575",
      issuer,
      subject: `0192:917422575;${SCOPE}`,
      audiences: [audience],
    });
    expect(fic.protect).toBe(false);
  });

  it("exists once per active partner and never for suspended or offboarded ones", () => {
    const fics = of(plans.test!, APP_FIC);
    expect(fics.map((f) => [f.inputs.subject, f.inputs.applicationId]).sort()).toEqual(
      ACTIVE.map((org) => [`0192:${org};${SCOPE}`, `/applications/${appObjectId(org)}`]),
    );
  });

  it("waits for its application (dependsOn)", () => {
    const fic = run.resources.find((r) => r.type === APP_FIC && r.name === "partner-917422575-app-fic-skyporten-917422575")!;
    const app = run.resources.find((r) => r.type === APP && r.name === "partner-917422575-app")!;
    expect(fic.dependsOn).toContain(app.urn);
  });
});

describe("grants name the service principal's object id", () => {
  it("in every group membership, never the client id", () => {
    const members = of(plans.test!, MEMBER).map((m) => [m.name, m.inputs.memberObjectId]);
    expect(members.sort()).toEqual([
      ["partner-910000012-member-inbound-write", spObjectId("910000012")],
      ["partner-910000012-member-outbound-traverse", spObjectId("910000012")],
      ["partner-917422575-member-shared-read-write", spObjectId("917422575")],
      ["partner-934567811-member-shared-read", spObjectId("934567811")],
    ]);
    const clientIds = new Set(ACTIVE.map((org) => appClientId(org)));
    const appObjectIds = new Set(ACTIVE.map((org) => appObjectId(org)));
    for (const [, id] of members) expect(clientIds.has(String(id)) || appObjectIds.has(String(id))).toBe(false);
  });

  it("in path ACL entries", () => {
    const acl = one(plans.test!, PATH_ACL, "partner-910000012-acl-outbound/nordlys");
    expect(acl.inputs.entries).toEqual([`user:${spObjectId("910000012")}:r-x`, `default:user:${spObjectId("910000012")}:r-x`]);
  });
});

describe("stack outputs and handover", () => {
  it("give the application's client id to log in with and the service principal's object id as principal", () => {
    const outputs = parseStackOutputs(JSON.stringify(run.outputs), "outputs.json");
    expect(outputs["917422575"]?.azure).toMatchObject({
      clientId: appClientId("917422575"),
      principalId: spObjectId("917422575"),
      tenantId: run.settings.azure.tenantId,
      identityResourceId: `/applications/${appObjectId("917422575")}`,
    });
  });

  it("the handover names the app registration and agrees with the outputs", () => {
    const outputs = parseStackOutputs(JSON.stringify(run.outputs), "outputs.json");
    const partner = ManifestSchema.parse(manifest).partners[0]!;
    const facts = partnerFacts(run.settings, partner, outputs[partner.orgNumber]);
    expect(facts.mismatches).toEqual([]);
    expect([facts.azure?.identityKind, facts.azure?.identityName, facts.azure?.clientId]).toEqual([
      "app-registration",
      "id-skyporten-test-917422575",
      appClientId("917422575"),
    ]);
    const markdown = handoverMarkdown(facts, { stack: "test", manifest: "manifest.yaml", outputs: "outputs.json" });
    expect(markdown).toContain("| App registration | `id-skyporten-test-917422575` |");
    expect(markdown).not.toContain("Managed identity");
  });
});
