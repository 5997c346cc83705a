import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadManifestFile } from "../infra/manifest/load";
import { planInChildProcess, type ChildPlanResult } from "./lib/planChild";
import { onboard } from "./onboard";

/**
 * Real Norwegian company names onboard and plan cleanly: the manifest keeps the legal name as it is, and every
 * tag made from it is one IAM and Azure accept (the plan's policy pack refuses any other).
 */

const HANSEN = { org: "912345602", name: "Hansen & Sønn (Bergen), AS", tag: "Hansen + Sønn Bergen AS" };
const BLABAER = { org: "912345610", name: "Blåbær Ærøskøbing Øst AS", tag: "Blåbær Ærøskøbing Øst AS" };

let dir: string;
let manifestFile: string;
let plan: ChildPlanResult;
const onboardOut: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "company-names-"));
  manifestFile = path.join(dir, "test.yaml");
  fs.copyFileSync("stacks/test.yaml", manifestFile);
  const io = { out: (l: string) => onboardOut.push(l), err: (l: string) => onboardOut.push(l), env: {} };
  for (const [p, grants] of [
    [HANSEN, ["--azure", "outbound:read:hansen", "--aws", "banenor-payload-test:hansen/:write"]],
    [BLABAER, ["--aws", "banenor-payload-test:blabaer/:read"]],
  ] as const) {
    const code = await onboard(["add", "--stack", "test", "--org", p.org, "--name", p.name, "--manifest", manifestFile, ...grants], io);
    if (code !== 0) throw new Error(`onboard add ${p.org} failed: ${onboardOut.join("\n")}`);
  }
  plan = await planInChildProcess({ stack: "test", manifestText: fs.readFileSync(manifestFile, "utf8") });
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("company names with & ( ) , and æøå", () => {
  it("onboard keeps the legal names exactly in the manifest", () => {
    const loaded = loadManifestFile(manifestFile);
    expect(loaded.ok).toBe(true);
    const names = loaded.ok ? loaded.manifest.partners.filter((p) => [HANSEN.org, BLABAER.org].includes(p.orgNumber)).map((p) => p.name) : [];
    expect(names).toEqual([HANSEN.name, BLABAER.name]);
  });

  it("plan without policy violations; identity and role tags carry the safe name", () => {
    expect([plan.exitCode, plan.plan?.policyViolations]).toEqual([0, []]);
    const tagOf = (type: string, org: string) =>
      (plan.plan!.resources.find((r) => r.type === type && r.name.includes(org))?.inputs.tags as Record<string, string> | undefined)?.["partner-name"];
    expect([
      tagOf("azure-native:managedidentity:UserAssignedIdentity", HANSEN.org),
      tagOf("aws:iam/role:Role", HANSEN.org),
      tagOf("aws:iam/role:Role", BLABAER.org),
    ]).toEqual([HANSEN.tag, HANSEN.tag, BLABAER.tag]);
  });
});
