/**
 * Start a Pulumi program the way `pulumi up` does: what pulumi-language-nodejs (the Go language host) does when the
 * engine asks it to Run the program, minus the Go process itself.
 *
 * From pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go (execRuntime, constructArguments,
 * constructConfig, constructConfigSecretKeys, parseOptions):
 * - command: `node <nodeargs> <require.resolve("@pulumi/pulumi/cmd/run") from the program directory>
 *   --monitor <addr> --engine <addr> --sync <pipes dir> --organization <org> --project <name>
 *   --root-directory <dir of Pulumi.yaml> --stack <name> --pwd <program dir> [--dry-run] --parallel <n> <entry point>`;
 *   the entry point is "." when Pulumi.yaml has no `main`, and cmd/run/run.js then takes package.json "main".
 *   (The real host passes the address of its own monitor proxy, which forwards every call unchanged.)
 * - environment: the host's own environment plus PULUMI_CONFIG (JSON object, keys rewritten to `<ns>:config:<key>`,
 *   values as text, structured values as JSON), PULUMI_CONFIG_SECRET_KEYS (JSON array of `<ns>:<key>`),
 *   PULUMI_NODEJS_TYPESCRIPT=true when the runtime option `typescript` is true (its default),
 *   PULUMI_NODEJS_TSCONFIG_PATH when the option `tsconfig` is set. The host never sets PULUMI_NODEJS_TRANSPILE_ONLY,
 *   so ts-node type-checks unless tsconfig says `noCheck` (cmd/run/run.js).
 * - `packagemanager` only matters to `pulumi install`; `nodeargs` is split like a shell would (shlex).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parse } from "yaml";

export interface ProjectFile {
  name: string;
  runtime: { name: string; options: RuntimeOptions };
  main?: string;
  /** Project-level config defaults (`config:` in Pulumi.yaml), `ns:key` -> value. */
  configDefaults: Record<string, unknown>;
}

export interface RuntimeOptions {
  typescript: boolean;
  tsconfig?: string;
  nodeargs?: string;
  packagemanager?: string;
}

export interface StackConfig {
  /** `ns:key` -> the text the program receives (structured values JSON-encoded). */
  config: Record<string, string>;
  /** `ns:key` of values that were `secure:` in the stack file. */
  secretKeys: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Pulumi.yaml as the engine reads it (runtime may be a bare name or `{ name, options }`). */
export function readProjectFile(projectDir: string): ProjectFile {
  const doc: unknown = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"));
  if (!isRecord(doc) || typeof doc.name !== "string")
    throw new Error(`${projectDir}/Pulumi.yaml: no project name`);
  const rt = doc.runtime;
  const runtimeName =
    typeof rt === "string" ? rt : isRecord(rt) && typeof rt.name === "string" ? rt.name : undefined;
  if (runtimeName === undefined) throw new Error(`${projectDir}/Pulumi.yaml: no runtime name`);
  const opts = isRecord(rt) && isRecord(rt.options) ? rt.options : {};
  // parseOptions: typescript defaults to true and must be a boolean; tsconfig and nodeargs must be strings.
  if (opts.typescript !== undefined && typeof opts.typescript !== "boolean")
    throw new Error("Pulumi.yaml: runtime option typescript must be a boolean");
  for (const k of ["tsconfig", "nodeargs", "packagemanager"] as const) {
    if (opts[k] !== undefined && typeof opts[k] !== "string")
      throw new Error(`Pulumi.yaml: runtime option ${k} must be a string`);
  }
  const configDefaults: Record<string, unknown> = {};
  if (isRecord(doc.config)) {
    for (const [k, v] of Object.entries(doc.config)) {
      const key = k.includes(":") ? k : `${doc.name}:${k}`;
      // Project config is either a plain value or a declaration `{ type, default, ... }` / `{ value }`.
      if (isRecord(v) && ("default" in v || "value" in v))
        configDefaults[key] = "value" in v ? v.value : v.default;
      else if (!isRecord(v) || !("type" in v)) configDefaults[key] = v;
    }
  }
  return {
    name: doc.name,
    runtime: {
      name: runtimeName,
      options: {
        typescript: opts.typescript ?? true,
        ...(opts.tsconfig === undefined ? {} : { tsconfig: opts.tsconfig as string }),
        ...(opts.nodeargs === undefined ? {} : { nodeargs: opts.nodeargs as string }),
        ...(opts.packagemanager === undefined ? {} : { packagemanager: opts.packagemanager as string }),
      },
    },
    ...(typeof doc.main === "string" ? { main: doc.main } : {}),
    configDefaults,
  };
}

/** Placeholder for a decrypted secret: the test has no passphrase and needs none (the value is not compared). */
export const SECRET_PLACEHOLDER = "stand-in-secret-value";

/** Replace `{ secure: ... }` leaves (also nested in structured values) by the placeholder; report whether any was. */
function decryptPlaceholders(v: unknown): { value: unknown; secret: boolean } {
  if (isRecord(v) && Object.keys(v).length === 1 && typeof v.secure === "string")
    return { value: SECRET_PLACEHOLDER, secret: true };
  if (Array.isArray(v)) {
    const items = v.map(decryptPlaceholders);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (isRecord(v)) {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const d = decryptPlaceholders(x);
      out[k] = d.value;
      secret ||= d.secret;
    }
    return { value: out, secret };
  }
  return { value: v, secret: false };
}

/**
 * Pulumi.<stack>.yaml (over Pulumi.yaml's config defaults) as the engine hands it to the language host: every
 * value as text, structured values as JSON (https://www.pulumi.com/docs/iac/concepts/config/). `overrides`
 * (`ns:key` -> value) replace single keys, like `pulumi up --config`.
 */
export function readStackConfig(
  projectDir: string,
  project: ProjectFile,
  stack: string,
  overrides: Record<string, unknown> = {},
): StackConfig {
  const doc: unknown = parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8"));
  const stackValues = isRecord(doc) && isRecord(doc.config) ? doc.config : {};
  const merged: Record<string, unknown> = { ...project.configDefaults };
  for (const [k, v] of Object.entries(stackValues)) merged[k.includes(":") ? k : `${project.name}:${k}`] = v;
  Object.assign(merged, overrides);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, raw] of Object.entries(merged)) {
    const { value, secret } = decryptPlaceholders(raw);
    if (secret) secretKeys.push(key);
    config[key] =
      typeof value === "string"
        ? value
        : typeof value === "object" && value !== null
          ? JSON.stringify(value)
          : String(value);
  }
  return { config, secretKeys: secretKeys.sort() };
}

/** github.com/google/shlex-style split of `nodeargs`: whitespace separates, quotes group, backslash escapes. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = "";
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote !== null) throw new Error(`nodeargs: unclosed ${quote}`);
  if (has) out.push(cur);
  return out;
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  programDirectory: string;
}

export interface LaunchRequest {
  projectDir: string;
  project: ProjectFile;
  stack: string;
  organization: string;
  monitorAddress: string;
  engineAddress: string;
  /** Directory of the synchronous-invoke pipes. The stand-in creates none, so a sync invoke fails loudly. */
  syncDirectory: string;
  dryRun: boolean;
  parallel: number;
  stackConfig: StackConfig;
}

/** The command line and environment pulumi-language-nodejs would use for this RunRequest. */
export function languageHostLaunch(req: LaunchRequest): LaunchSpec {
  const rootDirectory = path.resolve(req.projectDir);
  // ProgramInfo: without `main` the program directory is the project root and the entry point ".".
  let programDirectory = rootDirectory;
  let entryPoint = ".";
  if (req.project.main !== undefined) {
    const main = path.resolve(rootDirectory, req.project.main);
    if (fs.statSync(main).isDirectory()) programDirectory = main;
    else {
      programDirectory = path.dirname(main);
      entryPoint = path.basename(main);
    }
  }
  // locateModule: `node -e "require.resolve('@pulumi/pulumi/cmd/run')"` run in the program directory.
  const runPath = createRequire(path.join(programDirectory, "package.json")).resolve(
    "@pulumi/pulumi/cmd/run",
  );

  const pulumiConfig: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.stackConfig.config)) {
    const i = key.indexOf(":");
    pulumiConfig[`${key.slice(0, i)}:config:${key.slice(i + 1)}`] = value;
  }

  const env: NodeJS.ProcessEnv = { ...process.env };
  // The test's own process may carry a loader (vitest, tsx: NODE_OPTIONS) or Pulumi variables from the developer's
  // shell; either would change how the program loads, which is the thing under test.
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) if (k.startsWith("PULUMI_")) delete env[k];
  env.PULUMI_CONFIG = JSON.stringify(pulumiConfig);
  env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.stackConfig.secretKeys);
  const opts = req.project.runtime.options;
  if (opts.typescript) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (opts.tsconfig !== undefined) env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;

  const args = [
    ...splitArgs(opts.nodeargs ?? ""),
    runPath,
    "--monitor",
    req.monitorAddress,
    "--engine",
    req.engineAddress,
    "--sync",
    req.syncDirectory,
    "--organization",
    req.organization,
    "--project",
    req.project.name,
    "--root-directory",
    rootDirectory,
    "--stack",
    req.stack,
    "--pwd",
    programDirectory,
    ...(req.dryRun ? ["--dry-run"] : []),
    "--parallel",
    String(req.parallel),
    entryPoint,
  ];
  // The host runs `node` from PATH; the Node.js running this test is the one the project is tested with.
  return { command: process.execPath, args, env, cwd: programDirectory, programDirectory };
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Run the launch spec to completion. The process is killed after `timeoutMs`, or as soon as `signal` aborts (a
 * test that failed or timed out must not leave a runner behind).
 */
export function runLaunch(
  spec: LaunchSpec,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RunResult> {
  const started = performance.now();
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    if (options.signal?.aborted === true) kill();
    options.signal?.addEventListener("abort", kill, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", kill);
    };
    child.on("error", (e) => {
      done();
      reject(e);
    });
    child.on("close", (exitCode, signal) => {
      done();
      resolve({ exitCode, signal, stdout, stderr, durationMs: performance.now() - started, timedOut });
    });
  });
}
