import { describe, expect, it } from "vitest";
import { compliantStack, testContext } from "./fixtures";
import { evaluatePolicies } from "./index";
import { duplicateNames } from "./uniqueNames";

describe("unique resource names", () => {
  it("a compliant stack has none twice", () => {
    expect(duplicateNames(compliantStack())).toEqual([]);
  });

  it("a second resource with the same type and name is a mandatory violation at it (the group collision of containers inbound and inbound-read)", () => {
    const group = (urnSuffix: string) => ({
      type: "azuread:index/group:Group",
      name: "group-inbound-read-write",
      urn: `urn:pulumi:test::skyporten-onboarding::skyporten:azure:AzurePlatform$azuread:index/group:Group::group-inbound-read-write${urnSuffix}`,
      protect: false,
      props: {},
    });
    const stack = [...compliantStack(), group(""), group("#2"), group("#3")];
    expect(
      evaluatePolicies(stack, testContext).filter((v) => v.policy === "skyporten-unique-resource-names"),
    ).toEqual([
      {
        policy: "skyporten-unique-resource-names",
        level: "mandatory",
        urn: group("#2").urn,
        message:
          'two resources of type azuread:index/group:Group are both named "group-inbound-read-write": the engine would see one resource; rename what produces one of them (containers whose names differ only by a level suffix such as "-read" are refused by the manifest rules)',
      },
    ]);
    // Same name, other type: fine.
    expect(
      duplicateNames([group(""), { ...group("x"), type: "azure-native:authorization:RoleAssignment" }]),
    ).toEqual([]);
  });
});
