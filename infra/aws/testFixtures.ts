import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ManifestSchema, type Manifest } from "../manifest/schema";
import { SettingsSchema, type Environment, type Settings } from "../settings/schema";

/**
 * Test fixtures: the real per-stack settings (Pulumi.<stack>.yaml) and sample manifests (stacks/<stack>.yaml),
 * so the AWS tests check what the stacks will actually deploy. Used by tests only.
 */

const ROOT = join(__dirname, "..", "..");
const NAMESPACE = "skyporten-onboarding:";

/** The stack's settings, parsed by the project's settings schema from Pulumi.<stack>.yaml. */
export function stackSettings(stack: Environment): Settings {
  const file = parse(readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config = Object.fromEntries(
    Object.entries(file.config)
      .filter(([key]) => key.startsWith(NAMESPACE))
      .map(([key, value]) => [key.slice(NAMESPACE.length), value]),
  );
  return SettingsSchema.parse(config);
}

/** The stack's sample manifest, parsed by the manifest schema. */
export function stackManifest(stack: Environment): Manifest {
  return ManifestSchema.parse(parse(readFileSync(join(ROOT, "stacks", `${stack}.yaml`), "utf8")));
}
