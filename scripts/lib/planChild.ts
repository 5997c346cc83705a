import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { PlanJson } from "./plan";

const run = promisify(execFile);

export interface ChildPlanResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The plan JSON, when the plan got far enough to write it. */
  plan?: PlanJson;
}

/**
 * Run `scripts/plan.ts` in a child process (Pulumi's runtime is process-global, so every plan of a different
 * manifest needs its own process). `manifestText` is written to a temporary file inside the project so the
 * program resolves it like a checked-in manifest.
 */
export async function planInChildProcess(args: {
  stack: string;
  manifestText?: string;
  extraArgs?: string[];
  projectDir?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<ChildPlanResult> {
  const projectDir = path.resolve(args.projectDir ?? process.cwd());
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-plan-"));
  const jsonFile = path.join(tmp, "plan.json");
  const cliArgs = ["--stack", args.stack, "--json", jsonFile, ...(args.extraArgs ?? [])];
  if (args.manifestText !== undefined) {
    const manifestFile = path.join(tmp, "manifest.yaml");
    fs.writeFileSync(manifestFile, args.manifestText);
    cliArgs.push("--manifest", manifestFile);
  }
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", path.join(projectDir, "scripts", "plan.ts"), ...cliArgs], {
      cwd: projectDir,
      env: { ...process.env, ...args.env },
      maxBuffer: 256 * 1024 * 1024,
    });
    return { exitCode: 0, stdout, stderr, plan: readPlan(jsonFile) };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (typeof err.code !== "number") throw e;
    return { exitCode: err.code, stdout: err.stdout ?? "", stderr: err.stderr ?? "", plan: readPlan(jsonFile) };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function readPlan(file: string): PlanJson | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as PlanJson) : undefined;
}
