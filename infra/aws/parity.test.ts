import { describe, expect, it } from "vitest";
import { issuerHost, subjectFor } from "../naming";
import { expectedProviderArn, providerClientIds, providerPlan, providerUrl } from "./model";
import { trustPolicyDocument } from "./policies";
import { stackManifest, stackSettings } from "./testFixtures";

/**
 * Azure/AWS parity: one manifest entry must produce the same trust on both clouds. The Azure federated
 * credential is built from exactly `settings.issuer`, `subjectFor(orgNumber, settings.scope)` and
 * `[settings.audience]`; the AWS side is read back from the provider plan and the generated trust document.
 */

describe.each(["test", "prod"] as const)("%s stack", (stack) => {
  const settings = stackSettings(stack);
  const manifest = stackManifest(stack);
  const both = manifest.partners.filter((p) => p.azure.length > 0 && p.aws.length > 0);

  it("has partners with grants on both clouds to compare", () => {
    expect(both.map((p) => p.orgNumber)).toEqual(["917422575"]);
  });

  it.each(both.map((p) => [p.orgNumber]))(
    "partner %s: issuer, subject and audience are the same strings",
    (orgNumber) => {
      const azure = {
        issuer: settings.issuer,
        subject: subjectFor(orgNumber, settings.scope),
        audiences: [settings.audience],
      };

      const plan = providerPlan(settings, manifest);
      if (plan.kind !== "create")
        throw new Error(`expected the ${stack} stack to create its provider, got ${plan.kind}`);
      const trust = trustPolicyDocument({
        providerArn: expectedProviderArn(settings),
        issuer: settings.issuer,
        audience: settings.audience,
        orgNumber,
        scope: settings.scope,
      });
      const statement = trust.Statement[0]!;
      const conditions = statement.Condition!.StringEquals!;
      const host = issuerHost(plan.url);

      // The provider IAM matches the token's `iss` against.
      expect(plan.url).toBe(azure.issuer);
      expect(providerUrl(settings)).toBe(azure.issuer);
      expect(`https://${host}`).toBe(azure.issuer);
      expect(statement.Principal).toEqual({ Federated: `arn:aws:iam::000000000000:oidc-provider/${host}` });
      // The subject and audience, condition keys prefixed by the provider's host.
      expect(Object.keys(conditions).sort()).toEqual([`${host}:aud`, `${host}:sub`]);
      expect(conditions[`${host}:sub`]).toBe(azure.subject);
      expect([conditions[`${host}:aud`]]).toEqual(azure.audiences);
      expect(plan.clientIds).toEqual(azure.audiences);
      expect(providerClientIds(settings)).toEqual(azure.audiences);
    },
  );

  it("matches the token Skyporten issues for the partner on both clouds", () => {
    const token = {
      iss: stack === "test" ? "https://test.sky.maskinporten.no" : "https://sky.maskinporten.no",
      sub: "0192:917422575;banenor:payloadmanager.storage",
      aud:
        stack === "test"
          ? "https://skyporten.test.banenor.example.no"
          : "https://skyporten.banenor.example.no",
    };
    const trust = trustPolicyDocument({
      providerArn: expectedProviderArn(settings),
      issuer: settings.issuer,
      audience: settings.audience,
      orgNumber: "917422575",
      scope: settings.scope,
    });
    const host = issuerHost(token.iss);
    expect(trust.Statement[0]!.Condition).toEqual({
      StringEquals: { [`${host}:sub`]: token.sub, [`${host}:aud`]: token.aud },
    });
    expect([settings.issuer, subjectFor("917422575", settings.scope), settings.audience]).toEqual([
      token.iss,
      token.sub,
      token.aud,
    ]);
  });
});
