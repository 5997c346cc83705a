import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFile, stackSettings } from "./index";
// A static import is safe: pulumiConfig reads config when called, never at import time.
import { readSettingsFromConfig } from "./pulumiConfig";

// readSettingsFromConfig reads Pulumi's process-wide config and stack name: set the mocks before any test.
const mocks: pulumi.runtime.Mocks = {
  newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
  call: (args) => {
    throw new Error(`unexpected invoke ${args.token}`);
  },
};

beforeAll(async () => {
  await pulumi.runtime.setMocks(mocks, "skyporten-onboarding", "test", false);
});

describe("readSettingsFromConfig", () => {
  it("reads the same settings from the runtime's config as the offline tools read from the stack file", () => {
    // The runtime hands every value over as text (structured values as JSON), as readStackFile's config mirrors.
    pulumi.runtime.setAllConfig(readStackFile("test").config);
    expect(readSettingsFromConfig()).toEqual(stackSettings("test"));
  });

  it("decodes a top-level boolean given as text", () => {
    pulumi.runtime.setAllConfig({
      ...readStackFile("test").config,
      "skyporten-onboarding:protectIdentities": "true",
    });
    expect(readSettingsFromConfig().protectIdentities).toBe(true);
  });

  it("reports every bad or misspelt key at once as a RunError", () => {
    pulumi.runtime.setAllConfig({
      ...readStackFile("test").config,
      "skyporten-onboarding:issuer": "https://test.maskinporten.no/",
      "skyporten-onboarding:audiance": "https://skyporten.example.no",
      "skyporten-onboarding:aws": "eu-north-1",
    });
    let error: unknown;
    try {
      readSettingsFromConfig();
    } catch (e) {
      error = e;
    }
    expect(pulumi.RunError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      [
        "invalid stack settings in stack test (Pulumi.test.yaml):",
        "  - skyporten-onboarding:aws: aws must be a mapping with region and accountId (set enabled: false to turn the AWS variant off)",
        "  - skyporten-onboarding:audiance: unknown setting: remove it or fix the spelling (known settings here: environment, issuer, scope, audience, manifest, nameKey, protectIdentities, azure, aws, maskinporten, canary, adminPrivateKey, canaryPrivateKey)",
        '  - skyporten-onboarding:issuer: "https://test.maskinporten.no/" is a plain Maskinporten issuer, not Skyporten; use "https://test.sky.maskinporten.no" for the test environment',
      ].join("\n"),
    );
  });

  it("ignores the secret private key, which is read where it is used", () => {
    pulumi.runtime.setAllConfig(
      {
        ...readStackFile("test").config,
        "skyporten-onboarding:adminPrivateKey": "-----BEGIN PRIVATE KEY-----",
      },
      ["skyporten-onboarding:adminPrivateKey"],
    );
    expect(readSettingsFromConfig()).toEqual(stackSettings("test"));
  });
});
