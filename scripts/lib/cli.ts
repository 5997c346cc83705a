import { parseArgs, type ParseArgsConfig } from "node:util";
import { SettingsError, stackSettings, type Settings } from "../../infra/settings";

/** Raised for a usage or input problem: the CLI prints the message (no stack trace) and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * node:util parseArgs with errors turned into CliError (exit 1 with the usage text). A single-value option given
 * twice is an error: parseArgs would silently keep the last (`--org A --org B` onboarding B).
 */
export function parseCli<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, usage: string) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    throw new CliError(`${e instanceof Error ? e.message : String(e)}\n${usage}`);
  }
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== "option" || options[t.name]?.multiple === true) continue;
    if (seen.has(t.name)) throw new CliError(`--${t.name} is given more than once; give it once\n${usage}`);
    seen.add(t.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

export function settingsFor(stack: string, configFile?: string): Settings {
  try {
    return stackSettings(stack, process.cwd(), configFile);
  } catch (e) {
    if (e instanceof SettingsError) throw new CliError(e.message);
    throw e;
  }
}

/** Run a CLI main: CliError -> message + its exit code; anything else is a bug and shows its stack. */
export function runMain(main: () => Promise<number> | number): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (e: unknown) => {
        if (e instanceof CliError) {
          process.stderr.write(`${e.message}\n`);
          process.exitCode = e.code;
        } else {
          process.stderr.write(`unexpected error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
          process.exitCode = 70;
        }
      },
    );
}
