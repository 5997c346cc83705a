import * as pulumi from "@pulumi/pulumi";
import { parseSettings, PROJECT, SETTINGS_KEYS, SettingsError } from "./index";
import type { Settings } from "./schema";

/**
 * Read the stack's settings from Pulumi config, once, at the entry point. Problems become a RunError
 * (Pulumi prints it without a stack trace) listing every bad key and its fix.
 */
export function readSettingsFromConfig(): Settings {
  const config = new pulumi.Config(PROJECT);
  const raw: Record<string, unknown> = {};
  for (const key of SETTINGS_KEYS) {
    const value = config.getObject<unknown>(key) ?? config.get(key);
    if (value !== undefined) raw[key] = value;
  }
  try {
    return parseSettings(raw, `stack ${pulumi.getStack()} (Pulumi.${pulumi.getStack()}.yaml)`);
  } catch (e) {
    if (e instanceof SettingsError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
