/**
 * How the program builds the stack, as the engine sees it: partner by partner, and nothing at all when any partner
 * is refused. Runs defineStack in-process under Pulumi's mock runtime as shipped (no offline-plan changes).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { loadManifestText } from "./manifest/load";
import type { Manifest } from "./manifest/schema";
import { partnerLogicalName } from "./naming";
import { settingsFixture } from "./settings/testFixture";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
let defineStack: typeof import("./program.js").defineStack;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        return { id: `${args.name}-id`, state: { ...inputs, arn: `arn:aws:iam::123456789012:x/${args.name}` } };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "skyporten-onboarding",
    "test",
    true,
  );
  ({ defineStack } = await import("./program.js"));
});

// In the order the loader keeps partners (by organization number).
const ORGS = ["910000012", "917422575", "921345674"] as const;

/** A manifest (only the schema's checks, not the stack's) of the three partners, each with Azure and AWS grants. */
function manifest(lastPartnerPrefixes = 1, firstStatus: "active" | "suspended" = "active"): Manifest {
  const partner = (org: string, i: number, prefixes: number) =>
    [
      `  - orgNumber: "${org}"`,
      `    name: Partner ${i} AS`,
      ...(i === 0 && firstStatus !== "active" ? [`    status: ${firstStatus}`] : []),
      `    azure:`,
      `      - container: outbound`,
      `        access: read`,
      `        path: p${i}`,
      `    aws:`,
      ...Array.from({ length: prefixes }, (_, k) =>
        [`      - bucket: banenor-payload-test`, `        prefix: p${i}/${"x".repeat(60)}-${k}/`, `        access: read`].join("\n"),
      ),
    ].join("\n");
  const text = [
    "containers:",
    "  - name: outbound",
    "buckets:",
    "  - name: banenor-payload-test",
    "partners:",
    ...ORGS.map((org, i) => partner(org, i, i === ORGS.length - 1 ? lastPartnerPrefixes : 1)),
    "",
  ].join("\n");
  const loaded = loadManifestText(text, "program.test.yaml");
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  return loaded.manifest;
}

/** Let every registration still in flight reach the mock engine. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("defineStack", () => {
  it("registers nothing, not even the platform, when the last partner is refused, and names it", async () => {
    registered.length = 0;
    // 200 long prefixes: the role's inline S3 policy exceeds IAM's 10,240 characters (a stack check the manifest
    // loader was not asked to run here).
    await expect(defineStack(settingsFixture(), manifest(200))).rejects.toThrow(
      /^AWS role of partner 921345674 cannot be created:\n- .*10240/s,
    );
    await settle();
    expect(registered).toEqual([]);
  });

  it("registers nothing when scope access would be refused for an active partner after a suspended one", async () => {
    registered.length = 0;
    // Settings accept any https URLs; the environments of the token endpoint (prod) and the API (test) disagree,
    // which ScopeAccess refuses. The first partner is suspended (no scope access), so it would be built first.
    const settings = settingsFixture({
      maskinporten: { manageScopeAccess: true, adminClientId: "admin", adminKeyId: "kid", tokenEndpoint: "https://maskinporten.no/token" },
    });
    await expect(defineStack(settings, manifest(1, "suspended"), { maskinportenAdminKey: pulumi.secret("key") })).rejects.toThrow(
      /917422575.*same Digdir environment/s,
    );
    await settle();
    expect(registered).toEqual([]);
  });

  it("registers nothing, not even the Azure platform, when the AWS platform's settings are refused", async () => {
    registered.length = 0;
    // A well-formed provider ARN of another account: the settings accept it, AwsPlatform does not.
    const settings = settingsFixture({
      aws: { region: "eu-north-1", accountId: "123456789012", oidcProviderArn: "arn:aws:iam::210987654321:oidc-provider/test.sky.maskinporten.no" },
    });
    await expect(defineStack(settings, manifest())).rejects.toThrow(/^AWS settings are invalid:\n- aws\.oidcProviderArn/);
    await settle();
    expect(registered).toEqual([]);
  });

  it("builds one partner at a time: each partner's resources reach the engine before the next partner's", async () => {
    registered.length = 0;
    const { partners } = await defineStack(settingsFixture(), manifest());
    await settle();
    expect(Object.keys(partners)).toEqual([...ORGS]);
    const owner = (name: string) => ORGS.findIndex((org) => name.startsWith(partnerLogicalName(org)));
    const owners = registered.map((r) => owner(r.name));
    // The platform's components come first; its other resources may arrive among the first partner's (they wait
    // for their parents' URNs as the partner's do). The partners' own resources arrive in blocks, partner by
    // partner, never interleaved.
    expect(registered.slice(0, 2).map((r) => r.type)).toEqual(["skyporten:azure:AzurePlatform", "skyporten:aws:AwsPlatform"]);
    const partnerOwners = owners.filter((o) => o >= 0);
    const blocks = partnerOwners.filter((o, i) => i === 0 || o !== partnerOwners[i - 1]);
    expect(blocks).toEqual([0, 1, 2]);
    // Each block is a whole partner: component, identity, federated credential, membership, ACL, AWS role.
    for (const org of ORGS) {
      const types = registered.filter((r) => r.name.startsWith(partnerLogicalName(org))).map((r) => r.type);
      expect(types).toEqual(
        expect.arrayContaining([
          "skyporten:partner:SkyportenPartner",
          "azure-native:managedidentity:UserAssignedIdentity",
          "azure-native:managedidentity:FederatedIdentityCredential",
          "azuread:index/groupMember:GroupMember",
          "pulumi-nodejs:dynamic/adls:PathAcl",
          "aws:iam/role:Role",
          "aws:iam/rolePolicy:RolePolicy",
        ]),
      );
    }
  });

  it("names every identity, application, group and role after nameKey, and tags them with the environment", async () => {
    const inputsOf = (type: string, key: string) =>
      registered.filter((r) => r.type === type).map((r) => r.inputs[key]);
    for (const identityKind of ["managed-identity", "app-registration"] as const) {
      registered.length = 0;
      const settings = settingsFixture({ nameKey: "dev" });
      await defineStack({ ...settings, azure: { ...settings.azure, identityKind } }, manifest());
      await settle();
      const identityType =
        identityKind === "managed-identity"
          ? ["azure-native:managedidentity:UserAssignedIdentity", "resourceName"]
          : ["azuread:index/application:Application", "displayName"];
      expect(inputsOf(identityType[0]!, identityType[1]!)).toEqual(ORGS.map((org) => `id-skyporten-dev-${org}`));
      expect(inputsOf("azuread:index/group:Group", "displayName")).toEqual([
        "sg-skyporten-dev-outbound-read",
        "sg-skyporten-dev-outbound-read-write",
        "sg-skyporten-dev-outbound-write",
        "sg-skyporten-dev-outbound-traverse",
      ]);
      expect(inputsOf("aws:iam/role:Role", "name")).toEqual(ORGS.map((org) => `skyporten-dev-${org}`));
      expect(inputsOf("aws:iam/role:Role", "tags")).toEqual(
        ORGS.map(() => expect.objectContaining({ environment: "test" }) as unknown),
      );
    }
  });
});
