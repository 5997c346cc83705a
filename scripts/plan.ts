/**
 * npm run plan -- [--stack S] [--manifest FILE] [--json OUT] [--markdown OUT] [--base GIT_REF]
 *
 * The project's main job: runs the real program (infra/index.ts) under Pulumi's mock runtime with the stack's
 * settings, needing no Pulumi CLI, credentials or network, and shows what `pulumi up` would create.
 * Exit 0 ok, 1 invalid manifest or settings, 2 mandatory policy violation (files are still written).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, loadManifestFile } from "../infra/manifest/load";
import { leftBehind, leftBehindLines, sharingGroups, sharingLines } from "../infra/manifest/isolation";
import { stackChecks } from "../infra/stackChecks";
import { SAMARBEIDSPORTALEN_URL, scopeAccessStep } from "../infra/maskinporten/instructions";
import { SettingsError } from "../infra/settings";
import { CliError, parseCli, runMain, settingsFor } from "./lib/cli";
import { combineMarkdown, formatDiffMarkdown } from "./lib/diff";
import { diffAgainstBase } from "./lib/diffBase";
import { runProgramOffline } from "./lib/offlineRun";
import { evaluatePolicies } from "../policies/rules";
import { buildPlanJson, formatMarkdown, formatSummary, policyResources } from "./lib/plan";

const USAGE =
  "usage: npm run plan -- [--stack test|prod] [--config-file FILE] [--manifest FILE] [--json OUT] [--markdown OUT] [--base GIT_REF]";

export async function plan(argv: string[]): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      stack: { type: "string" },
      manifest: { type: "string" },
      "config-file": { type: "string" },
      json: { type: "string" },
      markdown: { type: "string" },
      base: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  const stack = values.stack ?? "test";
  const configFile = values["config-file"];
  const settings = settingsFor(stack, configFile);
  const manifestFile = path.normalize(values.manifest ?? settings.manifest);

  // Validate first, with the same messages as `npm run validate --stack`: what the stack's settings would
  // refuse is an error at its field here, never a failure inside the program.
  const loaded = loadManifestFile(manifestFile, { checks: stackChecks(settings) });
  for (const w of loaded.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`${formatProblem(e)}\n`);
    process.stderr.write(`${manifestFile}: ${loaded.errors.length} error(s); the manifest is invalid\n`);
    return 1;
  }

  // Pulumi captures a stack trace for every resource and promise; with source maps on (tsx turns them on)
  // each capture is resolved through the maps, which dominated the plan's profile.
  process.setSourceMapsEnabled(false);
  let run;
  try {
    run = await runProgramOffline({ stack, manifest: manifestFile, configFile });
  } catch (e) {
    if (e instanceof SettingsError) throw new CliError(e.message);
    // The program refuses input it cannot deploy (limits, names) with a RunError: a user error, not a bug.
    if (e instanceof Error && (e as { __pulumiRunError?: boolean }).__pulumiRunError === true)
      throw new CliError(e.message);
    throw e;
  }

  // The policy pack's rules, applied to the recorded resources exactly as `pulumi preview --policy-pack` would.
  const policyViolations = evaluatePolicies(policyResources(run.resources), {
    environment: run.settings.environment,
    nameKey: run.settings.nameKey,
    audience: run.settings.audience,
    declaredBuckets: loaded.manifest.buckets.map((b) => b.name),
  });
  const planJson = buildPlanJson({
    stack,
    manifestFile,
    manifest: loaded.manifest,
    resources: run.resources,
    policyViolations,
  });
  const notes: string[] = [...sharingLines(sharingGroups(loaded.manifest)), ...leftBehindLines(leftBehind(loaded.manifest))].map(
    (line) => `note: ${line}`,
  );
  if (!run.settings.maskinporten.manageScopeAccess) {
    // The same URLs the ScopeAccess provider would call (infra/maskinporten), one line per partner to act on.
    const steps = loaded.manifest.partners.map((p) => scopeAccessStep(run.settings, p.orgNumber, p.status));
    notes.push(
      [
        `Maskinporten scope access is not managed on this stack (maskinporten.manageScopeAccess is off): do these by hand in Samarbeidsportalen (${SAMARBEIDSPORTALEN_URL}) or with Digdir's self-service API:`,
        ...steps.map(
          (st) => `  ${st.method.padEnd(6)} ${st.url}   (${st.action} organization ${st.orgNumber})`,
        ),
      ].join("\n"),
    );
  }

  process.stdout.write(`${formatSummary(run.settings, loaded.manifest, planJson, run.resources, notes)}\n`);
  // --base: the semantic access diff against the manifest at a git revision (scripts/lib/diff.ts).
  let diffMarkdown: string | undefined;
  if (values.base !== undefined) {
    const diff = await diffAgainstBase({
      stack,
      baseRef: values.base,
      manifestFile,
      settings: run.settings,
      ...(configFile === undefined ? {} : { configFile }),
      head: { manifest: loaded.manifest, plan: planJson },
    });
    diffMarkdown = formatDiffMarkdown(diff);
    process.stdout.write(`\n${diffMarkdown}`);
  }
  if (values.json !== undefined) {
    writeFile(values.json, `${JSON.stringify(planJson, null, 2)}\n`);
    process.stdout.write(`wrote ${values.json}\n`);
  }
  if (values.markdown !== undefined) {
    const planMarkdown = formatMarkdown(run.settings, loaded.manifest, planJson, run.resources, notes);
    writeFile(
      values.markdown,
      diffMarkdown === undefined ? planMarkdown : combineMarkdown(diffMarkdown, planMarkdown),
    );
    process.stdout.write(`wrote ${values.markdown}\n`);
  }
  return planJson.policyViolations.some((v) => v.level === "mandatory") ? 2 : 0;
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, text);
}

if (require.main === module) runMain(() => plan(process.argv.slice(2)));
