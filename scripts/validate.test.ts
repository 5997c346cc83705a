import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliError } from "./lib/cli";
import { validate } from "./validate";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function manifestFile(name: string, ...lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

/** A whole-container reader (an auditor) beside another partner's path grant in one container. */
const auditorBesideNordlys = (name: string, container: string) =>
  manifestFile(
    name,
    `containers: [${container}]`,
    "partners:",
    '  - { orgNumber: "917422575", name: Auditor AS, azure: [{ container: outbound, access: read }] }',
    '  - { orgNumber: "910000012", name: Nordlys AS, azure: [{ container: outbound, access: read, path: nordlys }] }',
  );

let stdout: string[];
let stderr: string[];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, "write").mockImplementation(
    (chunk: string | Uint8Array) => (stdout.push(String(chunk)), true),
  );
  vi.spyOn(process.stderr, "write").mockImplementation(
    (chunk: string | Uint8Array) => (stderr.push(String(chunk)), true),
  );
});
afterEach(() => vi.restoreAllMocks());

describe("npm run validate", () => {
  it("exits 0 for stacks/test.yaml and says what it holds", () => {
    expect(validate(["--today", "2026-01-01", "stacks/test.yaml"])).toBe(0);
    expect(stdout.join("")).toBe("stacks/test.yaml: valid (5 partners, 3 containers, 1 buckets)\n");
    expect(stderr).toEqual([
      'stacks/test.yaml: note: shared container "inbound": organizations 910000012 (write), 812345672 (write) reach the files of every partner there\n',
    ]);
  });

  it("finds the manifest of a stack from its settings", () => {
    expect(validate(["--stack", "prod", "--today", "2026-01-01"])).toBe(0);
    expect(stdout.join("")).toBe("stacks/prod.yaml: valid (2 partners, 3 containers, 1 buckets)\n");
  });

  it("exits 1 for a wrong check digit, naming file:line:col and the field path on stderr", () => {
    const file = manifestFile("bad.yaml", "partners:", '  - orgNumber: "123456789"', "    name: A");
    expect(validate([file])).toBe(1);
    expect(stderr.join("")).toBe(
      [
        `${file}:2:16 partners[0].orgNumber: organization number "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)`,
        `${file}: 1 error(s); the manifest is invalid`,
        "",
      ].join("\n"),
    );
    expect(stdout).toEqual([]);
  });

  it("exits 1 when a whole-container grant reaches another partner's directory (RBAC before ACL), naming both", () => {
    const file = auditorBesideNordlys("reach.yaml", "{ name: outbound }");
    expect(validate(["--today", "2026-01-01", file])).toBe(1);
    expect(stderr.join("")).toBe(
      `${file}:4:100 partners[1].azure[0].path: organization 910000012 (read on path "nordlys" of container "outbound") and organization 917422575 (read on container "outbound") share container "outbound": organization 917422575 reads every file in the container, organization 910000012's included (RBAC is evaluated before ACLs); organization 910000012 reaches whatever organization 917422575 put in "nordlys". Container "outbound" is not shared: give each partner its own path or container, or add "shared: true" to it if these partners may see each other's files\n${file}: 1 error(s); the manifest is invalid\n`,
    );
    expect(stdout).toEqual([]);
  });

  it("with shared: true the same manifest is valid, and says who sees whom (exit 0)", () => {
    const file = auditorBesideNordlys("reach-shared.yaml", "{ name: outbound, shared: true }");
    expect(validate(["--today", "2026-01-01", file])).toBe(0);
    expect(stderr.join("")).toBe(
      `${file}: note: shared container "outbound": organization 917422575 (read) reaches the files of every partner there (910000012 too)\n`,
    );
    expect(stdout.join("")).toBe(`${file}: valid (2 partners, 1 containers, 0 buckets)\n`);
  });

  it("a partner granted the directory an offboarded partner used in a shared container: valid, and the note says its files stay", () => {
    const file = manifestFile(
      "left-behind.yaml",
      "containers: [{ name: outbound, shared: true }]",
      "partners:",
      '  - { orgNumber: "934567811", name: Old AS, status: offboarded, azure: [{ container: outbound, access: read-write, path: vestland }] }',
      '  - { orgNumber: "910000012", name: New AS, azure: [{ container: outbound, access: read, path: vestland }] }',
    );
    expect(validate(["--today", "2026-01-01", file])).toBe(0);
    expect(stderr.join("")).toBe(
      `${file}: note: shared path "vestland" of container "outbound": organization 934567811 is offboarded, but the files it left there stay, and organization 910000012 reaches them (delete them, or give that partner another directory)\n`,
    );
  });

  it("judges the manifest against the stack's settings: a KMS key of another region or partition is an error at its field", () => {
    const file = manifestFile(
      "kms.yaml",
      "buckets:",
      "  - name: b-one",
      "    kmsKeyArn: arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "  - name: b-two",
      "    kmsKeyArn: arn:aws-cn:kms:eu-north-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "partners: []",
    );
    expect(validate(["--stack", "test", file])).toBe(1);
    expect(stderr.join("")).toBe(
      [
        `${file}:3:16 buckets[0].kmsKeyArn: buckets[0].kmsKeyArn of bucket "b-one" is a key in region us-east-1, but the bucket is in eu-north-1 (aws.region); S3 only uses keys from the bucket's region: use a key in eu-north-1`,
        `${file}:5:16 buckets[1].kmsKeyArn: buckets[1].kmsKeyArn of bucket "b-two" is in partition aws-cn, not aws; use a key of the stack's partition`,
        `${file}: 2 error(s); the manifest is invalid`,
        "",
      ].join("\n"),
    );
  });

  it("an S3 policy over IAM's 10,240 characters (500 prefixes) is an error at the partner's aws grants", () => {
    const prefixes = Array.from({ length: 500 }, (_, i) => `      - { bucket: b-one, prefix: p${i}/, access: read-write }`);
    const file = manifestFile("big.yaml", "buckets: [{ name: b-one }]", "partners:", '  - orgNumber: "917422575"', "    name: A", "    aws:", ...prefixes);
    expect(validate(["--stack", "test", file])).toBe(1);
    expect(stderr.join("")).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:6:7 partners\\[0\\]\\.aws: partner 917422575: the role's S3 policy is \\d+ characters, over IAM's limit of 10240 for a role's inline policies .*grant fewer, broader prefixes \\(500 grants now\\)\n`),
    );
  });

  it("a file given without --stack outside a project: only the manifest is checked, and it says so", () => {
    const file = manifestFile("plain.yaml", "partners: []");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(validate([file])).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(stderr.join("")).toMatch(/^note: the settings of stack "test" cannot be read, so only the manifest itself is checked \(.*Pulumi\.test\.yaml.*\)\n$/);
    expect(stdout.join("")).toBe(`${file}: valid (0 partners, 0 containers, 0 buckets)\n`);
    // With --stack the settings are required.
    process.chdir(dir);
    try {
      expect(() => validate(["--stack", "test", file])).toThrow(CliError);
    } finally {
      process.chdir(cwd);
    }
  });

  it("prints every error of the file", () => {
    const file = manifestFile(
      "many.yaml",
      "containers:",
      "  - name: In",
      "partners:",
      '  - orgNumber: "917422575"',
      "    name: A",
      "    acess: read",
    );
    expect(validate([file])).toBe(1);
    expect(stderr.join("").split("\n")).toEqual([
      `${file}:2:11 containers[0].name: container name must be 3-63 characters long (got 2)`,
      `${file}:6:5 partners[0].acess: unknown key "acess": a misspelt key would silently drop a setting, so it is refused; allowed keys here: orgNumber, name, status, contact, reviewBy, azure, aws`,
      `${file}: 2 error(s); the manifest is invalid`,
      "",
    ]);
  });

  it("prints warnings and still exits 0", () => {
    const file = manifestFile(
      "review.yaml",
      "partners:",
      '  - orgNumber: "917422575"',
      "    name: A",
      "    reviewBy: 2026-01-21",
    );
    expect(validate(["--today", "2026-01-01", file])).toBe(0);
    expect(stderr.join("")).toBe(
      `${file}:4:15 partners[0].reviewBy: warning: review of organization 917422575 is due 2026-01-21 (in 20 days)\n`,
    );
    expect(stdout.join("")).toBe(`${file}: valid (1 partners, 0 containers, 0 buckets, 1 warning(s))\n`);
  });

  it("a review date once past is an error", () => {
    const file = manifestFile(
      "overdue.yaml",
      "partners:",
      '  - orgNumber: "917422575"',
      "    name: A",
      "    reviewBy: 2026-01-21",
    );
    expect(validate(["--today", "2026-01-22", file])).toBe(1);
    expect(stderr[0]).toBe(
      `${file}:4:15 partners[0].reviewBy: review of organization 917422575 was due 2026-01-21; review the access, then set a new reviewBy date or offboard the partner\n`,
    );
  });

  it("a missing file is an error, not a crash", () => {
    const file = path.join(dir, "missing.yaml");
    expect(validate([file])).toBe(1);
    expect(stderr[0]).toBe(
      `${file}:1:1 (document): cannot read manifest file "${file}": it does not exist; pass the path of stacks/<stack>.yaml\n`,
    );
  });

  it("prints its usage for --help", () => {
    expect(validate(["--help"])).toBe(0);
    expect(stdout.join("")).toBe(
      "usage: npm run validate -- [--stack test|prod] [--today YYYY-MM-DD] [FILE]\n",
    );
  });

  it.each([
    [
      ["a.yaml", "b.yaml"],
      "give at most one manifest file\nusage: npm run validate -- [--stack test|prod] [--today YYYY-MM-DD] [FILE]",
    ],
    [
      ["--today", "2026-02-30", "stacks/test.yaml"],
      '--today must be a date written YYYY-MM-DD, got "2026-02-30"\nusage: npm run validate -- [--stack test|prod] [--today YYYY-MM-DD] [FILE]',
    ],
    [
      ["--stack", "staging"],
      `invalid stack settings in ${path.join(process.cwd(), "Pulumi.staging.yaml")}:\n  - no stack file Pulumi.staging.yaml; known stacks: prod, test`,
    ],
  ])("usage errors are CliErrors: %j", (argv, message) => {
    expect(() => validate(argv)).toThrow(new CliError(message));
  });

  it("an unknown option is a CliError naming it", () => {
    expect(() => validate(["--stak", "test"])).toThrow(/Unknown option '--stak'/);
  });
});

describe("as a command", () => {
  // One real process: runMain turns the result into the exit code and keeps stdout/stderr apart.
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [path.join("node_modules", "tsx", "dist", "cli.mjs"), "scripts/validate.ts", ...args],
      { encoding: "utf8", timeout: 60_000 },
    );

  it("exits 1 with the errors on stderr", () => {
    const file = manifestFile("cli.yaml", "partners:", '  - orgNumber: "917422576"', "    name: A");
    const bad = run(file);
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([
      1,
      "",
      `${file}:2:16 partners[0].orgNumber: organization number "917422576" has a wrong MOD11 check digit (expected 5, got 6); check the number in the Central Coordinating Register (Enhetsregisteret)\n${file}: 1 error(s); the manifest is invalid\n`,
    ]);
  });
});
