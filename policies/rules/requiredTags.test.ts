import { describe, expect, it } from "vitest";
import { iamRole, identity, tags, testContext } from "./fixtures";
import { requiredTagViolations } from "./requiredTags";
import { UNKNOWN } from "./types";

const check = (overrides: Record<string, unknown>) =>
  requiredTagViolations(identity({ tags: tags(overrides) }), testContext);

describe("skyporten-required-tags", () => {
  it("accepts the program's tags on identities and IAM roles", () => {
    expect(requiredTagViolations(identity(), testContext)).toEqual([]);
    expect(requiredTagViolations(iamRole(), testContext)).toEqual([]);
  });

  it.each([
    ["managed-by", 'tag "managed-by" is missing; set it to "skyporten-onboarding"'],
    ["environment", 'tag "environment" is missing; set it to "test"'],
    ["org-number", 'tag "org-number" is missing; set it to the partner\'s 9-digit organization number'],
    ["partner-status", 'tag "partner-status" is missing; set it to active, suspended, offboarded'],
  ])("refuses a missing %s tag", (key, message) => {
    expect(check({ [key]: undefined })).toEqual([message]);
  });

  it.each([
    ["managed-by", "terraform", 'tag "managed-by" is "terraform"; it must be "skyporten-onboarding"'],
    ["environment", "prod", 'tag "environment" is "prod"; it must be the stack\'s environment "test"'],
    [
      "org-number",
      "123456789",
      'tag "org-number" is invalid: "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      "org-number",
      917422575,
      'tag "org-number" is 917422575; it must be the partner\'s 9-digit organization number',
    ],
    [
      "partner-status",
      "paused",
      'tag "partner-status" is "paused"; it must be one of active, suspended, offboarded',
    ],
  ])("refuses %s = %s", (key, value, message) => {
    expect(check({ [key]: value })).toEqual([message]);
  });

  it("reports every missing tag of an untagged role", () => {
    expect(requiredTagViolations(iamRole(undefined, { tags: undefined }), testContext)).toHaveLength(4);
  });

  it("does not judge values unknown until deployment", () => {
    expect(requiredTagViolations(identity({ tags: UNKNOWN }), testContext)).toEqual([]);
    expect(check({ "org-number": UNKNOWN })).toEqual([]);
  });
});
