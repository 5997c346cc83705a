/**
 * `plan --base GIT_REF`, the part that reads and plans: the manifest as committed at the ref (git, no checkout),
 * validated and planned in a child process (Pulumi's runtime is process-global), then diffed against the head
 * plan by the pure semantic diff (./diff).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isSeq, parseDocument } from "yaml";
import { formatProblem, loadManifestText, withLineFeeds } from "../../infra/manifest/load";
import type { Manifest } from "../../infra/manifest/schema";
import type { Settings } from "../../infra/settings/schema";
import { CliError } from "./cli";
import { semanticDiff, type SemanticDiff } from "./diff";
import type { PlanJson } from "./plan";
import { planInChildProcess } from "./planChild";

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The manifest `file` as committed at `ref`, without a checkout; undefined when the file did not exist there.
 * `git cat-file blob` gives the committed bytes exactly (as `git show <ref>:<path>` does for a blob).
 */
export function readManifestAtRef(ref: string, file: string, cwd: string = process.cwd()): string | undefined {
  if (ref.trim() === "" || ref.startsWith("-")) throw new CliError(`--base "${ref}" is not a git revision; pass a branch, tag or commit such as origin/main`);
  let top: string;
  try {
    top = git(["rev-parse", "--show-toplevel"], cwd).trim();
  } catch {
    throw new CliError(`--base needs a git repository, and ${cwd} is not inside one`);
  }
  try {
    git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], cwd);
  } catch {
    throw new CliError(`--base: git does not know the revision "${ref}"; fetch it first (git fetch origin main; in GitHub Actions, checkout with fetch-depth: 0)`);
  }
  const abs = path.resolve(cwd, file);
  // Compare real paths: the repository top level is reported without symlinks.
  const real = path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  const rel = path.relative(fs.realpathSync(top), real);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new CliError(`--base: the manifest ${file} is outside the git repository ${top}; diff a manifest that is committed in it`);
  }
  const spec = `${ref}:${rel.split(path.sep).join("/")}`;
  try {
    git(["cat-file", "-e", spec], cwd);
  } catch {
    return undefined;
  }
  return git(["cat-file", "blob", spec], cwd);
}

/** Plan a manifest in a child process (one program run per process), as the pull-request diff needs it. */
export async function planManifestInChild(options: { stack: string; manifestText: string; projectDir?: string; configFile?: string }): Promise<PlanJson> {
  const { configFile, ...rest } = options;
  // The base is planned with the same stack settings as the head (`--config-file` included).
  const result = await planInChildProcess({ ...rest, ...(configFile === undefined ? {} : { extraArgs: ["--config-file", path.resolve(configFile)] }) });
  // Exit 2 = a mandatory policy violation: the plan JSON is written and the diff still means something.
  if ((result.exitCode !== 0 && result.exitCode !== 2) || result.plan === undefined) {
    throw new CliError(`planning the base manifest failed (exit ${result.exitCode}):\n${result.stderr.trim()}`);
  }
  return result.plan;
}

/**
 * The base manifest as the diff plans it, with changes that create no resource and only decide whether it
 * validates today: without `reviewBy` keys (the child plan validates dates against today), and every container
 * and bucket `shared: true` (the base is what is deployed; isolation rules added since must not stop the diff,
 * and the head is validated as usual). Line endings are made LF first, as the loader reads them.
 */
export function baseForDiff(text: string): string {
  const doc = parseDocument(withLineFeeds(text));
  const partners = doc.get("partners");
  if (isSeq(partners)) {
    for (const item of partners.items) if (isMap(item)) item.delete("reviewBy");
  }
  for (const key of ["containers", "buckets"]) {
    const list = doc.get(key);
    if (isSeq(list)) for (const item of list.items) if (isMap(item)) item.set("shared", true);
  }
  return doc.toString({ lineWidth: 0 });
}

export interface DiffAgainstBaseOptions {
  stack: string;
  baseRef: string;
  /** The manifest file as the CLI names it (relative to the current directory or absolute). */
  manifestFile: string;
  settings: Settings;
  /** The stack settings file both sides are planned with (`--config-file`); default Pulumi.<stack>.yaml. */
  configFile?: string;
  head: { manifest: Manifest; plan: PlanJson };
  projectDir?: string;
  /** Reads the base manifest; default readManifestAtRef (git). */
  readBase?: (ref: string, file: string) => string | undefined;
}

/** `plan --base`: read the manifest at the ref, validate and plan it, and diff it against the head plan. */
export async function diffAgainstBase(options: DiffAgainstBaseOptions): Promise<SemanticDiff> {
  const read = options.readBase ?? ((ref: string, file: string) => readManifestAtRef(ref, file, options.projectDir));
  // A manifest that did not exist at the ref: everything is new.
  const text = baseForDiff(read(options.baseRef, options.manifestFile) ?? "partners: []\n");
  const shown = `${options.baseRef}:${options.manifestFile}`;
  // Judge review dates as of long ago: a reviewBy that has passed since the base commit is an error today, but
  // review dates create no resources, so they must not stop the diff (the head is validated as usual).
  const loaded = loadManifestText(text, shown, { today: new Date(0) });
  if (!loaded.ok) {
    throw new CliError(
      `${loaded.errors.map(formatProblem).join("\n")}\nthe manifest at ${options.baseRef} is invalid, so there is nothing to diff against; choose another --base`,
    );
  }
  const basePlan = await planManifestInChild({
    stack: options.stack,
    manifestText: text,
    ...(options.projectDir === undefined ? {} : { projectDir: options.projectDir }),
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
  });
  return semanticDiff({
    stack: options.stack,
    baseRef: options.baseRef,
    settings: options.settings,
    ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
    base: { manifest: loaded.manifest, plan: basePlan },
    head: options.head,
  });
}
