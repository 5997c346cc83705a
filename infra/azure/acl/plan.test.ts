import { describe, expect, it } from "vitest";
import { ManifestSchema, type Partner } from "../../manifest/schema";
import {
  aclBudget,
  aclPlanProblems,
  ancestorsOf,
  absolutePath,
  entryCounts,
  partnerAclPlans,
  permsForAccess,
  planAcls,
  renderAclEntries,
  renderAclEntry,
  rootAclPlan,
  type AclPrincipal,
  type PathAclPlan,
} from "./plan";
import { loadStackManifest as loadStack, orgNumbers } from "./testManifests";

const partner = (over: Partial<Partner> & Pick<Partner, "orgNumber">): Partner => ({
  name: "x",
  status: "active",
  azure: [],
  aws: [],
  ...over,
});

/** Compact view of a plan: "container path role owner recursive create: entries". */
function show(plans: PathAclPlan[]): string[] {
  const who = (p: AclPrincipal) => (p.kind === "group" ? `${p.level}` : `org${p.orgNumber}`);
  return plans.map(
    (p) =>
      `${p.container} ${p.path} ${p.role} ${p.owner.kind === "platform" ? "platform" : p.owner.orgNumber}${p.recursive ? " recursive" : ""}${p.createDirectory ? " create" : ""}: ` +
      p.entries
        .map((e) => `${e.scope === "default" ? "default:" : ""}${who(e.principal)}:${e.perms}`)
        .join(","),
  );
}

describe("ACL planning", () => {
  it.each([
    ["read", "r-x"],
    ["write", "-wx"],
    ["read-write", "rwx"],
  ] as const)("a %s path grant gets %s", (access, perms) => {
    expect(permsForAccess(access)).toBe(perms);
    expect(
      show(
        partnerAclPlans(
          partner({ orgNumber: "917422575", azure: [{ container: "outbound", access, path: "entur" }] }),
        ),
      ),
    ).toEqual([
      `outbound /entur grant 917422575 recursive create: org917422575:${perms},default:org917422575:${perms}`,
    ]);
  });

  it.each([
    [undefined, "/", []],
    ["a", "/a", []],
    ["a/b", "/a/b", ["/a"]],
    ["region/west/vestland", "/region/west/vestland", ["/region", "/region/west"]],
  ] as const)("path %s is %s with ancestors %j", (relative, absolute, ancestors) => {
    expect(absolutePath(relative)).toBe(absolute);
    expect(ancestorsOf(relative ?? "")).toEqual(ancestors);
  });

  it("whole-container grants and inactive partners get no entries of their own", () => {
    const plans = [
      partner({
        orgNumber: "917422575",
        azure: [
          { container: "inbound", access: "write" },
          { container: "x-exchange", access: "read-write" },
        ],
      }),
      partner({
        orgNumber: "910000012",
        status: "suspended",
        azure: [{ container: "outbound", access: "read", path: "nordlys" }],
      }),
      partner({
        orgNumber: "921345674",
        status: "offboarded",
        azure: [{ container: "outbound", access: "read", path: "fjord" }],
      }),
    ].flatMap(partnerAclPlans);
    expect(plans).toEqual([]);
  });

  it("the root holds exactly the traverse and write groups, access only, for every declared container", () => {
    expect(show([rootAclPlan("inbound")])).toEqual(["inbound / root platform: traverse:--x,write:-wx"]);
  });

  it("plans the sample test stack", () => {
    expect(show(planAcls(loadStack("test")))).toEqual([
      "inbound / root platform: traverse:--x,write:-wx",
      "outbound / root platform: traverse:--x,write:-wx",
      "entur-exchange / root platform: traverse:--x,write:-wx",
      "outbound /vestland ancestor platform create: traverse:--x",
      "outbound /nordlys grant 910000012 recursive create: org910000012:r-x,default:org910000012:r-x",
      "outbound /vestland/reports grant 934567811 recursive create: org934567811:rwx,default:org934567811:rwx",
    ]);
  });

  it("nested paths share one traverse entry per ancestor", () => {
    const manifest = {
      containers: [{ name: "outbound", adopt: false }],
      partners: [
        partner({
          orgNumber: "917422575",
          azure: [{ container: "outbound", access: "read", path: "region/west/a" }],
        }),
        partner({
          orgNumber: "910000012",
          azure: [{ container: "outbound", access: "write", path: "region/west/b" }],
        }),
        partner({
          orgNumber: "934567811",
          azure: [{ container: "outbound", access: "read-write", path: "region/east" }],
        }),
      ],
    };
    expect(show(planAcls(manifest))).toEqual([
      "outbound / root platform: traverse:--x,write:-wx",
      "outbound /region ancestor platform create: traverse:--x",
      "outbound /region/west ancestor platform create: traverse:--x",
      "outbound /region/west/a grant 917422575 recursive create: org917422575:r-x,default:org917422575:r-x",
      "outbound /region/west/b grant 910000012 recursive create: org910000012:-wx,default:org910000012:-wx",
      "outbound /region/east grant 934567811 recursive create: org934567811:rwx,default:org934567811:rwx",
    ]);
  });

  it.each([3, 1000])(
    "with %i partners sharing a container, shared paths keep a constant entry count",
    (n) => {
      const orgs = orgNumbers(n);
      const manifest = ManifestSchema.parse({
        containers: [{ name: "outbound" }, { name: "inbound", shared: true }],
        partners: orgs.map((org, i) => ({
          orgNumber: org,
          name: `Partner ${i}`,
          azure: [
            {
              container: "outbound",
              access: (["read", "write", "read-write"] as const)[i % 3],
              path: `region-${i % 4}/p${org}`,
            },
            { container: "inbound", access: "write" },
          ],
        })),
      });
      const counts = entryCounts(planAcls(manifest));
      const at = (container: string, path: string) =>
        counts
          .filter((c) => c.container === container && c.path === path)
          .map((c) => `${c.scope} ${c.named}`);
      expect(at("outbound", "/")).toEqual(["access 2"]);
      expect(at("inbound", "/")).toEqual(["access 2"]);
      expect(at("outbound", "/region-0")).toEqual(["access 1"]);
      expect(at("outbound", `/region-1/p${orgs[1]}`)).toEqual(["access 1", "default 1"]);
      expect(Math.max(...counts.map((c) => c.named))).toBe(2);
      expect(aclBudget(manifest)).toEqual({
        max: 2,
        limit: 28,
        totalLimit: 32,
        container: "outbound",
        path: "/",
        scope: "access",
      });
      expect(planAcls(manifest)).toHaveLength(2 + Math.min(n, 4) + n);
    },
  );

  it("rejects a path inside another granted path, naming both and the fix", () => {
    const manifest = {
      containers: [{ name: "outbound", adopt: false }],
      partners: [
        partner({
          orgNumber: "917422575",
          azure: [
            { container: "outbound", access: "read", path: "a" },
            { container: "outbound", access: "write", path: "a/b" },
          ],
        }),
      ],
    };
    expect(aclPlanProblems(manifest)).toEqual([
      'path "/a/b" of container "outbound" lies inside path "/a", both granted to organization 917422575: the outer grant is applied recursively and would overwrite the inner one\'s entries; grant the union on one directory or use sibling directories',
    ]);
    expect(() => planAcls(manifest)).toThrow(
      'ADLS ACL plan is invalid:\n- path "/a/b" of container "outbound" lies inside path "/a"',
    );
    const crossOrg = {
      containers: manifest.containers,
      partners: [
        partner({ orgNumber: "917422575", azure: [{ container: "outbound", access: "read", path: "a" }] }),
        partner({ orgNumber: "910000012", azure: [{ container: "outbound", access: "read", path: "a/b" }] }),
      ],
    };
    expect(aclPlanProblems(crossOrg)).toEqual([
      'path "/a/b" of container "outbound" (organization 910000012) lies inside path "/a" granted to organization 917422575: the outer partner would inherit access to it; partners must get disjoint directories',
    ]);
  });

  it("checks the 28-entry budget on a partner's own path with a clear error, and reports it without throwing", () => {
    // The schema forbids two partners on one path; build the manifest directly to exercise the check.
    const orgs = orgNumbers(29);
    const manifest = {
      containers: [{ name: "outbound", adopt: false }],
      partners: orgs.map((org) =>
        partner({ orgNumber: org, azure: [{ container: "outbound", access: "read", path: "shared" }] }),
      ),
    };
    const problems = aclPlanProblems(manifest);
    expect(problems).toContain(
      'path "/shared" of container "outbound" would get 29 named access ACL entries; ADLS Gen2 allows 28 (32 with the base entries): give partners their own directories or grant through a group',
    );
    expect(problems).toContain(
      'path "/shared" of container "outbound" would get 29 named default ACL entries; ADLS Gen2 allows 28 (32 with the base entries): give partners their own directories or grant through a group',
    );
    expect(aclBudget(manifest)).toEqual({
      max: 29,
      limit: 28,
      totalLimit: 32,
      container: "outbound",
      path: "/shared",
      scope: "access",
    });
    expect(() => planAcls(manifest)).toThrow(/would get 29 named access ACL entries/);
  });

  it("budget of a manifest without containers is zero", () => {
    expect(aclBudget({ containers: [], partners: [] })).toEqual({ max: 0, limit: 28, totalLimit: 32 });
  });

  it("renders entries with object ids, and refuses anything but an object id", () => {
    const oid = "0A1B2C3D-0000-4000-8000-00000000000A";
    const plan = partnerAclPlans(
      partner({ orgNumber: "917422575", azure: [{ container: "outbound", access: "read", path: "entur" }] }),
    )[0]!;
    expect(renderAclEntries(plan, () => oid)).toEqual([
      "user:0a1b2c3d-0000-4000-8000-00000000000a:r-x",
      "default:user:0a1b2c3d-0000-4000-8000-00000000000a:r-x",
    ]);
    expect(
      renderAclEntries(rootAclPlan("inbound"), (p) =>
        p.kind === "group" && p.level === "write"
          ? "22222222-2222-4222-8222-222222222222"
          : "33333333-3333-4333-8333-333333333333",
      ),
    ).toEqual([
      "group:33333333-3333-4333-8333-333333333333:--x",
      "group:22222222-2222-4222-8222-222222222222:-wx",
    ]);
    expect(() => renderAclEntry(plan.entries[0]!, "api://client-id")).toThrow(
      'ACL entries need the Entra OBJECT id of partner:917422575 (a GUID, the principalId of a managed identity or the id of a group), got "api://client-id"',
    );
  });
});
