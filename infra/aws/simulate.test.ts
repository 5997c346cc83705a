import { runSimulation, runUnsafeSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { describe, expect, it } from "vitest";
import type { Access, AwsGrant } from "../manifest/schema";
import { awsRoleName, issuerHost, subjectFor } from "../naming";
import type { Environment } from "../settings/schema";
import { awsRoleArnFor, expectedProviderArn } from "./model";
import { permissionPolicyDocument, trustPolicyDocument, type PolicyDocument } from "./policies";
import { stackManifest, stackSettings } from "./testFixtures";

/**
 * The generated documents, evaluated by an independent IAM policy evaluator (@cloud-copilot/iam-simulate), not
 * by this project's own logic. "Allowed" / "ImplicitlyDenied" are the evaluator's verdicts.
 */

const ACCOUNT = "000000000000";
const BUCKET = "banenor-payload-test";
const KEY = "arn:aws:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY = "arn:aws:kms:eu-north-1:000000000000:key/99999999-12ab-34cd-56ef-1234567890ab";

// ---------------------------------------------------------------------------------------------------------
// Trust: who may assume the role with a Skyporten token.
// ---------------------------------------------------------------------------------------------------------

interface Claims {
  iss: string;
  sub: string;
  aud?: string;
}

/**
 * STS evaluates the trust policy with the federated principal (the provider the token's `iss` names) and the
 * token's claims as `<host>:sub` / `<host>:aud`. runSimulation drops those generic OIDC keys (it does not
 * catalogue them, see the last test), so the evaluation goes through runUnsafeSimulation with the trust
 * document handed over as an already validated policy object.
 */
function assume(stack: Environment, orgNumber: string, claims: Claims): string {
  const settings = stackSettings(stack);
  const trust = trustPolicyDocument({
    providerArn: expectedProviderArn(settings),
    issuer: settings.issuer,
    audience: settings.audience,
    orgNumber,
    scope: settings.scope,
  });
  const host = issuerHost(claims.iss);
  const context: Record<string, string> = { [`${host}:sub`]: claims.sub };
  if (claims.aud !== undefined) context[`${host}:aud`] = claims.aud;
  return runUnsafeSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:oidc-provider/${host}`,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: { resource: awsRoleArnFor(settings, orgNumber), accountId: ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: { __validated: true, policyDocument: trust, metadata: { name: "trust" }, errors: [] },
    },
    {},
  );
}

describe("trust policy, evaluated by iam-simulate", () => {
  const scope = "banenor:payloadmanager.storage";
  const stacks = [
    {
      stack: "test" as const,
      iss: "https://test.sky.maskinporten.no",
      aud: "https://skyporten.test.banenor.example.no",
    },
    {
      stack: "prod" as const,
      iss: "https://sky.maskinporten.no",
      aud: "https://skyporten.banenor.example.no",
    },
  ];

  describe.each(stacks)("$stack stack", ({ stack, iss, aud }) => {
    const own = { iss, sub: `0192:917422575;${scope}`, aud };

    it("lets the partner's own token claims assume its role", () => {
      expect(assume(stack, "917422575", own)).toBe("Allowed");
    });

    it.each([
      ["another organization's subject", { ...own, sub: `0192:921345674;${scope}` }],
      ["a subject without the scope (the outdated format)", { ...own, sub: "0192:917422575" }],
      ["a subject with another scope", { ...own, sub: "0192:917422575;banenor:other" }],
      ["a subject differing in case", { ...own, sub: `0192:917422575;${scope.toUpperCase()}` }],
      ["a subject with a suffix", { ...own, sub: `0192:917422575;${scope} ` }],
      ["a wrong audience", { ...own, aud: "https://skyporten.example.no" }],
      ["the audience with a trailing slash", { ...own, aud: `${aud}/` }],
      ["no audience", { iss, sub: own.sub }],
      [
        "a plain Maskinporten token (other issuer, other provider)",
        { ...own, iss: "https://maskinporten.no" },
      ],
      [
        "a token of the other environment's issuer",
        {
          ...own,
          iss: stack === "test" ? "https://sky.maskinporten.no" : "https://test.sky.maskinporten.no",
        },
      ],
    ])("refuses %s", (_label, claims) => {
      expect(assume(stack, "917422575", claims)).toBe("ImplicitlyDenied");
    });

    it("refuses the partner's token on another partner's role", () => {
      expect(assume(stack, "921345674", own)).toBe("ImplicitlyDenied");
    });
  });

  it("is valid for the validating engine, which however drops the generic OIDC keys (hence the unsafe engine)", async () => {
    const settings = stackSettings("test");
    const trust = trustPolicyDocument({
      providerArn: expectedProviderArn(settings),
      issuer: settings.issuer,
      audience: settings.audience,
      orgNumber: "917422575",
      scope: settings.scope,
    });
    const result = await runSimulation(
      {
        request: {
          principal: expectedProviderArn(settings),
          action: "sts:AssumeRoleWithWebIdentity",
          resource: { resource: awsRoleArnFor(settings, "917422575"), accountId: ACCOUNT },
          contextVariables: {
            "test.sky.maskinporten.no:sub": subjectFor("917422575", scope),
            "test.sky.maskinporten.no:aud": settings.audience,
          },
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust,
      },
      {},
    );
    expect(result.resultType).toBe("single");
    if (result.resultType !== "single") return;
    expect([...(result.result.ignoredContextKeys ?? [])].sort()).toEqual([
      "test.sky.maskinporten.no:aud",
      "test.sky.maskinporten.no:sub",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Permissions: what the role may do in S3 (and KMS).
// ---------------------------------------------------------------------------------------------------------

const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/${awsRoleName("test", "917422575")}/skyporten`;

/**
 * KMS authorizes nothing through IAM policies unless the key policy lets it: this is AWS's default key policy,
 * which delegates to IAM (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
 */
const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "Enable IAM User Permissions",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

async function decide(
  policy: PolicyDocument,
  action: string,
  resource: string,
  context: Record<string, string> = {},
): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal: SESSION,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: context,
    },
    identityPolicies: [{ name: "skyporten-s3-access", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resource.startsWith("arn:aws:kms:") ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error")
    throw new Error(`iam-simulate refused the input: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== "single") throw new Error(`unexpected result type ${result.resultType}`);
  // Every context key given must have been evaluated, or the verdict would prove nothing.
  expect(result.result.ignoredContextKeys).toEqual([]);
  return result.overallResult;
}

const obj = (key: string, bucket = BUCKET) => `arn:aws:s3:::${bucket}/${key}`;
const bucketArn = `arn:aws:s3:::${BUCKET}`;

function policyFor(access: Access, kmsKeyArn?: string): PolicyDocument {
  const grants: AwsGrant[] = [{ bucket: BUCKET, prefix: "abc/", access }];
  return permissionPolicyDocument({
    grants,
    buckets: [{ name: BUCKET, kmsKeyArn }, { name: "other-bucket" }],
    region: "eu-north-1",
  });
}

describe("permission policy, evaluated by iam-simulate", () => {
  const A = "Allowed";
  const D = "ImplicitlyDenied";
  // [access, read own, write own, abort own, list own]
  const matrix: [Access, string, string, string, string][] = [
    ["read", A, D, D, A],
    ["write", D, A, A, D],
    ["read-write", A, A, A, A],
  ];

  describe.each(matrix)("%s grant on abc/", (access, read, write, abort, list) => {
    const policy = policyFor(access);

    it("acts on its own prefix exactly as granted", async () => {
      expect(await decide(policy, "s3:GetObject", obj("abc/data.json"))).toBe(read);
      expect(await decide(policy, "s3:GetObject", obj("abc/deep/er/data.json"))).toBe(read);
      expect(await decide(policy, "s3:PutObject", obj("abc/upload.json"))).toBe(write);
      expect(await decide(policy, "s3:AbortMultipartUpload", obj("abc/big.bin"))).toBe(abort);
      expect(await decide(policy, "s3:ListBucket", bucketArn, { "s3:prefix": "abc/" })).toBe(list);
      expect(await decide(policy, "s3:ListBucket", bucketArn, { "s3:prefix": "abc/deep/" })).toBe(list);
    });

    it.each([
      ["a sibling prefix that starts with the same letters", obj("abcd/data.json")],
      ["the key that equals the prefix without its slash", obj("abc")],
      ["another partner's prefix", obj("fjordkraft/data.json")],
      ["the bucket root", obj("data.json")],
      ["the same prefix in another bucket", obj("abc/data.json", "other-bucket")],
      // S3 keys are case-sensitive: "ABC/" is another partner's prefix, never the same one.
      ["the prefix in other letter case", obj("ABC/data.json")],
    ])("cannot touch %s", async (_label, resource) => {
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"]) {
        expect(await decide(policy, action, resource)).toBe(D);
      }
    });

    it.each([
      ["the bucket root (no prefix)", bucketArn, {}],
      ["the bucket root (empty prefix)", bucketArn, { "s3:prefix": "" }],
      ["a sibling prefix", bucketArn, { "s3:prefix": "abcd/" }],
      ["a shorter prefix matching the sibling too", bucketArn, { "s3:prefix": "abc" }],
      ["another partner's prefix", bucketArn, { "s3:prefix": "fjordkraft/" }],
      ["another bucket", "arn:aws:s3:::other-bucket", { "s3:prefix": "abc/" }],
      ["the prefix in other letter case", bucketArn, { "s3:prefix": "ABC/" }],
      ["a pattern-looking prefix", bucketArn, { "s3:prefix": "*" }],
      ["the sibling through a wildcard-looking prefix", bucketArn, { "s3:prefix": "ab*" }],
    ])("cannot list %s", async (_label, resource, context: Record<string, string>) => {
      expect(await decide(policy, "s3:ListBucket", resource, context)).toBe(D);
    });

    it("cannot delete, nor change the bucket", async () => {
      expect(await decide(policy, "s3:DeleteObject", obj("abc/data.json"))).toBe(D);
      expect(await decide(policy, "s3:PutBucketPolicy", bucketArn)).toBe(D);
      expect(await decide(policy, "s3:PutBucketAcl", bucketArn)).toBe(D);
      expect(await decide(policy, "s3:DeleteBucket", bucketArn)).toBe(D);
    });
  });

  it.each([
    ["read", A, D],
    ["write", A, A],
    ["read-write", A, A],
  ] as const)(
    "%s with a KMS key: Decrypt %s, GenerateDataKey %s, on that key through S3 only",
    async (access, decrypt, dataKey) => {
      const policy = policyFor(access, KEY);
      const viaS3 = { "kms:ViaService": "s3.eu-north-1.amazonaws.com" };
      expect(await decide(policy, "kms:Decrypt", KEY, viaS3)).toBe(decrypt);
      expect(await decide(policy, "kms:GenerateDataKey", KEY, viaS3)).toBe(dataKey);
      expect(await decide(policy, "kms:Decrypt", KEY)).toBe(D);
      expect(
        await decide(policy, "kms:Decrypt", KEY, { "kms:ViaService": "s3.eu-west-1.amazonaws.com" }),
      ).toBe(D);
      expect(await decide(policy, "kms:Decrypt", OTHER_KEY, viaS3)).toBe(D);
      expect(await decide(policy, "kms:Encrypt", KEY, viaS3)).toBe(D);
    },
  );

  it("keeps the sample partners of the test stack apart", async () => {
    const settings = stackSettings("test");
    const manifest = stackManifest("test");
    const policyOf = (org: string) =>
      permissionPolicyDocument({
        grants: manifest.partners.find((p) => p.orgNumber === org)!.aws,
        buckets: manifest.buckets,
        region: settings.aws.region,
      });
    const entur = policyOf("917422575");
    const fjordkraft = policyOf("921345674");
    expect(await decide(entur, "s3:GetObject", obj("entur/a.json"))).toBe(A);
    expect(await decide(entur, "s3:PutObject", obj("entur/a.json"))).toBe(A);
    expect(await decide(entur, "s3:GetObject", obj("fjordkraft/a.json"))).toBe(D);
    expect(await decide(entur, "s3:ListBucket", bucketArn, { "s3:prefix": "fjordkraft/" })).toBe(D);
    expect(await decide(fjordkraft, "s3:GetObject", obj("fjordkraft/a.json"))).toBe(A);
    expect(await decide(fjordkraft, "s3:PutObject", obj("fjordkraft/a.json"))).toBe(D);
    expect(await decide(fjordkraft, "s3:GetObject", obj("entur/a.json"))).toBe(D);
    expect(await decide(fjordkraft, "s3:ListBucket", bucketArn, { "s3:prefix": "entur/" })).toBe(D);
  });
});
