import { describe, expect, it } from "vitest";
import { CanarySettingsSchema } from "./canary";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile, SettingsError } from "./index";
import { settingsFixture } from "./testFixture";

const CANARY = { orgNumber: "991825827", clientId: "canary-client", keyId: "kid-1" };

const problemsOf = (raw: Record<string, unknown>) => {
  try {
    settingsFixture(raw);
  } catch (e) {
    if (e instanceof SettingsError) return e.problems;
    throw e;
  }
  return [];
};

describe("canary settings", () => {
  it("are optional, and parsed exactly when present", () => {
    expect(settingsFixture().canary).toBeUndefined();
    expect(settingsFixture({ canary: { ...CANARY, clientId: " canary-client " } }).canary).toEqual(CANARY);
  });

  it("name every missing or wrong field with its config key", () => {
    expect(problemsOf({ canary: { orgNumber: "123456789" } })).toEqual([
      'skyporten-onboarding:canary.orgNumber: canary.orgNumber "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
      "skyporten-onboarding:canary.clientId is not set: canary.clientId must be the client id of the canary's Maskinporten client (text); set it in Pulumi.<stack>.yaml (pulumi config set --path 'skyporten-onboarding:canary.clientId' <value>)",
      "skyporten-onboarding:canary.keyId is not set: canary.keyId must be the kid of the canary client's key registered at Digdir (text); set it in Pulumi.<stack>.yaml (pulumi config set --path 'skyporten-onboarding:canary.keyId' <value>)",
    ]);
    expect(problemsOf({ canary: "yes" })).toEqual([
      "skyporten-onboarding:canary: canary must be a mapping with orgNumber, clientId and keyId (remove it for no canary)",
    ]);
    expect(problemsOf({ canary: { ...CANARY, privateKey: "x" } })).toEqual([
      "skyporten-onboarding:canary.privateKey: unknown setting: remove it or fix the spelling (known settings here: orgNumber, clientId, keyId)",
    ]);
    expect(Object.keys(CanarySettingsSchema.shape)).toEqual(["orgNumber", "clientId", "keyId"]);
  });
});

describe("the canary's private key", () => {
  it("is a secret: in plain text in the stack file it is refused, as a secure value it never reaches the settings", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "canary-settings-"));
    try {
      const file = path.join(dir, "Pulumi.x.yaml");
      fs.writeFileSync(file, "config:\n  skyporten-onboarding:canaryPrivateKey: not-so-secret\n");
      expect(() => readStackFile("x", dir, file)).toThrow(
        "skyporten-onboarding:canaryPrivateKey is stored in plain text; remove it and set it with pulumi config set --secret skyporten-onboarding:canaryPrivateKey",
      );
      fs.writeFileSync(file, "config:\n  skyporten-onboarding:canaryPrivateKey:\n    secure: v1:AAAA\n");
      const read = readStackFile("x", dir, file);
      expect(read.secretKeys).toEqual(["skyporten-onboarding:canaryPrivateKey"]);
      expect(read.settings).toEqual({});
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
