import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSettings, readStackFile } from "../settings";
import { compareAccess } from "./compare";
import { expectedState } from "./expected";
import { deployed, sampleExpectation, sampleStack } from "./testing";

/** A dev stack: the test stack's settings and manifest with nameKey dev (environment and issuer stay test). */
function devExpectation() {
  const { manifest } = sampleStack("test");
  const raw = {
    ...structuredClone(readStackFile("test", path.resolve(__dirname, "..", "..")).settings),
    nameKey: "dev",
  };
  const settings = parseSettings(raw, "Pulumi.dev.yaml", "dev");
  return { settings, expectation: expectedState("dev", settings, manifest) };
}

describe("the audit of a stack with nameKey dev", () => {
  const { settings, expectation: dev } = devExpectation();
  const test = sampleExpectation("test");

  it("expects the dev names, with the test stack's issuer", () => {
    expect(settings.environment).toBe("test");
    expect(dev.context.nameKey).toBe("dev");
    expect(dev.state.azure!.identities.map((i) => i.name)).toEqual(
      test.state.azure!.identities.map((i) => i.name.replace("id-skyporten-test-", "id-skyporten-dev-")),
    );
    expect(dev.state.azure!.identities.map((i) => i.name)).toContain("id-skyporten-dev-917422575");
    expect(dev.state.azure!.groups.map((g) => g.name)).toContain("sg-skyporten-dev-inbound-write");
    expect(dev.state.azure!.groups.every((g) => g.name.startsWith("sg-skyporten-dev-"))).toBe(true);
    expect(dev.state.aws!.roles.map((r) => [r.name, r.arn])).toContainEqual([
      "skyporten-dev-917422575",
      "arn:aws:iam::000000000000:role/skyporten/skyporten-dev-917422575",
    ]);
    expect(dev.state.aws!.roles.every((r) => r.name.startsWith("skyporten-dev-"))).toBe(true);
    expect(dev.state.azure!.identities[0]!.federatedCredentials[0]!.issuer).toBe(
      "https://test.sky.maskinporten.no",
    );
  });

  it("a dev deployment as declared is clean: its identities, groups and roles are the stack's own", () => {
    expect(compareAccess(dev, deployed(dev))).toEqual([]);
  });

  it("a test-stack identity without credentials is outside the dev prefix and ignored", () => {
    const observed = deployed(dev);
    const testIdentity = deployed(test).azure!.identities.find(
      (i) => i.name === "id-skyporten-test-917422575",
    )!;
    observed.azure!.identities.push({ ...testIdentity, federatedCredentials: [] });
    expect(compareAccess(dev, observed)).toEqual([]);
  });

  it("a test-stack identity with a credential for the same issuer is another way in: critical (so the stacks keep separate resource groups)", () => {
    const observed = deployed(dev);
    const testIdentity = deployed(test).azure!.identities.find(
      (i) => i.name === "id-skyporten-test-917422575",
    )!;
    observed.azure!.identities.push(testIdentity);
    expect(compareAccess(dev, observed).map((f) => [f.severity, f.kind, f.orgNumber, f.subject])).toEqual([
      ["critical", "unexpected", "917422575", "id-skyporten-test-917422575/skyporten-917422575"],
    ]);
  });

  it("a test-stack role trusting the shared provider is reported by the dev audit, as any role the stack does not expect", () => {
    const observed = deployed(dev);
    const testRole = deployed(test).aws!.roles.find((r) => r.name === "skyporten-test-917422575")!;
    observed.aws!.roles.push(testRole);
    expect(compareAccess(dev, observed).map((f) => [f.severity, f.kind, f.orgNumber, f.subject])).toEqual([
      [
        "critical",
        "unexpected",
        "917422575",
        "arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575",
      ],
    ]);
  });

  it("the test stack's audit does not take dev identities for its partners", () => {
    const observed = deployed(test);
    const devIdentity = deployed(dev).azure!.identities.find((i) => i.name === "id-skyporten-dev-917422575")!;
    observed.azure!.identities.push({ ...devIdentity, federatedCredentials: [] });
    expect(compareAccess(test, observed)).toEqual([]);
  });
});

describe("the default name key", () => {
  it("is the environment: the sample stacks' audits match by their environment's names", () => {
    expect(sampleExpectation("test").context.nameKey).toBe("test");
    expect(sampleExpectation("prod").context.nameKey).toBe("prod");
    expect(
      sampleExpectation("prod").state.azure!.identities.every((i) => i.name.startsWith("id-skyporten-prod-")),
    ).toBe(true);
  });
});
