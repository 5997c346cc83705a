import { describe, expect, it } from "vitest";
import { floorShape, runFloor } from "./benchFloor";
import { parseSample } from "./benchSample";

const STACK = "urn:pulumi:test::skyporten-onboarding::";
const partner = `${STACK}skyporten:partner:SkyportenPartner::partner-917422575`;
const role = `${STACK}skyporten:partner:SkyportenPartner$skyporten:aws:PartnerAwsRole::partner-917422575-aws`;
// As the plan JSON lists them: sorted by URN, so children may come before their parents.
const planResources = [
  {
    type: "aws:iam/role:Role",
    name: "partner-917422575-aws-role",
    urn: `${role}$aws:iam/role:Role::partner-917422575-aws-role`,
    parent: role,
  },
  { type: "skyporten:aws:PartnerAwsRole", name: "partner-917422575-aws", urn: role, parent: partner },
  { type: "skyporten:partner:SkyportenPartner", name: "partner-917422575", urn: partner, parent: null },
  {
    type: "azure-native:managedidentity:UserAssignedIdentity",
    name: "partner-917422575-identity",
    urn: `${partner}$azure-native:managedidentity:UserAssignedIdentity::partner-917422575-identity`,
    parent: partner,
  },
];

describe("the benchmark's floor", () => {
  it("orders every parent before its children and marks parents as components", () => {
    expect(floorShape(planResources).map((r) => [r.name, r.custom])).toEqual([
      ["partner-917422575", false],
      ["partner-917422575-aws", false],
      ["partner-917422575-aws-role", true],
      ["partner-917422575-identity", true],
    ]);
    expect(floorShape(planResources)[2]).toEqual({ ...planResources[0], custom: true });
  });

  it("registers every resource of the shape with Pulumi's mock runtime", async () => {
    expect(await runFloor("test", floorShape(planResources))).toBe(4);
  });

  it("reads a child's sample from its last output line", () => {
    expect(parseSample('summary\n\n{"exitCode":2,"runMs":5,"cpuMs":7,"maxRssKiB":9}\n')).toEqual({
      exitCode: 2,
      runMs: 5,
      cpuMs: 7,
      maxRssKiB: 9,
    });
    expect(() => parseSample('{"exitCode":0,"runMs":5,"cpuMs":7}')).toThrow(
      "benchmark child printed no maxRssKiB",
    );
  });
});
