/**
 * Entry point of `pulumi up` / `pulumi preview` (package.json "main"). Reads the stack settings and the
 * onboarding manifest once, then composes the components; it holds no logic of its own.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem, loadManifestFile } from "./manifest/load";
import { defineStack } from "./program";
import { readSettingsFromConfig } from "./settings/pulumiConfig";
import { stackChecks } from "./stackChecks";

const settings = readSettingsFromConfig();
const manifestFile = path.resolve(__dirname, "..", settings.manifest);
// The stack's own checks too (KMS keys, IAM policy sizes, ...): refused at the manifest field, before any resource.
const loaded = loadManifestFile(manifestFile, { checks: stackChecks(settings) });
for (const w of loaded.warnings) void pulumi.log.warn(formatProblem(w));
if (!loaded.ok) {
  throw new pulumi.RunError(`the onboarding manifest is invalid:\n${loaded.errors.map(formatProblem).join("\n")}`);
}
let result: ReturnType<typeof defineStack>;
try {
  // The admin key is read (as a secret) only when the stack manages Maskinporten scope access.
  const maskinportenAdminKey = settings.maskinporten.manageScopeAccess ? new pulumi.Config().requireSecret("adminPrivateKey") : undefined;
  result = defineStack(settings, loaded.manifest, { maskinportenAdminKey });
} catch (e) {
  // Validation before creation (limits, names, references) throws plain Errors naming the partner and the
  // fix: show them without a stack trace.
  if (e instanceof Error && !(e instanceof pulumi.RunError)) throw new pulumi.RunError(e.message);
  throw e;
}

/** Per-partner handover data keyed by organization number (`pulumi stack output --json partners`). */
export const partners = result.partners;
