import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  awsRoleName,
  consumerIdFor,
  federatedCredentialName,
  identityName,
  issuerHost,
  partnerLogicalName,
  subjectFor,
  tokenEndpointFor,
} from "../naming";
import {
  configKey,
  decodeConfigValue,
  issuerProblem,
  listStacks,
  parseSettings,
  PLATFORM_SCOPE,
  readStackFile,
  SECRET_PLACEHOLDER,
  SettingsError,
  settingsFromConfig,
  SKYPORTEN_ISSUERS,
  stackSettings,
  type Settings,
} from "./index";
import { settingsProblems } from "./testFixture";

const problemsOf = settingsProblems;

/** The test stack's settings as read from its file, deep-copied so a test may change them. */
const testRaw = (): Record<string, unknown> => structuredClone(readStackFile("test").settings);

const ZERO = "00000000-0000-0000-0000-000000000000";
/** Bane NOR's tenant id, public in Bane-NOR/platform-docs (Uploading-files-with-skyporten.md). */
const BANE_NOR_TENANT = "6ee535f2-3064-4ac9-81d8-4ceb2ff790c6";
/** The payload manager's published gateway rules (File-and-blob-restrictions.md), written out here. */
const PAYLOAD_MANAGER_DEFAULT_RULES = {
  retentionDays: 8,
  maxRequestMegabytes: 100,
  fileNameCharacters: "[a-zA-Z0-9.-]",
  allowedFileTypes: ["txt", "csv", "log", "json", "xml", "md", "jpg", "jpeg", "png", "gif", "bmp", "tiff", "webp", "mp3", "wav", "mp4", "avi", "mov", "flac", "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "tar", "gz", "rar", "html", "css", "js", "py", "cs", "vp0", "vspe", "kmm", "kmm2", "hdr"],
};

describe("the sample stack files", () => {
  it("Pulumi.test.yaml parses to exact settings", () => {
    expect(stackSettings("test")).toEqual({
      environment: "test",
      issuer: "https://test.sky.maskinporten.no",
      scope: "banenor:payloadmanager.storage",
      audience: "https://skyporten.test.banenor.example.no",
      manifest: "stacks/test.yaml",
      nameKey: "test",
      protectIdentities: false,
      azure: {
        tenantId: BANE_NOR_TENANT,
        subscriptionId: ZERO,
        resourceGroupName: "rg-skyporten-test",
        storageAccountName: "bnplmextnwesttest",
        location: "norwaywest",
        groupOwners: [ZERO],
        identityKind: "managed-identity",
        gateway: {
          url: "https://test.api.apps.banenor.no/payload-manager/v1",
          tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net",
          ...PAYLOAD_MANAGER_DEFAULT_RULES,
        },
      },
      aws: {
        enabled: true,
        region: "eu-north-1",
        accountId: "000000000000",
        alwaysCreateProvider: false,
        rolePath: "/skyporten/",
        maxSessionDurationSeconds: 3600,
        thumbprints: [],
      },
      maskinporten: {
        manageScopeAccess: false,
        apiBaseUrl: "https://api.test.samarbeid.digdir.no",
        tokenEndpoint: "https://test.maskinporten.no/token",
        tokenAudience: "https://test.maskinporten.no/",
      },
    } satisfies Settings);
  });

  it("Pulumi.prod.yaml parses to exact settings (identities protected by default)", () => {
    expect(stackSettings("prod")).toEqual({
      environment: "prod",
      issuer: "https://sky.maskinporten.no",
      scope: "banenor:payloadmanager.storage",
      audience: "https://skyporten.banenor.example.no",
      manifest: "stacks/prod.yaml",
      nameKey: "prod",
      protectIdentities: true,
      azure: {
        tenantId: BANE_NOR_TENANT,
        subscriptionId: ZERO,
        resourceGroupName: "rg-skyporten-prod",
        storageAccountName: "bnplmextnwestprod",
        location: "norwaywest",
        groupOwners: [ZERO],
        identityKind: "managed-identity",
        gateway: {
          url: "https://api.banenor.no/payload-manager/v1",
          tokenAudience: "https://bnplmextnwestprod.blob.core.windows.net",
          ...PAYLOAD_MANAGER_DEFAULT_RULES,
        },
      },
      aws: {
        enabled: true,
        region: "eu-north-1",
        accountId: "000000000000",
        alwaysCreateProvider: false,
        rolePath: "/skyporten/",
        maxSessionDurationSeconds: 3600,
        thumbprints: [],
      },
      maskinporten: {
        manageScopeAccess: false,
        apiBaseUrl: "https://api.samarbeid.digdir.no",
        tokenEndpoint: "https://maskinporten.no/token",
        tokenAudience: "https://maskinporten.no/",
      },
    } satisfies Settings);
  });

  it("lists the stacks of the project", () => {
    expect(listStacks()).toEqual(["prod", "test"]);
  });

  it("the runtime view of the test stack file holds every key as text", () => {
    const { config, secretKeys } = readStackFile("test");
    expect(secretKeys).toEqual([]);
    expect(config["skyporten-onboarding:issuer"]).toBe("https://test.sky.maskinporten.no");
    expect(config["azure-native:location"]).toBe("norwaywest");
    expect(JSON.parse(config["skyporten-onboarding:aws"]!)).toEqual({
      enabled: true,
      region: "eu-north-1",
      accountId: "000000000000",
      rolePath: "/skyporten/",
      maxSessionDurationSeconds: 3600,
    });
  });
});

describe("the issuer", () => {
  it("is exactly the Skyporten issuer of the environment, without trailing slash", () => {
    expect(SKYPORTEN_ISSUERS).toEqual({
      test: "https://test.sky.maskinporten.no",
      prod: "https://sky.maskinporten.no",
    });
    expect(issuerProblem("test", "https://test.sky.maskinporten.no")).toBeUndefined();
    expect(issuerProblem("prod", "https://sky.maskinporten.no")).toBeUndefined();
  });

  it.each([
    [
      "test",
      "https://test.sky.maskinporten.no/",
      '"https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
    ],
    [
      "prod",
      "https://sky.maskinporten.no/",
      '"https://sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
    ],
    [
      "test",
      "https://sky.maskinporten.dev/",
      '"https://sky.maskinporten.dev/" is the outdated Skyporten development issuer; use "https://test.sky.maskinporten.no" for the test environment',
    ],
    [
      "prod",
      "https://sky.maskinporten.dev",
      '"https://sky.maskinporten.dev" is the outdated Skyporten development issuer; use "https://sky.maskinporten.no" for the prod environment',
    ],
    [
      "test",
      "https://test.maskinporten.no/",
      '"https://test.maskinporten.no/" is a plain Maskinporten issuer, not Skyporten; use "https://test.sky.maskinporten.no" for the test environment',
    ],
    [
      "test",
      "https://test.maskinporten.no",
      '"https://test.maskinporten.no" is a plain Maskinporten issuer, not Skyporten; use "https://test.sky.maskinporten.no" for the test environment',
    ],
    [
      "prod",
      "https://maskinporten.no/",
      '"https://maskinporten.no/" is a plain Maskinporten issuer, not Skyporten; use "https://sky.maskinporten.no" for the prod environment',
    ],
    [
      "test",
      "https://sky.maskinporten.no",
      '"https://sky.maskinporten.no" is the Skyporten issuer of the prod environment; this stack\'s environment is test: use "https://test.sky.maskinporten.no"',
    ],
    [
      "prod",
      "https://test.sky.maskinporten.no/",
      '"https://test.sky.maskinporten.no/" is the Skyporten issuer of the test environment; this stack\'s environment is prod: use "https://sky.maskinporten.no"',
    ],
    [
      "test",
      "http://test.sky.maskinporten.no",
      '"http://test.sky.maskinporten.no" is not the Skyporten issuer of the test environment; use "https://test.sky.maskinporten.no"',
    ],
    [
      "test",
      "https://TEST.sky.maskinporten.no",
      '"https://TEST.sky.maskinporten.no" is not the Skyporten issuer of the test environment; use "https://test.sky.maskinporten.no"',
    ],
  ] as const)("%s refuses %s, saying why", (environment, issuer, problem) => {
    expect(issuerProblem(environment, issuer)).toBe(problem);
  });

  it("a wrong issuer fails parsing with the config key and the reason", () => {
    expect(problemsOf({ ...testRaw(), issuer: "https://sky.maskinporten.dev/" })).toEqual([
      'skyporten-onboarding:issuer: "https://sky.maskinporten.dev/" is the outdated Skyporten development issuer; use "https://test.sky.maskinporten.no" for the test environment',
    ]);
  });
});

describe("settings errors name the config key and the fix", () => {
  const set = (mutate: (raw: Record<string, unknown>) => void) => {
    const raw = testRaw();
    mutate(raw);
    return problemsOf(raw);
  };
  const azure = (raw: Record<string, unknown>) => raw.azure as Record<string, unknown>;
  const aws = (raw: Record<string, unknown>) => raw.aws as Record<string, unknown>;

  it.each<[string, (raw: Record<string, unknown>) => void, string]>([
    [
      "missing top-level key",
      (r) => delete r.issuer,
      "skyporten-onboarding:issuer is not set: issuer must be the Skyporten issuer URL (https://test.sky.maskinporten.no for test, https://sky.maskinporten.no for prod); set it in Pulumi.<stack>.yaml (pulumi config set skyporten-onboarding:issuer <value>)",
    ],
    [
      "missing nested key",
      (r) => delete azure(r).tenantId,
      "skyporten-onboarding:azure.tenantId is not set: azure.tenantId must be a GUID string; set it in Pulumi.<stack>.yaml (pulumi config set --path 'skyporten-onboarding:azure.tenantId' <value>)",
    ],
    [
      "missing object",
      (r) => delete r.azure,
      "skyporten-onboarding:azure is not set: azure must be a mapping with tenantId, subscriptionId, resourceGroupName and storageAccountName; set it in Pulumi.<stack>.yaml (pulumi config set skyporten-onboarding:azure <value>)",
    ],
    [
      "environment",
      (r) => (r.environment = "dev"),
      'skyporten-onboarding:environment: environment must be "test" or "prod"',
    ],
    [
      "scope",
      (r) => (r.scope = "banenor:other"),
      'skyporten-onboarding:scope: scope must be "banenor:payloadmanager.storage"',
    ],
    [
      "audience",
      (r) => (r.audience = "http://skyporten.example.no"),
      "skyporten-onboarding:audience: audience must be an https URL under the platform's own domain, e.g. https://skyporten.example.no",
    ],
    [
      "GUID",
      (r) => (azure(r).tenantId = "00000000-0000-0000-0000-00000000000G"),
      "skyporten-onboarding:azure.tenantId: azure.tenantId must be a lowercase GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
    ],
    [
      "list item",
      (r) => (azure(r).groupOwners = [ZERO, "me"]),
      "skyporten-onboarding:azure.groupOwners[1]: azure.groupOwners[] must be a lowercase GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
    ],
    [
      "identity kind",
      (r) => (azure(r).identityKind = "service-principal"),
      'skyporten-onboarding:azure.identityKind: azure.identityKind must be one of "managed-identity", "app-registration"',
    ],
    [
      "identity kind not text",
      (r) => (azure(r).identityKind = true),
      'skyporten-onboarding:azure.identityKind: azure.identityKind must be one of "managed-identity", "app-registration"',
    ],
    [
      "storage account",
      (r) => (azure(r).storageAccountName = "St-Sky"),
      "skyporten-onboarding:azure.storageAccountName: azure.storageAccountName must be 3-24 lowercase letters and digits",
    ],
    [
      "resource group",
      (r) => (azure(r).resourceGroupName = "rg."),
      "skyporten-onboarding:azure.resourceGroupName: azure.resourceGroupName must be a valid resource group name: 1-90 letters, digits, '-', '_', '.', '(', ')', not ending with '.'",
    ],
    [
      "account id written as a number",
      (r) => (aws(r).accountId = 0),
      'skyporten-onboarding:aws.accountId: aws.accountId must be the 12-digit AWS account id as a quoted string (e.g. "000000000000"), so leading zeros are kept',
    ],
    [
      "region",
      (r) => (aws(r).region = "norway"),
      "skyporten-onboarding:aws.region: aws.region must be an AWS region such as eu-north-1",
    ],
    [
      "session too short",
      (r) => (aws(r).maxSessionDurationSeconds = 900),
      "skyporten-onboarding:aws.maxSessionDurationSeconds: aws.maxSessionDurationSeconds must be a whole number of seconds from 3600 to 43200",
    ],
    [
      "session as text",
      (r) => (aws(r).maxSessionDurationSeconds = "3600"),
      "skyporten-onboarding:aws.maxSessionDurationSeconds: aws.maxSessionDurationSeconds must be a whole number of seconds from 3600 to 43200",
    ],
    [
      "thumbprint",
      (r) => (aws(r).thumbprints = ["abc"]),
      "skyporten-onboarding:aws.thumbprints[0]: aws.thumbprints entries must be SHA-1 thumbprints: 40 hex characters",
    ],
    [
      "role path",
      (r) => (aws(r).rolePath = "skyporten"),
      'skyporten-onboarding:aws.rolePath: aws.rolePath must start and end with "/", e.g. /skyporten/',
    ],
    [
      "boolean as text",
      (r) => (r.protectIdentities = "yes"),
      "skyporten-onboarding:protectIdentities: protectIdentities must be true or false",
    ],
    [
      "http URL",
      (r) => (r.maskinporten = { apiBaseUrl: "http://api.test.samarbeid.digdir.no" }),
      "skyporten-onboarding:maskinporten.apiBaseUrl: maskinporten.apiBaseUrl must be an https URL such as https://api.test.samarbeid.digdir.no",
    ],
    [
      "scope access without admin client",
      (r) => (r.maskinporten = { manageScopeAccess: true }),
      "skyporten-onboarding:maskinporten: maskinporten.manageScopeAccess needs adminClientId and adminKeyId (and the secret adminPrivateKey); set them or turn the switch off",
    ],
    [
      "name key with capitals",
      (r) => (r.nameKey = "Dev"),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key with a dash",
      (r) => (r.nameKey = "dev-1"),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key of one character",
      (r) => (r.nameKey = "d"),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key of 13 characters",
      (r) => (r.nameKey = "abcdefghijklm"),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key starting with a digit",
      (r) => (r.nameKey = "1dev"),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key not text",
      (r) => (r.nameKey = 5),
      "skyporten-onboarding:nameKey: nameKey must be 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)",
    ],
    [
      "name key of the other environment",
      (r) => (r.nameKey = "prod"),
      'skyporten-onboarding:nameKey: "prod" is the prod environment\'s name, which the prod stack\'s resources are named with; this stack\'s environment is test, so its resources would take the prod stack\'s names: use another key, e.g. dev, or remove nameKey to use test',
    ],
    [
      "unknown top-level key",
      (r) => (r.isuer = "x"),
      "skyporten-onboarding:isuer: unknown setting: remove it or fix the spelling (known settings here: environment, issuer, scope, audience, manifest, nameKey, protectIdentities, azure, aws, maskinporten, canary, adminPrivateKey, canaryPrivateKey)",
    ],
    [
      "unknown nested key",
      (r) => (azure(r).tenant = ZERO),
      "skyporten-onboarding:azure.tenant: unknown setting: remove it or fix the spelling (known settings here: tenantId, subscriptionId, resourceGroupName, storageAccountName, location, groupOwners, identityKind, gateway)",
    ],
  ])("%s", (_name, mutate, problem) => {
    expect(set(mutate)).toEqual([problem]);
  });

  it("all problems come at once, the issuer rule included", () => {
    const problems = set((r) => {
      r.issuer = "https://test.sky.maskinporten.no/";
      delete aws(r).region;
      azure(r).location = "";
    });
    expect(problems).toEqual([
      "skyporten-onboarding:azure.location: azure.location must be an Azure region name such as norwayeast",
      "skyporten-onboarding:aws.region is not set: aws.region must be an AWS region such as eu-north-1; set it in Pulumi.<stack>.yaml (pulumi config set --path 'skyporten-onboarding:aws.region' <value>)",
      'skyporten-onboarding:issuer: "https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
    ]);
  });

  it("SettingsError lists every problem under its source", () => {
    let error: unknown;
    try {
      parseSettings({ ...testRaw(), scope: "x", audience: "x" }, "Pulumi.test.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).message).toBe(
      [
        "invalid stack settings in Pulumi.test.yaml:",
        '  - skyporten-onboarding:scope: scope must be "banenor:payloadmanager.storage"',
        "  - skyporten-onboarding:audience: audience must be an https URL under the platform's own domain, e.g. https://skyporten.example.no",
      ].join("\n"),
    );
  });

  it("identity kind: managed identity by default, app registration when chosen", () => {
    const raw = testRaw();
    expect(parseSettings(raw, "Pulumi.test.yaml").azure.identityKind).toBe("managed-identity");
    (raw.azure as Record<string, unknown>).identityKind = "app-registration";
    expect(parseSettings(raw, "Pulumi.test.yaml").azure.identityKind).toBe("app-registration");
    (raw.azure as Record<string, unknown>).identityKind = "managed-identity";
    expect(parseSettings(raw, "Pulumi.test.yaml").azure.identityKind).toBe("managed-identity");
  });

  it("name key: the environment by default, the configured key when set", () => {
    expect(stackSettings("test").nameKey).toBe("test");
    expect(stackSettings("prod").nameKey).toBe("prod");
    const raw = testRaw();
    raw.nameKey = "dev";
    expect(parseSettings(raw, "Pulumi.dev.yaml", "dev").nameKey).toBe("dev");
    // The environment's own name is the default written out; the longest key still gives IAM-sized names.
    raw.nameKey = "test";
    expect(parseSettings(raw, "Pulumi.test.yaml").nameKey).toBe("test");
    raw.nameKey = "abcdefghijkl";
    expect(awsRoleName(parseSettings(raw, "Pulumi.test.yaml").nameKey, "999999999")).toHaveLength(32);
  });

  it("a prod stack refuses the name key test", () => {
    const raw = structuredClone(readStackFile("prod").settings);
    raw.nameKey = "test";
    expect(problemsOf(raw)).toEqual([
      'skyporten-onboarding:nameKey: "test" is the test environment\'s name, which the test stack\'s resources are named with; this stack\'s environment is prod, so its resources would take the test stack\'s names: use another key, e.g. dev, or remove nameKey to use prod',
    ]);
  });

  it("the name key arrives through Pulumi config as text", () => {
    expect(settingsFromConfig({ "skyporten-onboarding:nameKey": "dev" })).toEqual({ nameKey: "dev" });
  });

  it("defaults and explicit values", () => {
    const raw = testRaw();
    raw.manifest = "stacks/other.yaml";
    raw.protectIdentities = true;
    raw.maskinporten = {
      manageScopeAccess: true,
      adminClientId: "client-1",
      adminKeyId: "key-1",
      apiBaseUrl: "https://api.example.no",
    };
    const s = parseSettings(raw, "Pulumi.test.yaml");
    expect([s.manifest, s.protectIdentities]).toEqual(["stacks/other.yaml", true]);
    expect(s.maskinporten).toEqual({
      manageScopeAccess: true,
      adminClientId: "client-1",
      adminKeyId: "key-1",
      apiBaseUrl: "https://api.example.no",
      tokenEndpoint: "https://test.maskinporten.no/token",
      tokenAudience: "https://test.maskinporten.no/",
    });
  });
});

describe("config decoding, shared by pulumi up and the offline tools", () => {
  it.each([
    ["azure", '{"tenantId":"x"}', { tenantId: "x" }],
    ["aws", "not json", "not json"],
    ["protectIdentities", "true", true],
    ["protectIdentities", "false", false],
    ["protectIdentities", "yes", "yes"],
    ["environment", "test", "test"],
    ["issuer", "https://test.sky.maskinporten.no", "https://test.sky.maskinporten.no"],
    ["manifest", "123", "123"],
  ])("%s = %j", (key, text, value) => {
    expect(decodeConfigValue(key, text)).toEqual(value);
  });

  it("keeps the project's keys, drops other namespaces and the secret keys", () => {
    expect(
      settingsFromConfig({
        "skyporten-onboarding:environment": "test",
        "skyporten-onboarding:aws": '{"enabled":false}',
        "skyporten-onboarding:adminPrivateKey": "-----BEGIN PRIVATE KEY-----",
        "skyporten-onboarding:typo": "x",
        "aws:region": "eu-north-1",
      }),
    ).toEqual({ environment: "test", aws: { enabled: false }, typo: "x" });
  });

  it("configKey gives the form pulumi config set --path takes", () => {
    expect(configKey(["azure", "groupOwners", 1])).toBe("skyporten-onboarding:azure.groupOwners[1]");
    expect(configKey(["issuer"])).toBe("skyporten-onboarding:issuer");
  });
});

describe("readStackFile", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (stack: string, text: string) =>
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  const base = fs.readFileSync("Pulumi.test.yaml", "utf8");

  it("keeps secure values encrypted and out of the settings", () => {
    write(
      "secret",
      `${base}  skyporten-onboarding:adminPrivateKey:\n    secure: AAABAKz1\n  aws:secretKey:\n    secure: AAABAKz2\n`,
    );
    const file = readStackFile("secret", dir);
    expect(file.secretKeys).toEqual(["skyporten-onboarding:adminPrivateKey", "aws:secretKey"]);
    expect(file.config["skyporten-onboarding:adminPrivateKey"]).toBe(SECRET_PLACEHOLDER);
    expect(file.config["aws:secretKey"]).toBe("[secret]");
    expect(Object.keys(file.settings)).not.toContain("adminPrivateKey");
    // The same settings; only the manifest follows the stack's name.
    expect(stackSettings("secret", dir)).toEqual({ ...stackSettings("test"), manifest: "stacks/secret.yaml" });
  });

  it("refuses a private key stored in plain text", () => {
    write("plain", `${base}  skyporten-onboarding:adminPrivateKey: "-----BEGIN PRIVATE KEY-----"\n`);
    expect(() => readStackFile("plain", dir)).toThrow(
      new SettingsError(path.join(dir, "Pulumi.plain.yaml"), [
        "skyporten-onboarding:adminPrivateKey is stored in plain text; remove it and set it with pulumi config set --secret skyporten-onboarding:adminPrivateKey",
      ]),
    );
  });

  it("reports a misspelt key of the project", () => {
    write("typo", `${base}  skyporten-onboarding:protectIdentites: true\n`);
    expect(() => stackSettings("typo", dir)).toThrow(
      /skyporten-onboarding:protectIdentites: unknown setting: remove it or fix the spelling/,
    );
  });

  it("reads a top-level boolean as Pulumi hands it over", () => {
    write("bool", `${base}  skyporten-onboarding:protectIdentities: "true"\n`);
    expect(stackSettings("bool", dir).protectIdentities).toBe(true);
  });

  it("reports YAML errors with file, line and column", () => {
    write("broken", "config:\n  a: 1\n  a: 2\n");
    const file = path.join(dir, "Pulumi.broken.yaml");
    expect(() => readStackFile("broken", dir)).toThrow(
      new SettingsError(file, [`${file}:3:3: a config key appears twice; keep one`]),
    );
  });

  it("reports a missing stack file with the known stacks", () => {
    expect(() => readStackFile("staging", process.cwd())).toThrow(
      new SettingsError(path.join(process.cwd(), "Pulumi.staging.yaml"), [
        "no stack file Pulumi.staging.yaml; known stacks: prod, test",
      ]),
    );
  });

  it("refuses a stack name that is not one", () => {
    expect(() => readStackFile("../etc/passwd")).toThrow(
      new SettingsError("--stack ../etc/passwd", ['"../etc/passwd" is not a stack name; use test or prod']),
    );
  });
});

describe("names and trust strings derived from the settings", () => {
  const test = stackSettings("test");

  it("the token subject is 0192:<orgno>;<scope>", () => {
    expect(subjectFor("917422575", test.scope)).toBe("0192:917422575;banenor:payloadmanager.storage");
    expect(consumerIdFor("917422575")).toBe("0192:917422575");
    expect(test.scope).toBe(PLATFORM_SCOPE);
  });

  it("the AWS condition key prefix is the issuer without scheme", () => {
    expect(issuerHost(test.issuer)).toBe("test.sky.maskinporten.no");
    expect(issuerHost(SKYPORTEN_ISSUERS.prod)).toBe("sky.maskinporten.no");
    expect(tokenEndpointFor(test.issuer)).toBe("https://test.sky.maskinporten.no/token");
  });

  it("physical names derive from environment and org number only, within the cloud limits", () => {
    expect(identityName("prod", "917422575")).toBe("id-skyporten-prod-917422575");
    expect(awsRoleName("test", "917422575")).toBe("skyporten-test-917422575");
    expect(federatedCredentialName("917422575")).toBe("skyporten-917422575");
    expect(partnerLogicalName("917422575")).toBe("partner-917422575");
    // IAM role names: at most 64 characters; federated credential names: 3-120, alphanumeric first.
    expect(awsRoleName("prod", "999999999").length).toBeLessThanOrEqual(64);
    expect(federatedCredentialName("999999999")).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/);
  });

  it("names of a stack with nameKey dev carry dev, not the environment", () => {
    const dev = parseSettings({ ...structuredClone(readStackFile("test").settings), nameKey: "dev" }, "Pulumi.dev.yaml", "dev");
    expect(dev.environment).toBe("test");
    expect(identityName(dev.nameKey, "917422575")).toBe("id-skyporten-dev-917422575");
    expect(awsRoleName(dev.nameKey, "917422575")).toBe("skyporten-dev-917422575");
  });
});
