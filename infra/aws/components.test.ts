import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type { Manifest, Partner } from "../manifest/schema";
import type { Settings } from "../settings/schema";
import { awsRoleArnFor, expectedProviderArn } from "./model";
import { awsPartnerOutputs } from "./outputs";
import { stackManifest, stackSettings } from "./testFixtures";

/**
 * The components under Pulumi's mock engine: the exact inputs they register for both stacks. Every resource
 * registration is captured; tests wait for the registrations they check (a promise per logical name), never
 * for time.
 */

type Registration = pulumi.runtime.MockResourceArgs;
const registered: Registration[] = [];
const waiters = new Map<string, (r: Registration) => void>();
const arrivals = new Map<string, Promise<Registration>>();

/** Resolves with the registration of the resource with this logical name, once the mock engine sees it. */
function whenRegistered(name: string): Promise<Registration> {
  let p = arrivals.get(name);
  if (p === undefined) {
    p = new Promise<Registration>((resolve) => waiters.set(name, resolve));
    arrivals.set(name, p);
    const already = registered.find((r) => r.name === name);
    if (already !== undefined) waiters.get(name)!(already);
  }
  return p;
}

const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

const ACCOUNT = "000000000000";

function mockState(args: Registration): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      if (args.id !== undefined && args.id !== "") {
        // A read of an existing provider (adoption): IAM's state for that ARN.
        return {
          arn: args.id,
          url: "https://test.sky.maskinporten.no",
          clientIdLists: ["https://skyporten.test.banenor.example.no"],
        };
      }
      return {
        ...inputs,
        arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`,
      };
    case "aws:iam/role:Role":
      return { ...inputs, arn: `arn:aws:iam::${ACCOUNT}:role${String(inputs.path)}${String(inputs.name)}` };
    case "aws:s3/bucket:Bucket":
      return { ...inputs, arn: `arn:aws:s3:::${String(inputs.bucket)}` };
    default:
      return inputs;
  }
}

let AwsPlatform: typeof import("./platform.js").AwsPlatform;
let PartnerAwsRole: typeof import("./partnerRole.js").PartnerAwsRole;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push(args);
        waiters.get(args.name)?.(args);
        const state = mockState(args);
        const id = args.id !== undefined && args.id !== "" ? args.id : `${args.name}-id`;
        return { id: args.type === "aws:iam/role:Role" ? String(state.name) : id, state };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token} in the AWS components`);
      },
    },
    "skyporten-onboarding",
    "test",
    false,
  );
  ({ AwsPlatform } = await import("./platform.js"));
  ({ PartnerAwsRole } = await import("./partnerRole.js"));
});

const TAGS = { "managed-by": "skyporten-onboarding", "skyporten-org": "917422575" };

function partnerOf(manifest: Manifest, org: string): Partner {
  return manifest.partners.find((p) => p.orgNumber === org)!;
}

describe.each(["test", "prod"] as const)("%s stack", (stack) => {
  const settings = stackSettings(stack);
  const manifest = stackManifest(stack);
  const host = stack === "test" ? "test.sky.maskinporten.no" : "sky.maskinporten.no";
  const audience =
    stack === "test" ? "https://skyporten.test.banenor.example.no" : "https://skyporten.banenor.example.no";
  const bucket = `banenor-payload-${stack}`;
  const name = `aws-${stack}`;

  it("creates the Skyporten OIDC provider for the stack's issuer and audience, without thumbprints", async () => {
    const platform = new AwsPlatform(name, { settings, manifest });
    expect(await promiseOf(platform.providerArn!)).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/${host}`);
    const provider = await whenRegistered(`${name}-oidc-provider`);
    expect(provider.type).toBe("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.inputs).toEqual({
      url: `https://${host}`,
      clientIdLists: [audience],
      tags: { "managed-by": "skyporten-onboarding", "skyporten-environment": stack },
    });
    expect(Object.keys(platform.bucketArns)).toEqual([bucket]);
    expect(await promiseOf(platform.bucketArns[bucket]!)).toBe(`arn:aws:s3:::${bucket}`);
  });

  it("creates the bucket hardened: no public access, owner-enforced, encrypted, versioned, TLS only", async () => {
    const b = `${name}-bucket-${bucket}`;
    const [created, pab, own, sse, ver, pol] = await Promise.all(
      ["", "-public-access", "-ownership", "-encryption", "-versioning", "-policy"].map((s) =>
        whenRegistered(`${b}${s}`),
      ),
    );
    expect(created!.type).toBe("aws:s3/bucket:Bucket");
    expect(created!.id).toBe("");
    expect(created!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      tags: { "managed-by": "skyporten-onboarding", "skyporten-environment": stack },
    });
    expect(pab!.type).toBe("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
    expect(pab!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(own!.type).toBe("aws:s3/bucketOwnershipControls:BucketOwnershipControls");
    expect(own!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    expect(sse!.type).toBe(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(sse!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false }],
    });
    expect(ver!.type).toBe("aws:s3/bucketVersioning:BucketVersioning");
    expect(ver!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      versioningConfiguration: { status: "Enabled" },
    });
    expect(pol!.type).toBe("aws:s3/bucketPolicy:BucketPolicy");
    expect(pol!.inputs).toEqual({
      bucket,
      region: "eu-north-1",
      policy:
        `{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",` +
        `"Resource":["arn:aws:s3:::${bucket}","arn:aws:s3:::${bucket}/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
    });
  });

  it("creates the partner's role named from the org number, trusting exactly its subject", async () => {
    const partner = partnerOf(manifest, "917422575");
    const role = new PartnerAwsRole(`partner-917422575-aws-${stack}`, {
      settings,
      partner,
      buckets: manifest.buckets,
      providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${host}`,
      tags: TAGS,
    });
    expect(await promiseOf(role.roleArn)).toBe(
      `arn:aws:iam::${ACCOUNT}:role/skyporten/skyporten-${stack}-917422575`,
    );
    // The role ARN is name-based: the pure prediction the handover document uses is the same string.
    expect(await promiseOf(role.roleArn)).toBe(awsRoleArnFor(settings, "917422575"));
    const outputs = awsPartnerOutputs({
      settings,
      partner,
      roleArn: role.roleArn,
      providerArn: expectedProviderArn(settings),
    });
    expect(
      await promiseOf(
        pulumi
          .all([outputs.roleArn, outputs.providerArn])
          .apply(([roleArn, providerArn]) => ({ ...outputs, roleArn, providerArn })),
      ),
    ).toEqual({
      roleArn: `arn:aws:iam::${ACCOUNT}:role/skyporten/skyporten-${stack}-917422575`,
      providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/${host}`,
      region: "eu-north-1",
      grants: [{ bucket, prefix: "entur/", access: "read-write" }],
    });
    const r = await whenRegistered(`partner-917422575-aws-${stack}-role`);
    expect(r.type).toBe("aws:iam/role:Role");
    expect(r.inputs).toEqual({
      name: `skyporten-${stack}-917422575`,
      path: "/skyporten/",
      description: `Skyporten web identity of organization 917422575 (${stack}); managed by skyporten-onboarding`,
      maxSessionDuration: 3600,
      tags: TAGS,
      assumeRolePolicy:
        `{"Version":"2012-10-17","Statement":[{"Sid":"SkyportenWebIdentity","Effect":"Allow",` +
        `"Principal":{"Federated":"arn:aws:iam::${ACCOUNT}:oidc-provider/${host}"},"Action":"sts:AssumeRoleWithWebIdentity",` +
        `"Condition":{"StringEquals":{"${host}:sub":"0192:917422575;banenor:payloadmanager.storage","${host}:aud":"${audience}"}}}]}`,
    });
    const p = await whenRegistered(`partner-917422575-aws-${stack}-s3-policy`);
    expect(p.type).toBe("aws:iam/rolePolicy:RolePolicy");
    expect(p.inputs).toEqual({
      role: `skyporten-${stack}-917422575`,
      name: "skyporten-s3-access",
      policy:
        `{"Version":"2012-10-17","Statement":[` +
        `{"Sid":"ListGrantedPrefixes0","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::${bucket}","Condition":{"StringLike":{"s3:prefix":["entur/*"]}}},` +
        `{"Sid":"ReadObjects","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::${bucket}/entur/*"]},` +
        `{"Sid":"WriteObjects","Effect":"Allow","Action":["s3:PutObject","s3:AbortMultipartUpload"],"Resource":["arn:aws:s3:::${bucket}/entur/*"]}]}`,
    });
  });
});

describe("provider and bucket variants", () => {
  const settings = stackSettings("test");
  const manifest = stackManifest("test");
  const withAws = (aws: Partial<Settings["aws"]>): Settings => ({
    ...settings,
    aws: { ...settings.aws, ...aws },
  });

  it("adopts an existing provider by ARN: reads it, creates none", async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/test.sky.maskinporten.no`;
    const platform = new AwsPlatform("aws-adopt", {
      settings: withAws({ oidcProviderArn: arn }),
      manifest: { ...manifest, buckets: [] },
    });
    expect(await promiseOf(platform.providerArn!)).toBe(arn);
    const read = await whenRegistered("aws-adopt-oidc-provider");
    expect(read.type).toBe("aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(read.id).toBe(arn);
    expect(platform.bucketArns).toEqual({});
  });

  it("passes thumbprints only when configured", async () => {
    const thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
    new AwsPlatform("aws-thumb", {
      settings: withAws({ thumbprints: [thumb] }),
      manifest: { ...manifest, buckets: [] },
    });
    expect((await whenRegistered("aws-thumb-oidc-provider")).inputs).toEqual({
      url: "https://test.sky.maskinporten.no",
      clientIdLists: ["https://skyporten.test.banenor.example.no"],
      thumbprintLists: [thumb],
      tags: { "managed-by": "skyporten-onboarding", "skyporten-environment": "test" },
    });
  });

  it("creates no provider while no partner has AWS grants, unless the switch says so", async () => {
    const noAws: Manifest = {
      ...manifest,
      buckets: [],
      partners: manifest.partners.map((p) => ({ ...p, aws: [] })),
    };
    const none = new AwsPlatform("aws-none", { settings, manifest: noAws });
    expect(none.providerArn).toBeUndefined();
    const forced = new AwsPlatform("aws-forced", {
      settings: withAws({ alwaysCreateProvider: true }),
      manifest: noAws,
    });
    expect(await promiseOf(forced.providerArn!)).toBe(
      `arn:aws:iam::${ACCOUNT}:oidc-provider/test.sky.maskinporten.no`,
    );
    await whenRegistered("aws-forced-oidc-provider");
    // Registered in constructor order: by the time the later platform's provider arrived, this one's would have.
    expect(registered.filter((r) => r.name.startsWith("aws-none-"))).toEqual([]);
  });

  it("imports an adopted bucket by name, keeps its tags, and uses its KMS key", async () => {
    const key = "arn:aws:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const adopted: Manifest = {
      ...manifest,
      buckets: [{ name: "legacy-payload", adopt: true, kmsKeyArn: key }],
    };
    const platform = new AwsPlatform("aws-legacy", { settings, manifest: adopted });
    expect(await promiseOf(platform.bucketArns["legacy-payload"]!)).toBe("arn:aws:s3:::legacy-payload");
    const b = await whenRegistered("aws-legacy-bucket-legacy-payload");
    expect(b.id).toBe("legacy-payload");
    expect(b.inputs).toEqual({ bucket: "legacy-payload", region: "eu-north-1" });
    expect((await whenRegistered("aws-legacy-bucket-legacy-payload-encryption")).inputs).toEqual({
      bucket: "legacy-payload",
      region: "eu-north-1",
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key },
          bucketKeyEnabled: true,
        },
      ],
    });
  });

  it("creates nothing on AWS when the variant is off and nobody has AWS grants", () => {
    const off: Manifest = { ...manifest, partners: manifest.partners.map((p) => ({ ...p, aws: [] })) };
    const platform = new AwsPlatform("aws-off", { settings: withAws({ enabled: false }), manifest: off });
    expect(platform.providerArn).toBeUndefined();
    expect(platform.bucketArns).toEqual({});
  });

  it("refuses bad input before creating anything", () => {
    expect(() => new AwsPlatform("aws-bad", { settings: withAws({ enabled: false }), manifest })).toThrow(
      "aws.enabled is false but partner(s) 917422575, 921345674 have AWS grants",
    );
    const suspended = { ...partnerOf(manifest, "917422575"), status: "suspended" as const };
    expect(
      () =>
        new PartnerAwsRole("partner-suspended", {
          settings,
          partner: suspended,
          buckets: manifest.buckets,
          providerArn: "arn",
          tags: TAGS,
        }),
    ).toThrow(
      'partner 917422575: PartnerAwsRole is only for active partners with AWS grants (status "suspended", 1 AWS grants); create it only when needsAwsRole(partner) is true',
    );
    const undeclared = { ...partnerOf(manifest, "921345674") };
    expect(
      () =>
        new PartnerAwsRole("partner-undeclared", {
          settings,
          partner: undeclared,
          buckets: [],
          providerArn: "arn",
          tags: TAGS,
        }),
    ).toThrow(
      'AWS role of partner 921345674 cannot be created:\n- partner 921345674: aws[0].bucket "banenor-payload-test" is not declared under buckets; declare it or fix the name',
    );
  });

  it("registers components under their type tokens and every (type, name) once", async () => {
    await whenRegistered("partner-917422575-aws-prod-s3-policy");
    const tokens = new Set(registered.filter((r) => r.custom === false).map((r) => r.type));
    expect([...tokens].sort()).toEqual(["skyporten:aws:AwsPlatform", "skyporten:aws:PartnerAwsRole"]);
    const keys = registered.map((r) => `${r.type}::${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The refused constructions registered nothing, not even their component.
    expect(registered.filter((r) => /^(aws-bad|partner-suspended|partner-undeclared)/.test(r.name))).toEqual(
      [],
    );
  });
});
