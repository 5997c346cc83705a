import { describe, expect, it } from "vitest";
import { ManifestSchema, type Manifest } from "../manifest/schema";
import { canaryGrants, CanarySettingsSchema } from "./canary";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile, SettingsError } from "./index";
import { settingsFixture } from "./testFixture";

const CANARY = { orgNumber: "991825827", clientId: "canary-client", keyId: "kid-1" };

/** A manifest parsed by the real schema (cross-entry rules are not the point here). */
const manifest = (partners: unknown[]): Manifest =>
  ManifestSchema.parse({ containers: [{ name: "outbound" }], buckets: [{ name: "bkt" }], partners });

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

describe("canaryGrants: which grants the canary exercises, or what is missing", () => {
  const path = { container: "outbound", path: "canary", access: "read-write" };
  const prefix = { bucket: "bkt", prefix: "canary/", access: "read-write" };

  it("an active partner with a writable path grant and, with AWS on, a writable prefix; read-write preferred", () => {
    const m = manifest([
      { orgNumber: "991825827", name: "Platform", azure: [{ container: "outbound", access: "read-write" }, { ...path, access: "write", path: "drop" }, path], aws: [{ ...prefix, access: "write", prefix: "drop/" }, prefix] },
    ]);
    const r = canaryGrants(CANARY, m, "stacks/test.yaml", true);
    expect(r.ok && r.grants.azure).toEqual(path);
    expect(r.ok && r.grants.aws).toEqual(prefix);
    expect(canaryGrants(CANARY, m, "stacks/test.yaml", false)).toMatchObject({ ok: true, grants: { aws: null } });
  });

  it.each([
    [[], "canary.orgNumber 991825827 is not a partner in stacks/test.yaml: add a partner entry with orgNumber: \"991825827\" to stacks/test.yaml (reviewed in a pull request like any partner), then pulumi up"],
    [[{ orgNumber: "991825827", name: "P", status: "suspended", azure: [path], aws: [prefix] }], "the canary organization 991825827 is suspended in stacks/test.yaml: set status: active, then pulumi up"],
  ])("refuses an organization that is no active partner", (partners, message) => {
    expect(canaryGrants(CANARY, manifest(partners), "stacks/test.yaml", true)).toEqual({ ok: false, problems: [message] });
  });

  it("names every missing grant at once", () => {
    const r = canaryGrants(CANARY, manifest([{ orgNumber: "991825827", name: "P", azure: [{ container: "outbound", access: "read-write" }] }]), "stacks/test.yaml", true);
    expect(r).toEqual({
      ok: false,
      problems: [
        'the canary organization 991825827 has no Azure path grant in stacks/test.yaml: add one, e.g. "- container: <container>, path: skyporten-canary, access: read-write"',
        'the canary organization 991825827 has no AWS prefix in stacks/test.yaml and this stack\'s AWS variant is on: add one, e.g. "- bucket: <bucket>, prefix: skyporten-canary/, access: read-write"',
      ],
    });
    const readOnly = canaryGrants(CANARY, manifest([{ orgNumber: "991825827", name: "P", azure: [{ ...path, access: "read" }], aws: [{ ...prefix, access: "read" }] }]), "m.yaml", true);
    expect(readOnly).toEqual({
      ok: false,
      problems: [
        "the canary organization 991825827 has only read access on its Azure paths in m.yaml: the canary writes a file, give one path access: read-write",
        "the canary organization 991825827 has only read access on its AWS prefixes in m.yaml: the canary writes an object, give one prefix access: read-write",
      ],
    });
  });
});
