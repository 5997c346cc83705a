import { describe, expect, it } from "vitest";
import { loadManifestFile } from "./load";
import { leftBehind, leftBehindLines, sharingGroups, sharingLines, someOf } from "./isolation";
import type { Access, Partner } from "./schema";

const partner = (
  orgNumber: string,
  azure: { container: string; access: Access; path?: string }[],
  status: Partner["status"] = "active",
) => ({
  orgNumber,
  status,
  azure,
  aws: [],
});

describe("who sees whom (plan and diff notes for shared containers)", () => {
  it("the sample test stack: the inbound drop box is shared by an active and a suspended writer", () => {
    const r = loadManifestFile("stacks/test.yaml", { today: new Date("2026-01-01T00:00:00Z") });
    if (!r.ok) throw new Error("stacks/test.yaml must be valid");
    expect(sharingLines(sharingGroups(r.manifest))).toEqual([
      'shared container "inbound": organizations 910000012 (write), 812345672 (write) reach the files of every partner there',
    ]);
  });

  it("drop-box writers beside a path grant: who reaches what, and the directory a writer can take first", () => {
    const input = {
      containers: [{ name: "inbound", shared: true }],
      buckets: [],
      partners: [
        partner("917422575", [{ container: "inbound", access: "write" }]),
        partner("910000012", [{ container: "inbound", access: "read", path: "nordlys" }]),
        partner("934567811", [{ container: "inbound", access: "read", path: "x" }], "offboarded"),
      ],
    };
    expect(sharingLines(sharingGroups(input))).toEqual([
      'shared container "inbound": organization 917422575 (write) reaches the files of every partner there (910000012 too); a writer can also create a granted directory before the platform does and own it',
    ]);
  });

  it("partners sharing one directory, and prefixes inside each other; offboarded partners and lone holders are not listed", () => {
    const input = {
      containers: [{ name: "outbound", shared: true }],
      buckets: [{ name: "b-1", shared: true }],
      partners: [
        {
          ...partner("917422575", [{ container: "outbound", access: "read", path: "common" }]),
          aws: [{ bucket: "b-1", prefix: "a/", access: "read" as const }],
        },
        {
          ...partner("910000012", [{ container: "outbound", access: "read-write", path: "common" }]),
          aws: [{ bucket: "b-1", prefix: "a/b/", access: "write" as const }],
        },
        partner("934567811", [{ container: "outbound", access: "read", path: "common" }], "offboarded"),
        partner("991825827", [{ container: "outbound", access: "read", path: "alone" }]),
      ],
    };
    expect(sharingLines(sharingGroups(input))).toEqual([
      'shared path "common" of container "outbound": organizations 917422575, 910000012 reach each other\'s files',
      'shared prefix "a/b/" of bucket "b-1": organizations 917422575, 910000012 reach each other\'s files',
    ]);
  });

  it("a container read by 5,000 partners stays one short line", () => {
    const orgs = Array.from({ length: 5000 }, (_, i) => String(100000000 + i));
    const groups = sharingGroups({
      containers: [{ name: "reference", shared: true }],
      buckets: [],
      partners: orgs.map((o) => partner(o, [{ container: "reference", access: "read" }])),
    });
    expect(groups).toHaveLength(1);
    expect(groups[0]!.members).toHaveLength(5000);
    expect(sharingLines(groups)[0]).toBe(
      `shared container "reference": organizations ${orgs
        .slice(0, 10)
        .map((o) => `${o} (read)`)
        .join(", ")} and 4990 more reach the files of every partner there`,
    );
    expect(someOf(["a", "b"], 1)).toBe("a and 1 more");
  });
});

describe("files an offboarded partner left (plan and validate notes, diff flags)", () => {
  const input = {
    containers: [
      { name: "inbound", shared: true },
      { name: "outbound", shared: true },
    ],
    buckets: [{ name: "b-1", shared: true }],
    partners: [
      // Offboarded with a directory and a prefix, and one with a whole container.
      {
        ...partner("934567811", [{ container: "outbound", access: "read-write", path: "vestland/reports" }], "offboarded"),
        aws: [{ bucket: "b-1", prefix: "vestland/", access: "write" as const }],
      },
      partner("812345672", [{ container: "inbound", access: "write" }], "offboarded"),
      // Above, on and below the directory; a neighbour directory reaches nothing.
      partner("910000012", [{ container: "outbound", access: "read", path: "vestland" }]),
      partner("917422575", [{ container: "outbound", access: "read", path: "vestland/reports" }], "suspended"),
      partner("921345674", [{ container: "outbound", access: "read", path: "vestlandet" }]),
      {
        ...partner("991825827", [{ container: "inbound", access: "read", path: "nordlys" }]),
        aws: [{ bucket: "b-1", prefix: "vestland/2027/", access: "read" as const }],
      },
      // Two offboarded partners reach nothing of each other's.
      partner("920000010", [{ container: "outbound", access: "read", path: "vestland" }], "offboarded"),
    ],
  };

  it("names each offboarded partner's directory once, with every partner who is not offboarded and reaches it", () => {
    expect(leftBehindLines(leftBehind(input))).toEqual([
      'shared path "vestland/reports" of container "outbound": organization 934567811 is offboarded, but the files it left there stay, and organizations 910000012, 917422575 reach them (delete them, or give those partners another directory)',
      'shared prefix "vestland/" of bucket "b-1": organization 934567811 is offboarded, but the files it left there stay, and organization 991825827 reaches them (delete them, or give that partner another directory)',
      'shared container "inbound": organization 812345672 is offboarded, but the files it left there stay, and organization 991825827 reaches them (delete them, or give that partner another directory)',
      'shared path "vestland" of container "outbound": organization 920000010 is offboarded, but the files it left there stay, and organizations 910000012, 917422575 reach them (delete them, or give those partners another directory)',
    ]);
  });

  it("with every status, keys the same directories: who reached them before the partner was offboarded", () => {
    const before = leftBehind({ ...input, partners: input.partners.map((p) => ({ ...p, status: "active" as const })) }, true);
    const after = leftBehind(input);
    for (const l of after) expect(before.find((b) => b.key === l.key)?.reachedBy).toEqual(expect.arrayContaining(l.reachedBy));
    expect(leftBehind({ ...input, partners: input.partners.filter((p) => p.status !== "offboarded") })).toEqual([]);
  });
});
