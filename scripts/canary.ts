/**
 * npm run canary -- --stack S [--config-file F] [--manifest FILE] [--outputs FILE] [--json OUT]
 *
 * After a deploy, prove the trust chain end to end with the platform's own canary organization: a Skyporten
 * token by JWT grant (checked with explain's checks), the Azure and AWS exchanges, write/read/list/delete inside
 * the canary's grant and a refusal outside it. Exit 0 all proven, 1 a step failed (named), 2 not configured.
 * Never prints a token or key.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, loadManifestFile } from "../infra/manifest/load";
import { OutputsError, parseStackOutputs, type PartnerOutputEntry } from "../infra/partnerFacts";
import {
  CANARY_PRIVATE_KEY_ENV,
  CANARY_PRIVATE_KEY_SECRET,
  PLATFORM_SCOPE,
  PROJECT,
  readStackFile,
  SettingsError,
  stackSettings,
} from "../infra/settings";
import { CliError, parseCli, runMain } from "./lib/cli";
import { formatReport, formatStep } from "./lib/canary/report";
import type { RetryPolicy } from "./lib/canary/retry";
import { runCanary, type CanaryRunInput } from "./lib/canary/run";
import { canaryTarget } from "./lib/canary/target";
import type { HttpOptions } from "./lib/canary/http";

const USAGE =
  "usage: npm run canary -- --stack test|prod [--config-file F] [--manifest FILE] [--outputs FILE] [--json OUT] [--if-configured]";

export const HELP = `${USAGE}

Proves, after a deploy, that a partner can really use what the stack provisions, by doing exactly what a partner
does with the platform's own canary organization:
  skyporten.token   a Skyporten token by JWT grant (aud = the issuer, resource = the stack's audience)
  skyporten.check   the token checked with explain's checks (issuer, subject, audience, expiry, signature)
  azure.token       exchanged for an Entra ID token of the canary's identity (audience: the gateway's token
                    audience, else the storage account)
  azure.write/read/list/delete   a uniquely named file in the canary's Azure path grant
  azure.outside-*   reading in another container and a sibling path must be refused with 403
  aws.assume-role   sts:AssumeRoleWithWebIdentity for the canary's role (when the AWS variant is on)
  aws.put/get/list/delete        an object under the canary's prefix (delete is refused: partners' policies
                    grant no s3:DeleteObject)
  aws.outside-*     reading under a sibling prefix and another bucket must be refused with AccessDenied
Only documented transient failures are retried, with backoff, for at most 3 minutes per step and 10 per run: AADSTS70021 and
AADSTS700213 (a new federated credential replicating), HTTP 429 and 503.

Settings (Pulumi.<stack>.yaml; optional: without them the command exits 2):
  ${PROJECT}:canary:
    orgNumber: "<9 digits>"   the platform's own organization: an active partner entry of the manifest with an
                              Azure path grant it can write (read-write proves the most) and, when aws.enabled,
                              an S3 prefix it can write
    clientId: <client id>     the canary's Maskinporten client (with the scope ${PLATFORM_SCOPE})
    keyId: <kid>              the kid of that client's key registered at Digdir
  The private key (RSA, PEM: PKCS#8 or PKCS#1, unencrypted), one of:
    the environment variable ${CANARY_PRIVATE_KEY_ENV} (CI)
    pulumi config set --secret ${PROJECT}:${CANARY_PRIVATE_KEY_SECRET} < key.pem   (read with pulumi config get)

Options:
  --stack S         the stack (default test); --config-file F reads F instead of Pulumi.<S>.yaml
  --manifest FILE   the manifest (default: the stack's manifest setting)
  --outputs FILE    the deployed stack's outputs (pulumi stack output --json); default: asked from pulumi
  --json OUT        also write the report as JSON
  --if-configured   a stack without canary settings exits 0 with a note (CI runs on stacks that may have none);
                    every other problem still exits 2

Exit: 0 every step proven, 1 a step failed (named, with the cloud's error and the fix), 2 not configured.
See docs/runbook.md, "Deploy canary".`;

/** What tests replace: local stand-ins for every endpoint, the environment, the pulumi CLI. */
export interface CanaryIo {
  endpoints?: CanaryRunInput["endpoints"];
  http?: HttpOptions;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
  /** Runs the pulumi CLI (args) and returns its standard output. Default: execFile("pulumi"). */
  pulumi?: (args: string[]) => Promise<string>;
  now?: () => Date;
}

function runPulumi(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("pulumi", args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(stderr.split("\n").find((l) => l.trim() !== "") ?? error.message));
      else resolve(stdout);
    });
  });
}

/** Not configured: exit 2 with what is missing. */
const notConfigured = (message: string) => new CliError(message, 2);

export async function canary(argv: string[], io: CanaryIo = {}): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      stack: { type: "string" },
      "config-file": { type: "string" },
      manifest: { type: "string" },
      outputs: { type: "string" },
      json: { type: "string" },
      "if-configured": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  const stack = values.stack ?? "test";
  const configFile = values["config-file"];
  const env = io.env ?? process.env;
  const pulumi = io.pulumi ?? runPulumi;
  const stackArgs = ["--stack", stack, ...(configFile === undefined ? [] : ["--config-file", configFile])];

  let settings;
  let secretKeys: string[];
  try {
    settings = stackSettings(stack, process.cwd(), configFile);
    secretKeys = readStackFile(stack, process.cwd(), configFile).secretKeys;
  } catch (e) {
    if (e instanceof SettingsError) throw notConfigured(e.message);
    throw e;
  }
  if (settings.canary === undefined && values["if-configured"] === true) {
    process.stdout.write(`no canary configured for stack ${stack}: nothing to prove (--if-configured)\n`);
    return 0;
  }
  if (settings.canary === undefined)
    throw notConfigured(
      `no canary configured for stack ${stack}: set ${PROJECT}:canary (orgNumber, clientId, keyId) in ${configFile ?? `Pulumi.${stack}.yaml`}; see npm run canary -- --help`,
    );

  const manifestFile = path.normalize(values.manifest ?? settings.manifest);
  const loaded = loadManifestFile(manifestFile);
  if (!loaded.ok)
    throw notConfigured([...loaded.errors.map(formatProblem), `${manifestFile}: the manifest is invalid`].join("\n"));

  let outputs: Record<string, PartnerOutputEntry>;
  // `pulumi stack output` takes no --config-file (the outputs are the stack's, whatever file its config came from).
  const outputsSource = values.outputs ?? `pulumi stack output --stack ${stack} --json`;
  try {
    const text =
      values.outputs !== undefined ? fs.readFileSync(values.outputs, "utf8") : await pulumi(["stack", "output", "--stack", stack, "--json"]);
    outputs = parseStackOutputs(text, outputsSource);
  } catch (e) {
    if (e instanceof OutputsError) throw notConfigured(e.message);
    throw notConfigured(
      `cannot read the stack outputs from ${outputsSource} (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); pass --outputs FILE written by pulumi stack output --stack ${stack} --json`,
    );
  }

  const target = canaryTarget({ stack, settings, canary: settings.canary, manifest: loaded.manifest, manifestFile, outputs });
  if (!target.ok) throw notConfigured(`the canary of stack ${stack} cannot run:\n${target.problems.map((p) => `  - ${p}`).join("\n")}`);

  const secretKey = `${PROJECT}:${CANARY_PRIVATE_KEY_SECRET}`;
  let privateKeyPem = env[CANARY_PRIVATE_KEY_ENV];
  if ((privateKeyPem === undefined || privateKeyPem.trim() === "") && secretKeys.includes(secretKey)) {
    try {
      privateKeyPem = await pulumi(["config", "get", secretKey, ...stackArgs]);
    } catch (e) {
      throw notConfigured(
        `cannot read the secret ${secretKey} with pulumi config get (${e instanceof Error ? e.message : String(e)}); log in to the stack's backend, or set ${CANARY_PRIVATE_KEY_ENV}`,
      );
    }
  }
  if (privateKeyPem === undefined || privateKeyPem.trim() === "")
    throw notConfigured(
      `the canary's private key is not set: set the environment variable ${CANARY_PRIVATE_KEY_ENV}, or pulumi config set --secret ${secretKey} < key.pem`,
    );

  const report = await runCanary({
    target: target.target,
    settings,
    manifest: loaded.manifest,
    manifestFile,
    outputs,
    privateKeyPem,
    ...(io.endpoints === undefined ? {} : { endpoints: io.endpoints }),
    ...(io.http === undefined ? {} : { http: io.http }),
    ...(io.retry === undefined ? {} : { retry: io.retry }),
    ...(io.now === undefined ? {} : { now: io.now }),
    // Progress on stderr while it runs (a step can wait minutes for Entra replication); the report on stdout.
    onStep: (step, secrets) => process.stderr.write(`${secrets.redact(formatStep(step).join("\n"))}\n`),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (values.json !== undefined) {
    try {
      fs.mkdirSync(path.dirname(path.resolve(values.json)), { recursive: true });
      fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    } catch (e) {
      // A usage problem, not a failed step: exit 2 with the reason (never a crash code and a stack trace).
      const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      throw notConfigured(`cannot write --json ${values.json}: ${code}; the report above is the run's result`);
    }
  }
  return report.ok ? 0 : 1;
}

if (require.main === module) runMain(() => canary(process.argv.slice(2)));
