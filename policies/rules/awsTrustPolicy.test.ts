import { describe, expect, it } from "vitest";
import { trustPolicyViolations } from "./awsTrustPolicy";
import { AUDIENCE, HOST, iamRole, ORG, PROVIDER_ARN, SUBJECT, testContext, trustDocument } from "./fixtures";
import { UNKNOWN } from "./types";

const check = (statement: Record<string, unknown>, props: Record<string, unknown> = {}) =>
  trustPolicyViolations(iamRole([statement], props), testContext);
const S = 'statement "SkyportenWebIdentity"';
const SUB = `${HOST}:sub`;
const AUD = `${HOST}:aud`;

describe("skyporten-aws-trust-policy", () => {
  it("accepts the trust policy the program writes", () => {
    expect(check(trustDocument())).toEqual([]);
    // A one-element list is the same single value.
    expect(
      check(
        trustDocument({
          Action: ["sts:AssumeRoleWithWebIdentity"],
          Condition: { StringEquals: { [SUB]: [SUBJECT], [AUD]: AUDIENCE } },
        }),
      ),
    ).toEqual([]);
  });

  it("accepts an explicit Deny next to the trust", () => {
    const deny = { Effect: "Deny", Principal: "*", Action: "sts:AssumeRole" };
    expect(trustPolicyViolations(iamRole([trustDocument(), deny]), testContext)).toEqual([]);
  });

  it("refuses another action", () => {
    expect(check(trustDocument({ Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"] }))).toEqual([
      `${S} allows ["sts:AssumeRoleWithWebIdentity","sts:TagSession"]; only "sts:AssumeRoleWithWebIdentity" is allowed`,
    ]);
  });

  it.each([
    [
      { Federated: "arn:aws:iam::000000000000:oidc-provider/sky.maskinporten.no" },
      '{"Federated":"arn:aws:iam::000000000000:oidc-provider/sky.maskinporten.no"}',
    ],
    [
      { Federated: "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com" },
      '{"Federated":"arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"}',
    ],
    [
      { Federated: PROVIDER_ARN, AWS: "arn:aws:iam::000000000000:root" },
      `{"Federated":"${PROVIDER_ARN}","AWS":"arn:aws:iam::000000000000:root"}`,
    ],
    ["*", '"*"'],
  ])("refuses principal %j", (principal, shown) => {
    expect(check(trustDocument({ Principal: principal }))).toEqual([
      `${S} trusts ${shown}; only the Skyporten OIDC provider "arn:aws:iam::<account>:oidc-provider/${HOST}" may be trusted`,
    ]);
  });

  it("refuses StringLike", () => {
    expect(
      check(
        trustDocument({ Condition: { StringEquals: { [AUD]: AUDIENCE }, StringLike: { [SUB]: "0192:*" } } }),
      ),
    ).toEqual([
      `${S} uses condition operator "StringLike"; only StringEquals on "${SUB}" and "${AUD}" is allowed (no wildcards or set operators)`,
      `${S} has no StringEquals condition on "${SUB}": any organization's Skyporten token could assume the role`,
    ]);
  });

  it("refuses a set operator", () => {
    const condition = {
      StringEquals: { [SUB]: SUBJECT, [AUD]: AUDIENCE },
      "ForAnyValue:StringEquals": { [SUB]: [SUBJECT] },
    };
    expect(check(trustDocument({ Condition: condition }))).toEqual([
      `${S} uses condition operator "ForAnyValue:StringEquals"; only StringEquals on "${SUB}" and "${AUD}" is allowed (no wildcards or set operators)`,
    ]);
  });

  it("refuses a wildcard value", () => {
    expect(
      check(trustDocument({ Condition: { StringEquals: { [SUB]: "0192:*", [AUD]: AUDIENCE } } })),
    ).toEqual([`${S} condition "${SUB}" value "0192:*" contains a wildcard; trust one exact value`]);
  });

  it("refuses several subjects", () => {
    const two = [SUBJECT, "0192:991825827;banenor:payloadmanager.storage"];
    expect(check(trustDocument({ Condition: { StringEquals: { [SUB]: two, [AUD]: AUDIENCE } } }))).toEqual([
      `${S} condition "${SUB}" has 2 values; exactly one is allowed`,
    ]);
  });

  it("refuses a trust without sub", () => {
    expect(check(trustDocument({ Condition: { StringEquals: { [AUD]: AUDIENCE } } }))).toEqual([
      `${S} has no StringEquals condition on "${SUB}": any organization's Skyporten token could assume the role`,
    ]);
  });

  it("refuses a trust without aud", () => {
    expect(check(trustDocument({ Condition: { StringEquals: { [SUB]: SUBJECT } } }))).toEqual([
      `${S} has no StringEquals condition on "${AUD}": tokens issued for other audiences could assume the role`,
    ]);
  });

  it("refuses another claim key", () => {
    const condition = {
      StringEquals: { [SUB]: SUBJECT, [AUD]: AUDIENCE, [`${HOST}:scope`]: "banenor:payloadmanager.storage" },
    };
    expect(check(trustDocument({ Condition: condition }))).toEqual([
      `${S} has StringEquals key "${HOST}:scope"; only "${SUB}" and "${AUD}" are allowed (IAM supports only the sub and aud claims of a generic OIDC provider)`,
    ]);
  });

  it("refuses the other audience", () => {
    expect(
      check(
        trustDocument({
          Condition: { StringEquals: { [SUB]: SUBJECT, [AUD]: "https://skyporten.example.no" } },
        }),
      ),
    ).toEqual([
      `${S} condition "${AUD}" is "https://skyporten.example.no", not the stack's audience "${AUDIENCE}"`,
    ]);
  });

  it("refuses an old-form subject", () => {
    expect(
      check(trustDocument({ Condition: { StringEquals: { [SUB]: `0192:${ORG}`, [AUD]: AUDIENCE } } })),
    ).toEqual([
      `${S} condition "${SUB}" "0192:${ORG}" is not of the form "0192:<organization number>;banenor:payloadmanager.storage" (Skyporten puts the scope after a semicolon; the older "0192:<organization number>" form never matches)`,
    ]);
  });

  it("refuses a subject of another organization than the role's", () => {
    const other = "0192:991825827;banenor:payloadmanager.storage";
    expect(check(trustDocument({ Condition: { StringEquals: { [SUB]: other, [AUD]: AUDIENCE } } }))).toEqual([
      `${S} trusts organization 991825827 but the role is "skyporten-test-${ORG}" (expected "skyporten-test-991825827"): organization 991825827 could act as another partner`,
    ]);
  });

  it("on a stack with nameKey dev: accepts the dev role name, refuses the test stack's", () => {
    const dev = { environment: "test" as const, nameKey: "dev", audience: AUDIENCE };
    expect(trustPolicyViolations(iamRole([trustDocument()], { name: `skyporten-dev-${ORG}` }), dev)).toEqual([]);
    expect(trustPolicyViolations(iamRole([trustDocument()]), dev)).toEqual([
      `${S} trusts organization ${ORG} but the role is "skyporten-test-${ORG}" (expected "skyporten-dev-${ORG}"): organization ${ORG} could act as another partner`,
    ]);
    expect(check(trustDocument(), { name: `skyporten-dev-${ORG}` })).toEqual([
      `${S} trusts organization ${ORG} but the role is "skyporten-dev-${ORG}" (expected "skyporten-test-${ORG}"): organization ${ORG} could act as another partner`,
    ]);
  });

  it("refuses NotPrincipal", () => {
    const { Principal: _omitted, ...rest } = trustDocument();
    expect(check({ ...rest, NotPrincipal: { AWS: "arn:aws:iam::000000000000:root" } })).toEqual([
      `${S} uses NotPrincipal; trust only sts:AssumeRoleWithWebIdentity for the Skyporten provider, listed explicitly`,
      `${S} names no Principal; only the Skyporten OIDC provider "arn:aws:iam::<account>:oidc-provider/${HOST}" may be trusted`,
    ]);
  });

  it("names a statement without Sid by position", () => {
    const { Sid: _omitted, ...noSid } = trustDocument({ Action: "sts:AssumeRole" });
    expect(check(noSid)).toEqual([
      'statement 1 allows "sts:AssumeRole"; only "sts:AssumeRoleWithWebIdentity" is allowed',
    ]);
  });

  it("refuses documents that are not policies", () => {
    expect(trustPolicyViolations(iamRole([], { assumeRolePolicy: "{not json" }), testContext)[0]).toMatch(
      /^assumeRolePolicy is not valid JSON \(/,
    );
    expect(trustPolicyViolations(iamRole([], { assumeRolePolicy: undefined }), testContext)).toEqual([
      "assumeRolePolicy is not set",
    ]);
    expect(trustPolicyViolations(iamRole([]), testContext)).toEqual(["assumeRolePolicy has no Statement"]);
    expect(trustPolicyViolations(iamRole([], { assumeRolePolicy: "[]" }), testContext)).toEqual([
      "assumeRolePolicy must be a JSON policy document (an object with Statement)",
    ]);
  });

  it("accepts the policy as an object too", () => {
    expect(
      trustPolicyViolations(
        iamRole([], { assumeRolePolicy: { Version: "2012-10-17", Statement: trustDocument() } }),
        testContext,
      ),
    ).toEqual([]);
  });

  it("uses the prod issuer host on a prod stack", () => {
    const prodHost = "sky.maskinporten.no";
    const statement = trustDocument({
      Principal: { Federated: `arn:aws:iam::000000000000:oidc-provider/${prodHost}` },
      Condition: { StringEquals: { [`${prodHost}:sub`]: SUBJECT, [`${prodHost}:aud`]: AUDIENCE } },
    });
    const prod = { environment: "prod" as const, nameKey: "prod", audience: AUDIENCE };
    expect(trustPolicyViolations(iamRole([statement], { name: `skyporten-prod-${ORG}` }), prod)).toEqual([]);
    // The test stack's trust is wrong on prod: provider and both keys.
    expect(
      trustPolicyViolations(iamRole([trustDocument()], { name: `skyporten-prod-${ORG}` }), prod),
    ).toHaveLength(5);
  });

  it("does not judge values unknown until deployment", () => {
    expect(trustPolicyViolations(iamRole([], { assumeRolePolicy: UNKNOWN }), testContext)).toEqual([]);
    expect(check(trustDocument({ Principal: { Federated: UNKNOWN } }), { name: UNKNOWN })).toEqual([]);
  });
});
