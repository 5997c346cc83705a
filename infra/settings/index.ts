import * as fs from "node:fs";
import * as path from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { CANARY_PRIVATE_KEY_SECRET, CanarySettingsSchema } from "./canary";
import { GatewaySettingsSchema } from "./gateway";
import {
  AwsSettingsSchema,
  AzureSettingsSchema,
  MaskinportenSettingsSchema,
  SettingsSchema,
  type Settings,
} from "./schema";

export * from "./schema";
export * from "./canary";
export * from "./gateway";

/** The Pulumi project name: the namespace of this program's config keys. */
export const PROJECT = "skyporten-onboarding";

/** Settings keys read from config (`skyporten-onboarding:<key>`). Objects are structured config. */
export const SETTINGS_KEYS = [
  "environment",
  "issuer",
  "scope",
  "audience",
  "manifest",
  "nameKey",
  "protectIdentities",
  "azure",
  "aws",
  "maskinporten",
  "canary",
] as const;

/**
 * Config keys of the project that hold secrets and are read where they are used (`config.requireSecret`), never
 * into Settings: `pulumi config set --secret skyporten-onboarding:adminPrivateKey < key.pem`.
 */
export const SECRET_SETTINGS_KEYS = ["adminPrivateKey", CANARY_PRIVATE_KEY_SECRET] as const;

/** Settings given as structured config (a mapping in the stack file; JSON text at run time). */
const OBJECT_KEYS: ReadonlySet<string> = new Set(["azure", "aws", "maskinporten", "canary"]);
/** Top-level settings that are booleans: Pulumi hands every top-level value to the program as text. */
const BOOLEAN_KEYS: ReadonlySet<string> = new Set(["protectIdentities"]);

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
 * Decode one config value as the Pulumi runtime hands it to a program (always text; structured values as
 * JSON, https://www.pulumi.com/docs/iac/concepts/config/): JSON for structured settings, true/false for
 * booleans, text otherwise. What does not decode stays text, so the schema reports it with the key and the fix.
 */
export function decodeConfigValue(key: string, text: string): unknown {
  if (OBJECT_KEYS.has(key)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (BOOLEAN_KEYS.has(key) && (text === "true" || text === "false")) return text === "true";
  return text;
}

/**
 * The project's settings out of a whole config map (`ns:key` -> text, as `pulumi.runtime.allConfig()` and
 * readStackFile give it). Every key of the project namespace is kept, so a misspelt key is reported, except
 * SECRET_SETTINGS_KEYS.
 */
export function settingsFromConfig(config: Record<string, string>): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    if (!key.startsWith(`${PROJECT}:`)) continue;
    const name = key.slice(PROJECT.length + 1);
    if ((SECRET_SETTINGS_KEYS as readonly string[]).includes(name)) continue;
    settings[name] = decodeConfigValue(name, text);
  }
  return settings;
}

/** `skyporten-onboarding:azure.groupOwners[0]`: the form `pulumi config set --path` takes. */
export function configKey(path: readonly PropertyKey[]): string {
  let out = `${PROJECT}:`;
  path.forEach((seg, i) => {
    out += typeof seg === "number" ? `[${seg}]` : `${i === 0 ? "" : "."}${String(seg)}`;
  });
  return out;
}

function hasPath(raw: unknown, path: readonly PropertyKey[]): boolean {
  let node = raw;
  for (const seg of path) {
    if (typeof node !== "object" || node === null || !Object.prototype.hasOwnProperty.call(node, seg))
      return false;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return node !== undefined;
}

/** Known keys at a level of the settings, for the unknown-key hint. */
function knownKeys(path: readonly PropertyKey[]): readonly string[] | undefined {
  if (path.length === 0) return [...SETTINGS_KEYS, ...SECRET_SETTINGS_KEYS];
  if (path.length === 2 && path[0] === "azure" && path[1] === "gateway") return Object.keys(GatewaySettingsSchema.shape);
  if (path.length !== 1) return undefined;
  switch (path[0]) {
    case "azure":
      return Object.keys(AzureSettingsSchema.shape);
    case "aws":
      return Object.keys(AwsSettingsSchema.shape);
    case "maskinporten":
      return Object.keys(MaskinportenSettingsSchema.shape);
    case "canary":
      return Object.keys(CanarySettingsSchema.shape);
    default:
      return undefined;
  }
}

/**
 * Parse raw config values (already decoded, see decodeConfigValue) into Settings. Every problem names the config
 * key (`skyporten-onboarding:azure.tenantId`) and the fix; all problems are reported at once.
 *
 * `stack` is the stack's name: without a `manifest` setting the manifest is stacks/<stack>.yaml, so a third stack
 * (Pulumi.dev.yaml with environment: test) reads its own manifest, not the test stack's. Without it the manifest
 * defaults to stacks/<environment>.yaml.
 */
export function parseSettings(raw: Record<string, unknown>, source: string, stack?: string): Settings {
  const result = SettingsSchema.safeParse(raw);
  if (result.success) {
    return stack === undefined || raw.manifest !== undefined ? result.data : { ...result.data, manifest: `stacks/${stack}.yaml` };
  }
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(issue.path);
      const hint = known === undefined ? "" : ` (known settings here: ${known.join(", ")})`;
      return issue.keys.map(
        (k) => `${configKey([...issue.path, k])}: unknown setting: remove it or fix the spelling${hint}`,
      );
    }
    const key = configKey(issue.path);
    if (!hasPath(raw, issue.path)) {
      const set =
        issue.path.length > 1
          ? `pulumi config set --path '${key}' <value>`
          : `pulumi config set ${key} <value>`;
      return [`${key} is not set: ${issue.message}; set it in Pulumi.<stack>.yaml (${set})`];
    }
    return [`${key}: ${issue.message}`];
  });
  throw new SettingsError(source, problems);
}

/** Secure config values in a stack file: they stay encrypted offline and become this placeholder. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface StackFile {
  /** Project-namespace settings, decoded as the Pulumi runtime would hand them over (see settingsFromConfig). */
  settings: Record<string, unknown>;
  /** Every config key as Pulumi's runtime sees it (`ns:key` -> string value; objects JSON-encoded). */
  config: Record<string, string>;
  /** Keys whose values are `secure:` in the file (replaced by SECRET_PLACEHOLDER). */
  secretKeys: string[];
}

/**
 * Read Pulumi.<stack>.yaml without the Pulumi CLI (offline plan, validate, handover, explain). `configFile`
 * reads another file instead, like `pulumi --config-file`.
 */
export function readStackFile(stack: string, projectDir = process.cwd(), configFile?: string): StackFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new SettingsError(`--stack ${stack}`, [`"${stack}" is not a stack name; use test or prod`]);
  const file = configFile === undefined ? path.join(projectDir, `Pulumi.${stack}.yaml`) : path.resolve(projectDir, configFile);
  if (configFile !== undefined && !fs.existsSync(file)) {
    throw new SettingsError(file, [`the config file ${configFile} does not exist`]);
  }
  if (!fs.existsSync(file)) {
    throw new SettingsError(file, [
      `no stack file Pulumi.${stack}.yaml; known stacks: ${listStacks(projectDir).join(", ") || "(none)"}`,
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, "utf8"), {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
  });
  if (doc.errors.length > 0) {
    throw new SettingsError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${file}:${pos.line}:${pos.col}: ${e.code === "DUPLICATE_KEY" ? "a config key appears twice; keep one" : e.message.split("\n")[0]!}`;
      }),
    );
  }
  const top: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const configBlock =
    typeof top === "object" && top !== null ? (top as { config?: unknown }).config : undefined;
  if (
    configBlock !== undefined &&
    configBlock !== null &&
    (typeof configBlock !== "object" || Array.isArray(configBlock))
  ) {
    throw new SettingsError(file, ['"config" must be a mapping of config keys to values']);
  }
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const problems: string[] = [];
  for (const [rawKey, value] of Object.entries((configBlock ?? {}) as Record<string, unknown>)) {
    // Pulumi's own rule: a key without a namespace belongs to the project.
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    const isSecret = typeof value === "object" && value !== null && "secure" in value;
    if (isSecret) secretKeys.push(key);
    const name = key.slice(PROJECT.length + 1);
    if (
      !isSecret &&
      key.startsWith(`${PROJECT}:`) &&
      (SECRET_SETTINGS_KEYS as readonly string[]).includes(name)
    ) {
      problems.push(
        `${key} is stored in plain text; remove it and set it with pulumi config set --secret ${key}`,
      );
    }
    const v = isSecret ? SECRET_PLACEHOLDER : value;
    config[key] = typeof v === "string" ? v : JSON.stringify(v);
  }
  if (problems.length > 0) throw new SettingsError(file, problems);
  return { settings: settingsFromConfig(config), config, secretKeys };
}

export function listStacks(projectDir = process.cwd()): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Settings of a stack from its stack file (offline tools). */
export function stackSettings(stack: string, projectDir = process.cwd(), configFile?: string): Settings {
  return parseSettings(readStackFile(stack, projectDir, configFile).settings, configFile ?? `Pulumi.${stack}.yaml`, stack);
}
