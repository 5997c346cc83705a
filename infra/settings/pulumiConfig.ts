import * as pulumi from "@pulumi/pulumi";
import { parseSettings, PROJECT, SETTINGS_KEYS, SettingsError } from "./index";
import type { Settings } from "./schema";

const OBJECT_KEYS: ReadonlySet<string> = new Set(["azure", "aws", "maskinporten"]);

/**
 * Read the stack's settings from Pulumi config, once, at the entry point. Problems become a RunError
 * (Pulumi prints it without a stack trace) listing every bad key and its fix.
 */
export function readSettingsFromConfig(): Settings {
  const config = new pulumi.Config(PROJECT);
  const raw: Record<string, unknown> = {};
  try {
    for (const key of SETTINGS_KEYS) {
      // Structured config arrives JSON-encoded; scalars as plain strings. The zod schema judges the result.
      const value = OBJECT_KEYS.has(key) ? config.getObject<unknown>(key) : key === "protectIdentities" ? config.getBoolean(key) : config.get(key);
      if (value !== undefined) raw[key] = value;
    }
    return parseSettings(raw, `stack ${pulumi.getStack()} (Pulumi.${pulumi.getStack()}.yaml)`);
  } catch (e) {
    if (e instanceof SettingsError) throw new pulumi.RunError(e.message);
    if (e instanceof Error && e.name === "ConfigTypeError") throw new pulumi.RunError(`invalid stack settings: ${e.message}`);
    throw e;
  }
}
