import { describe, expect, it } from "vitest";
import type { AwsGrant } from "../manifest/schema";
import { stackManifest, stackSettings } from "./testFixtures";
import { awsPlatformProblems, checkAwsPartner, validateAwsPartner, validateAwsPlatform } from "./validate";

const TEST = stackSettings("test");
const MANIFEST = stackManifest("test");
const BUCKETS = MANIFEST.buckets;
const ENTUR = MANIFEST.partners.find((p) => p.orgNumber === "917422575")!;

describe("validateAwsPartner", () => {
  it("accepts the sample partners and reports the sizes of the largest one", () => {
    expect(validateAwsPartner({ settings: TEST, partner: ENTUR, buckets: BUCKETS })).toEqual({
      trustSize: 405,
      permissionSize: 480,
    });
    for (const p of MANIFEST.partners)
      expect(checkAwsPartner({ settings: TEST, partner: p, buckets: BUCKETS }).problems).toEqual([]);
  });

  it("refuses an inline policy over 10,240 characters, naming the partner and the fix", () => {
    // 82 read-write grants of 14-15 characters each: 122 characters per grant.
    const aws: AwsGrant[] = Array.from({ length: 82 }, (_, i) => ({
      bucket: "banenor-payload-test",
      prefix: `entur/team-${i}/`,
      access: "read-write",
    }));
    const check = checkAwsPartner({
      settings: TEST,
      partner: { orgNumber: "917422575", aws },
      buckets: BUCKETS,
    });
    expect(check.permissionSize).toBe(10356);
    expect(() =>
      validateAwsPartner({ settings: TEST, partner: { orgNumber: "917422575", aws }, buckets: BUCKETS }),
    ).toThrow(
      "AWS role of partner 917422575 cannot be created:\n- partner 917422575: the role's S3 policy is 10356 characters, over IAM's limit of 10240 for a role's inline policies (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); grant fewer, broader prefixes (82 grants now)",
    );
  });

  it("accepts the largest policy that still fits (one grant fewer)", () => {
    const aws: AwsGrant[] = Array.from({ length: 81 }, (_, i) => ({
      bucket: "banenor-payload-test",
      prefix: `entur/team-${i}/`,
      access: "read-write",
    }));
    const check = checkAwsPartner({
      settings: TEST,
      partner: { orgNumber: "917422575", aws },
      buckets: BUCKETS,
    });
    expect(check.permissionSize).toBe(10234);
    expect(check.problems).toEqual([]);
  });

  it("refuses a trust policy over 2,048 characters", () => {
    const settings = { ...TEST, audience: `https://skyporten.example.no/${"a".repeat(1700)}` };
    const check = checkAwsPartner({ settings, partner: ENTUR, buckets: BUCKETS });
    expect(check.trustSize).toBe(2093);
    expect(check.problems).toEqual([
      `partner 917422575: the role's trust policy is 2093 characters, over IAM's default limit of 2048 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); use a shorter audience, or raise the "Role trust policy length" quota in Service Quotas (up to 4,096)`,
    ]);
  });

  it("refuses undeclared buckets and unsafe prefixes", () => {
    const aws: AwsGrant[] = [
      { bucket: "nope", prefix: "entur/", access: "read" },
      { bucket: "banenor-payload-test", prefix: "entur", access: "read" },
      { bucket: "banenor-payload-test", prefix: "en*/", access: "read" },
      { bucket: "banenor-payload-test", prefix: "/entur/", access: "read" },
    ];
    expect(
      checkAwsPartner({ settings: TEST, partner: { orgNumber: "917422575", aws }, buckets: BUCKETS })
        .problems,
    ).toEqual([
      'partner 917422575: aws[0].bucket "nope" is not declared under buckets; declare it or fix the name',
      'partner 917422575: aws[1].prefix "entur" must be a relative key prefix ending with "/", without "*", "?" or "$" (e.g. "entur/"), so that it never matches a sibling prefix',
      'partner 917422575: aws[2].prefix "en*/" must be a relative key prefix ending with "/", without "*", "?" or "$" (e.g. "entur/"), so that it never matches a sibling prefix',
      'partner 917422575: aws[3].prefix "/entur/" must be a relative key prefix ending with "/", without "*", "?" or "$" (e.g. "entur/"), so that it never matches a sibling prefix',
    ]);
  });
});

describe("validateAwsPlatform", () => {
  it("accepts both stacks' settings and manifests", () => {
    expect(awsPlatformProblems(TEST, MANIFEST)).toEqual([]);
    expect(awsPlatformProblems(stackSettings("prod"), stackManifest("prod"))).toEqual([]);
  });

  it("refuses an adopted provider of another issuer or account", () => {
    const wrongHost = {
      ...TEST,
      aws: { ...TEST.aws, oidcProviderArn: "arn:aws:iam::000000000000:oidc-provider/sky.maskinporten.no" },
    };
    expect(() => validateAwsPlatform(wrongHost, MANIFEST)).toThrow(
      'AWS settings are invalid:\n- aws.oidcProviderArn "arn:aws:iam::000000000000:oidc-provider/sky.maskinporten.no" is not the provider of this stack\'s issuer https://test.sky.maskinporten.no in account 000000000000 (expected "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no", host "test.sky.maskinporten.no"); fix the ARN or remove it to let the stack create the provider',
    );
    const wrongAccount = {
      ...TEST,
      aws: {
        ...TEST.aws,
        oidcProviderArn: "arn:aws:iam::111111111111:oidc-provider/test.sky.maskinporten.no",
      },
    };
    expect(awsPlatformProblems(wrongAccount, MANIFEST)).toHaveLength(1);
    const right = {
      ...TEST,
      aws: {
        ...TEST.aws,
        oidcProviderArn: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no",
      },
    };
    expect(awsPlatformProblems(right, MANIFEST)).toEqual([]);
  });

  it("refuses AWS grants on a stack with AWS disabled", () => {
    expect(awsPlatformProblems({ ...TEST, aws: { ...TEST.aws, enabled: false } }, MANIFEST)).toEqual([
      "aws.enabled is false but partner(s) 917422575, 921345674 have AWS grants that would silently not be provisioned; set skyporten-onboarding:aws.enabled to true or remove the grants",
    ]);
  });

  it("refuses a KMS key outside the bucket's region", () => {
    const buckets = [
      { name: "banenor-payload-test", adopt: false, kmsKeyArn: "arn:aws:kms:eu-west-1:000000000000:key/abc" },
    ];
    expect(awsPlatformProblems(TEST, { ...MANIFEST, buckets })).toEqual([
      'buckets[0].kmsKeyArn of bucket "banenor-payload-test" is a key in region eu-west-1, but the bucket is in eu-north-1 (aws.region); S3 only uses keys from the bucket\'s region: use a key in eu-north-1',
    ]);
  });
});
