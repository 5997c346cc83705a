/**
 * One plan sample of the benchmark, in its own process (Pulumi's runtime is process-global): runs `npm run plan`'s
 * own code on a manifest, writing the plan JSON, and prints one JSON line last: its exit code, the plan's run
 * time, the process's CPU time and peak RSS. The summary the plan prints comes before that line.
 *
 * usage: node --import tsx scripts/lib/benchChild.ts <stack> <manifest> <plan.json>
 */
import { plan } from "../plan";
import { processUsage, reportSample } from "./benchSample";

async function main(): Promise<void> {
  const [stack, manifest, json] = process.argv.slice(2);
  if (stack === undefined || manifest === undefined || json === undefined)
    throw new Error("usage: benchChild <stack> <manifest> <plan.json>");
  const started = process.hrtime.bigint();
  const exitCode = await plan(["--stack", stack, "--manifest", manifest, "--json", json]);
  const runMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  reportSample({ exitCode, runMs, ...processUsage() });
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
