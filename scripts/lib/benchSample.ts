/** What one benchmark child process reports, as the last line of its output. */
export interface ProcessSample {
  /** Exit code the command would have had. */
  exitCode: number;
  /** Time from the command's first line to its result, without Node.js start-up. */
  runMs: number;
  /** User + system CPU time of the whole process: less sensitive to a busy machine than wall time. */
  cpuMs: number;
  maxRssKiB: number;
}

/** CPU time and peak RSS of this process so far. */
export function processUsage(): Pick<ProcessSample, "cpuMs" | "maxRssKiB"> {
  const u = process.resourceUsage();
  return { cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000), maxRssKiB: u.maxRSS };
}

/** Print a sample as the child's last output line. */
export function reportSample(sample: ProcessSample): void {
  process.stdout.write(`\n${JSON.stringify(sample)}\n`);
}

/** The sample a child printed last (anything it printed before is ignored). */
export function parseSample(stdout: string): ProcessSample {
  const last = stdout.trimEnd().split("\n").pop() ?? "";
  const parsed = JSON.parse(last) as ProcessSample;
  for (const key of ["exitCode", "runMs", "cpuMs", "maxRssKiB"] as const) {
    if (typeof parsed[key] !== "number") throw new Error(`benchmark child printed no ${key}: ${last}`);
  }
  return parsed;
}
