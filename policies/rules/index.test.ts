import { describe, expect, it } from "vitest";
import {
  AUDIENCE,
  compliantStack,
  credential,
  iamRole,
  identity,
  ORG,
  pathAcl,
  roleAssignment,
  rolePolicy,
  tags,
  testContext,
  trustDocument,
} from "./fixtures";
import { evaluatePolicies, RULES } from "./index";
import type { PolicyResource } from "./types";

describe("evaluatePolicies", () => {
  it("finds nothing in a compliant test stack", () => {
    expect(evaluatePolicies(compliantStack(), testContext)).toEqual([]);
  });

  it("finds nothing in a compliant prod stack with protected identities", () => {
    const prodTags = tags({ environment: "prod" });
    const stack: PolicyResource[] = [
      identity({ resourceName: `id-skyporten-prod-${ORG}`, tags: prodTags }, true),
      credential({ issuer: "https://sky.maskinporten.no", resourceName: `id-skyporten-prod-${ORG}` }),
      roleAssignment(),
    ];
    expect(evaluatePolicies(stack, { environment: "prod", nameKey: "prod", audience: AUDIENCE })).toEqual([]);
  });

  it("reports one violation per broken rule, in rule order, with policy, level and urn", () => {
    const fic = credential({ issuer: "https://test.sky.maskinporten.no/" });
    const ra = roleAssignment({ principalType: "User" });
    const role = iamRole([trustDocument({ Action: "sts:AssumeRole" })]);
    const s3 = rolePolicy([{ Sid: "All", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }]);
    const id = identity({ tags: tags({ "managed-by": "hand" }) });
    const stack = [id, fic, ra, role, s3, pathAcl([])];
    expect(evaluatePolicies(stack, testContext)).toEqual([
      {
        policy: "skyporten-federated-credential",
        level: "mandatory",
        urn: fic.urn,
        message:
          'issuer "https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
      },
      {
        policy: "skyporten-role-assignment",
        level: "mandatory",
        urn: ra.urn,
        message: 'principalType "User" is not allowed; use "Group" or "ServicePrincipal"',
      },
      {
        policy: "skyporten-aws-trust-policy",
        level: "mandatory",
        urn: role.urn,
        message:
          'statement "SkyportenWebIdentity" allows "sts:AssumeRole"; only "sts:AssumeRoleWithWebIdentity" is allowed',
      },
      {
        policy: "skyporten-aws-s3-policy",
        level: "mandatory",
        urn: s3.urn,
        message: 'statement "All" resource "*" covers every resource; name the declared buckets and prefixes',
      },
      {
        policy: "skyporten-required-tags",
        level: "mandatory",
        urn: id.urn,
        message: 'tag "managed-by" is "hand"; it must be "skyporten-onboarding"',
      },
    ]);
  });

  it("reports stack-level violations with a null urn", () => {
    const assignments = Array.from({ length: 4001 }, (_, i) => roleAssignment({}, `ra-${i}`));
    expect(evaluatePolicies(assignments, testContext)).toEqual([
      {
        policy: "skyporten-stack-budgets",
        level: "mandatory",
        urn: null,
        message:
          "the stack has 4001 role assignments; Azure allows at most 4000 per subscription, shared with everything else in it: grant through groups",
      },
    ]);
  });

  it("ignores resource types no rule is about", () => {
    const group = {
      type: "azuread:index/group:Group",
      name: "g",
      urn: "urn:g",
      protect: false,
      props: { displayName: "x", securityEnabled: false },
    };
    expect(evaluatePolicies([group], testContext)).toEqual([]);
  });

  it("has one uniquely named, described, mandatory policy per rule module", () => {
    expect(RULES.map((r) => r.name)).toEqual([
      "skyporten-federated-credential",
      "skyporten-role-assignment",
      "skyporten-aws-trust-policy",
      "skyporten-aws-s3-policy",
      "skyporten-prod-identity-protected",
      "skyporten-required-tags",
      "skyporten-tag-values",
      "skyporten-stack-budgets",
      "skyporten-unique-resource-names",
    ]);
    for (const rule of RULES) {
      expect(rule.description.length).toBeGreaterThan(40);
      expect(rule.enforcementLevel).toBe("mandatory");
    }
  });
});
