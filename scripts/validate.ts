/**
 * npm run validate -- [--stack S] [--today YYYY-MM-DD] [FILE]
 * Validate a manifest: exit 0 when valid (warnings printed), 1 when invalid; every error on stderr as
 * `file:line:col path: message`, all errors of the file at once. `--today` sets the day reviewBy dates are
 * judged against (default: today, UTC), for reproducible CI runs. With the stack's settings (`--stack`, default
 * test) it also reports what that stack would refuse (KMS keys, IAM policy sizes, AWS disabled), at the field.
 */
import * as path from "node:path";
import { formatProblem, loadManifestFile } from "../infra/manifest/load";
import { leftBehind, leftBehindLines, sharingGroups, sharingLines } from "../infra/manifest/isolation";
import type { Settings } from "../infra/settings/schema";
import { stackChecks } from "../infra/stackChecks";
import { CliError, parseCli, runMain, settingsFor } from "./lib/cli";

const USAGE = "usage: npm run validate -- [--stack test|prod] [--today YYYY-MM-DD] [FILE]";

export function validate(argv: string[]): number {
  const { values, positionals } = parseCli(
    argv,
    { stack: { type: "string" }, today: { type: "string" }, help: { type: "boolean", short: "h" } },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new CliError(`give at most one manifest file\n${USAGE}`);
  const stack = values.stack ?? "test";
  // A file given without --stack is still judged against the default stack when its settings can be read.
  let settings: Settings | undefined;
  try {
    settings = settingsFor(stack);
  } catch (e) {
    if (values.stack !== undefined || positionals[0] === undefined || !(e instanceof CliError)) throw e;
    process.stderr.write(`note: the settings of stack "${stack}" cannot be read, so only the manifest itself is checked (${e.message.split("\n")[0]})\n`);
  }
  const file = positionals[0] ?? settings!.manifest;
  const shown = path.isAbsolute(file) ? file : path.normalize(file);
  const result = loadManifestFile(shown, {
    today: values.today === undefined ? undefined : parseDay(values.today),
    ...(settings === undefined ? {} : { checks: stackChecks(settings) }),
  });
  for (const w of result.warnings) process.stderr.write(`${formatProblem(w)}\n`);
  if (!result.ok) {
    for (const e of result.errors) process.stderr.write(`${formatProblem(e)}\n`);
    process.stderr.write(`${shown}: ${result.errors.length} error(s); the manifest is invalid\n`);
    return 1;
  }
  const m = result.manifest;
  // Who sees whom where the manifest allows it (shared: true): no field position carries that.
  for (const line of [...sharingLines(sharingGroups(m)), ...leftBehindLines(leftBehind(m))])
    process.stderr.write(`${shown}: note: ${line}\n`);
  process.stdout.write(
    `${shown}: valid (${m.partners.length} partners, ${m.containers.length} containers, ${m.buckets.length} buckets${result.warnings.length > 0 ? `, ${result.warnings.length} warning(s)` : ""})\n`,
  );
  return 0;
}

function parseDay(text: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : undefined;
  if (day === undefined || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) {
    throw new CliError(`--today must be a date written YYYY-MM-DD, got "${text}"\n${USAGE}`);
  }
  return day;
}

if (require.main === module) runMain(() => validate(process.argv.slice(2)));
