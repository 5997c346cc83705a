import { describe, expect, it } from "vitest";
import { budgetViolations, computeBudgets } from "./budgets";
import {
  compliantStack,
  credential,
  iamRole,
  identity,
  ORG,
  pathAcl,
  PRINCIPAL_OID,
  roleAssignment,
  testContext,
  trustDocument,
} from "./fixtures";
import { UNKNOWN } from "./types";

const oid = (i: number) => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`;
const ACL_PATH = "stskyportentest/outbound/nordlys";

describe("skyporten-stack-budgets", () => {
  it("accepts the compliant stack and reports its usage", () => {
    const stack = compliantStack();
    expect(budgetViolations(stack, testContext)).toEqual([]);
    const trustChars = JSON.stringify({ Version: "2012-10-17", Statement: [trustDocument()] }).length;
    expect(computeBudgets(stack)).toEqual({
      federatedCredentialsPerIdentity: { limit: 20, used: 1, at: `id-skyporten-test-${ORG}` },
      roleAssignmentsPerSubscription: { limit: 4000, used: 1, at: null },
      namedAclEntriesPerPath: { limit: 28, used: 1, at: `${ACL_PATH} (access)` },
      trustPolicyChars: { limit: 2048, used: trustChars, at: iamRole().urn },
    });
  });

  it("reports zero usage for an empty stack", () => {
    expect(computeBudgets([])).toEqual({
      federatedCredentialsPerIdentity: { limit: 20, used: 0, at: null },
      roleAssignmentsPerSubscription: { limit: 4000, used: 0, at: null },
      namedAclEntriesPerPath: { limit: 28, used: 0, at: null },
      trustPolicyChars: { limit: 2048, used: 0, at: null },
    });
  });

  it("allows 20 federated credentials per identity and refuses 21", () => {
    const fics = (n: number) => Array.from({ length: n }, (_, i) => credential({}, `fic-${i}`));
    expect(budgetViolations([identity(), ...fics(20)], testContext)).toEqual([]);
    expect(budgetViolations([identity(), ...fics(21)], testContext)).toEqual([
      {
        urn: identity().urn,
        message: `identity "id-skyporten-test-${ORG}" has 21 federated identity credentials; Entra ID allows at most 20 per identity`,
      },
    ]);
    // Credentials of different identities do not add up; unknown identity names are not counted.
    const other = Array.from({ length: 11 }, (_, i) =>
      credential({ resourceName: "id-skyporten-test-991825827" }, `other-${i}`),
    );
    const pending = Array.from({ length: 30 }, (_, i) =>
      credential({ resourceName: UNKNOWN }, `pending-${i}`),
    );
    expect(budgetViolations([...fics(11), ...other, ...pending], testContext)).toEqual([]);
  });

  it("allows 4,000 role assignments and refuses 4,001", () => {
    const assignments = (n: number) => Array.from({ length: n }, (_, i) => roleAssignment({}, `ra-${i}`));
    expect(budgetViolations(assignments(4000), testContext)).toEqual([]);
    expect(budgetViolations(assignments(4001), testContext)).toEqual([
      {
        urn: null,
        message:
          "the stack has 4001 role assignments; Azure allows at most 4000 per subscription, shared with everything else in it: grant through groups",
      },
    ]);
  });

  it("allows 28 named ACL entries per path and refuses 29, counting access and default apart", () => {
    const base = [
      "user::rwx",
      "group::r-x",
      "mask::r-x",
      "other::---",
      "default:user::rwx",
      "default:mask::r-x",
    ];
    const named = (from: number, n: number, prefix = "") =>
      Array.from({ length: n }, (_, i) => `${prefix}user:${oid(from + i)}:r-x`);
    // 28 access + 28 default entries on one path, spread over several resources, plus the base entries.
    const full = [
      pathAcl([...base, ...named(0, 14), ...named(0, 28, "default:")], {}, "a"),
      pathAcl(named(14, 14), { path: "/nordlys/" }, "b"),
    ];
    expect(budgetViolations(full, testContext)).toEqual([]);
    expect(computeBudgets(full).namedAclEntriesPerPath).toEqual({
      limit: 28,
      used: 28,
      at: `${ACL_PATH} (access)`,
    });

    expect(budgetViolations([...full, pathAcl([`group:${oid(99)}:--x`], {}, "c")], testContext)).toEqual([
      {
        urn: null,
        message: `path ${ACL_PATH} (access) has 29 named ACL entries; ADLS Gen2 allows 28 (32 minus the owning user, owning group, mask and other): grant through Entra groups`,
      },
    ]);
    // The same principal twice is one entry; another path is another budget; unknown entries wait.
    const same = pathAcl([`user:${PRINCIPAL_OID}:r-x`, `user:${PRINCIPAL_OID}:r-x`], {}, "d");
    const elsewhere = pathAcl(named(200, 20), { path: "vestland" }, "e");
    const pending = pathAcl(
      Array.from({ length: 10 }, () => UNKNOWN),
      {},
      "f",
    );
    expect(budgetViolations([...full, same, elsewhere, pending], testContext)).toEqual([
      {
        urn: null,
        message: `path ${ACL_PATH} (access) has 29 named ACL entries; ADLS Gen2 allows 28 (32 minus the owning user, owning group, mask and other): grant through Entra groups`,
      },
    ]);
  });

  it("refuses a trust policy over the quota, and honours a raised quota", () => {
    const padding = "x".repeat(2100);
    const long = iamRole([trustDocument({ Sid: padding })]);
    const chars = JSON.stringify({
      Version: "2012-10-17",
      Statement: [trustDocument({ Sid: padding })],
    }).length;
    expect(budgetViolations([long], testContext)).toEqual([
      {
        urn: long.urn,
        message: `trust policy of role "skyporten-test-${ORG}" is ${chars} characters; IAM allows 2048 (the default quota; Service Quotas can raise it to 4,096)`,
      },
    ]);
    expect(budgetViolations([long], { ...testContext, limits: { trustPolicyChars: 4096 } })).toEqual([]);
  });

  it("counts a pretty-printed trust policy without its white space", () => {
    const doc = { Version: "2012-10-17", Statement: [trustDocument()] };
    const pretty = iamRole([], { assumeRolePolicy: JSON.stringify(doc, null, 8) });
    expect(computeBudgets([pretty]).trustPolicyChars.used).toBe(JSON.stringify(doc).length);
  });
});
