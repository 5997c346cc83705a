/**
 * npm run bench -- [--sizes 10,100,1000] [--stack test]
 *
 * For each size: plans a generated manifest (each partner: whole-container read, path write, AWS prefix grant) with
 * `npm run plan`'s own code, then runs the floor: Pulumi's bare mock runtime registering trivial
 * resources in the same number and parent tree (scripts/lib/benchFloor.ts). Prints both and their ratio: wall time
 * of the process, its CPU time (steadier than wall time on a shared machine) and its peak RSS. Targets on a 2-core
 * machine at 1,000 partners: the plan within 1.5x of the floor in time and peak RSS, and under 1 GiB.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { CliError, parseCli, runMain } from "./lib/cli";
import { floorShape } from "./lib/benchFloor";
import { parseSample, type ProcessSample } from "./lib/benchSample";
import { benchmarkManifest } from "./lib/generate";
import type { PlanJson } from "./lib/plan";
import type { RefreshCost } from "../policies/rules/refreshCost";

const run = promisify(execFile);
const USAGE = "usage: npm run bench -- [--sizes 10,100,1000] [--stack test]";

/** One child process as the benchmark saw it: its own report plus the wall time around it. */
export interface Measured extends ProcessSample {
  wallMs: number;
}

export interface BenchRow {
  partners: number;
  resources: number;
  plan: Measured;
  floor: Measured;
  /** What one refresh of this stack would cost (the plan's budgets). */
  refresh: RefreshCost;
}

async function measure(args: string[]): Promise<Measured> {
  const started = process.hrtime.bigint();
  const { stdout } = await run(process.execPath, args, { maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  return { ...parseSample(stdout), wallMs };
}

async function sample(stack: string, partners: number): Promise<BenchRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-bench-"));
  try {
    const manifest = path.join(dir, "manifest.yaml");
    const planFile = path.join(dir, "plan.json");
    const shapeFile = path.join(dir, "shape.json");
    fs.writeFileSync(manifest, stringify(benchmarkManifest(partners)));
    const plan = await measure([
      "--import",
      "tsx",
      path.join("scripts", "lib", "benchChild.ts"),
      stack,
      manifest,
      planFile,
    ]);
    if (plan.exitCode !== 0) throw new Error(`the plan of ${partners} partners exited with ${plan.exitCode}`);
    const { resources, budgets } = JSON.parse(fs.readFileSync(planFile, "utf8")) as PlanJson;
    fs.writeFileSync(shapeFile, JSON.stringify(floorShape(resources)));
    const floor = await measure([
      "--import",
      "tsx",
      path.join("scripts", "lib", "benchFloor.ts"),
      stack,
      shapeFile,
    ]);
    if (floor.exitCode !== 0)
      throw new Error(`the floor of ${partners} partners did not register all ${resources.length} resources`);
    return { partners, resources: resources.length, plan, floor, refresh: budgets.refresh };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const BENCH_HEADER = [
  "| partners | resources | plan (s) | floor (s) | time ratio | plan CPU (s) | floor CPU (s) | CPU ratio | plan peak RSS (MiB) | floor peak RSS (MiB) | RSS ratio |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
].join("\n");

/** One markdown table row: wall time, CPU time and peak RSS of plan and floor, each with plan / floor. */
export function benchRow(r: Omit<BenchRow, "refresh">): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const mib = (kib: number) => String(Math.round(kib / 1024));
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  return `| ${[
    r.partners,
    r.resources,
    s(r.plan.wallMs),
    s(r.floor.wallMs),
    ratio(r.plan.wallMs, r.floor.wallMs),
    s(r.plan.cpuMs),
    s(r.floor.cpuMs),
    ratio(r.plan.cpuMs, r.floor.cpuMs),
    mib(r.plan.maxRssKiB),
    mib(r.floor.maxRssKiB),
    ratio(r.plan.maxRssKiB, r.floor.maxRssKiB),
  ].join(" | ")} |`;
}

export const REFRESH_HEADER = [
  "| partners | resources read | ARM | Graph (units) | DFS | IAM | Digdir | est. s at documented limits | one onboarding adds (ARM/Graph/DFS/IAM/Digdir) |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
].join("\n");

/** One row of the refresh table: the reads one preview makes at this size (policies/rules/refreshCost.ts). */
export function refreshRow(partners: number, c: RefreshCost): string {
  const add = c.perOnboarding;
  return `| ${[
    partners,
    c.resourcesRead,
    c.calls.arm,
    `${c.calls.graph} (${c.graphUnits})`,
    c.calls.dfs,
    c.calls.iam,
    c.calls.digdir,
    `${c.estimateSeconds.toFixed(1)}${c.boundBy === null || c.estimateSeconds < 0.05 ? "" : ` (${c.boundBy})`}`,
    `${add.arm}/${add.graph}/${add.dfs}/${add.iam}/${add.digdir}`,
  ].join(" | ")} |`;
}

function conditions(): string {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `load average ${load}`;
}

export async function bench(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { sizes: { type: "string" }, stack: { type: "string" } }, USAGE);
  const sizes = (values.sizes ?? "10,100,1000").split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 20000))
    throw new CliError(`--sizes takes whole numbers 1-20000\n${USAGE}`);
  const stack = values.stack ?? "test";
  process.stdout.write(
    `offline plan benchmark, stack ${stack}, node ${process.version}, ${os.cpus().length} cpus\n`,
  );
  process.stdout.write(`start: ${conditions()}\n\n${BENCH_HEADER}\n`);
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    rows.push(await sample(stack, n));
    process.stdout.write(`${benchRow(rows[rows.length - 1]!)}\n`);
  }
  process.stdout.write(
    `\nend: ${conditions()}\n\nwhat one refresh (every preview) would cost:\n\n${REFRESH_HEADER}\n`,
  );
  for (const r of rows) process.stdout.write(`${refreshRow(r.partners, r.refresh)}\n`);
  return 0;
}

if (require.main === module) runMain(() => bench(process.argv.slice(2)));
