import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import {
  defaultTokenAudience,
  fileNameAllowed,
  listStacks,
  parseSettings,
  PAYLOAD_MANAGER_RULES,
  readStackFile,
  stackSettings,
} from "./index";
import { settingsProblems } from "./testFixture";
import { readSettingsFromConfig } from "./pulumiConfig";

const problemsOf = settingsProblems;

/** The test stack's settings with `gateway` replaced (undefined removes it). */
function withGateway(gateway: unknown): Record<string, unknown> {
  const raw = structuredClone(readStackFile("test").settings);
  const azure = raw.azure as Record<string, unknown>;
  if (gateway === undefined) delete azure.gateway;
  else azure.gateway = gateway;
  return raw;
}

const TEST_GATEWAY = "https://test.api.apps.banenor.no/payload-manager/v1";

describe("azure.gateway", () => {
  it("is optional: without it partners call the storage account", () => {
    expect(parseSettings(withGateway(undefined), "Pulumi.test.yaml").azure.gateway).toBeUndefined();
  });

  it("defaults the token audience to the storage account's blob endpoint and the rules to the payload manager's", () => {
    expect(parseSettings(withGateway({ url: TEST_GATEWAY }), "Pulumi.test.yaml").azure.gateway).toEqual({
      url: TEST_GATEWAY,
      tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net",
      retentionDays: 8,
      maxRequestMegabytes: 100,
      fileNameCharacters: "[a-zA-Z0-9.-]",
      allowedFileTypes: [...PAYLOAD_MANAGER_RULES.allowedFileTypes],
    });
    expect(defaultTokenAudience("bnplmextnwestprod")).toBe("https://bnplmextnwestprod.blob.core.windows.net");
  });

  it("another platform sets its own rules", () => {
    const gateway = parseSettings(
      withGateway({
        url: "https://gw.example.no/files",
        retentionDays: 30,
        maxRequestMegabytes: 4000,
        fileNameCharacters: "[a-z0-9_.-]",
        allowedFileTypes: ["parquet", "csv"],
      }),
      "Pulumi.test.yaml",
    ).azure.gateway;
    expect(gateway).toEqual({
      url: "https://gw.example.no/files",
      tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net",
      retentionDays: 30,
      maxRequestMegabytes: 4000,
      fileNameCharacters: "[a-z0-9_.-]",
      allowedFileTypes: ["parquet", "csv"],
    });
  });

  it("accepts another audience only with the reason", () => {
    const gateway = {
      url: TEST_GATEWAY,
      tokenAudience: "https://storage.azure.com",
      tokenAudienceReason: "this gateway routes on a header, not on the token's audience",
    };
    expect(parseSettings(withGateway(gateway), "Pulumi.test.yaml").azure.gateway?.tokenAudience).toBe(
      "https://storage.azure.com",
    );
  });

  it.each<[string, unknown, string]>([
    [
      "trailing slash on the URL",
      { url: `${TEST_GATEWAY}/` },
      "skyporten-onboarding:azure.gateway.url: azure.gateway.url must be an https URL without a trailing slash, query or fragment, e.g. https://test.api.apps.banenor.no/payload-manager/v1",
    ],
    [
      "http URL",
      { url: "http://test.api.apps.banenor.no/payload-manager/v1" },
      "skyporten-onboarding:azure.gateway.url: azure.gateway.url must be an https URL without a trailing slash, query or fragment, e.g. https://test.api.apps.banenor.no/payload-manager/v1",
    ],
    [
      "URL with a query",
      { url: `${TEST_GATEWAY}?x=1` },
      "skyporten-onboarding:azure.gateway.url: azure.gateway.url must be an https URL without a trailing slash, query or fragment, e.g. https://test.api.apps.banenor.no/payload-manager/v1",
    ],
    [
      "no URL",
      { tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net" },
      "skyporten-onboarding:azure.gateway.url is not set: azure.gateway.url must be the gateway's https base URL, e.g. https://test.api.apps.banenor.no/payload-manager/v1; set it in Pulumi.<stack>.yaml (pulumi config set --path 'skyporten-onboarding:azure.gateway.url' <value>)",
    ],
    [
      "not a mapping",
      TEST_GATEWAY,
      "skyporten-onboarding:azure.gateway: azure.gateway must be a mapping with url (and optionally tokenAudience), e.g. { url: https://test.api.apps.banenor.no/payload-manager/v1 }",
    ],
    [
      "audience of another account",
      { url: TEST_GATEWAY, tokenAudience: "https://bnplmextnwestprod.blob.core.windows.net" },
      'skyporten-onboarding:azure.gateway.tokenAudience: "https://bnplmextnwestprod.blob.core.windows.net" is not this stack\'s storage account blob endpoint "https://bnplmextnwesttest.blob.core.windows.net"; the gateway validates the partner\'s Entra token and routes on its audience, so a token for another audience is refused: remove the key (it defaults to "https://bnplmextnwesttest.blob.core.windows.net") or say why it differs in azure.gateway.tokenAudienceReason',
    ],
    [
      "audience with a trailing slash",
      { url: TEST_GATEWAY, tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net/" },
      "skyporten-onboarding:azure.gateway.tokenAudience: azure.gateway.tokenAudience must be an https URL without a trailing slash, e.g. https://<storageAccountName>.blob.core.windows.net",
    ],
    [
      "a reason with nothing to explain",
      { url: TEST_GATEWAY, tokenAudienceReason: "because" },
      'skyporten-onboarding:azure.gateway.tokenAudienceReason: there is nothing to explain: the token audience is the default "https://bnplmextnwesttest.blob.core.windows.net"; remove tokenAudienceReason',
    ],
    [
      "retention as text",
      { url: TEST_GATEWAY, retentionDays: "8" },
      "skyporten-onboarding:azure.gateway.retentionDays: azure.gateway.retentionDays must be a whole number of days, at least 1 (the payload manager keeps files 8 days)",
    ],
    [
      "zero megabytes",
      { url: TEST_GATEWAY, maxRequestMegabytes: 0 },
      "skyporten-onboarding:azure.gateway.maxRequestMegabytes: azure.gateway.maxRequestMegabytes must be a whole number of megabytes, at least 1 (the payload manager allows 100 per request)",
    ],
    [
      "file-name characters that are no character class",
      { url: TEST_GATEWAY, fileNameCharacters: "a-z" },
      'skyporten-onboarding:azure.gateway.fileNameCharacters: azure.gateway.fileNameCharacters must be one regular-expression character class such as "[a-zA-Z0-9.-]"',
    ],
    [
      "a file type with its dot",
      { url: TEST_GATEWAY, allowedFileTypes: [".csv"] },
      "skyporten-onboarding:azure.gateway.allowedFileTypes[0]: azure.gateway.allowedFileTypes entries must be lowercase extensions without the dot, such as csv",
    ],
    [
      "an empty allow-list",
      { url: TEST_GATEWAY, allowedFileTypes: [] },
      "skyporten-onboarding:azure.gateway.allowedFileTypes: azure.gateway.allowedFileTypes must name at least one file type (remove the key for the default list)",
    ],
    [
      "a misspelt key",
      { url: TEST_GATEWAY, audience: "https://bnplmextnwesttest.blob.core.windows.net" },
      "skyporten-onboarding:azure.gateway.audience: unknown setting: remove it or fix the spelling (known settings here: url, tokenAudience, tokenAudienceReason, retentionDays, maxRequestMegabytes, fileNameCharacters, allowedFileTypes)",
    ],
  ])("refuses %s, naming the key and the fix", (_name, gateway, problem) => {
    expect(problemsOf(withGateway(gateway))).toEqual([problem]);
  });

  it("file names: the payload manager's own examples", () => {
    const rules = { fileNameCharacters: PAYLOAD_MANAGER_RULES.fileNameCharacters };
    expect(["kjorebok.xlsx", "olas-reisebok.txt"].map((n) => fileNameAllowed(rules, n))).toEqual([true, true]);
    expect(["kjørebok.xlsx", "ola´s-reisebok.txt", "a b.txt", ""].map((n) => fileNameAllowed(rules, n))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("the committed stacks carry the platform's public values", () => {
  it.each([
    ["test", "https://test.api.apps.banenor.no/payload-manager/v1", "https://bnplmextnwesttest.blob.core.windows.net"],
    ["prod", "https://api.banenor.no/payload-manager/v1", "https://bnplmextnwestprod.blob.core.windows.net"],
  ])("%s: gateway %s, token audience %s, Bane NOR's tenant, Norway West", (stack, url, audience) => {
    const s = stackSettings(stack);
    expect([s.azure.gateway?.url, s.azure.gateway?.tokenAudience, s.azure.tenantId, s.azure.location]).toEqual([
      url,
      audience,
      "6ee535f2-3064-4ac9-81d8-4ceb2ff790c6",
      "norwaywest",
    ]);
    expect(readStackFile(stack).config["azure-native:location"]).toBe("norwaywest");
  });
});

describe("a third stack needs no code change", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-dev-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A dev stack of the test environment: Bane NOR has three environments, Maskinporten two (domain.md).
  const devFile = fs
    .readFileSync("Pulumi.test.yaml", "utf8")
    .replace("storageAccountName: bnplmextnwesttest", "storageAccountName: bnplmextnwestdev")
    .replace("url: https://test.api.apps.banenor.no/payload-manager/v1", "url: https://dev.api.apps.banenor.no/payload-manager/v1")
    .replace("resourceGroupName: rg-skyporten-test", "resourceGroupName: rg-skyporten-dev");
  fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), devFile);

  it("Pulumi.dev.yaml with environment test reads stacks/dev.yaml and the test issuer", () => {
    expect(listStacks(dir)).toEqual(["dev"]);
    const s = stackSettings("dev", dir);
    expect([s.environment, s.issuer, s.manifest, s.protectIdentities]).toEqual([
      "test",
      "https://test.sky.maskinporten.no",
      "stacks/dev.yaml",
      false,
    ]);
    expect([s.azure.storageAccountName, s.azure.gateway?.url, s.azure.gateway?.tokenAudience]).toEqual([
      "bnplmextnwestdev",
      "https://dev.api.apps.banenor.no/payload-manager/v1",
      "https://bnplmextnwestdev.blob.core.windows.net",
    ]);
  });

  it("--config-file keeps the stack's name for the manifest", () => {
    expect(stackSettings("dev", dir, path.join(dir, "Pulumi.dev.yaml")).manifest).toBe("stacks/dev.yaml");
  });

  it("an explicit manifest setting wins", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.dev2.yaml"), `${devFile}  skyporten-onboarding:manifest: stacks/test.yaml\n`);
    expect(stackSettings("dev2", dir).manifest).toBe("stacks/test.yaml");
  });

  it("pulumi up on the dev stack reads the same settings (the runtime's stack name)", async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs as Record<string, unknown> }),
        call: (args) => {
          throw new Error(`unexpected invoke ${args.token}`);
        },
      },
      "skyporten-onboarding",
      "dev",
      false,
    );
    pulumi.runtime.setAllConfig(readStackFile("dev", dir).config);
    expect(readSettingsFromConfig()).toEqual(stackSettings("dev", dir));
    expect(readSettingsFromConfig().manifest).toBe("stacks/dev.yaml");
  });
});
