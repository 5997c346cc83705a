import { describe, expect, it } from "vitest";
import { permissionPolicyViolations, s3PolicyStackViolations } from "./awsS3Policy";
import { bucket, BUCKET, permissionStatements, resource, rolePolicy, testContext } from "./fixtures";
import { UNKNOWN } from "./types";

const DECLARED = [BUCKET];
const checkWith = (statement: Record<string, unknown>, declared: readonly string[] | undefined) =>
  permissionPolicyViolations(JSON.stringify({ Version: "2012-10-17", Statement: [statement] }), declared);
const check = (statement: Record<string, unknown>) => checkWith(statement, DECLARED);
const objects = (overrides: Record<string, unknown>) => ({
  Sid: "ReadObjects",
  Effect: "Allow",
  Action: "s3:GetObject",
  Resource: `arn:aws:s3:::${BUCKET}/entur/*`,
  ...overrides,
});
const KMS_KEY = "arn:aws:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const kms = (overrides: Record<string, unknown> = {}) => ({
  Sid: "KmsDecrypt",
  Effect: "Allow",
  Action: "kms:Decrypt",
  Resource: [KMS_KEY],
  Condition: { StringEquals: { "kms:ViaService": "s3.eu-north-1.amazonaws.com" } },
  ...overrides,
});

describe("skyporten-aws-s3-policy", () => {
  it("accepts the statements the program writes, including a bucket key through S3", () => {
    expect(
      permissionPolicyViolations(
        rolePolicy([
          ...permissionStatements(),
          kms(),
          kms({ Sid: "KmsGenerateDataKey", Action: "kms:GenerateDataKey" }),
        ]).props.policy,
        DECLARED,
      ),
    ).toEqual([]);
  });

  it.each([
    [
      "*",
      'statement "ReadObjects" action "*" is a wildcard; list the S3 actions explicitly (e.g. s3:GetObject)',
    ],
    [
      "s3:*",
      'statement "ReadObjects" action "s3:*" is a wildcard; list the S3 actions explicitly (e.g. s3:GetObject)',
    ],
    [
      "s3:Get*",
      'statement "ReadObjects" action "s3:Get*" is a wildcard; list the S3 actions explicitly (e.g. s3:GetObject)',
    ],
    [
      "iam:PassRole",
      'statement "ReadObjects" action "iam:PassRole" is not an S3 action; partner roles get S3 access (and kms:Decrypt/GenerateDataKey on a bucket key) only',
    ],
  ])("refuses action %s", (action, message) => {
    expect(check(objects({ Action: action }))).toEqual([message]);
  });

  it.each([
    [
      "*",
      'statement "ReadObjects" resource "*" covers every resource; name the declared buckets and prefixes',
    ],
    [
      "arn:aws:s3:::other-bucket/entur/*",
      'statement "ReadObjects" resource "arn:aws:s3:::other-bucket/entur/*" is in bucket "other-bucket", which is not declared (declared: banenor-payload-test)',
    ],
    [
      "arn:aws:s3:::banenor-*/entur/*",
      'statement "ReadObjects" resource "arn:aws:s3:::banenor-*/entur/*" has a wildcard or empty bucket name; name a declared bucket',
    ],
    [
      `arn:aws:s3:::${BUCKET}/*`,
      `statement "ReadObjects" resource "arn:aws:s3:::${BUCKET}/*" covers the whole bucket; grant a prefix (arn:aws:s3:::${BUCKET}/<prefix>/*)`,
    ],
    [
      `arn:aws:s3:::${BUCKET}/*/reports/*`,
      `statement "ReadObjects" resource "arn:aws:s3:::${BUCKET}/*/reports/*" has a wildcard before the end of the key; grant a literal prefix followed by one "*"`,
    ],
    [
      "arn:aws:dynamodb:eu-north-1:000000000000:table/x",
      'statement "ReadObjects" resource "arn:aws:dynamodb:eu-north-1:000000000000:table/x" is not an S3 bucket or object ARN',
    ],
  ])("refuses resource %s", (res, message) => {
    expect(check(objects({ Resource: res }))).toEqual([message]);
  });

  it("says when no bucket is declared", () => {
    expect(checkWith(objects({}), [])).toEqual([
      `statement "ReadObjects" resource "arn:aws:s3:::${BUCKET}/entur/*" is in bucket "${BUCKET}", which is not declared (declared: none)`,
    ]);
  });

  it("refuses listing a bucket without an s3:prefix condition", () => {
    expect(
      check({ Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: `arn:aws:s3:::${BUCKET}` }),
    ).toEqual([
      `statement "List" lets the role list bucket "${BUCKET}" without an s3:prefix condition: it could list every partner's object keys`,
    ]);
  });

  it("refuses NotAction and NotResource", () => {
    const { Action: _a, Resource: _r, ...rest } = objects({});
    expect(
      check({ ...rest, NotAction: "s3:DeleteObject", NotResource: `arn:aws:s3:::${BUCKET}/entur/*` }),
    ).toEqual([
      'statement "ReadObjects" uses NotAction; list the allowed actions and resources explicitly',
      'statement "ReadObjects" uses NotResource; list the allowed actions and resources explicitly',
    ]);
  });

  it("refuses KMS use outside S3 or on more than one key", () => {
    expect(check(kms({ Condition: undefined }))).toEqual([
      'statement "KmsDecrypt" allows "kms:Decrypt" without a kms:ViaService condition; the key must be usable only through S3',
    ]);
    expect(check(kms({ Resource: "arn:aws:kms:eu-north-1:000000000000:key/*" }))).toEqual([
      'statement "KmsDecrypt" resource "arn:aws:kms:eu-north-1:000000000000:key/*" is not one KMS key ARN',
    ]);
    expect(check(kms({ Action: ["kms:Decrypt", "kms:ScheduleKeyDeletion"] }))[0]).toBe(
      'statement "KmsDecrypt" action "kms:Decrypt" is not an S3 action; partner roles get S3 access (and kms:Decrypt/GenerateDataKey on a bucket key) only',
    );
  });

  it("ignores Deny statements", () => {
    expect(check({ Effect: "Deny", Action: "s3:*", Resource: "*" })).toEqual([]);
  });

  it("does not judge values unknown until deployment", () => {
    expect(permissionPolicyViolations(UNKNOWN, DECLARED)).toEqual([]);
    expect(check(objects({ Resource: UNKNOWN }))).toEqual([]);
    // Without a list of declared buckets, everything but bucket membership is still checked.
    expect(checkWith(objects({ Resource: "arn:aws:s3:::anything/entur/*" }), undefined)).toEqual([]);
    expect(checkWith(objects({ Action: "s3:*" }), undefined)).toHaveLength(1);
  });

  describe("in a stack", () => {
    it("takes the declared buckets from the context, else from the stack's buckets", () => {
      const stray = rolePolicy([objects({ Resource: "arn:aws:s3:::other-bucket/entur/*" })], "stray");
      const message =
        'statement "ReadObjects" resource "arn:aws:s3:::other-bucket/entur/*" is in bucket "other-bucket", which is not declared (declared: banenor-payload-test)';
      expect(s3PolicyStackViolations([bucket(), rolePolicy(), stray], testContext)).toEqual([
        { urn: stray.urn, message },
      ]);
      expect(
        s3PolicyStackViolations([rolePolicy(), stray], { ...testContext, declaredBuckets: [BUCKET] }),
      ).toEqual([{ urn: stray.urn, message }]);
      expect(s3PolicyStackViolations([bucket(), bucket("other-bucket"), stray], testContext)).toEqual([]);
    });

    it("waits while a bucket name is unknown", () => {
      const unnamed = resource("aws:s3/bucket:Bucket", "bucket-x", { bucket: UNKNOWN });
      const stray = rolePolicy([objects({ Resource: "arn:aws:s3:::other-bucket/entur/*" })], "stray");
      expect(s3PolicyStackViolations([bucket(), unnamed, stray], testContext)).toEqual([]);
    });

    it("checks managed policies too", () => {
      const managed = resource("aws:iam/policy:Policy", "managed", {
        policy: JSON.stringify({ Statement: [objects({ Action: "s3:*" })] }),
      });
      expect(s3PolicyStackViolations([bucket(), managed], testContext)).toEqual([
        {
          urn: managed.urn,
          message:
            'statement "ReadObjects" action "s3:*" is a wildcard; list the S3 actions explicitly (e.g. s3:GetObject)',
        },
      ]);
    });
  });
});
