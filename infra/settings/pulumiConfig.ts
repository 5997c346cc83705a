import * as pulumi from "@pulumi/pulumi";
import { parseSettings, SettingsError, settingsFromConfig } from "./index";
import type { Settings } from "./schema";

/**
 * Read the stack's settings from Pulumi config, once, at the entry point. Problems become a RunError
 * (Pulumi prints it without a stack trace) listing every bad key and its fix.
 *
 * The whole config map is read, not `config.getObject(key)` per key: getObject JSON-parses every value and throws
 * on plain text such as `environment: test`, and reading only known keys would let a misspelt key go unnoticed.
 * Decoding is shared with the offline tools (settingsFromConfig), so `pulumi up` and `npm run plan` agree.
 */
export function readSettingsFromConfig(): Settings {
  const source = `stack ${pulumi.getStack()} (Pulumi.${pulumi.getStack()}.yaml)`;
  try {
    return parseSettings(settingsFromConfig(pulumi.runtime.allConfig()), source, pulumi.getStack());
  } catch (e) {
    if (e instanceof SettingsError) throw new pulumi.RunError(e.message);
    throw e;
  }
}
