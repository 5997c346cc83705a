/**
 * One benchmark sample, in its own process (Pulumi's runtime is process-global): plan a manifest offline and
 * print a JSON line with the resource count, the program's run time and the process's peak RSS.
 */
import { runProgramOffline } from "./offlineRun";

// Pulumi captures a stack trace for every resource and promise; with source maps on (tsx turns them on) each
// capture is resolved through the maps, which dominated the profile. The plan needs no mapped traces.
process.setSourceMapsEnabled(false);

async function main(): Promise<void> {
  const [stack, manifest] = process.argv.slice(2);
  if (stack === undefined || manifest === undefined) throw new Error("usage: benchChild <stack> <manifest>");
  const started = process.hrtime.bigint();
  const run = await runProgramOffline({ stack, manifest });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const partners = run.resources.filter((r) => r.type === "skyporten:partner:SkyportenPartner").length;
  process.stdout.write(`${JSON.stringify({ resources: run.resources.length, partners, programMs: Math.round(ms), maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
