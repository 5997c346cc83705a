import { runSimulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { permissionPolicyDocument } from "../../aws/policies";
import { isolationFindings, type IsolationFinding } from "../../manifest/isolation";
import {
  ACCESS_LEVELS,
  PARTNER_STATUSES,
  type Access,
  type Manifest,
  type Partner,
  type PartnerStatus,
} from "../../manifest/schema";
import { crossPartnerAccess } from "./accessModel";

/**
 * The manifest's isolation rule (infra/manifest/isolation.ts) against two independent judges: the ADLS access
 * model (RBAC first, then ACLs, data everywhere a partner may have put it) for containers, and an IAM policy
 * evaluator (@cloud-copilot/iam-simulate) for S3 prefixes. The validator must find a conflict exactly where a
 * judge finds that one partner reaches another's files.
 */

const ORGS = ["917422575", "991825827", "910000012", "123456785"] as const;
const CONTAINERS = ["c-one", "c-two"] as const;
const BUCKET = "b-one";

type G = { container: string; access: Access; path?: string };
type S = { bucket: string; prefix: string; access: Access };

function partner(orgNumber: string, status: PartnerStatus, azure: G[], aws: S[] = []): Partner {
  return { orgNumber, name: `P ${orgNumber}`, status, azure, aws };
}

function manifestOf(partners: Partner[], shared: { containers?: string[]; bucket?: boolean } = {}): Manifest {
  return {
    containers: CONTAINERS.map((name) => ({
      name,
      adopt: false,
      shared: shared.containers?.includes(name) ?? false,
    })),
    buckets: [{ name: BUCKET, adopt: false, shared: shared.bucket ?? false }],
    partners,
  };
}

const ISOLATION_KINDS = new Set(["whole-container", "nested", "same-directory"]);
const findingsIn = (m: Manifest, cloud: "azure" | "aws", scope: string): IsolationFinding[] =>
  isolationFindings(m).filter(
    (f) => f.at.cloud === cloud && f.at.scope === scope && ISOLATION_KINDS.has(f.kind),
  );

const pairKey = (a: string, b: string) => [a, b].sort().join("+");

describe("the access model finds the cross-partner access the review found", () => {
  it("a drop-box writer's files are read by a whole-container reader (RBAC before ACL)", () => {
    const m = manifestOf([
      partner("917422575", "active", [{ container: "c-one", access: "write" }]),
      partner("991825827", "active", [{ container: "c-one", access: "read" }]),
    ]);
    const found = crossPartnerAccess(m);
    expect(found).toContainEqual({
      container: "c-one",
      accessor: "991825827",
      owner: "917422575",
      op: "read",
      path: "/d-917422575-0/f",
      by: "rbac",
    });
    // And the writer can delete what the platform put there for the reader: no sticky bit.
    expect(found).toContainEqual({
      container: "c-one",
      accessor: "917422575",
      owner: "991825827",
      op: "delete",
      path: "/f-991825827-0",
      by: "acl",
    });
    expect(findingsIn(m, "azure", "c-one").map((f) => f.kind)).toEqual(["whole-container"]);
  });

  it("two whole-container read-write partners reach each other's files", () => {
    const m = manifestOf([
      partner("917422575", "active", [{ container: "c-one", access: "read-write" }]),
      partner("991825827", "active", [{ container: "c-one", access: "read-write" }]),
    ]);
    expect(crossPartnerAccess(m).map((x) => `${x.accessor}->${x.owner} ${x.op} by ${x.by}`)).toEqual([
      "917422575->991825827 read by rbac",
      "991825827->917422575 read by rbac",
    ]);
  });

  it("a new partner on an offboarded partner's directory reaches the data left there (recursive ACL)", () => {
    const m = manifestOf([
      partner("917422575", "offboarded", [{ container: "c-one", access: "write", path: "a" }]),
      partner("991825827", "active", [{ container: "c-one", access: "read", path: "a" }]),
    ]);
    expect(crossPartnerAccess(m)).toEqual([
      {
        container: "c-one",
        accessor: "991825827",
        owner: "917422575",
        op: "read",
        path: "/a/f-917422575-0",
        by: "acl",
      },
    ]);
    expect(findingsIn(m, "azure", "c-one").map((f) => f.kind)).toEqual(["same-directory"]);
  });

  it("disjoint path grants, and two offboarded partners, reach nothing", () => {
    const m = manifestOf([
      partner("917422575", "active", [{ container: "c-one", access: "read-write", path: "a" }]),
      partner("991825827", "active", [{ container: "c-one", access: "read-write", path: "ab/c" }]),
      partner("910000012", "offboarded", [{ container: "c-two", access: "write" }]),
      partner("123456785", "offboarded", [{ container: "c-two", access: "read", path: "x" }]),
    ]);
    expect(crossPartnerAccess(m)).toEqual([]);
    expect(isolationFindings(m)).toEqual([]);
  });
});

// ---- generated manifests ----

const PATHS = [undefined, "a", "a/b", "a/b/c", "b", "ab"] as const;
const PREFIXES = ["a/", "a/b/", "b/", "ab/"] as const;
const nestedOrSame = (x: string, y: string) => x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);

const azureGrants = fc
  .uniqueArray(
    fc.record({
      container: fc.constantFrom(...CONTAINERS),
      access: fc.constantFrom(...ACCESS_LEVELS),
      path: fc.constantFrom(...PATHS),
    }),
    { maxLength: 3, selector: (g) => `${g.container}/${g.path ?? ""}` },
  )
  // One partner's own nested paths are a different error (the outer grant would overwrite the inner).
  .filter(
    (gs) =>
      !gs.some((g, i) =>
        gs.some(
          (h, j) =>
            i !== j &&
            g.container === h.container &&
            g.path !== undefined &&
            h.path !== undefined &&
            nestedOrSame(g.path, h.path),
        ),
      ),
  )
  .map((gs) => gs.map((g) => (g.path === undefined ? { container: g.container, access: g.access } : g)));

const awsGrants = fc.uniqueArray(
  fc.record({
    bucket: fc.constant(BUCKET),
    prefix: fc.constantFrom(...PREFIXES),
    access: fc.constantFrom(...ACCESS_LEVELS),
  }),
  { maxLength: 2, selector: (g) => g.prefix },
);

const manifestArb = fc
  .record({
    partners: fc.array(
      fc.record({ status: fc.constantFrom(...PARTNER_STATUSES), azure: azureGrants, aws: awsGrants }),
      { minLength: 2, maxLength: 4 },
    ),
    sharedContainers: fc.subarray([...CONTAINERS]),
    sharedBucket: fc.boolean(),
  })
  .map(({ partners, sharedContainers, sharedBucket }) =>
    manifestOf(
      partners.map((p, i) => partner(ORGS[i]!, p.status, p.azure, p.aws)),
      { containers: sharedContainers, bucket: sharedBucket },
    ),
  );

describe("the access model does not depend on the order of the manifest's entries", () => {
  // Found by the property below: the model let only the FIRST whole-container writer pre-create another
  // partner's directory, so a drop-box writer listed after a read-write partner reached nothing there.
  const offboarded = {
    orgNumber: "917422575",
    name: "P 917422575",
    status: "offboarded" as const,
    azure: [{ container: "c-two", access: "read" as const, path: "a/b" }],
    aws: [],
  };
  const readWrite = {
    orgNumber: "991825827",
    name: "P 991825827",
    status: "active" as const,
    azure: [{ container: "c-two", access: "read-write" as const }],
    aws: [],
  };
  const dropBox = {
    orgNumber: "910000012",
    name: "P 910000012",
    status: "active" as const,
    azure: [{ container: "c-two", access: "write" as const }],
    aws: [],
  };
  const containers = [{ name: "c-two", adopt: false, shared: false }];
  const pairs = (partners: (typeof offboarded | typeof readWrite | typeof dropBox)[]) =>
    crossPartnerAccess({ containers, partners })
      .map((x) => `${x.accessor}->${x.owner}`)
      .sort();

  it("either whole-container writer may have created the offboarded partner's directory: both orders, same answer", () => {
    const expected = [
      "910000012->917422575",
      "910000012->991825827",
      "991825827->910000012",
      "991825827->917422575",
    ];
    expect(pairs([offboarded, readWrite, dropBox])).toEqual(expected);
    expect(pairs([offboarded, dropBox, readWrite])).toEqual(expected);
    expect(pairs([dropBox, readWrite, offboarded])).toEqual(expected);
  });
});

describe("validator and access model agree on generated manifests", () => {
  it("Azure: an isolation error in a container that is not shared exactly where the model finds cross-partner access", () => {
    fc.assert(
      fc.property(manifestArb, (m) => {
        const model = crossPartnerAccess(m);
        for (const c of m.containers) {
          const findings = findingsIn(m, "azure", c.name);
          if (c.shared === true) {
            expect(findings).toEqual([]);
            continue;
          }
          const reached = model.filter((x) => x.container === c.name);
          expect(
            findings.length > 0,
            `${c.name}: ${JSON.stringify({ findings: findings.map((f) => f.message), reached })}`,
          ).toBe(reached.length > 0);
          // Every pair the validator names is a pair the model connects, in one direction or the other.
          const pairs = new Set(reached.map((x) => pairKey(x.accessor, x.owner)));
          for (const f of findings) expect(pairs).toContain(pairKey(f.at.who, f.other.who));
        }
      }),
      { numRuns: 300 },
    );
  });

  /** Does IAM let the role of `p` read or write `key`? (iam-simulate on the policy the program generates.) */
  async function reaches(p: Partner, key: string): Promise<boolean> {
    if (p.aws.length === 0) return false;
    const policy = permissionPolicyDocument({
      grants: p.aws,
      buckets: [{ name: BUCKET }],
      region: "eu-north-1",
    });
    for (const action of ["s3:GetObject", "s3:PutObject"]) {
      const r = await runSimulation(
        {
          request: {
            principal: `arn:aws:sts::000000000000:assumed-role/skyporten-test-${p.orgNumber}/s`,
            action,
            resource: { resource: `arn:aws:s3:::${BUCKET}/${key}`, accountId: "000000000000" },
            contextVariables: {},
          },
          identityPolicies: [{ name: "s3", policy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (r.resultType === "single" && r.overallResult === "Allowed") return true;
    }
    return false;
  }

  it("S3: an isolation error in a bucket that is not shared exactly where IAM lets one partner's role reach another's keys", async () => {
    await fc.assert(
      fc.asyncProperty(manifestArb, async (m) => {
        // Each partner's keys: under every granted prefix inside its own prefixes (where it may have written).
        const granted = [...new Set(m.partners.flatMap((p) => p.aws.map((g) => g.prefix)))];
        const pairs = new Set<string>();
        for (const a of m.partners.filter((p) => p.status !== "offboarded")) {
          for (const b of m.partners) {
            if (a === b) continue;
            const keys = b.aws.flatMap((g) =>
              granted.filter((x) => x.startsWith(g.prefix)).map((x) => `${x}f-${b.orgNumber}`),
            );
            for (const key of keys) {
              if (await reaches(a, key)) {
                pairs.add(pairKey(a.orgNumber, b.orgNumber));
                break;
              }
            }
          }
        }
        const findings = findingsIn(m, "aws", BUCKET);
        if (m.buckets[0]!.shared === true) expect(findings).toEqual([]);
        else {
          expect(
            findings.length > 0,
            JSON.stringify({ findings: findings.map((f) => f.message), pairs: [...pairs] }),
          ).toBe(pairs.size > 0);
          for (const f of findings) expect(pairs).toContain(pairKey(f.at.who, f.other.who));
        }
      }),
      { numRuns: 60 },
    );
  });
});
