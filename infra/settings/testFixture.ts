import { parseSettings, SettingsError } from "./index";
import type { Settings } from "./schema";

/** Tenant id of the test fixture's settings. */
export const FIXTURE_TENANT = "11111111-2222-4333-8444-555555555555";

/** Settings of a test-environment stack for unit tests, parsed by the real schema; overrides replace keys. */
export function settingsFixture(overrides: Record<string, unknown> = {}): Settings {
  return parseSettings(
    {
      environment: "test",
      issuer: "https://test.sky.maskinporten.no",
      scope: "banenor:payloadmanager.storage",
      audience: "https://skyporten.test.example.no",
      azure: {
        tenantId: FIXTURE_TENANT,
        subscriptionId: "99999999-8888-4777-8666-555555555555",
        resourceGroupName: "rg-sky",
        storageAccountName: "stsky",
      },
      aws: { region: "eu-north-1", accountId: "123456789012" },
      ...overrides,
    },
    "test fixture",
  );
}

/** The problems parseSettings reports for `raw`, or [] when it parses. */
export function settingsProblems(raw: Record<string, unknown>): string[] {
  try {
    parseSettings(raw, "Pulumi.test.yaml");
    return [];
  } catch (e) {
    if (e instanceof SettingsError) return e.problems;
    throw e;
  }
}
