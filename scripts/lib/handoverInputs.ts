import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, loadManifestFile } from "../../infra/manifest/load";
import type { Manifest } from "../../infra/manifest/schema";
import { OutputsError, parseStackOutputs, type PartnerOutputEntry } from "../../infra/partnerFacts";
import type { Settings } from "../../infra/settings";
import { CliError, settingsFor } from "./cli";

/** What `handover` and `explain` read: the stack's settings, its manifest, and optionally the deployed outputs. */
export interface StackInputs {
  stack: string;
  settings: Settings;
  manifestFile: string;
  manifest: Manifest;
  outputsFile: string | null;
  /** `partners` of `pulumi stack output --json`, keyed by org number; null when not given. */
  outputs: Record<string, PartnerOutputEntry> | null;
}

/** Largest outputs file accepted (a stack of thousands of partners is a few MB). */
const MAX_OUTPUTS_BYTES = 64 * 1024 * 1024;

/**
 * Load settings, manifest and outputs with the same messages as `npm run validate`. Manifest warnings go to
 * stderr; an invalid manifest or outputs file is a CliError (exit 1) listing every problem.
 */
export function loadStackInputs(opts: { stack?: string; manifest?: string; outputs?: string }): StackInputs {
  const stack = opts.stack ?? "test";
  const settings = settingsFor(stack);
  const manifestFile = path.normalize(opts.manifest ?? settings.manifest);
  const loaded = loadManifestFile(manifestFile);
  for (const w of loaded.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  if (!loaded.ok) {
    throw new CliError(
      [
        ...loaded.errors.map(formatProblem),
        `${manifestFile}: ${loaded.errors.length} error(s); the manifest is invalid`,
      ].join("\n"),
    );
  }
  let outputs: Record<string, PartnerOutputEntry> | null = null;
  const outputsFile = opts.outputs === undefined ? null : path.normalize(opts.outputs);
  if (outputsFile !== null) {
    let text: string;
    try {
      if (fs.statSync(outputsFile).size > MAX_OUTPUTS_BYTES)
        throw new CliError(
          `${outputsFile}: larger than ${MAX_OUTPUTS_BYTES} bytes; is it really \`pulumi stack output --json\`?`,
        );
      text = fs.readFileSync(outputsFile, "utf8");
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(
        `cannot read --outputs file "${outputsFile}"; write it with \`pulumi stack output --stack ${stack} --json > ${outputsFile}\``,
      );
    }
    try {
      outputs = parseStackOutputs(text, outputsFile);
    } catch (e) {
      if (e instanceof OutputsError) throw new CliError(e.message);
      throw e;
    }
  }
  return { stack, settings, manifestFile, manifest: loaded.manifest, outputsFile, outputs };
}
