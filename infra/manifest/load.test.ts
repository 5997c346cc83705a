import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatProblem, loadManifestFile, loadManifestText, MANIFEST_LIMITS, type LoadResult } from "./load";
import { validOrgNumbers } from "../../scripts/lib/generate";
import { ManifestSchema } from "./schema";

/** reviewBy dates are judged against this day, never the real clock. */
const TODAY = new Date("2026-01-01T00:00:00Z");

const load = (text: string): LoadResult => loadManifestText(text, "m.yaml", { today: TODAY });

/**
 * Run `f` and return its result with the CPU time it took, in ms. A guard against hangs, not a benchmark: CPU
 * time rather than wall time, so other processes on a busy machine cannot make the guard fail.
 */
function timed<T>(f: () => T): { value: T; cpuMs: number } {
  const start = process.cpuUsage();
  const value = f();
  const used = process.cpuUsage(start);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}
const lines = (...ls: string[]) => `${ls.join("\n")}\n`;

/** Every error of `text` as `file:line:col path: message`. */
function errorsOf(text: string): string[] {
  const r = load(text);
  if (r.ok) throw new Error(`expected errors, got a valid manifest from:\n${text}`);
  return r.errors.map(formatProblem);
}

function manifestOf(text: string) {
  const r = load(text);
  if (!r.ok) throw new Error(`expected a valid manifest, got:\n${r.errors.map(formatProblem).join("\n")}`);
  return r.manifest;
}

/** One partner (lines 5-7 of the text) with the given extra lines; containers inbound/outbound and one bucket. */
const HEAD = [
  "containers:",
  "  - name: inbound",
  "  - name: outbound",
  "buckets:",
  "  - name: banenor-payload-test",
  "partners:",
];
const partner = (org: string, ...rest: string[]) => [
  `  - orgNumber: "${org}"`,
  "    name: Partner AS",
  ...rest,
];

describe("sample manifests", () => {
  it("stacks/test.yaml loads with every default filled in", () => {
    const r = loadManifestFile("stacks/test.yaml", { today: TODAY });
    expect(r).toEqual({
      ok: true,
      warnings: [],
      manifest: {
        containers: [
          { name: "inbound", adopt: false, shared: true },
          { name: "outbound", adopt: false },
          { name: "entur-exchange", adopt: false },
        ],
        buckets: [{ name: "banenor-payload-test", adopt: false }],
        partners: [
          {
            orgNumber: "917422575",
            name: "Entur AS",
            status: "active",
            contact: "data@entur.example",
            reviewBy: "2027-06-30",
            azure: [{ container: "entur-exchange", access: "read-write" }],
            aws: [{ bucket: "banenor-payload-test", prefix: "entur/", access: "read-write" }],
          },
          {
            orgNumber: "910000012",
            name: "Nordlys Logistikk AS",
            status: "active",
            contact: "integrasjon@nordlys.example",
            azure: [
              { container: "outbound", access: "read", path: "nordlys" },
              { container: "inbound", access: "write" },
            ],
            aws: [],
          },
          {
            orgNumber: "921345674",
            name: "Fjordkraft Data AS",
            status: "active",
            azure: [],
            aws: [{ bucket: "banenor-payload-test", prefix: "fjordkraft/", access: "read" }],
          },
          {
            orgNumber: "934567811",
            name: "Vestland Vedlikehold AS",
            status: "active",
            azure: [{ container: "outbound", access: "read-write", path: "vestland/reports" }],
            aws: [],
          },
          {
            orgNumber: "812345672",
            name: "Banemontasje Nord AS",
            status: "suspended",
            azure: [{ container: "inbound", access: "write" }],
            aws: [],
          },
        ],
      },
    });
  });

  it("stacks/prod.yaml loads", () => {
    const r = loadManifestFile("stacks/prod.yaml", { today: TODAY });
    if (!r.ok) throw new Error(r.errors.map(formatProblem).join("\n"));
    expect(r.warnings).toEqual([]);
    expect(r.manifest.partners.map((p) => [p.orgNumber, p.status, p.azure.length, p.aws.length])).toEqual([
      ["917422575", "active", 1, 1],
      ["910000012", "active", 2, 0],
    ]);
    expect(r.manifest.buckets).toEqual([{ name: "banenor-payload-prod", adopt: false }]);
  });

  it("an empty stack is written partners: []", () => {
    expect(manifestOf("partners: []\n")).toEqual({ containers: [], buckets: [], partners: [] });
  });
});

describe("organization numbers", () => {
  const text = (value: string) => lines("partners:", `  - orgNumber: ${value}`, "    name: A");

  it.each(["917422575", "991825827", "123456785"])("accepts %s", (n) => {
    expect(manifestOf(text(`"${n}"`)).partners[0]!.orgNumber).toBe(n);
  });

  it.each([
    [
      "123456789",
      'organization number "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      "916706573",
      'organization number "916706573" is not a valid organization number: no MOD11 check digit exists for its first eight digits; check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      "91742257",
      'organization number must be exactly 9 digits (got "91742257"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "91742257a",
      'organization number must be exactly 9 digits (got "91742257a"); write the number without spaces, e.g. "917422575"',
    ],
    [
      "917 422 575",
      'organization number must be exactly 9 digits (got "917 422 575"); write the number without spaces, e.g. "917422575"',
    ],
  ])("refuses %j", (n, message) => {
    expect(errorsOf(text(`"${n}"`))).toEqual([`m.yaml:2:16 partners[0].orgNumber: ${message}`]);
  });

  it("tells the user to quote an unquoted number, quoting it as written", () => {
    expect(errorsOf(text("917422575"))).toEqual([
      'm.yaml:2:16 partners[0].orgNumber: organization number must be a quoted string: write orgNumber: "917422575" so YAML keeps it as text',
    ]);
    // YAML reads 012345678 as the number 12345678: the hint must keep the leading zero the user wrote.
    expect(errorsOf(text("012345678"))).toEqual([
      'm.yaml:2:16 partners[0].orgNumber: organization number must be a quoted string: write orgNumber: "012345678" so YAML keeps it as text',
    ]);
  });

  it("refuses a value that is neither text nor number", () => {
    expect(errorsOf(text("[917422575]"))).toEqual([
      'm.yaml:2:16 partners[0].orgNumber: organization number must be a quoted string of 9 digits, e.g. "917422575"',
    ]);
  });

  it("must be unique in the file", () => {
    expect(
      errorsOf(lines("partners:", ...partner("917422575"), ...partner("991825827"), ...partner("917422575"))),
    ).toEqual([
      "m.yaml:6:16 partners[2].orgNumber: organization 917422575 is listed twice (first at partners[0]); merge the two entries",
    ]);
  });

  it("a missing orgNumber is named", () => {
    expect(errorsOf(lines("partners:", "  - name: A"))).toEqual([
      'm.yaml:2:5 partners[0].orgNumber: orgNumber is missing: organization number must be a quoted string of 9 digits, e.g. "917422575"',
    ]);
  });
});

describe("unknown and duplicate keys", () => {
  const unknown = (key: string, allowed: string) =>
    `unknown key "${key}": a misspelt key would silently drop a setting, so it is refused; allowed keys here: ${allowed}`;

  it("at the root", () => {
    // A misspelt "partners" is also a missing one: never "valid (0 partners)".
    expect(errorsOf(lines("containers: []", "partner: []"))).toEqual([
      'm.yaml:1:1 partners: partners is missing: partners must be a list of partner entries ("- orgNumber: ..."); write "partners: []" for a stack without partners',
      `m.yaml:2:1 partner: ${unknown("partner", "containers, buckets, partners")}`,
    ]);
  });

  it("in a container", () => {
    expect(errorsOf(lines("containers:", "  - name: inbound", "    adpot: true", "partners: []"))).toEqual([
      `m.yaml:3:5 containers[0].adpot: ${unknown("adpot", "name, adopt, shared")}`,
    ]);
  });

  it("in a bucket", () => {
    expect(errorsOf(lines("buckets:", "  - name: my-bucket", "    kms: x", "partners: []"))).toEqual([
      `m.yaml:3:5 buckets[0].kms: ${unknown("kms", "name, adopt, shared, kmsKeyArn")}`,
    ]);
  });

  it("in a partner", () => {
    expect(errorsOf(lines(...HEAD, ...partner("917422575", "    stauts: suspended")))).toEqual([
      `m.yaml:9:5 partners[0].stauts: ${unknown("stauts", "orgNumber, name, status, contact, reviewBy, azure, aws")}`,
    ]);
  });

  it("in an azure grant: a misspelt access never silently drops the grant", () => {
    expect(
      errorsOf(
        lines(
          ...HEAD,
          ...partner("917422575", "    azure:", "      - container: inbound", "        acess: write"),
        ),
      ),
    ).toEqual([
      'm.yaml:10:9 partners[0].azure[0].access: access is missing: access must be one of "read", "write", "read-write"',
      `m.yaml:11:9 partners[0].azure[0].acess: ${unknown("acess", "container, access, path")}`,
    ]);
  });

  it("in an aws grant", () => {
    expect(
      errorsOf(
        lines(
          ...HEAD,
          ...partner(
            "917422575",
            "    aws:",
            "      - bucket: banenor-payload-test",
            "        prefix: a/",
            "        access: read",
            "        pth: b",
          ),
        ),
      ),
    ).toEqual([`m.yaml:13:9 partners[0].aws[0].pth: ${unknown("pth", "bucket, prefix, access")}`]);
  });

  it("each unknown key of one mapping gets its own positioned error", () => {
    expect(errorsOf(lines("containers:", "  - name: inbound", "    a: 1", "    b: 2", "partners: []"))).toEqual([
      `m.yaml:3:5 containers[0].a: ${unknown("a", "name, adopt, shared")}`,
      `m.yaml:4:5 containers[0].b: ${unknown("b", "name, adopt, shared")}`,
    ]);
  });

  it("a merge key is not special: it is an unknown key", () => {
    const text = lines(
      "partners:",
      '  - &p { orgNumber: "917422575", name: A }',
      "  - <<: *p",
      '    orgNumber: "991825827"',
    );
    expect(errorsOf(text)).toEqual([
      "m.yaml:3:5 partners[1].name: name is missing: name must be the organization's display name (text)",
      `m.yaml:3:5 partners[1].<<: ${unknown("<<", "orgNumber, name, status, contact, reviewBy, azure, aws")}`,
    ]);
  });

  it("duplicate YAML keys are errors, named by field path", () => {
    const dup = (key: string) =>
      `duplicate key "${key}": a key may appear once per mapping (YAML would otherwise keep only the last value); remove or merge the duplicate`;
    expect(
      errorsOf(
        lines(
          ...HEAD,
          ...partner(
            "917422575",
            "    azure:",
            "      - container: inbound",
            "        access: read",
            "        access: write",
          ),
        ),
      ),
    ).toEqual([`m.yaml:12:9 partners[0].azure[0].access: ${dup("access")}`]);
    expect(errorsOf(lines("partners: []", "containers: []", "partners: []"))).toEqual([
      `m.yaml:3:1 partners: ${dup("partners")}`,
    ]);
  });

  it("keys must be text, not collections", () => {
    expect(errorsOf(lines("? [a]", ": b"))).toEqual([
      "m.yaml:1:3 (document): keys must be plain text, not lists or mappings",
    ]);
  });
});

describe("grants reference what the file declares", () => {
  it("an undeclared container or bucket is an error at the name", () => {
    const text = lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    azure:",
        "      - container: inbund",
        "        access: read",
        "    aws:",
        "      - bucket: banenor-payload-tst",
        "        prefix: a/",
        "        access: read",
      ),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:10:20 partners[0].azure[0].container: container "inbund" is not declared under containers; declare it or fix the name',
      'm.yaml:13:17 partners[0].aws[0].bucket: bucket "banenor-payload-tst" is not declared under buckets; declare it or fix the name',
    ]);
  });

  it("a container or bucket declared twice is an error", () => {
    expect(
      errorsOf(
        lines(
          "containers:",
          "  - name: inbound",
          "  - name: inbound",
          "buckets:",
          "  - name: b-1",
          "  - name: b-1",
          "partners: []",
        ),
      ),
    ).toEqual([
      'm.yaml:3:11 containers[1].name: container "inbound" is declared twice (first at containers[0]); remove one',
      'm.yaml:6:11 buckets[1].name: bucket "b-1" is declared twice (first at buckets[0]); remove one',
    ]);
  });

  it("the same grant twice is an error (a trailing slash on a path makes no difference)", () => {
    const text = lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    azure:",
        "      - { container: outbound, access: read, path: a }",
        "      - { container: outbound, access: read, path: a/ }",
        "      - { container: inbound, access: write }",
        "      - { container: inbound, access: write }",
        "    aws:",
        "      - { bucket: banenor-payload-test, prefix: a/, access: read }",
        "      - { bucket: banenor-payload-test, prefix: a/, access: read }",
      ),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:11:9 partners[0].azure[1]: the same grant on path "a" of container "outbound" is listed twice (first at azure[0]); remove one',
      'm.yaml:13:9 partners[0].azure[3]: the same grant on container "inbound" is listed twice (first at azure[2]); remove one',
      'm.yaml:16:9 partners[0].aws[1]: the same grant on prefix "a/" of bucket "banenor-payload-test" is listed twice (first at aws[0]); remove one',
    ]);
  });

  it("two grants of one partner on the same container and path with different access are an error", () => {
    const text = lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    azure:",
        "      - { container: outbound, access: read, path: a }",
        "      - { container: outbound, access: write, path: a }",
        "    aws:",
        "      - { bucket: banenor-payload-test, prefix: a/, access: read }",
        "      - { bucket: banenor-payload-test, prefix: a/, access: read-write }",
      ),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:11:40 partners[0].azure[1].access: two grants on path "a" of container "outbound" with different access ("read" at azure[0] and "write"); keep one grant with the access the partner needs',
      'm.yaml:14:61 partners[0].aws[1].access: two grants on prefix "a/" of bucket "banenor-payload-test" with different access ("read" at aws[0] and "read-write"); keep one grant with the access the partner needs',
    ]);
  });

  it("grants on different paths of one container, or the same path of two containers, are fine", () => {
    const m = manifestOf(
      lines(
        ...HEAD,
        ...partner(
          "917422575",
          "    azure:",
          "      - { container: outbound, access: read, path: a }",
          "      - { container: outbound, access: write, path: b }",
          "      - { container: inbound, access: write, path: a }",
          "      - { container: outbound, access: read }",
        ),
      ),
    );
    expect(m.partners[0]!.azure).toHaveLength(4);
  });
});

describe("isolation between partners", () => {
  const grant = (container: string, p?: string, access = "read") => [
    p === undefined
      ? `      - { container: ${container}, access: ${access} }`
      : `      - { container: ${container}, access: ${access}, path: ${p} }`,
  ];
  const azurePartner = (org: string, status: string, ...grants: string[][]) => [
    ...partner(org, `    status: ${status}`, "    azure:"),
    ...grants.flat(),
  ];
  const notShared = (c: string, what = "path or container") =>
    `Container "${c}" is not shared: give each partner its own ${what}, or add "shared: true" to it if these partners may see each other's files`;
  const nestedIn = (inner: string, innerOrg: string, outer: string, outerOrg: string) =>
    `path "${inner}" of container "outbound" (${innerOrg}) lies inside path "${outer}" of container "outbound" granted to ${outerOrg}`;

  it("a path inside another partner's path is an error, naming both partners and the fix", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a")),
      ...azurePartner("991825827", "active", grant("outbound", "a/b")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:52 partners[1].azure[0].path: ${nestedIn("a/b", "organization 991825827", "a", "organization 917422575")}: the grant of organization 917422575 covers "a/b" (its default ACL and recursive update); organization 991825827 reaches whatever organization 917422575 keeps in "a/b". ${notShared("outbound")}`,
    ]);
  });

  it("one partner's nested paths in one container are an error (the outer grant would overwrite the inner)", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a"), grant("outbound", "a/b")),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:12:52 partners[0].azure[1].path: path "a/b" lies inside path "a" (azure[0]) of the same partner in container "outbound"; keep one grant on "a" with the access the partner needs',
    ]);
  });

  it("the outer path may come second: the inner one gets the error", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a/b/c")),
      ...azurePartner("991825827", "active", grant("outbound", "a")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:11:52 partners[0].azure[0].path: ${nestedIn("a/b/c", "organization 917422575", "a", "organization 991825827")}: the grant of organization 991825827 covers "a/b/c" (its default ACL and recursive update); organization 917422575 reaches whatever organization 991825827 keeps in "a/b/c". ${notShared("outbound")}`,
    ]);
  });

  it("the same path granted to two partners is an error on the later one", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a")),
      ...azurePartner("991825827", "active", grant("outbound", "a")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:52 partners[1].azure[0].path: path "a" of container "outbound" (organization 991825827) is also granted to organization 917422575: each can reach the other's files there. ${notShared("outbound")}`,
    ]);
  });

  it("a sibling whose name extends another's is not inside it", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a")),
      ...azurePartner("991825827", "active", grant("outbound", "ab"), grant("outbound", "b/a")),
    );
    expect(manifestOf(text).partners).toHaveLength(2);
  });

  it("sibling paths of one partner, paths in different containers, and two offboarded partners are fine", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a"), grant("outbound", "ab/b")),
      ...azurePartner("991825827", "active", grant("inbound", "a")),
      ...azurePartner("123456785", "offboarded", grant("outbound", "x/b/c")),
      ...azurePartner("910000012", "offboarded", grant("outbound", "x")),
    );
    expect(manifestOf(text).partners).toHaveLength(4);
  });

  it("an offboarded partner's directory still holds its data: a new grant on or around it is an error", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("123456785", "offboarded", grant("outbound", "a/b")),
      ...azurePartner("917422575", "active", grant("outbound", "a/b")),
      ...azurePartner("991825827", "active", grant("outbound", "a/b/c")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:52 partners[1].azure[0].path: path "a/b" of container "outbound" (organization 917422575) is also granted to organization 123456785: organization 123456785 is offboarded, but its files stay and organization 917422575 reaches them. ${notShared("outbound")}`,
      `m.yaml:21:52 partners[2].azure[0].path: ${nestedIn("a/b/c", "organization 991825827", "a/b", "organization 123456785")}: organization 991825827 reaches whatever organization 123456785 keeps in "a/b/c"; organization 123456785 is offboarded, but its files stay. ${notShared("outbound")}`,
    ]);
  });

  it("a suspended partner still holds its path (it may be reinstated)", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "suspended", grant("outbound", "a")),
      ...azurePartner("991825827", "active", grant("outbound", "a/b")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:52 partners[1].azure[0].path: ${nestedIn("a/b", "organization 991825827", "a", "organization 917422575")}: the grant of organization 917422575 covers "a/b" (its default ACL and recursive update); organization 991825827 reaches whatever organization 917422575 keeps in "a/b". ${notShared("outbound")}`,
    ]);
  });

  it("a drop box written by one partner and read by another (whole container) is an error", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("inbound", undefined, "write")),
      ...azurePartner("991825827", "active", grant("inbound", undefined, "read")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:9 partners[1].azure[0]: organization 991825827 (read on container "inbound") and organization 917422575 (write on container "inbound") share container "inbound": organization 917422575 can delete and replace every file in the container, organization 991825827's included (a drop box has no sticky bit); organization 991825827 reads every file in the container, organization 917422575's included (RBAC is evaluated before ACLs). ${notShared("inbound")}`,
    ]);
  });

  it("two whole-container read-write partners, and two drop-box writers, are errors", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("inbound", undefined, "read-write"), grant("outbound", undefined, "write")),
      ...azurePartner("991825827", "active", grant("inbound", undefined, "read-write"), grant("outbound", undefined, "write")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:17:9 partners[1].azure[0]: organization 991825827 (read-write on container "inbound") and organization 917422575 (read-write on container "inbound") share container "inbound": organization 917422575 can read, replace and delete every file in the container, organization 991825827's included (RBAC is evaluated before ACLs); organization 991825827 can read, replace and delete every file in the container, organization 917422575's included (RBAC is evaluated before ACLs). ${notShared("inbound")}`,
      `m.yaml:18:9 partners[1].azure[1]: organization 991825827 (write on container "outbound") and organization 917422575 (write on container "outbound") share container "outbound": organization 917422575 can delete and replace every file in the container, organization 991825827's included (a drop box has no sticky bit); organization 991825827 can delete and replace every file in the container, organization 917422575's included (a drop box has no sticky bit). ${notShared("outbound")}`,
    ]);
  });

  it("a whole-container grant beside another partner's path grant is an error, in either order", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422575", "active", grant("outbound", "a", "write")),
      ...azurePartner("991825827", "suspended", grant("outbound", undefined, "read")),
    );
    expect(errorsOf(text)).toEqual([
      `m.yaml:16:9 partners[1].azure[0]: organization 991825827 (read on container "outbound") and organization 917422575 (write on path "a" of container "outbound") share container "outbound": organization 917422575 reaches whatever organization 991825827 put in "a"; organization 991825827 reads every file in the container, organization 917422575's included (RBAC is evaluated before ACLs). ${notShared("outbound")}`,
    ]);
  });

  it("shared: true allows partners to see each other's files, except nested paths the ACL plan cannot apply", () => {
    const text = lines(
      "containers:",
      "  - name: inbound",
      "    shared: true",
      "partners:",
      ...azurePartner("917422575", "active", grant("inbound", undefined, "write"), grant("inbound", "x", "read")),
      ...azurePartner("991825827", "active", grant("inbound", undefined, "read-write")),
      ...azurePartner("910000012", "active", grant("inbound", "x", "read")),
      ...azurePartner("123456785", "active", grant("inbound", "x/y", "read")),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:25:51 partners[3].azure[0].path: path "x/y" of container "inbound" (organization 123456785) lies inside path "x" of container "inbound" granted to organization 917422575: even in a shared container one partner\'s recursive ACL cannot be applied inside another\'s directory; grant both the same directory or disjoint ones',
    ]);
  });

  it("a shared path holds at most 28 partners (ADLS named ACL entries)", () => {
    const orgs = validOrgNumbers(29, 10_000_000);
    const data = {
      containers: [{ name: "outbound", shared: true }],
      partners: orgs.map((o) => ({ orgNumber: o, name: "P", azure: [{ container: "outbound", access: "read", path: "common" }] })),
    };
    const r = ManifestSchema.safeParse(data);
    expect(r.success ? [] : r.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "partners.28.azure.0.path",
        'path "common" of container "outbound" is granted to more than 28 partners; ADLS Gen2 allows 28 named ACL entries per path: grant the others a whole-container access or another directory',
      ],
    ]);
    expect(ManifestSchema.safeParse({ ...data, partners: data.partners.slice(0, 28) }).success).toBe(true);
  });

  it("an S3 prefix inside another partner's prefix is an error; a sibling prefix is not; a shared bucket allows it", () => {
    const aws = (org: string, ...prefixes: string[]) => [
      ...partner(org, "    aws:"),
      ...prefixes.map((p) => `      - { bucket: banenor-payload-test, prefix: ${p}, access: read }`),
    ];
    expect(errorsOf(lines(...HEAD, ...aws("917422575", "a/"), ...aws("991825827", "a/b/", "ab/")))).toEqual([
      `m.yaml:14:49 partners[1].aws[0].prefix: prefix "a/b/" of bucket "banenor-payload-test" (organization 991825827) lies inside prefix "a/" of bucket "banenor-payload-test" granted to organization 917422575: the grant of organization 917422575 covers "a/b" (its key pattern); organization 991825827 reaches whatever organization 917422575 keeps in "a/b". Bucket "banenor-payload-test" is not shared: give each partner its own prefix, or add "shared: true" to it if these partners may see each other's files`,
    ]);
    const shared = HEAD.map((l) => (l === "  - name: banenor-payload-test" ? "  - { name: banenor-payload-test, shared: true }" : l));
    expect(manifestOf(lines(...shared, ...aws("917422575", "a/"), ...aws("991825827", "a/b/", "a/"))).partners).toHaveLength(2);
  });

  it("a partner whose org number is invalid is still checked, and named by its entry", () => {
    const text = lines(
      ...HEAD,
      ...azurePartner("917422576", "active", grant("outbound", "a")),
      ...azurePartner("991825827", "active", grant("outbound", "a/b")),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:7:16 partners[0].orgNumber: organization number "917422576" has a wrong MOD11 check digit (expected 5, got 6); check the number in the Central Coordinating Register (Enhetsregisteret)',
      `m.yaml:16:52 partners[1].azure[0].path: ${nestedIn("a/b", "organization 991825827", "a", "partners[0]")}: the grant of partners[0] covers "a/b" (its default ACL and recursive update); organization 991825827 reaches whatever partners[0] keeps in "a/b". ${notShared("outbound")}`,
    ]);
  });

  it("scales: 10,000 path grants and 5,000 whole-container readers of a shared container are checked in well under the guard time", () => {
    // Comparing every pair of grants took 11 s for these 10,000 (and 25 s for 20,000 partners of one grant
    // each, a manifest well under the 4 MB limit).
    const orgs = validOrgNumbers(5000, 10_000_000);
    const data = {
      containers: [{ name: "outbound" }, { name: "reference", shared: true }],
      partners: orgs.map((o, i) => ({
        orgNumber: o,
        name: "P",
        azure: [
          { container: "reference", access: "read" },
          ...(i < 100
            ? Array.from({ length: 100 }, (_, k) => ({ container: "outbound", access: "read", path: `p/${o}/d${k}` }))
            : []),
        ],
      })),
    };
    const { value: r, cpuMs } = timed(() => ManifestSchema.safeParse(data));
    expect(cpuMs).toBeLessThan(3000);
    expect(r.success).toBe(true);
    // One nested grant among them is still found.
    (data.partners[99]!.azure[100] as { path: string }).path = `p/${orgs[0]}/d0/x`;
    const bad = ManifestSchema.safeParse(data);
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join("."))).toEqual(["partners.99.azure.100.path"]);
  });
});

describe("container and bucket names", () => {
  const containerText = (name: string) => lines("containers:", `  - name: "${name}"`, "partners: []");
  const bucketText = (name: string) => lines("buckets:", `  - name: "${name}"`, "partners: []");

  it.each(["abc", "inbound", "entur-exchange", "1ab", "a-1-b", "a".repeat(63)])(
    "container %j is valid",
    (name) => {
      expect(manifestOf(containerText(name)).containers).toEqual([{ name, adopt: false }]);
    },
  );

  it.each([
    ["ab", "must be 3-63 characters long (got 2)"],
    ["a".repeat(64), "must be 3-63 characters long (got 64)"],
    ["Inbound", "may contain only lowercase letters, digits and hyphens"],
    ["in_bound", "may contain only lowercase letters, digits and hyphens"],
    ["in.bound", "may contain only lowercase letters, digits and hyphens"],
    ["-inbound", "must start and end with a letter or digit"],
    ["inbound-", "must start and end with a letter or digit"],
    ["in--bound", "must not contain two hyphens in a row"],
  ])("container %j is refused", (name, problem) => {
    expect(errorsOf(containerText(name))).toEqual([
      `m.yaml:2:11 containers[0].name: container name ${problem}`,
    ]);
  });

  it.each(["abc", "banenor-payload-test", "my.bucket-1", "a.b.c", "1bucket", "a".repeat(63)])(
    "bucket %j is valid",
    (name) => {
      expect(manifestOf(bucketText(name)).buckets).toEqual([{ name, adopt: false }]);
    },
  );

  it.each([
    ["ab", "must be 3-63 characters long (got 2)"],
    ["a".repeat(64), "must be 3-63 characters long (got 64)"],
    ["My-bucket", "may contain only lowercase letters, digits, dots and hyphens"],
    ["my_bucket", "may contain only lowercase letters, digits, dots and hyphens"],
    ["-bucket", "must start and end with a letter or digit"],
    ["bucket.", "must start and end with a letter or digit"],
    ["my..bucket", "must not contain two adjacent dots"],
    ["192.168.5.4", "must not be formatted as an IP address"],
    ["xn--bucket", 'must not start with the reserved prefix "xn--"'],
    ["sthree-bucket", 'must not start with the reserved prefix "sthree-"'],
    ["amzn-s3-demo-bucket", 'must not start with the reserved prefix "amzn-s3-demo-"'],
    ["bucket-s3alias", 'must not end with the reserved suffix "-s3alias"'],
    ["bucket--ol-s3", 'must not end with the reserved suffix "--ol-s3"'],
    ["bucket.mrap", 'must not end with the reserved suffix ".mrap"'],
    ["bucket--x-s3", 'must not end with the reserved suffix "--x-s3"'],
    ["bucket--table-s3", 'must not end with the reserved suffix "--table-s3"'],
  ])("bucket %j is refused", (name, problem) => {
    expect(errorsOf(bucketText(name))).toEqual([`m.yaml:2:11 buckets[0].name: bucket name ${problem}`]);
  });

  it("adopt and kmsKeyArn are checked", () => {
    expect(
      errorsOf(
        lines(
          "containers:",
          "  - name: inbound",
          '    adopt: "yes"',
          "buckets:",
          "  - name: my-bucket",
          "    kmsKeyArn: key-1",
          "partners: []",
        ),
      ),
    ).toEqual([
      "m.yaml:3:12 containers[0].adopt: adopt must be true or false",
      "m.yaml:6:16 buckets[0].kmsKeyArn: kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
    ]);
    const arn = "arn:aws:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(
      manifestOf(lines("buckets:", "  - name: my-bucket", "    adopt: true", `    kmsKeyArn: ${arn}`, "partners: []"))
        .buckets,
    ).toEqual([{ name: "my-bucket", adopt: true, kmsKeyArn: arn }]);
  });
});

describe("paths and prefixes", () => {
  const azureText = (p: string) =>
    lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    azure:",
        "      - container: outbound",
        "        access: read",
        `        path: ${p}`,
      ),
    );
  const awsText = (p: string) =>
    lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    aws:",
        "      - bucket: banenor-payload-test",
        "        access: read",
        `        prefix: ${p}`,
      ),
    );

  it.each([
    ["a", "a"],
    ["a/", "a"],
    ["a/b/c", "a/b/c"],
    ["'a/b/'", "a/b"],
    ["Entur_2024.v1-x", "Entur_2024.v1-x"],
    ["a..b", "a..b"],
  ])("path %s is accepted and normalised to %j", (written, normal) => {
    expect(manifestOf(azureText(written)).partners[0]!.azure).toEqual([
      { container: "outbound", access: "read", path: normal },
    ]);
  });

  it.each([
    ['"/a"', 'must be relative: remove the leading "/" (write "a")'],
    ['"/"', 'must name a directory; remove "path" to grant the whole container'],
    ['"//"', "must name a directory, not the root"],
    ['"a//b"', 'must not contain empty segments ("//")'],
    ['"a//"', 'must not contain empty segments ("//")'],
    ['"./a"', 'must not contain "." or ".." segments'],
    ['"a/../b"', 'must not contain "." or ".." segments'],
    ['".."', 'must not contain "." or ".." segments'],
    ['"a/*"', "must not contain wildcards (* ? [ ] { }): grants are exact directories"],
    ['"a?"', "must not contain wildcards (* ? [ ] { }): grants are exact directories"],
    ['"a/[b]"', "must not contain wildcards (* ? [ ] { }): grants are exact directories"],
    ['"a\\\\b"', 'must use "/" as separator, not "\\"'],
    ['""', 'must name a directory; remove "path" to grant the whole container'],
    ['"a b"', 'segment "a b" may contain only letters, digits, ".", "_" and "-"'],
    ['"æøå"', 'segment "æøå" may contain only letters, digits, ".", "_" and "-"'],
    [`"${"a/".repeat(513)}b"`, "must be at most 1024 characters long"],
  ])("path %s is refused", (written, problem) => {
    expect(errorsOf(azureText(written))).toEqual([`m.yaml:12:15 partners[0].azure[0].path: path ${problem}`]);
  });

  it.each(["a/", "a/b/", "entur/2024/"])("prefix %s is accepted as written", (p) => {
    expect(manifestOf(awsText(p)).partners[0]!.aws).toEqual([
      { bucket: "banenor-payload-test", access: "read", prefix: p },
    ]);
  });

  it.each([
    ["a", 'must end with "/" (write "a/") so that "abc/" can never match "abcd/"'],
    ['"/a/"', 'must be relative: remove the leading "/" (write "a")'],
    ['"a//"', 'must not contain empty segments ("//")'],
    ['"./a/"', 'must not contain "." or ".." segments'],
    ['"a/*/"', "must not contain wildcards (* ? [ ] { }): grants are exact directories"],
    ['"a\\\\b/"', 'must use "/" as separator, not "\\"'],
    ['""', 'must name a directory such as "partner/"; the whole bucket cannot be granted'],
    ['"/"', 'must name a directory such as "partner/"; the whole bucket cannot be granted'],
  ])("prefix %s is refused", (written, problem) => {
    expect(errorsOf(awsText(written))).toEqual([`m.yaml:12:17 partners[0].aws[0].prefix: prefix ${problem}`]);
  });

  it("a prefix is required", () => {
    expect(
      errorsOf(
        lines(
          ...HEAD,
          ...partner("917422575", "    aws:", "      - bucket: banenor-payload-test", "        access: read"),
        ),
      ),
    ).toEqual(["m.yaml:10:9 partners[0].aws[0].prefix: prefix is missing: prefix must be a string"]);
  });
});

describe("access, status and other partner fields", () => {
  it.each(["read", "write", "read-write"] as const)("access %s is accepted", (access) => {
    const m = manifestOf(
      lines(
        ...HEAD,
        ...partner("917422575", "    azure:", "      - container: inbound", `        access: ${access}`),
      ),
    );
    expect(m.partners[0]!.azure).toEqual([{ container: "inbound", access }]);
  });

  it.each(["readwrite", "Read", "rw", "admin"])("access %s is refused", (access) => {
    expect(
      errorsOf(
        lines(
          ...HEAD,
          ...partner("917422575", "    azure:", "      - container: inbound", `        access: ${access}`),
        ),
      ),
    ).toEqual([
      'm.yaml:11:17 partners[0].azure[0].access: access must be one of "read", "write", "read-write"',
    ]);
  });

  it("status defaults to active; suspended and offboarded are accepted", () => {
    const m = manifestOf(
      lines(
        "partners:",
        ...partner("917422575"),
        ...partner("991825827", "    status: suspended"),
        ...partner("123456785", "    status: offboarded"),
      ),
    );
    expect(m.partners.map((p) => p.status)).toEqual(["active", "suspended", "offboarded"]);
  });

  it.each(["deleted", "Active", "inactive"])("status %s is refused", (status) => {
    expect(errorsOf(lines("partners:", ...partner("917422575", `    status: ${status}`)))).toEqual([
      'm.yaml:4:13 partners[0].status: status must be one of "active", "suspended", "offboarded"',
    ]);
  });

  it("name and contact must be non-empty text", () => {
    expect(
      errorsOf(lines("partners:", '  - orgNumber: "917422575"', '    name: "  "', '    contact: ""')),
    ).toEqual([
      "m.yaml:3:11 partners[0].name: name must not be empty",
      "m.yaml:4:14 partners[0].contact: contact must not be empty; remove the key if there is no contact",
    ]);
  });

  it("name and contact are trimmed", () => {
    const m = manifestOf(
      lines(
        "partners:",
        '  - orgNumber: "917422575"',
        '    name: "  Entur AS "',
        "    contact: ' data@entur.example '",
      ),
    );
    expect([m.partners[0]!.name, m.partners[0]!.contact]).toEqual(["Entur AS", "data@entur.example"]);
  });

  it("lists that are null or not lists name the fix", () => {
    expect(
      errorsOf(
        lines("containers:", "buckets: {}", "partners:", ...partner("917422575", "    azure: inbound")),
      ),
    ).toEqual([
      'm.yaml:1:12 containers: containers must be a list such as "- name: inbound"; write "containers: []" for none',
      'm.yaml:2:10 buckets: buckets must be a list such as "- name: my-bucket"; write "buckets: []" for none',
      'm.yaml:6:12 partners[0].azure: azure must be a list of grants ("- container: ..."); remove the key for none',
    ]);
  });

  it("a document that is not a mapping names the fix", () => {
    expect(errorsOf("- a\n")).toEqual([
      "m.yaml:1:1 (document): the manifest must be a mapping with the keys containers, buckets and partners",
    ]);
  });

  it("a partner entry that is not a mapping names the fix", () => {
    expect(errorsOf(lines("partners:", "  - 917422575"))).toEqual([
      'm.yaml:2:5 partners[0]: each partner must be a mapping with at least orgNumber and name, such as orgNumber: "917422575"',
    ]);
  });
});

describe("reviewBy", () => {
  const text = (date: string, status = "active") =>
    lines("partners:", ...partner("917422575", `    status: ${status}`, `    reviewBy: ${date}`));

  it("is fine more than 30 days ahead", () => {
    const r = load(text("2026-02-01"));
    expect(r.ok && r.warnings).toEqual([]);
    expect(r.ok && r.manifest.partners[0]!.reviewBy).toBe("2026-02-01");
  });

  it.each([
    ["2026-01-31", 30],
    ["2026-01-02", 1],
    ["2026-01-01", 0],
  ])("warns within 30 days (%s)", (date, days) => {
    const r = load(text(date));
    expect(r.ok).toBe(true);
    expect(r.warnings.map(formatProblem)).toEqual([
      `m.yaml:5:15 partners[0].reviewBy: warning: review of organization 917422575 is due ${date} (in ${days} days)`,
    ]);
  });

  it("is an error once past", () => {
    expect(errorsOf(text("2025-12-31"))).toEqual([
      "m.yaml:5:15 partners[0].reviewBy: review of organization 917422575 was due 2025-12-31; review the access, then set a new reviewBy date or offboard the partner",
    ]);
  });

  it("an offboarded partner's date is not judged", () => {
    expect(load(text("2020-01-01", "offboarded"))).toMatchObject({ ok: true, warnings: [] });
  });

  it("is judged against the given day, not the clock", () => {
    const r = loadManifestText(text("2026-01-01"), "m.yaml", { today: new Date("2026-01-02T23:59:59Z") });
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      "review of organization 917422575 was due 2026-01-01; review the access, then set a new reviewBy date or offboard the partner",
    ]);
  });

  it.each([
    ["2026-02-30", 'reviewBy "2026-02-30" is not a calendar date'],
    ["2026-1-5", "reviewBy must be a date written YYYY-MM-DD, e.g. 2027-06-30"],
    ["tomorrow", "reviewBy must be a date written YYYY-MM-DD, e.g. 2027-06-30"],
    ["20260105", "reviewBy must be a date written YYYY-MM-DD, e.g. 2027-06-30"],
  ])("%s is refused", (date, message) => {
    expect(errorsOf(text(date))).toEqual([`m.yaml:5:15 partners[0].reviewBy: ${message}`]);
  });

  it("a YAML 1.1 timestamp is read as its date", () => {
    const r = load(`%YAML 1.1\n---\n${text("2026-01-20")}`);
    expect(r.ok && r.manifest.partners[0]!.reviewBy).toBe("2026-01-20");
    expect(r.warnings.map((w) => w.message)).toEqual([
      "review of organization 917422575 is due 2026-01-20 (in 19 days)",
    ]);
  });
});

describe("all errors of a file come at once", () => {
  it("five distinct errors give five problems in file order", () => {
    const text = lines(
      "containers:",
      "  - name: In-bound",
      "partners:",
      '  - orgNumber: "123456789"',
      "    name: A",
      "    azure:",
      "      - container: outbound",
      "        access: read",
      '  - orgNumber: "991825827"',
      "    name: B",
      "    reviewBy: 2025-06-30",
      "    aws:",
      "      - bucket: b-1",
      "        prefix: b",
      "        access: read",
    );
    expect(errorsOf(text)).toEqual([
      "m.yaml:2:11 containers[0].name: container name may contain only lowercase letters, digits and hyphens",
      'm.yaml:4:16 partners[0].orgNumber: organization number "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
      'm.yaml:7:20 partners[0].azure[0].container: container "outbound" is not declared under containers; declare it or fix the name',
      "m.yaml:11:15 partners[1].reviewBy: review of organization 991825827 was due 2025-06-30; review the access, then set a new reviewBy date or offboard the partner",
      'm.yaml:14:17 partners[1].aws[0].prefix: prefix must end with "/" (write "b/") so that "abc/" can never match "abcd/"',
    ]);
  });

  it("a partner with one invalid field still gets its grants checked", () => {
    const text = lines(
      ...HEAD,
      ...partner(
        "917422575",
        "    contatc: x",
        "    azure:",
        "      - container: nope",
        "        access: read",
      ),
    );
    expect(errorsOf(text)).toEqual([
      'm.yaml:9:5 partners[0].contatc: unknown key "contatc": a misspelt key would silently drop a setting, so it is refused; allowed keys here: orgNumber, name, status, contact, reviewBy, azure, aws',
      'm.yaml:11:20 partners[0].azure[0].container: container "nope" is not declared under containers; declare it or fix the name',
    ]);
  });
});

describe("hostile or broken input is refused quickly with a clear message", () => {
  /** Run the loader and return its only error; fail when it takes more than the guard time. */
  function refused(text: string): string {
    const { value: r, cpuMs } = timed(() => load(text));
    expect(cpuMs).toBeLessThan(2000);
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors.map(formatProblem);
    expect(errors).toHaveLength(1);
    return errors[0]!;
  }

  it("an alias bomb (billion laughs)", () => {
    const levels = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(", ")}]`,
      );
    }
    expect(refused(lines(...levels))).toBe(
      "m.yaml:1:1 (document): too many YAML aliases (more than 100 values through aliases); write entries out instead of using anchors",
    );
  });

  it("a file over the size limit, before parsing it", () => {
    const text = `partners: []\n# ${"x".repeat(5 * 1024 * 1024)}\n`;
    expect(refused(text)).toBe(
      `m.yaml:1:1 (document): the manifest is ${Buffer.byteLength(text)} bytes, more than the ${MANIFEST_LIMITS.maxBytes} allowed; split stacks or check that the right file was given`,
    );
  });

  it.each([
    ["10,000 nested [", "[".repeat(10_000)],
    ["10,000 nested [ ] closed", `${"[".repeat(10_000)}${"]".repeat(10_000)}`],
    ["10,000 nested {", `${"{a: ".repeat(10_000)}${"}".repeat(10_000)}`],
    ["10,000 nested compact sequences", `${"- ".repeat(10_000)}x`],
    ["1,500 nested block mappings", Array.from({ length: 1500 }, (_, i) => `${" ".repeat(i)}a:`).join("\n")],
  ])("%s", (_name, text) => {
    expect(refused(text)).toMatch(
      /^m\.yaml:\d+:\d+ \(document\): collections are nested deeper than 32 levels; a manifest needs 4: check the brackets and indentation$/,
    );
  });

  it("nesting just over the limit is refused at the collection that crosses it", () => {
    expect(refused(`partners: ${"[".repeat(32)}${"]".repeat(32)}`)).toBe(
      "m.yaml:1:42 (document): collections are nested deeper than 32 levels; a manifest needs 4: check the brackets and indentation",
    );
  });

  it("an alias to an anchor not yet defined", () => {
    expect(refused(lines("containers: *c", "buckets: &c []"))).toBe(
      'm.yaml:1:13 containers: alias "*c" refers to no anchor "&c" defined before it; define the anchor first or write the value out',
    );
  });

  it("an alias inside the collection it refers to", () => {
    expect(refused(lines("partners: &p", "  - *p"))).toBe(
      'm.yaml:2:5 partners[0]: alias "*p" lies inside the collection it refers to; a manifest cannot contain itself',
    );
  });

  it("several YAML documents", () => {
    expect(refused(lines("partners: []", "---", "partners: []"))).toBe(
      'm.yaml:2:1 (document): the manifest must be a single YAML document: remove the "---" separator and merge what follows into one document',
    );
  });

  it("YAML syntax errors keep yaml's message and position", () => {
    expect(refused(lines("partners:", "\t- a"))).toBe(
      "m.yaml:2:1 (document): Tabs are not allowed as indentation",
    );
  });

  it("a few aliases are fine", () => {
    const m = manifestOf(
      lines(
        "containers:",
        "  - &c { name: inbound }",
        "partners:",
        ...partner("917422575", "    azure:", "      - { container: inbound, access: read }"),
      ),
    );
    expect(m.containers).toEqual([{ name: "inbound", adopt: false }]);
  });
});

describe("loadManifestFile", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reports a missing file", () => {
    const file = path.join(dir, "nope.yaml");
    expect(loadManifestFile(file)).toEqual({
      ok: false,
      warnings: [],
      errors: [
        {
          severity: "error",
          file,
          line: 1,
          col: 1,
          path: "",
          message: `cannot read manifest file "${file}": it does not exist; pass the path of stacks/<stack>.yaml`,
        },
      ],
    });
  });

  it("reports a directory", () => {
    expect(loadManifestFile(dir)).toMatchObject({
      ok: false,
      errors: [{ message: `"${dir}" is not a file; pass the path of stacks/<stack>.yaml` }],
    });
  });

  it("refuses a large file without reading it", () => {
    const file = path.join(dir, "big.yaml");
    fs.writeFileSync(file, "");
    fs.truncateSync(file, 50 * 1024 * 1024);
    const { value: r, cpuMs } = timed(() => loadManifestFile(file));
    expect(cpuMs).toBeLessThan(2000);
    expect(r.ok ? [] : r.errors.map(formatProblem)).toEqual([
      `${file}:1:1 (document): the manifest is ${50 * 1024 * 1024} bytes, more than the ${MANIFEST_LIMITS.maxBytes} allowed; split stacks or check that the right file was given`,
    ]);
  });

  it("names the file in every problem", () => {
    const file = path.join(dir, "bad.yaml");
    fs.writeFileSync(file, lines("partners:", '  - orgNumber: "123456789"', "    name: A"));
    const r = loadManifestFile(file);
    expect(r.ok ? [] : r.errors.map(formatProblem)).toEqual([
      `${file}:2:16 partners[0].orgNumber: organization number "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)`,
    ]);
  });
});

describe("truncated, emptied and re-encoded files", () => {
  const empty = (what: string) =>
    `m.yaml:1:1 (document): the manifest is empty (${what}); an emptied or truncated file would remove every partner's access: restore it, or write "partners: []" for a stack without partners`;

  it.each([
    ["", "no content"],
    ["\n\n", "no content"],
    ["# all partners removed\n# by mistake\n", "only comments or a null value"],
    ["null\n", "only comments or a null value"],
    ["~\n", "only comments or a null value"],
    ["---\n", "only comments or a null value"],
  ])("%j is an error, never a valid manifest of 0 partners", (text, what) => {
    expect(errorsOf(text)).toEqual([empty(what)]);
  });

  it("a mapping without a partners key is an error", () => {
    expect(errorsOf(lines("containers:", "  - name: inbound"))).toEqual([
      'm.yaml:1:1 partners: partners is missing: partners must be a list of partner entries ("- orgNumber: ..."); write "partners: []" for a stack without partners',
    ]);
  });

  const sample = fs.readFileSync("stacks/test.yaml", "utf8");
  const reference = loadManifestText(sample, "m.yaml", { today: TODAY });

  it.each([
    ["CR only", (t: string) => t.replace(/\n/g, "\r")],
    ["CRLF", (t: string) => t.replace(/\n/g, "\r\n")],
    ["mixed", (t: string) => t.split("\n").map((l, i) => l + ["\n", "\r\n", "\r"][i % 3]).join("")],
  ])("the sample saved with %s line endings reads as the same manifest", (_name, convert) => {
    expect(reference.ok).toBe(true);
    expect(loadManifestText(convert(sample), "m.yaml", { today: TODAY })).toEqual(reference);
  });

  it("errors in a CR-only file are positioned on the line an editor shows", () => {
    const text = lines(...HEAD, ...partner("917422575", "    stauts: active")).replace(/\n/g, "\r");
    expect(errorsOf(text).map((e) => e.split(" ")[0])).toEqual(["m.yaml:9:5"]);
  });
});

describe("display names and paths that hide or mislead", () => {
  const named = (name: string) => lines("partners:", '  - orgNumber: "917422575"', `    name: ${JSON.stringify(name)}`);

  it.each(["Hansen & Sønn (Bergen), AS", "Ærø Øst Åsen AS", "Sámi Čáhci AS", "Ole's Bil-Service AS", "北欧物流 AS"])(
    "keeps the real company name %j",
    (name) => {
      expect(manifestOf(named(name)).partners[0]!.name).toBe(name);
    },
  );

  it.each([
    ["Entur\u0000AS", "0000", 6],
    ["\u001b[31mEntur AS", "001B", 1],
    ["Entur \u202eSA", "202E", 7],
    ["Entur\u2066 AS", "2066", 6],
    ["Ent\u200bur AS", "200B", 4],
    ["Entur\ufeffAS", "FEFF", 6],
    ["Entur\u0085AS", "0085", 6],
  ])("refuses %j (U+%s)", (name, code, position) => {
    expect(errorsOf(named(name))).toEqual([
      `m.yaml:3:11 partners[0].name: name contains the invisible or control character U+${code} at position ${position}; such characters can disguise text in reviews and terminals: type it again without it`,
    ]);
  });

  it("refuses the same characters in the contact", () => {
    expect(errorsOf(lines("partners:", '  - orgNumber: "917422575"', "    name: A", '    contact: "a\\u202e@b"'))).toEqual([
      "m.yaml:4:14 partners[0].contact: contact contains the invisible or control character U+202E at position 2; such characters can disguise text in reviews and terminals: type it again without it",
    ]);
  });

  it("refuses organization number 000000000 (MOD11-valid, but no organization)", () => {
    expect(errorsOf(lines("partners:", '  - orgNumber: "000000000"', "    name: A"))).toEqual([
      `m.yaml:2:16 partners[0].orgNumber: organization number "000000000" is not an organization number (all zeros); use the partner's number from the Central Coordinating Register (Enhetsregisteret)`,
    ]);
  });

  it.each([
    ["azure", "      - { container: outbound, access: read, path: reports. }", "m.yaml:10:52 partners[0].azure[0].path: path", "reports.", "reports"],
    ["azure", "      - { container: outbound, access: read, path: a/b../c }", "m.yaml:10:52 partners[0].azure[0].path: path", "b..", "b"],
    ["aws", "      - { bucket: banenor-payload-test, access: read, prefix: a./ }", "m.yaml:10:63 partners[0].aws[0].prefix: prefix", "a.", "a"],
  ])("refuses a %s path segment ending in a dot", (cloud, grant, where, segment, same) => {
    expect(errorsOf(lines(...HEAD, ...partner("917422575", `    ${cloud}:`, grant)))).toEqual([
      `${where} segment "${segment}" ends with "."; Azure drops a trailing dot, so it would name the same directory as "${same}": remove the dot`,
    ]);
  });
});

describe("names that would collide, and stack budgets", () => {
  it("containers inbound and inbound-read would share group names: refused", () => {
    expect(errorsOf(lines("containers:", "  - name: inbound", "  - name: inbound-read", "partners: []"))).toEqual([
      'm.yaml:3:11 containers[1].name: containers "inbound-read" and "inbound" (containers[0]) would both name their groups "inbound-read-write" (the write group of one, the read-write group of the other): two resources with one name; rename one of the containers',
    ]);
    // In the other order.
    expect(errorsOf(lines("containers:", "  - name: aaa-read", "  - name: aaa", "partners: []"))).toEqual([
      'm.yaml:3:11 containers[1].name: containers "aaa" and "aaa-read" (containers[0]) would both name their groups "aaa-read-write" (the read-write group of one, the write group of the other): two resources with one name; rename one of the containers',
    ]);
    // Containers that merely start like another are fine ("<c>-read" + "write" is the only way two keys meet).
    const fine = ["inbound", "inbound-readers", "inbound-read-write", "inbound-write", "inbound-traverse"];
    expect(manifestOf(lines("containers:", ...fine.map((n) => `  - name: ${n}`), "partners: []")).containers).toHaveLength(5);
  });

  it("more containers than the subscription's role-assignment budget allows is an error before any plan", () => {
    const data = { containers: Array.from({ length: 501 }, (_, i) => ({ name: `c${i}x` })), partners: [] };
    const r = ManifestSchema.safeParse(data);
    expect(r.success ? [] : r.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      [
        "containers",
        "at most 500 containers per stack: each takes 2 of the subscription's 4,000 role assignments (and test and prod may share a subscription); split the stack",
      ],
    ]);
    expect(ManifestSchema.safeParse({ ...data, containers: data.containers.slice(0, 500) }).success).toBe(true);
  });
});
