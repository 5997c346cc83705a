import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import type { PlanJson } from "./plan";

const run = promisify(execFile);

/**
 * Node.js flags of every plan process: package.json's `plan` script (planChild.test.ts keeps the two equal), the
 * semantic diff's base plan and the benchmark. The plan allocates nearly everything it holds in one burst, while
 * the program constructs its resources, and V8's default heuristics then let the heap grow to several times what
 * is live (1,000 partners: 430 MiB live, up to 1 GiB RSS, varying from run to run with the machine's load). A
 * fixed heap growing factor of 1.5 bounds the old generation by what is live; a 32 MiB semi-space lets more of the
 * burst die young instead of being promoted. npm run bench measures both (https://nodejs.org/api/cli.html#v8-options).
 */
export const PLAN_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32", "--heap-growing-percent=50"];

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
    const { stdout, stderr } = await run(process.execPath, [...PLAN_NODE_FLAGS, "--import", "tsx", path.join(projectDir, "scripts", "plan.ts"), ...cliArgs], {
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
