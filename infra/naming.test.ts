import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containerNameProblem } from "./manifest/schema";
import {
  containerNameCollisions,
  GROUP_LEVELS,
  groupDisplayName,
  groupLogicalName,
  groupMemberLogicalName,
  partnerLogicalName,
  pathAclLogicalName,
  roleAssignmentLogicalName,
} from "./naming";

/** Container names built to meet: short stems with level-like suffixes ("a", "a-read", "a-read-write", ...). */
const containerName = fc
  .tuple(
    fc.constantFrom("in", "inbound", "abc", "x1"),
    fc.array(fc.constantFrom("read", "write", "traverse", "read-write", "readers", "w"), { maxLength: 2 }),
  )
  .map(([stem, parts]) => [stem, ...parts].join("-"))
  .filter((n) => containerNameProblem(n) === undefined);

const allNames = (containers: string[], orgs: string[]) => ({
  group: containers.flatMap((c) => GROUP_LEVELS.map((l) => groupLogicalName(c, l))),
  display: containers.flatMap((c) => GROUP_LEVELS.map((l) => groupDisplayName("test", c, l))),
  roleAssignment: containers.flatMap((c) =>
    (["read", "read-write"] as const).map((l) => roleAssignmentLogicalName(c, l)),
  ),
  member: orgs.flatMap((o) =>
    containers.flatMap((c) => GROUP_LEVELS.map((l) => groupMemberLogicalName(partnerLogicalName(o), c, l))),
  ),
});
const unique = (xs: string[]) => new Set(xs).size === xs.length;

describe("resource names are injective over every valid manifest", () => {
  it("the review's collision: inbound + read-write and inbound-read + write", () => {
    expect(groupLogicalName("inbound", "read-write")).toBe(groupLogicalName("inbound-read", "write"));
    expect(containerNameCollisions(["inbound", "inbound-read"])).toEqual([
      { index: 1, other: 0, key: "inbound-read-write", levels: ["write", "read-write"] },
    ]);
  });

  it("containers the manifest accepts (no collision reported) give unique group, display, role-assignment and membership names", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(containerName, { maxLength: 6 }),
        fc.uniqueArray(fc.constantFrom("917422575", "910000012", "123456785"), { maxLength: 3 }),
        (containers, orgs) => {
          const names = allNames(containers, orgs);
          const accepted = containerNameCollisions(containers).length === 0;
          if (accepted) for (const list of Object.values(names)) expect(unique(list)).toBe(true);
          // And the rule refuses nothing that would not collide: the group names really meet when it reports.
          else expect(unique(names.group)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("ACL resource names are unique per (owner, container, path)", () => {
    const segment = fc.constantFrom("a", "b", "acl", "x-y", "p.q");
    const triple = fc.tuple(
      fc.constantFrom("", `${partnerLogicalName("917422575")}-`, `${partnerLogicalName("910000012")}-`),
      containerName,
      fc.array(segment, { maxLength: 3 }).map((s) => `/${s.join("/")}`),
    );
    fc.assert(
      fc.property(fc.uniqueArray(triple, { maxLength: 8, selector: (t) => t.join("|") }), (triples) => {
        expect(
          unique(triples.map(([prefix, container, path]) => pathAclLogicalName(prefix, { container, path }))),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
