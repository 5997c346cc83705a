import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Access, AwsGrant } from "../manifest/schema";
import {
  awsRoleArnFor,
  bucketEncryptionRule,
  bucketResourceOptions,
  expectedProviderArn,
  needsAwsRole,
  partitionOf,
  providerArnFor,
  providerPlan,
} from "./model";
import {
  bucketTlsPolicyDocument,
  permissionPolicyDocument,
  policySize,
  trustPolicyDocument,
  type PolicyDocument,
} from "./policies";
import { stackManifest, stackSettings } from "./testFixtures";

const TEST = stackSettings("test");
const PROD = stackSettings("prod");
const BUCKET = "banenor-payload-test";
const KEY = "arn:aws:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const grant = (access: Access, prefix = "entur/", bucket = BUCKET): AwsGrant => ({ bucket, prefix, access });
const doc = (grants: AwsGrant[], kmsKeyArn?: string) =>
  permissionPolicyDocument({
    grants,
    buckets: [{ name: BUCKET, kmsKeyArn }, { name: "other-bucket" }],
    region: "eu-north-1",
  });

describe("trustPolicyDocument", () => {
  it("trusts exactly the partner's subject and the stack's audience, test stack", () => {
    const trust = trustPolicyDocument({
      providerArn: expectedProviderArn(TEST),
      issuer: TEST.issuer,
      audience: TEST.audience,
      orgNumber: "917422575",
      scope: TEST.scope,
    });
    expect(JSON.stringify(trust)).toBe(
      '{"Version":"2012-10-17","Statement":[{"Sid":"SkyportenWebIdentity","Effect":"Allow",' +
        '"Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no"},' +
        '"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{' +
        '"test.sky.maskinporten.no:sub":"0192:917422575;banenor:payloadmanager.storage",' +
        '"test.sky.maskinporten.no:aud":"https://skyporten.test.banenor.example.no"}}}]}',
    );
    expect(policySize(trust)).toBe(405);
  });

  it("uses the prod issuer host as key prefix on the prod stack", () => {
    const trust = trustPolicyDocument({
      providerArn: expectedProviderArn(PROD),
      issuer: PROD.issuer,
      audience: PROD.audience,
      orgNumber: "917422575",
      scope: PROD.scope,
    });
    expect(trust.Statement[0]).toEqual({
      Sid: "SkyportenWebIdentity",
      Effect: "Allow",
      Principal: { Federated: "arn:aws:iam::000000000000:oidc-provider/sky.maskinporten.no" },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          "sky.maskinporten.no:sub": "0192:917422575;banenor:payloadmanager.storage",
          "sky.maskinporten.no:aud": "https://skyporten.banenor.example.no",
        },
      },
    });
  });

  it("never uses StringLike, set operators or wildcards, for any organization number", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{9}$/), (orgNumber) => {
        const trust = trustPolicyDocument({
          providerArn: providerArnFor(TEST),
          issuer: TEST.issuer,
          audience: TEST.audience,
          orgNumber,
          scope: TEST.scope,
        });
        const [statement] = trust.Statement;
        expect(trust.Statement).toHaveLength(1);
        expect(Object.keys(statement!.Condition!)).toEqual(["StringEquals"]);
        expect(Object.values(statement!.Condition!.StringEquals!).every((v) => typeof v === "string")).toBe(
          true,
        );
        expect(JSON.stringify(trust)).not.toMatch(/[*?]/);
      }),
    );
  });
});

describe("permissionPolicyDocument", () => {
  it("read: GetObject on the prefix and ListBucket limited to it", () => {
    expect(doc([grant("read")])).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListGrantedPrefixes0",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: "arn:aws:s3:::banenor-payload-test",
          Condition: { StringLike: { "s3:prefix": ["entur/*"] } },
        },
        {
          Sid: "ReadObjects",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: ["arn:aws:s3:::banenor-payload-test/entur/*"],
        },
      ],
    } satisfies PolicyDocument);
  });

  it("write: PutObject and AbortMultipartUpload on the prefix, no listing", () => {
    expect(doc([grant("write")])).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "WriteObjects",
          Effect: "Allow",
          Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
          Resource: ["arn:aws:s3:::banenor-payload-test/entur/*"],
        },
      ],
    });
  });

  it("read-write: both, exactly as sent to IAM", () => {
    const rw = doc([grant("read-write")]);
    expect(JSON.stringify(rw)).toBe(
      '{"Version":"2012-10-17","Statement":[' +
        '{"Sid":"ListGrantedPrefixes0","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::banenor-payload-test","Condition":{"StringLike":{"s3:prefix":["entur/*"]}}},' +
        '{"Sid":"ReadObjects","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::banenor-payload-test/entur/*"]},' +
        '{"Sid":"WriteObjects","Effect":"Allow","Action":["s3:PutObject","s3:AbortMultipartUpload"],"Resource":["arn:aws:s3:::banenor-payload-test/entur/*"]}]}',
    );
    expect(policySize(rw)).toBe(480);
  });

  it("a bucket's KMS key adds Decrypt (read) and GenerateDataKey (write) on that key only, through S3 only", () => {
    const via = { StringEquals: { "kms:ViaService": "s3.eu-north-1.amazonaws.com" } };
    expect(doc([grant("read")], KEY).Statement.slice(2)).toEqual([
      { Sid: "KmsDecrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: [KEY], Condition: via },
    ]);
    expect(doc([grant("write")], KEY).Statement.slice(1)).toEqual([
      { Sid: "KmsDecrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: [KEY], Condition: via },
      {
        Sid: "KmsGenerateDataKey",
        Effect: "Allow",
        Action: "kms:GenerateDataKey",
        Resource: [KEY],
        Condition: via,
      },
    ]);
    // No key on the granted bucket: no KMS statement at all.
    expect(JSON.stringify(doc([grant("read-write")]))).not.toContain("kms:");
  });

  it("groups several buckets and prefixes into one list statement per bucket", () => {
    const d = doc([
      grant("read", "b/", "other-bucket"),
      grant("write", "drop/"),
      grant("read", "a/"),
      grant("read-write", "z/"),
    ]);
    expect(d.Statement).toEqual([
      {
        Sid: "ListGrantedPrefixes0",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::banenor-payload-test",
        Condition: { StringLike: { "s3:prefix": ["a/*", "z/*"] } },
      },
      {
        Sid: "ListGrantedPrefixes1",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: "arn:aws:s3:::other-bucket",
        Condition: { StringLike: { "s3:prefix": ["b/*"] } },
      },
      {
        Sid: "ReadObjects",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [
          "arn:aws:s3:::banenor-payload-test/a/*",
          "arn:aws:s3:::banenor-payload-test/z/*",
          "arn:aws:s3:::other-bucket/b/*",
        ],
      },
      {
        Sid: "WriteObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
        Resource: ["arn:aws:s3:::banenor-payload-test/drop/*", "arn:aws:s3:::banenor-payload-test/z/*"],
      },
    ]);
  });

  const grantsArb = fc.uniqueArray(
    fc.record({
      bucket: fc.constantFrom(BUCKET, "other-bucket"),
      prefix: fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9._-]{1,8}){0,2}\/$/),
      access: fc.constantFrom<Access>("read", "write", "read-write"),
    }),
    { minLength: 1, maxLength: 12, selector: (g) => `${g.bucket}/${g.prefix}` },
  );

  it("only ever grants the five actions, on granted prefixes, the granted buckets and their keys", () => {
    fc.assert(
      fc.property(grantsArb, fc.boolean(), (grants, withKey) => {
        const d = doc(grants, withKey ? KEY : undefined);
        const allowedResources = new Set([
          ...grants.map((g) => `arn:aws:s3:::${g.bucket}/${g.prefix}*`),
          ...grants.map((g) => `arn:aws:s3:::${g.bucket}`),
          KEY,
        ]);
        for (const s of d.Statement) {
          expect(s.Effect).toBe("Allow");
          for (const a of [s.Action].flat()) {
            expect([
              "s3:ListBucket",
              "s3:GetObject",
              "s3:PutObject",
              "s3:AbortMultipartUpload",
              "kms:Decrypt",
              "kms:GenerateDataKey",
            ]).toContain(a);
          }
          for (const r of [s.Resource ?? []].flat()) expect(allowedResources.has(r)).toBe(true);
          if (s.Action === "s3:ListBucket")
            expect(Object.keys(s.Condition!.StringLike!)).toEqual(["s3:prefix"]);
        }
        // Bucket-level ARNs only ever carry ListBucket.
        for (const s of d.Statement.filter((x) =>
          [x.Resource].flat().some((r) => /^arn:aws:s3:::[^/]+$/.test(r ?? "")),
        )) {
          expect(s.Action).toBe("s3:ListBucket");
        }
      }),
    );
  });

  it("does not depend on the order of the grants in the manifest", () => {
    fc.assert(
      fc.property(grantsArb, (grants) => {
        expect(doc([...grants].reverse())).toEqual(doc(grants));
      }),
    );
  });
});

describe("bucketTlsPolicyDocument", () => {
  it("denies every non-TLS request on the bucket and its objects", () => {
    expect(bucketTlsPolicyDocument("eu-north-1", BUCKET)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::banenor-payload-test", "arn:aws:s3:::banenor-payload-test/*"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
  });
});

describe("policySize", () => {
  it("counts the minified JSON, also of a pretty-printed string", () => {
    const d: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/p/*" }],
    };
    const minified =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/p/*"}]}';
    expect(policySize(d)).toBe(minified.length);
    expect(policySize(JSON.stringify(d, null, 2))).toBe(minified.length);
  });
});

describe("model", () => {
  it("derives partitions from the region", () => {
    expect(partitionOf("eu-north-1")).toEqual({ partition: "aws", dnsSuffix: "amazonaws.com" });
    expect(partitionOf("us-gov-west-1")).toEqual({ partition: "aws-us-gov", dnsSuffix: "amazonaws.com" });
    expect(partitionOf("cn-north-1")).toEqual({ partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" });
  });

  it("names role ARNs from the org number under the configured path", () => {
    expect(awsRoleArnFor(TEST, "917422575")).toBe(
      "arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575",
    );
    expect(awsRoleArnFor(PROD, "917422575")).toBe(
      "arn:aws:iam::000000000000:role/skyporten/skyporten-prod-917422575",
    );
    expect(awsRoleArnFor({ ...TEST, aws: { ...TEST.aws, rolePath: "/" } }, "921345674")).toBe(
      "arn:aws:iam::000000000000:role/skyporten-test-921345674",
    );
  });

  it("uses an adopted provider ARN when configured", () => {
    const arn = "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no";
    expect(providerArnFor({ ...TEST, aws: { ...TEST.aws, oidcProviderArn: arn } })).toBe(arn);
  });

  it("plans the provider: created for the stacks' partners, adopted, or absent", () => {
    const manifest = stackManifest("test");
    expect(providerPlan(TEST, manifest)).toEqual({
      kind: "create",
      url: "https://test.sky.maskinporten.no",
      clientIds: ["https://skyporten.test.banenor.example.no"],
      thumbprints: [],
    });
    expect(providerPlan(PROD, stackManifest("prod"))).toEqual({
      kind: "create",
      url: "https://sky.maskinporten.no",
      clientIds: ["https://skyporten.banenor.example.no"],
      thumbprints: [],
    });
    const noAws = { partners: manifest.partners.map((p) => ({ ...p, aws: [] })) };
    expect(providerPlan(TEST, noAws)).toEqual({
      kind: "none",
      reason: "no partner has AWS grants and aws.alwaysCreateProvider is false",
    });
    expect(providerPlan({ ...TEST, aws: { ...TEST.aws, alwaysCreateProvider: true } }, noAws).kind).toBe(
      "create",
    );
    const onlyOffboarded = {
      partners: manifest.partners.map((p) => ({ ...p, status: "offboarded" as const })),
    };
    expect(providerPlan(TEST, onlyOffboarded).kind).toBe("none");
    const onlySuspended = {
      partners: manifest.partners.map((p) => ({ ...p, status: "suspended" as const })),
    };
    expect(providerPlan(TEST, onlySuspended).kind).toBe("create");
    const adopted = "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no";
    expect(providerPlan({ ...TEST, aws: { ...TEST.aws, oidcProviderArn: adopted } }, manifest)).toEqual({
      kind: "adopt",
      arn: adopted,
    });
    expect(providerPlan({ ...TEST, aws: { ...TEST.aws, enabled: false } }, manifest)).toEqual({
      kind: "none",
      reason: "aws.enabled is false",
    });
  });

  it("gives roles to active partners with AWS grants only", () => {
    const aws = [grant("read")];
    expect(needsAwsRole({ status: "active", aws })).toBe(true);
    expect(needsAwsRole({ status: "suspended", aws })).toBe(false);
    expect(needsAwsRole({ status: "offboarded", aws })).toBe(false);
    expect(needsAwsRole({ status: "active", aws: [] })).toBe(false);
  });

  it("encrypts with SSE-S3, or SSE-KMS with the bucket's key", () => {
    expect(bucketEncryptionRule({})).toEqual({
      applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" },
      bucketKeyEnabled: false,
    });
    expect(bucketEncryptionRule({ kmsKeyArn: KEY })).toEqual({
      applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: KEY },
      bucketKeyEnabled: true,
    });
  });

  it("protects and retains buckets, importing adopted ones by name", () => {
    expect(bucketResourceOptions({ name: BUCKET, adopt: false })).toEqual({
      protect: true,
      retainOnDelete: true,
    });
    expect(bucketResourceOptions({ name: BUCKET, adopt: true })).toEqual({
      protect: true,
      retainOnDelete: true,
      import: BUCKET,
    });
  });
});
