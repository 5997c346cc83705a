/**
 * npm run audit -- --stack S [--config-file F] [--manifest FILE] [--observed FILE] [--json OUT] [--markdown OUT]
 *                  [--write-expected FILE] [--platform-principal OID]... [--today YYYY-MM-DD]
 *
 * The access that really exists, held against the manifest. Without --observed it reads Azure, AWS and Digdir
 * live, read-only, with the clouds' SDKs (credentials from the environment: DefaultAzureCredential, the AWS
 * default chain, MASKINPORTEN_ADMIN_PRIVATE_KEY); with --observed it judges a document in the observed-access
 * format and needs no credentials. --write-expected writes what the manifest expects, in that format, with the
 * offline plan's placeholder ids (alone, it reads nothing from the clouds).
 * Exit 0 nothing unexpected, 1 findings (critical or warning), 2 could not collect or read the input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  compareAccess,
  expectedState,
  ObservedStateError,
  parseAccessState,
  reviewNotices,
  type AccessState,
  type ExpectedIds,
} from "../infra/audit";
import { formatProblem, loadManifestFile } from "../infra/manifest/load";
import { SettingsError, type Settings } from "../infra/settings";
import { collectLive, type LiveSources } from "./lib/audit/collect";
import { liveSourcesFromEnvironment } from "./lib/audit/environment";
import { planIds } from "./lib/audit/planIds";
import { exitCode, reportJson, reportMarkdown, reportText, type AuditReport } from "./lib/audit/report";
import { CliError, parseCli, runMain, settingsFor } from "./lib/cli";
import { runProgramOffline } from "./lib/offlineRun";

const USAGE =
  "usage: npm run audit -- --stack test|prod [--config-file F] [--manifest FILE] [--observed FILE] [--json OUT] [--markdown OUT] [--write-expected FILE] [--platform-principal OID]... [--today YYYY-MM-DD]";

/** What the CLI needs from the outside world; tests replace the live sources with local servers. */
export interface AuditDeps {
  liveSources(settings: Settings): Promise<LiveSources>;
  /** Placeholder ids of the offline plan (runs the program under Pulumi's mock runtime). */
  planIds(
    stack: string,
    manifest: string,
    configFile: string | undefined,
    settings: Settings,
  ): Promise<ExpectedIds>;
  now(): Date;
}

/** Far in the past: loading judges no review date, so a past reviewBy never stops the audit (it is reported). */
const NO_REVIEW_CUTOFF = new Date(Date.UTC(1970, 0, 1));
const OID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function audit(argv: string[], deps: AuditDeps = defaultDeps): Promise<number> {
  const { values, positionals } = parseAuditArgs(argv);
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`, 2);
  try {
    return await run(values, deps);
  } catch (e) {
    if (e instanceof CliError) throw e;
    // The contract's exit codes are 0, 1 and 2 only: whatever else goes wrong, the audit did not complete, and a
    // nightly job must read that as "not known to be clean", never as a crash code or a stack trace.
    throw new CliError(
      `the audit could not complete: ${e instanceof Error ? e.message.split("\n")[0] : String(e)} (an input the audit does not understand, or a bug: please report it with the input)`,
      2,
    );
  }
}

const OPTIONS = {
  stack: { type: "string" },
  "config-file": { type: "string" },
  manifest: { type: "string" },
  observed: { type: "string" },
  json: { type: "string" },
  markdown: { type: "string" },
  "write-expected": { type: "string" },
  "platform-principal": { type: "string", multiple: true },
  today: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parseAuditArgs(argv: string[]) {
  try {
    return parseCli(argv, OPTIONS, USAGE);
  } catch (e) {
    // A usage mistake means the audit could not run: exit 2, like any unreadable input.
    if (e instanceof CliError) throw new CliError(e.message, 2);
    throw e;
  }
}

type Values = ReturnType<typeof parseAuditArgs>["values"];

async function run(values: Values, deps: AuditDeps): Promise<number> {
  const stack = values.stack ?? "test";
  const configFile = values["config-file"];
  let settings: Settings;
  try {
    settings = settingsFor(stack, configFile);
  } catch (e) {
    if (e instanceof CliError) throw new CliError(e.message, 2);
    throw e;
  }
  const platformPrincipals = values["platform-principal"] ?? [];
  for (const p of platformPrincipals)
    if (!OID.test(p))
      throw new CliError(`--platform-principal "${p}" must be an Entra object id (a GUID)`, 2);
  const today = values.today === undefined ? deps.now() : parseDay(values.today);

  const manifestFile = path.normalize(values.manifest ?? settings.manifest);
  const loaded = loadManifestFile(manifestFile, { today: NO_REVIEW_CUTOFF });
  if (!loaded.ok) {
    throw new CliError(
      `${loaded.errors.map(formatProblem).join("\n")}\n${manifestFile}: ${loaded.errors.length} error(s); the audit needs a valid manifest`,
      2,
    );
  }
  const manifest = loaded.manifest;

  const expectationOf = (ids?: ExpectedIds) => {
    try {
      return expectedState(stack, settings, manifest, ids, platformPrincipals);
    } catch (e) {
      // planAcls refuses a manifest it could not deploy (ACL limits, nested grants): an input problem.
      throw new CliError(`${manifestFile}: ${e instanceof Error ? e.message : String(e)}`, 2);
    }
  };

  if (values["write-expected"] !== undefined) {
    const ids = await deps.planIds(stack, manifestFile, configFile, settings);
    writeFile(
      "--write-expected",
      values["write-expected"],
      `${JSON.stringify(expectationOf(ids).state, null, 2)}\n`,
    );
    process.stdout.write(
      `wrote ${values["write-expected"]} (expected access of stack "${stack}", plan placeholder ids)\n`,
    );
    if (values.observed === undefined) return 0;
  }

  const expectation = expectationOf();
  let observed: AccessState;
  let unread: AuditReport["unreadable"] = [];
  if (values.observed !== undefined) {
    observed = readObserved(values.observed);
    if (observed.stack !== stack)
      throw new CliError(
        `${values.observed}: stack is "${observed.stack}", but --stack is "${stack}"; pass the stack the document was read from`,
        2,
      );
    // A cloud the stack uses but the document lacks was not read: the audit is incomplete (exit 2), never clean.
    for (const [cloud, used] of [
      ["azure", true],
      ["aws", settings.aws.enabled],
      ["maskinporten", settings.maskinporten.manageScopeAccess],
    ] as const) {
      if (used && observed[cloud] === undefined)
        unread.push({
          source: cloud,
          reason: `${values.observed} has no "${cloud}" key: the stack uses ${cloud}, so it was not judged`,
        });
    }
  } else {
    const collected = await collectLive(stack, settings, manifest, await deps.liveSources(settings));
    observed = collected.observed;
    unread = collected.unreadable;
  }

  const report: AuditReport = {
    stack,
    observed: values.observed ?? "live",
    findings: compareAccess(
      expectation,
      observed,
      unread.map((u) => u.source),
    ),
    reviews: reviewNotices(manifest, today),
    unreadable: unread,
  };
  process.stdout.write(reportText(report));
  if (values.json !== undefined) writeFile("--json", values.json, reportJson(report));
  if (values.markdown !== undefined) writeFile("--markdown", values.markdown, reportMarkdown(report));
  return exitCode(report);
}

function parseDay(text: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`)))
    throw new CliError(`--today "${text}" must be a date written YYYY-MM-DD`, 2);
  return new Date(`${text}T00:00:00Z`);
}

function readObserved(file: string): AccessState {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new CliError(
      `cannot read the observed-access file "${file}": it does not exist or is not readable`,
      2,
    );
  }
  try {
    return parseAccessState(text, file);
  } catch (e) {
    if (e instanceof ObservedStateError) throw new CliError(e.message, 2);
    throw e;
  }
}

function writeFile(option: string, file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new CliError(`cannot write ${option} ${file}: ${code}; pass a writable file path`, 2);
  }
}

const defaultDeps: AuditDeps = {
  liveSources: (settings) => liveSourcesFromEnvironment(settings),
  async planIds(stack, manifest, configFile, settings) {
    process.setSourceMapsEnabled(false);
    try {
      const run = await runProgramOffline({ stack, manifest, configFile });
      return planIds(stack, settings, run.resources);
    } catch (e) {
      if (e instanceof SettingsError) throw new CliError(e.message, 2);
      if (e instanceof Error && (e as { __pulumiRunError?: boolean }).__pulumiRunError === true)
        throw new CliError(e.message, 2);
      throw e;
    }
  },
  now: () => new Date(),
};

if (require.main === module) runMain(() => audit(process.argv.slice(2)));
