import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SettingsSchema, type Settings } from "./schema";

export * from "./schema";

/** The Pulumi project name: the namespace of this program's config keys. */
export const PROJECT = "skyporten-onboarding";

/** Settings keys read from config (`skyporten-onboarding:<key>`). Objects are structured config. */
export const SETTINGS_KEYS = ["environment", "issuer", "scope", "audience", "manifest", "protectIdentities", "azure", "aws", "maskinporten"] as const;

export class SettingsError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid stack settings in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

/**
 * Parse raw config values (already JSON-decoded) into Settings. Every problem names the config key
 * (`skyporten-onboarding:azure.tenantId`) and the fix; all problems are reported at once.
 */
export function parseSettings(raw: Record<string, unknown>, source: string): Settings {
  const result = SettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length === 0 ? "(settings)" : `${PROJECT}:${issue.path.map(String).join(".")}`;
    if (issue.code === "unrecognized_keys") {
      return `${key}: unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}: remove or fix the spelling`;
    }
    const missing = issue.code === "invalid_type" && issue.input === undefined;
    return missing ? `${key} is not set: ${issue.message}; set it in Pulumi.<stack>.yaml (pulumi config set ${key.replace(/\.(\w+)$/, " --path $1")} ...)` : `${key}: ${issue.message}`;
  });
  throw new SettingsError(source, problems);
}

/** Secure config values in a stack file: they stay encrypted offline and become this placeholder. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface StackFile {
  /** Project-namespace settings, JSON-decoded. */
  settings: Record<string, unknown>;
  /** Every config key as Pulumi's runtime sees it (`ns:key` -> string value; objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose values are `secure:` in the file (replaced by SECRET_PLACEHOLDER). */
  secretKeys: string[];
}

/** Read Pulumi.<stack>.yaml without the Pulumi CLI (offline plan, validate, handover, explain). */
export function readStackFile(stack: string, projectDir = process.cwd()): StackFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new SettingsError(`--stack ${stack}`, [`"${stack}" is not a stack name; use test or prod`]);
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new SettingsError(file, [`no stack file Pulumi.${stack}.yaml; known stacks: ${listStacks(projectDir).join(", ") || "(none)"}`]);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const settings: Record<string, unknown> = {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const isSecret = typeof value === "object" && value !== null && "secure" in value;
    const v = isSecret ? SECRET_PLACEHOLDER : value;
    if (isSecret) secretKeys.push(key);
    config[key] = typeof v === "string" ? v : JSON.stringify(v);
    const [ns, name] = key.includes(":") ? (key.split(":", 2) as [string, string]) : [PROJECT, key];
    if (ns === PROJECT) settings[name] = v;
  }
  return { settings, config, secretKeys };
}

export function listStacks(projectDir = process.cwd()): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Settings of a stack from its stack file (offline tools). */
export function stackSettings(stack: string, projectDir = process.cwd()): Settings {
  return parseSettings(readStackFile(stack, projectDir).settings, `Pulumi.${stack}.yaml`);
}
