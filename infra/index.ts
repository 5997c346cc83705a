/**
 * Entry point of `pulumi up` / `pulumi preview` (package.json "main"). Reads the stack settings and the
 * onboarding manifest once, then composes the components; it holds no logic of its own.
 *
 * The module exports an async function, Pulumi's top-level async program: the runner calls it and awaits it, and
 * its result is the stack's outputs (@pulumi/pulumi cmd/run/run.js: "exported top level async functions that
 * pulumi programs can live in"). defineStack builds one partner at a time and lets registrations complete in
 * between (infra/program.ts).
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { formatProblem, loadManifestFile } from "./manifest/load";
import { defineStack, type StackResult } from "./program";
import { readSettingsFromConfig } from "./settings/pulumiConfig";
import { stackChecks } from "./stackChecks";

/** The stack's outputs. `partners`: per-partner handover data keyed by organization number (`pulumi stack output --json partners`). */
export = async (): Promise<StackResult> => {
  const settings = readSettingsFromConfig();
  const manifestFile = path.resolve(__dirname, "..", settings.manifest);
  // The stack's own checks too (KMS keys, IAM policy sizes, ...): refused at the manifest field, before any resource.
  const loaded = loadManifestFile(manifestFile, { checks: stackChecks(settings) });
  for (const w of loaded.warnings) void pulumi.log.warn(formatProblem(w));
  if (!loaded.ok) {
    throw new pulumi.RunError(`the onboarding manifest is invalid:\n${loaded.errors.map(formatProblem).join("\n")}`);
  }
  try {
    // The admin key is read (as a secret) only when the stack manages Maskinporten scope access.
    const maskinportenAdminKey = settings.maskinporten.manageScopeAccess ? new pulumi.Config().requireSecret("adminPrivateKey") : undefined;
    const { partners } = await defineStack(settings, loaded.manifest, { maskinportenAdminKey });
    return { partners };
  } catch (e) {
    // Validation before creation (limits, names, references) throws plain Errors naming the partner and the
    // fix: show them without a stack trace.
    if (e instanceof Error && !(e instanceof pulumi.RunError)) throw new pulumi.RunError(e.message);
    throw e;
  }
};
