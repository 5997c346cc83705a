import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ManifestSchema, type Manifest } from "../../manifest/schema";
import { GROUP_LEVELS, type GroupLevel } from "../model";
import {
  ancestorDirs,
  checkAccess,
  createItem,
  namedEntryCount,
  namedEntryKeys,
  worldFromManifest,
  type ModelIdentities,
  type Operation,
  type World,
} from "./accessModel";
import { aclPlanProblems, absolutePath, ancestorsOf } from "./plan";
import { parseAcl } from "./provider";
import { largeManifest, loadStackManifest, orgNumbers } from "./testManifests";

/** Deterministic fake Entra object ids. */
function guid(label: string): string {
  const h = createHash("sha1").update(label).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ids: ModelIdentities = {
  groupId: (container, level) => guid(`group/${container}/${level}`),
  partnerId: (org) => guid(`partner/${org}`),
  platformId: guid("platform-deployer"),
};
const P = (org: string) => ids.partnerId(org);

/** A principal that is a member of one group only, to look at what that group alone grants. */
function memberOnly(world: World, container: string, level: GroupLevel): string {
  const id = guid(`member-only/${container}/${level}`);
  world.memberships.set(id, new Set([ids.groupId(container, level)]));
  return id;
}

type Row = [who: string, op: Operation, container: string, path: string, expected: "rbac" | "acl" | "denied"];

function decisions(world: World, rows: Row[]): string[] {
  return rows.map(
    ([who, op, container, path]) =>
      `${op} ${container}${path}: ${checkAccess(world, who, op, container, path).by}`,
  );
}

const expected = (rows: Row[]) =>
  rows.map(([, op, container, path, by]) => `${op} ${container}${path}: ${by}`);

describe("access check model (Microsoft's documented order)", () => {
  const U = guid("u");
  const G = guid("g");
  const base = (
    fileAcl: string,
    roles: World["roles"] = [],
    rootAcl = `user::rwx,user:${U}:--x,group::r-x,mask::r-x,other::---`,
  ): World => ({
    containers: new Map([
      [
        "c",
        new Map([
          [
            "/",
            {
              kind: "directory" as const,
              owner: "platform",
              owningGroup: "$superuser",
              acl: parseAcl(rootAcl),
            },
          ],
          [
            "/f",
            { kind: "file" as const, owner: "platform", owningGroup: "$superuser", acl: parseAcl(fileAcl) },
          ],
        ]),
      ],
    ]),
    memberships: new Map([[U, new Set([G])]]),
    roles,
  });

  it("RBAC first: a role that grants the action wins and ACLs are not consulted", () => {
    const world = base("user::rw-,group::r--,other::---", [
      { principalId: G, container: "c", role: "reader" },
    ]);
    expect(checkAccess(world, U, "read", "c", "/f")).toEqual({
      allowed: true,
      by: "rbac",
      reason: "role reader on container c",
    });
    // Reader does not grant writes: the ACLs decide, and they deny.
    expect(checkAccess(world, U, "write", "c", "/f")).toEqual({
      allowed: false,
      by: "denied",
      reason: "no rw- on /f",
    });
    const contributor = base(
      "user::rw-,group::r--,other::---",
      [{ principalId: U, container: "c", role: "contributor" }],
      "user::rwx,group::---,other::---",
    );
    expect(checkAccess(contributor, U, "create", "c", "/g").by).toBe("rbac");
  });

  it("named users and groups are cut by the mask, the owning user is not", () => {
    expect(
      checkAccess(base(`user::rw-,user:${U}:rw-,group::r--,mask::r--,other::---`), U, "write", "c", "/f"),
    ).toEqual({ allowed: false, by: "denied", reason: "no rw- on /f" });
    expect(
      checkAccess(base(`user::rw-,user:${U}:rw-,group::r--,mask::rw-,other::---`), U, "write", "c", "/f").by,
    ).toBe("acl");
    expect(
      checkAccess(base(`user::rw-,group::r--,group:${G}:r--,mask::---,other::---`), U, "read", "c", "/f").by,
    ).toBe("denied");
    expect(
      checkAccess(base(`user::rw-,group::r--,group:${G}:r--,mask::r--,other::---`), U, "read", "c", "/f").by,
    ).toBe("acl");
    const owned = base(`user::rw-,group::r--,mask::---,other::---`);
    owned.containers.get("c")!.get("/f")!.owner = U;
    expect(checkAccess(owned, U, "read", "c", "/f").by).toBe("acl");
    // Without --x on the root nothing below it can be reached, whatever the item's own ACL says.
    expect(
      checkAccess(
        base(
          `user::rw-,user:${U}:rw-,mask::rw-,group::r--,other::---`,
          [],
          "user::rwx,group::r-x,other::---",
        ),
        U,
        "read",
        "c",
        "/f",
      ),
    ).toEqual({
      allowed: false,
      by: "denied",
      reason: "no --x on /",
    });
  });

  it("group entries a principal matches are joined (their union decides), and then other is not consulted", () => {
    // Microsoft's access_check: perms |= entry.permissions over every matching group entry; with a match,
    // return on that union without looking at other.
    const H = guid("h");
    const twoGroups = (fileAcl: string, rootAcl?: string): World => {
      const world = base(fileAcl, [], rootAcl);
      world.memberships.set(U, new Set([G, H]));
      return world;
    };
    // r-- from one group and -w- from another: together rw-, enough to append.
    expect(
      checkAccess(
        twoGroups(`user::rw-,group::---,group:${G}:r--,group:${H}:-w-,mask::rw-,other::---`),
        U,
        "write",
        "c",
        "/f",
      ),
    ).toEqual({ allowed: true, by: "acl", reason: "rw- on /f" });
    // A member of a named group without read is not saved by other's r--; someone in no entry's group is.
    const world = twoGroups(
      `user::rw-,group::---,group:${G}:---,mask::rw-,other::r--`,
      "user::rwx,group::---,other::--x",
    );
    expect(checkAccess(world, U, "read", "c", "/f")).toEqual({
      allowed: false,
      by: "denied",
      reason: "no r-- on /f",
    });
    expect(checkAccess(world, guid("stranger"), "read", "c", "/f")).toEqual({
      allowed: true,
      by: "acl",
      reason: "r-- on /f",
    });
  });

  it("ancestorDirs lists the directories to traverse", () => {
    expect(ancestorDirs("/")).toEqual([]);
    expect(ancestorDirs("/f")).toEqual(["/"]);
    expect(ancestorDirs("/a/b/f")).toEqual(["/", "/a", "/a/b"]);
  });
});

describe.each([
  ["a plain new root", "user::rwx,group::r-x,other::---"],
  ["a root with Microsoft's documented 750 mask", "user::rwx,group::r-x,mask::r-x,other::---"],
])("the sample test stack, starting from %s", (_label, rootAcl) => {
  const manifest = loadStackManifest("test");
  const world = worldFromManifest(manifest, ids, rootAcl);
  const NORDLYS = P("910000012");
  const VESTLAND = P("934567811");
  const ENTUR = P("917422575");
  const SUSPENDED = P("812345672");
  // Data as it would be in use: the platform fills the partners' directories, partners write.
  createItem(world, ids.platformId, "outbound", "/nordlys/report.csv", "file", true);
  createItem(world, ids.platformId, "outbound", "/vestland/reports/q1.csv", "file", true);
  createItem(world, SUSPENDED, "inbound", "/banemontasje.csv", "file", true); // dropped before it was suspended
  const drops = createItem(world, NORDLYS, "inbound", "/nordlys-drop.csv", "file");
  const upload = createItem(world, VESTLAND, "outbound", "/vestland/reports/upload.csv", "file");

  it("partners can do what they were granted", () => {
    expect([drops.by, upload.by]).toEqual(["acl", "acl"]);
    const rows: Row[] = [
      [NORDLYS, "list", "outbound", "/nordlys", "acl"],
      [NORDLYS, "read", "outbound", "/nordlys/report.csv", "acl"],
      [NORDLYS, "read", "inbound", "/nordlys-drop.csv", "acl"],
      [VESTLAND, "list", "outbound", "/vestland/reports", "acl"],
      [VESTLAND, "read", "outbound", "/vestland/reports/q1.csv", "acl"],
      [VESTLAND, "write", "outbound", "/vestland/reports/q1.csv", "acl"],
      [VESTLAND, "create", "outbound", "/vestland/reports/q2.csv", "acl"],
      [ENTUR, "read", "entur-exchange", "/", "rbac"],
      [ENTUR, "create", "entur-exchange", "/data.csv", "rbac"],
    ];
    expect(decisions(world, rows)).toEqual(expected(rows));
  });

  it("a path grantee cannot read or list sibling paths, nor list the root or its ancestors", () => {
    const rows: Row[] = [
      [NORDLYS, "create", "outbound", "/nordlys/x.csv", "denied"],
      [NORDLYS, "list", "outbound", "/", "denied"],
      [NORDLYS, "list", "outbound", "/vestland", "denied"],
      [NORDLYS, "list", "outbound", "/vestland/reports", "denied"],
      [NORDLYS, "read", "outbound", "/vestland/reports/q1.csv", "denied"],
      [NORDLYS, "read", "outbound", "/vestland/reports/upload.csv", "denied"],
      [NORDLYS, "create", "outbound", "/vestland/reports/x.csv", "denied"],
      [NORDLYS, "create", "outbound", "/x.csv", "denied"],
      [VESTLAND, "list", "outbound", "/", "denied"],
      [VESTLAND, "list", "outbound", "/vestland", "denied"],
      [VESTLAND, "create", "outbound", "/vestland/x.csv", "denied"],
      [VESTLAND, "list", "outbound", "/nordlys", "denied"],
      [VESTLAND, "traverse", "outbound", "/nordlys", "denied"],
      [VESTLAND, "read", "outbound", "/nordlys/report.csv", "denied"],
      [ENTUR, "read", "outbound", "/nordlys/report.csv", "denied"],
      [ENTUR, "create", "inbound", "/entur.csv", "denied"],
      [NORDLYS, "read", "entur-exchange", "/", "denied"],
    ];
    expect(decisions(world, rows)).toEqual(expected(rows));
  });

  it("a write-only grantee can drop files but cannot read or list what others dropped", () => {
    const rows: Row[] = [
      [NORDLYS, "create", "inbound", "/nordlys-2.csv", "acl"],
      [NORDLYS, "list", "inbound", "/", "denied"],
      [NORDLYS, "read", "inbound", "/banemontasje.csv", "denied"],
      [NORDLYS, "write", "inbound", "/banemontasje.csv", "denied"],
      [VESTLAND, "create", "inbound", "/vestland.csv", "denied"],
      // Suspended: no memberships, so not even its own old file is reachable.
      [SUSPENDED, "create", "inbound", "/again.csv", "denied"],
      [SUSPENDED, "read", "inbound", "/banemontasje.csv", "denied"],
    ];
    expect(decisions(world, rows)).toEqual(expected(rows));
  });

  it("traversal grants execute only", () => {
    const traverser = memberOnly(world, "outbound", "traverse");
    const rows: Row[] = [
      [traverser, "traverse", "outbound", "/", "acl"],
      [traverser, "traverse", "outbound", "/vestland", "acl"],
      [traverser, "list", "outbound", "/", "denied"],
      [traverser, "list", "outbound", "/vestland", "denied"],
      [traverser, "create", "outbound", "/x.csv", "denied"],
      [traverser, "create", "outbound", "/vestland/x.csv", "denied"],
      [traverser, "traverse", "outbound", "/nordlys", "denied"],
      [traverser, "traverse", "outbound", "/vestland/reports", "denied"],
      [traverser, "read", "outbound", "/nordlys/report.csv", "denied"],
    ];
    expect(decisions(world, rows)).toEqual(expected(rows));
  });

  it("each container root holds exactly the traverse and write group entries, access only", () => {
    for (const c of manifest.containers) {
      expect(namedEntryKeys(world, c.name, "/")).toEqual(
        [`group:${ids.groupId(c.name, "traverse")}`, `group:${ids.groupId(c.name, "write")}`].sort(),
      );
      expect(namedEntryCount(world, c.name, "/", "default")).toBe(0);
    }
  });
});

describe("a generated manifest of 1,000 partners", () => {
  const manifest = largeManifest(1000);
  const world = worldFromManifest(manifest, ids);
  const active = manifest.partners.filter((p) => p.status === "active");
  const pathOf = (org: string) =>
    absolutePath(manifest.partners.find((p) => p.orgNumber === org)!.azure[0]!.path);
  const accessOf = (org: string) => manifest.partners.find((p) => p.orgNumber === org)!.azure[0]!.access;
  for (const p of manifest.partners) {
    // Suspended partners' directories stay (with the data) after their entries are removed.
    const dir = pathOf(p.orgNumber);
    ancestorDirs(`${dir}/data.csv`).forEach((d) =>
      createItem(world, ids.platformId, "outbound", d, "directory", true),
    );
    createItem(world, ids.platformId, "outbound", `${dir}/data.csv`, "file", true);
  }
  const writers = active.filter((p) => p.azure.some((g) => g.container === "inbound"));
  for (const w of writers)
    expect(createItem(world, P(w.orgNumber), "inbound", `/drop-${w.orgNumber}.csv`, "file").by).toBe("acl");

  it("shared paths keep a constant number of entries", () => {
    for (const c of manifest.containers)
      expect([
        c.name,
        namedEntryCount(world, c.name, "/"),
        namedEntryCount(world, c.name, "/", "default"),
      ]).toEqual([c.name, 2, 0]);
    for (let r = 0; r < 8; r++) {
      expect(namedEntryCount(world, "outbound", `/region-${r}`)).toBe(1);
      expect(namedEntryCount(world, "outbound", `/region-${r}/deep`)).toBe(1);
    }
  });

  it("path grantees reach their own directory only: siblings are neither listable nor readable, ancestors traverse only", () => {
    const failures: string[] = [];
    let checks = 0;
    const expect_ = (who: string, org: string, op: Operation, path: string, allowed: boolean) => {
      checks++;
      const d = checkAccess(world, P(org), op, "outbound", path);
      if (d.allowed !== allowed) failures.push(`${who} ${org} ${op} ${path}: ${d.by} (${d.reason})`);
    };
    active.forEach((p, i) => {
      const own = pathOf(p.orgNumber);
      const access = accessOf(p.orgNumber);
      expect_("own", p.orgNumber, "list", own, access !== "write");
      expect_("own", p.orgNumber, "read", `${own}/data.csv`, access !== "write");
      expect_("own", p.orgNumber, "create", `${own}/new.csv`, access !== "read");
      for (const ancestor of ancestorsOf(own.slice(1))) {
        expect_("ancestor", p.orgNumber, "traverse", ancestor, true);
        expect_("ancestor", p.orgNumber, "list", ancestor, false);
        expect_("ancestor", p.orgNumber, "create", `${ancestor}/squat`, false);
      }
      expect_("root", p.orgNumber, "list", "/", false);
      for (const other of [active[(i + 1) % active.length]!, active[(i * 7919 + 13) % active.length]!]) {
        if (other.orgNumber === p.orgNumber) continue;
        const theirs = pathOf(other.orgNumber);
        expect_("sibling", p.orgNumber, "list", theirs, false);
        expect_("sibling", p.orgNumber, "read", `${theirs}/data.csv`, false);
        expect_("sibling", p.orgNumber, "create", `${theirs}/x.csv`, false);
      }
    });
    for (const p of manifest.partners.filter((x) => x.status !== "active"))
      expect_("suspended", p.orgNumber, "read", `${pathOf(p.orgNumber)}/data.csv`, false);
    expect(failures).toEqual([]);
    // 924 active partners: own path, ancestors, root and two others each, plus the 76 suspended ones.
    expect(checks).toBe(12643);
  });

  it("drop-box writers cannot read other partners' files", () => {
    const failures: string[] = [];
    writers.forEach((w, i) => {
      const next = writers[(i + 1) % writers.length]!;
      for (const [op, path, allowed] of [
        ["read", `/drop-${next.orgNumber}.csv`, false],
        ["write", `/drop-${next.orgNumber}.csv`, false],
        ["list", "/", false],
        ["read", `/drop-${w.orgNumber}.csv`, true],
      ] as const) {
        const d = checkAccess(world, P(w.orgNumber), op, "inbound", path);
        if (d.allowed !== allowed) failures.push(`${w.orgNumber} ${op} ${path}: ${d.by}`);
      }
    });
    expect(failures).toEqual([]);
    expect(writers.length).toBe(308);
  });
});

describe("isolation holds for random manifests", () => {
  const orgs = orgNumbers(8);
  const grant = fc.record({
    container: fc.constantFrom("outbound", "inbound"),
    access: fc.constantFrom("read" as const, "write" as const, "read-write" as const),
    path: fc.option(fc.constantFrom("a", "b", "a/x", "b/y/z", "c/d", "e"), { nil: undefined }),
  });
  const manifestArb = fc
    .uniqueArray(
      fc.record({
        org: fc.constantFrom(...orgs),
        grants: fc.uniqueArray(grant, { maxLength: 3, selector: (g) => `${g.container}/${g.path ?? ""}` }),
      }),
      {
        maxLength: 6,
        selector: (p) => p.org,
      },
    )
    .map((ps) =>
      ManifestSchema.safeParse({
        containers: [{ name: "outbound" }, { name: "inbound" }],
        partners: ps.map((p) => ({ orgNumber: p.org, name: p.org, azure: p.grants })),
      }),
    )
    .filter((r) => r.success && aclPlanProblems(r.data).length === 0)
    .map((r) => r.data as Manifest);

  it("without a container-wide grant, no partner lists, reads or writes in another partner's directory", () => {
    fc.assert(
      fc.property(manifestArb, (manifest) => {
        const world = worldFromManifest(manifest, ids);
        for (const p of manifest.partners) {
          for (const g of p.azure)
            if (g.path !== undefined)
              createItem(
                world,
                ids.platformId,
                g.container,
                `${absolutePath(g.path)}/data.csv`,
                "file",
                true,
              );
        }
        for (const a of manifest.partners) {
          for (const b of manifest.partners) {
            if (a === b) continue;
            for (const g of b.azure) {
              if (g.path === undefined) continue;
              const wide = a.azure.some(
                (x) => x.container === g.container && x.path === undefined && x.access !== "write",
              );
              if (wide) continue;
              const dir = absolutePath(g.path);
              for (const op of ["list", "create", "read"] as const) {
                const path = op === "list" ? dir : op === "create" ? `${dir}/new.csv` : `${dir}/data.csv`;
                if (checkAccess(world, P(a.orgNumber), op, g.container, path).allowed) return false;
              }
            }
          }
        }
        return true;
      }),
      { numRuns: 200, seed: 4242 },
    );
  });
});

it("group levels used by the model are the ones model.ts declares", () => {
  expect(GROUP_LEVELS).toEqual(["read", "read-write", "write", "traverse"]);
});
