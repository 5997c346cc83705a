import { describe, expect, it } from "vitest";
import { AUDIENCE, identity, ORG, tags } from "./fixtures";
import { protectedIdentityViolations } from "./protectedIdentity";
import { UNKNOWN, type PolicyContext } from "./types";

const prod: PolicyContext = { environment: "prod", nameKey: "prod", audience: AUDIENCE };
const prodIdentity = (status: unknown, protect: boolean) =>
  identity(
    {
      resourceName: `id-skyporten-prod-${ORG}`,
      tags: tags({ environment: "prod", "partner-status": status }),
    },
    protect,
  );

describe("skyporten-prod-identity-protected", () => {
  it("accepts protected prod identities and unprotected offboarded ones", () => {
    expect(protectedIdentityViolations(prodIdentity("active", true), prod)).toEqual([]);
    expect(protectedIdentityViolations(prodIdentity("suspended", true), prod)).toEqual([]);
    expect(protectedIdentityViolations(prodIdentity("offboarded", false), prod)).toEqual([]);
  });

  it("does not require protection in test", () => {
    expect(
      protectedIdentityViolations(identity({}, false), { environment: "test", nameKey: "test", audience: AUDIENCE }),
    ).toEqual([]);
  });

  it.each(["active", "suspended"])("refuses an unprotected %s prod identity", (status) => {
    expect(protectedIdentityViolations(prodIdentity(status, false), prod)).toEqual([
      `prod identity "id-skyporten-prod-${ORG}" (partner-status "${status}") is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`,
    ]);
  });

  it("treats a missing partner-status as not offboarded", () => {
    expect(protectedIdentityViolations(prodIdentity(undefined, false), prod)).toEqual([
      `prod identity "id-skyporten-prod-${ORG}" (no partner-status tag) is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`,
    ]);
  });

  it("does not judge tags unknown until deployment", () => {
    expect(protectedIdentityViolations(identity({ tags: UNKNOWN }, false), prod)).toEqual([]);
    expect(protectedIdentityViolations(prodIdentity(UNKNOWN, false), prod)).toEqual([]);
  });
});
