import { describe, expect, it } from "vitest";
import { formatRefreshCost, memberPages, refreshCost, secondsAt, type RefreshResource } from "./refreshCost";

const res = (
  type: string,
  partner: string | null = null,
  props: Record<string, unknown> = {},
  custom = true,
): RefreshResource => ({
  type,
  custom,
  props,
  partner,
});

/** One partner as the benchmark manifest builds it: identity, credential, two memberships, a path ACL, an AWS role. */
function partner(name: string): RefreshResource[] {
  return [
    res("skyporten:partner:SkyportenPartner", name, {}, false),
    res("azure-native:managedidentity:UserAssignedIdentity", name),
    res("azure-native:managedidentity:FederatedIdentityCredential", name),
    res("azuread:index/groupMember:GroupMember", name, { groupObjectId: "g-reference-read" }),
    res("azuread:index/groupMember:GroupMember", name, { groupObjectId: "g-inbound-traverse" }),
    res("pulumi-nodejs:dynamic/adls:PathAcl", name),
    res("skyporten:aws:PartnerAwsRole", name, {}, false),
    res("aws:iam/role:Role", name),
    res("aws:iam/rolePolicy:RolePolicy", name),
  ];
}

const platform = (groups: number): RefreshResource[] => [
  ...Array.from({ length: groups }, () => res("azuread:index/group:Group")),
  res("azure-native:storage:BlobContainer"),
  res("aws:iam/openIdConnectProvider:OpenIdConnectProvider"),
  res("aws:s3/bucket:Bucket"),
];

describe("refresh cost", () => {
  it("counts one page per group, and a page per 100 members of a group", () => {
    const members = (n: number, group: string) =>
      Array.from({ length: n }, () =>
        res("azuread:index/groupMember:GroupMember", null, { groupObjectId: group }),
      );
    expect(memberPages(platform(4))).toBe(4);
    expect(memberPages([...platform(4), ...members(100, "a")])).toBe(4);
    expect(memberPages([...platform(4), ...members(101, "a"), ...members(1, "b")])).toBe(5);
  });

  it("counts every read of a stack per service, with Graph's resource units", () => {
    const stack = [...platform(12), ...Array.from({ length: 3 }, (_, i) => partner(`p${i}`)).flat()];
    const c = refreshCost(stack);
    expect(c.resourcesRead).toBe(15 + 3 * 7);
    // ARM: 2 per partner + the container; Graph: group + owners per group (24) + one page each (12) + 2 members per
    // partner; DFS: one ACL per partner; IAM: role 3 + policy 2 per partner + the OIDC provider.
    expect(c.calls).toEqual({ arm: 7, graph: 24 + 12 + 6, dfs: 3, iam: 16, digdir: 0 });
    expect(c.graphUnits).toBe(24 + 36 + 18);
    expect(c.perOnboarding).toEqual({ arm: 2, graph: 2, dfs: 1, iam: 5, digdir: 0 });
    expect(c.perOnboardingGraphUnits).toBe(6);
    expect(c.seconds).toEqual({ arm: 0, graph: 0, dfs: 3 / 20000, iam: null, digdir: null });
  });

  it("estimates the time at the documented limits: the slowest service bounds the refresh", () => {
    const stack = [...platform(12), ...Array.from({ length: 1000 }, (_, i) => partner(`p${i}`)).flat()];
    const c = refreshCost(stack);
    expect(c.calls.arm).toBe(2001);
    // ARM: a burst of 250, then 25 reads per second.
    expect(c.seconds.arm).toBe((2001 - 250) / 25);
    expect(c.boundBy).toBe("arm");
    expect(c.estimateSeconds).toBe(70.04);
    // 1,000 members in each of two groups: 10 pages each instead of 1.
    expect(c.calls.graph).toBe(24 + (10 + 10 + 10) + 2000);
    expect(c.graphUnits).toBe(24 + 3 * 30 + 6000);
    expect(c.seconds.graph).toBe(0);
    expect(secondsAt(8000 + 1600, { burst: 8000, perSecond: 800, scope: "", source: "" })).toBe(2);
  });

  it("prints the refresh lines of the plan's budgets", () => {
    const stack = [...platform(12), ...Array.from({ length: 1000 }, (_, i) => partner(`p${i}`)).flat()];
    expect(formatRefreshCost(refreshCost(stack))).toEqual([
      "refresh (Pulumi.yaml refresh: always; every preview reads every resource):",
      "  7015 resources read: 2001 ARM, 2054 Graph (6114 units), 1000 DFS, 5001 IAM, 0 Digdir reads",
      "  est. 70.0 s at documented limits, bound by ARM (ARM 25/s after 250; Graph 800 units/s after 8000; DFS 20000/s; IAM none documented; Digdir none documented)",
      "  one onboarding adds 2 ARM, 2 Graph (6 units), 1 DFS, 5 IAM, 0 Digdir reads",
    ]);
    expect(formatRefreshCost(refreshCost([]))[2]).toBe(
      "  est. 0.0 s at documented limits (ARM 25/s after 250; Graph 800 units/s after 8000; DFS 20000/s; IAM none documented; Digdir none documented)",
    );
  });
});
