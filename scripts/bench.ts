/**
 * npm run bench -- [--sizes 10,100,1000] [--stack test]
 * Plans generated manifests (each partner: whole-container read, path write, AWS prefix grant) offline and
 * prints wall time, peak RSS, resources registered and resources per partner for each size.
 * Targets on a 2-core machine: 1,000 partners within 60 s and 2 GB peak RSS, growth no worse than linear.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { CliError, parseCli, runMain } from "./lib/cli";
import { benchmarkManifest } from "./lib/generate";

const run = promisify(execFile);
const USAGE = "usage: npm run bench -- [--sizes 10,100,1000] [--stack test]";

interface Sample {
  partners: number;
  wallMs: number;
  programMs: number;
  maxRssMiB: number;
  resources: number;
}

async function sample(stack: string, count: number): Promise<Sample> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-bench-"));
  const file = path.join(dir, `manifest-${count}.yaml`);
  fs.writeFileSync(file, stringify(benchmarkManifest(count)));
  const started = process.hrtime.bigint();
  try {
    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join("scripts", "lib", "benchChild.ts"), stack, file], {
      maxBuffer: 64 * 1024 * 1024,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const r = JSON.parse(stdout.trim().split("\n").pop()!) as { resources: number; programMs: number; maxRssKiB: number };
    return { partners: count, wallMs: Math.round(wallMs), programMs: r.programMs, maxRssMiB: Math.round(r.maxRssKiB / 1024), resources: r.resources };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function bench(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { sizes: { type: "string" }, stack: { type: "string" } }, USAGE);
  const sizes = (values.sizes ?? "10,100,1000").split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 20000)) throw new CliError(`--sizes takes whole numbers 1-20000\n${USAGE}`);
  const stack = values.stack ?? "test";
  process.stdout.write(`offline plan benchmark, stack ${stack}, node ${process.version}, ${os.cpus().length} cpus\n\n`);
  process.stdout.write("| partners | wall time (s) | program (s) | peak RSS (MiB) | resources | resources/partner | ms/partner |\n");
  process.stdout.write("|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const n of sizes) {
    const s = await sample(stack, n);
    process.stdout.write(
      `| ${s.partners} | ${(s.wallMs / 1000).toFixed(1)} | ${(s.programMs / 1000).toFixed(1)} | ${s.maxRssMiB} | ${s.resources} | ${(s.resources / s.partners).toFixed(2)} | ${(s.wallMs / s.partners).toFixed(1)} |\n`,
    );
  }
  return 0;
}

if (require.main === module) runMain(() => bench(process.argv.slice(2)));
