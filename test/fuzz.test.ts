/**
 * The fuzz corpus (test/support/fuzzCorpus.ts) through everything that reads a manifest:
 *
 * - every case through the loader with the test stack's checks (what `validate --stack test` and `plan` do
 *   first): never an exception, every problem positioned; the review's cases get their known verdict;
 * - every case that validates through the program's own decisions (ACL plan, AWS and federated-credential
 *   checks, resource names) and the access model: nothing that validates fails later, names never collide, and
 *   no partner reaches another's files outside a shared container;
 * - a sample through the CLIs in-process (their main functions, exactly what `runMain` runs) and a smaller one
 *   as real processes: no stack trace (`    at ` frame) and only documented exit codes.
 *
 * Add a CLI to CLIS to put it under the same corpus.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { validateAwsPartner, validateAwsPlatform } from "../infra/aws/validate";
import { crossPartnerAccess } from "../infra/azure/acl/accessModel";
import { planAcls } from "../infra/azure/acl/plan";
import { federatedTrustProblems, skyportenTrust } from "../infra/azure/identity";
import { membershipsFor, roleForLevel } from "../infra/azure/model";
import { formatProblem, loadManifestText, type LoadResult } from "../infra/manifest/load";
import type { Manifest } from "../infra/manifest/schema";
import {
  GROUP_LEVELS,
  groupDisplayName,
  groupLogicalName,
  groupMemberLogicalName,
  partnerLogicalName,
  pathAclLogicalName,
  roleAssignmentLogicalName,
  subjectFor,
} from "../infra/naming";
import { stackSettings } from "../infra/settings";
import { stackChecks } from "../infra/stackChecks";
import { audit } from "../scripts/audit";
import { explain } from "../scripts/explain";
import { handover } from "../scripts/handover";
import { CliError } from "../scripts/lib/cli";
import { onboard } from "../scripts/onboard";
import { validate } from "../scripts/validate";
import { fuzzCorpus, fuzzTokens, type FuzzCase } from "./support/fuzzCorpus";

const ROOT = path.resolve(__dirname, "..");
const SEED = 20261202;
const GENERATED = 300;
const TODAY = new Date("2026-06-01T00:00:00Z");
const settings = stackSettings("test", ROOT);
const checks = stackChecks(settings);
const corpus = fuzzCorpus(SEED, GENERATED, ROOT);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-fuzz-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const loaded = new Map<FuzzCase, LoadResult>();
/** Each case is loaded once (the 5,000-partner ones take a while); an exception is not cached, so it resurfaces. */
function load(c: FuzzCase): LoadResult {
  const known = loaded.get(c);
  if (known !== undefined) return known;
  const r = loadManifestText(c.text, "fuzz.yaml", { today: TODAY, checks });
  loaded.set(c, r);
  return r;
}

/** What is wrong with a loader result: an exception, an unpositioned problem, a stack trace in a message. */
function malformed(c: FuzzCase): string[] {
  let r: LoadResult;
  try {
    r = load(c);
  } catch (e) {
    return [`${c.name}: the loader threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`];
  }
  const wrong: string[] = [];
  for (const p of [...(r.ok ? [] : r.errors), ...r.warnings]) {
    if (!(p.line >= 1 && p.col >= 1 && p.message.length > 0 && !/\n\s+at /.test(p.message)))
      wrong.push(`${c.name}: badly positioned ${JSON.stringify(p)}`);
  }
  if (!r.ok && r.errors.length === 0) wrong.push(`${c.name}: invalid without errors`);
  return wrong;
}

/** Names of one kind that occur twice (the engine's (type, name) must be unique). */
function duplicates(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => (seen.has(n) ? true : (seen.add(n), false)));
}

/** What the program would do with a valid manifest, decided by the functions the components call; problems found. */
function laterFailures(m: Manifest): string[] {
  const out: string[] = [];
  const attempt = (what: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      out.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  let plans: ReturnType<typeof planAcls> = [];
  attempt("ACL plan", () => (plans = planAcls(m)));
  attempt("AWS platform", () => validateAwsPlatform(settings, m));
  for (const p of m.partners) {
    if (p.status === "active" && p.aws.length > 0)
      attempt(`AWS role of ${p.orgNumber}`, () =>
        validateAwsPartner({ settings, partner: p, buckets: m.buckets }),
      );
    if (p.status === "active") {
      const trust = skyportenTrust(
        p.orgNumber,
        settings.issuer,
        subjectFor(p.orgNumber, settings.scope),
        settings.audience,
      );
      out.push(...federatedTrustProblems(p.orgNumber, [trust]));
    }
  }
  // Resource names, by type: groups (logical and display), role assignments, memberships, ACL resources.
  const groups = m.containers.flatMap((c) => GROUP_LEVELS.map((l) => groupLogicalName(c.name, l)));
  const display = m.containers.flatMap((c) =>
    GROUP_LEVELS.map((l) => groupDisplayName(settings.environment, c.name, l)),
  );
  const roles = m.containers.flatMap((c) =>
    GROUP_LEVELS.filter((l) => roleForLevel(l) !== undefined).map((l) =>
      roleAssignmentLogicalName(c.name, l),
    ),
  );
  const members = m.partners.flatMap((p) =>
    membershipsFor(p).map((g) =>
      groupMemberLogicalName(partnerLogicalName(p.orgNumber), g.container, g.level),
    ),
  );
  const acls = plans.map((plan) =>
    pathAclLogicalName(
      plan.owner.kind === "partner" ? `${partnerLogicalName(plan.owner.orgNumber)}-` : "",
      plan,
    ),
  );
  for (const [kind, names] of [
    ["group", groups],
    ["group display name", display],
    ["role assignment", roles],
    ["membership", members],
    ["ACL", acls],
  ] as const)
    for (const d of duplicates([...names])) out.push(`${kind} name "${d}" twice`);
  return out;
}

describe(`fuzz corpus (seed ${SEED}): ${corpus.length} manifests`, () => {
  const review = corpus.filter((c) => c.expect !== undefined);

  it.each(review.map((c) => [c.name, c] as const))("%s: the known verdict, positioned", (_name, c) => {
    expect(malformed(c)).toEqual([]);
    const r = load(c);
    expect(r.ok ? "valid" : `invalid: ${r.errors.map(formatProblem).join(" | ")}`).toMatch(
      c.expect === "valid" ? /^valid$/ : /^invalid: fuzz\.yaml:\d+:\d+ /,
    );
  });

  it("every manifest loads to a typed manifest or positioned errors, never an exception", () => {
    expect(corpus.flatMap(malformed)).toEqual([]);
  });

  it("nothing that validates fails later in the program, and no two resources share a name", () => {
    const valid = corpus.flatMap((c) => {
      const r = load(c);
      return r.ok ? [{ c, m: r.manifest }] : [];
    });
    // The corpus must exercise both outcomes, or it proves little.
    expect(valid.length).toBeGreaterThan(40);
    expect(corpus.length - valid.length).toBeGreaterThan(150);
    expect(valid.flatMap(({ c, m }) => laterFailures(m).map((f) => `${c.name}: ${f}`))).toEqual([]);
  });

  it("no partner reaches another's files outside a shared container, by the access model, in any manifest that validates", () => {
    const found: string[] = [];
    for (const c of corpus) {
      const r = load(c);
      if (!r.ok || r.manifest.partners.length > 12) continue;
      const shared = new Set(r.manifest.containers.filter((x) => x.shared === true).map((x) => x.name));
      for (const x of crossPartnerAccess(r.manifest)) {
        if (!shared.has(x.container))
          found.push(`${c.name}: ${x.accessor} can ${x.op} ${x.container}${x.path} of ${x.owner} (${x.by})`);
      }
    }
    expect(found).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The CLIs.

interface CliUnderFuzz {
  name: string;
  script: string;
  /** Arguments for one manifest file; `dir` is a scratch directory of this run. */
  argv: (manifest: string, dir: string) => string[];
  /** The CLI's main, as runMain calls it. */
  main: (argv: string[]) => Promise<number> | number;
  /** Exit codes its usage documents. */
  exitCodes: readonly number[];
}

const tokens = fuzzTokens(Math.floor(Date.now() / 1000));
const tokenFiles = tokens.map((t, i) => {
  const file = path.join(scratch, `token-${i}.jwt`);
  fs.writeFileSync(file, t.text);
  return file;
});
const silentIo = { out: () => undefined, err: () => undefined, env: {} };
/** An observed state with nothing deployed: the audit then judges every declared grant of the manifest. */
const emptyObserved = path.join(scratch, "observed-empty.json");
fs.writeFileSync(
  emptyObserved,
  JSON.stringify({
    stack: "test",
    azure: { identities: [], groups: [], roleAssignments: [], acls: [] },
    aws: { oidcProviders: [], roles: [] },
  }),
);

/** The CLIs under the corpus; extend with any CLI that reads a manifest. */
const CLIS: CliUnderFuzz[] = [
  {
    name: "validate",
    script: "scripts/validate.ts",
    argv: (m) => ["--stack", "test", "--today", "2026-06-01", m],
    main: validate,
    exitCodes: [0, 1],
  },
  {
    name: "handover",
    script: "scripts/handover.ts",
    argv: (m, dir) => ["--stack", "test", "--manifest", m, "--out", dir],
    main: handover,
    exitCodes: [0, 1],
  },
  ...tokenFiles.map((t, i) => ({
    name: `explain (${tokens[i]!.name})`,
    script: "scripts/explain.ts",
    argv: (m: string) => ["--stack", "test", "--manifest", m, "--token", t],
    main: (argv: string[]) => explain(argv),
    exitCodes: [0, 1, 2],
  })),
  {
    name: "audit",
    script: "scripts/audit.ts",
    argv: (m) => ["--stack", "test", "--manifest", m, "--observed", emptyObserved, "--today", "2026-06-01"],
    main: (argv) => audit(argv),
    exitCodes: [0, 1, 2],
  },
  {
    name: "onboard suspend",
    script: "scripts/onboard.ts",
    argv: (m) => ["suspend", "--stack", "test", "--org", "917422575", "--manifest", m],
    main: (argv) => onboard(argv, silentIo),
    exitCodes: [0, 1],
  },
  {
    name: "onboard add",
    script: "scripts/onboard.ts",
    argv: (m) => [
      "add",
      "--stack",
      "test",
      "--org",
      "123456785",
      "--name",
      "Ny Partner AS",
      "--azure",
      "outbound:read:ny",
      "--manifest",
      m,
    ],
    main: (argv) => onboard(argv, silentIo),
    exitCodes: [0, 1],
  },
];

/** Run a CLI main as runMain does: its exit code, or the CliError's code; anything else is a crash. */
async function runInProcess(cli: CliUnderFuzz, argv: string[]): Promise<{ code: number; output: string }> {
  const output: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation(
    (chunk: string | Uint8Array) => (output.push(String(chunk)), true),
  );
  vi.spyOn(process.stderr, "write").mockImplementation(
    (chunk: string | Uint8Array) => (output.push(String(chunk)), true),
  );
  try {
    const code = await cli.main(argv);
    return { code, output: output.join("") };
  } catch (e) {
    if (e instanceof CliError) return { code: e.code, output: `${output.join("")}${e.message}\n` };
    return {
      code: 70,
      output: `${output.join("")}unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    };
  } finally {
    vi.restoreAllMocks();
  }
}

/** Every review case, and every 10th generated one (files are copied: onboard writes). */
const cliSample = corpus
  .filter((c, i) => c.expect !== undefined || i % 10 === 0)
  .filter((c) => c.text.length < 200_000);

describe(`CLIs over ${cliSample.length} manifests of the corpus and ${tokens.length} tokens`, () => {
  beforeEach(() => vi.restoreAllMocks());
  afterEach(() => vi.restoreAllMocks());

  it.each(CLIS.map((cli) => [cli.name, cli] as const))(
    "%s: no stack trace, only documented exit codes",
    async (_name, cli) => {
      const bad: string[] = [];
      for (const [i, c] of cliSample.entries()) {
        const dir = fs.mkdtempSync(path.join(scratch, "run-"));
        const file = path.join(dir, "manifest.yaml");
        fs.writeFileSync(file, c.text);
        const { code, output } = await runInProcess(cli, cli.argv(file, dir));
        if (!cli.exitCodes.includes(code) || /^\s{4}at /m.test(output) || /unexpected error/.test(output))
          bad.push(`${c.name} (#${i}): exit ${code}\n${output.slice(0, 2000)}`);
      }
      expect(bad).toEqual([]);
    },
  );
});

const run = promisify(execFile);

/** A real process, as CI and people run it: exit code and everything it printed. */
async function spawnCli(script: string, argv: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, script), ...argv],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { code: err.code, output: (err.stdout ?? "") + (err.stderr ?? "") };
  }
}

describe("real processes over a small sample (plan runs only here: one program run per process)", () => {
  const named = (name: string) => corpus.find((c) => c.name === name)!;
  const runs: {
    label: string;
    script: string;
    argv: (m: string, dir: string) => string[];
    c: FuzzCase;
    exitCodes: number[];
  }[] = [
    // Three processes: the plan of a valid manifest, and two manifests that crashed the plan before.
    {
      label: "plan, CR-only sample",
      script: "scripts/plan.ts",
      argv: (m, d) => ["--stack", "test", "--manifest", m, "--json", path.join(d, "p.json")],
      c: named("line endings: CR only"),
      exitCodes: [0],
    },
    {
      label: "plan, 500 prefixes (was a crash)",
      script: "scripts/plan.ts",
      argv: (m) => ["--stack", "test", "--manifest", m],
      c: named("S3 policy of 500 prefixes"),
      exitCodes: [1],
    },
    {
      label: "plan, KMS key of another region (was a crash)",
      script: "scripts/plan.ts",
      argv: (m) => ["--stack", "test", "--manifest", m],
      c: named("KMS key in another region"),
      exitCodes: [1],
    },
  ];

  it(runs.map((r) => r.label).join("; "), async () => {
    // In parallel: each is a Node.js start-up, most of the time.
    const results = await Promise.all(
      runs.map(async (r) => {
        const dir = fs.mkdtempSync(path.join(scratch, "spawn-"));
        const file = path.join(dir, "manifest.yaml");
        fs.writeFileSync(file, r.c.text);
        return { r, file, ...(await spawnCli(r.script, r.argv(file, dir))) };
      }),
    );
    for (const { r, file, code, output } of results) {
      expect(/^\s{4}at /m.test(output), `${r.label}\n${output}`).toBe(false);
      expect(r.exitCodes, `${r.label}\n${output}`).toContain(code);
      if (code === 1)
        expect(output).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+ `, "m"));
    }
  });
});
