/**
 * npm run onboard -- <command> [options]: add, promote, suspend, reinstate or offboard a partner by editing the
 * stack's manifest, keeping its comments, order and layout. Every result is validated as `npm run validate` does
 * before anything is written; on errors nothing is written. Exit 0 written, 1 refused or invalid.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatProblem, loadManifestText, type Problem } from "../infra/manifest/load";
import type { PartnerStatus } from "../infra/manifest/schema";
import { partnerLogicalName } from "../infra/naming";
import { PROJECT, type Settings } from "../infra/settings";
import { CliError, parseCli, runMain, settingsFor } from "./lib/cli";
import { addPartner, grantCounts, parseAwsGrant, parseAzureGrant, promotePartner, setStatus, type NewPartnerEntry } from "./lib/onboardEdit";
import { BRREG_API_URL, lookupOrganization } from "./lib/onboardLookup";

const USAGE = `usage: npm run onboard -- <command> [options]
  add --stack S --org N (--name "NAME" | --lookup) [--azure CONTAINER:ACCESS[:PATH]]... [--aws BUCKET:PREFIX:ACCESS]...
      [--contact TEXT] [--review-by YYYY-MM-DD] [--manifest FILE]
  promote --org N --from test --to prod [--bucket FROM=TO]... [--from-manifest FILE] [--to-manifest FILE]
  suspend | reinstate | offboard --stack S --org N [--manifest FILE]
access is read, write or read-write; --lookup reads the legal name from Brønnøysundregistrene (BRREG_API_URL overrides the API).`;

export interface OnboardIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

const processIo: OnboardIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

export async function onboard(argv: string[], io: OnboardIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "add":
      return add(rest, io);
    case "promote":
      return promote(rest, io);
    case "suspend":
      return changeStatus(rest, io, "suspended");
    case "reinstate":
      return changeStatus(rest, io, "active");
    case "offboard":
      return changeStatus(rest, io, "offboarded");
    case "--help":
    case "-h":
    case "help":
      io.out(USAGE);
      return 0;
    case undefined:
      throw new CliError(`give a command\n${USAGE}`);
    default:
      throw new CliError(`unknown command "${command}"\n${USAGE}`);
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new CliError(`--${flag} is required\n${USAGE}`);
  return value;
}

function noPositionals(positionals: string[]): void {
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
}

function readManifest(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    throw new CliError(`cannot read manifest file "${file}"; pass the path of stacks/<stack>.yaml with --manifest`);
  }
}

/**
 * A file with old Mac (CR-only) line endings is edited as LF (the editing functions place text by lines) and
 * written back with CR, so it keeps its line endings. CRLF and LF files are edited as they are.
 */
const crOnly = (text: string) => text.includes("\r") && !text.includes("\n");
const editable = (text: string) => (crOnly(text) ? text.replace(/\r/g, "\n") : text);
const asWritten = (original: string, text: string) => (crOnly(original) ? text.replace(/\n/g, "\r") : text);

/** Validate as `npm run validate` does; print warnings and errors. */
function check(file: string, text: string, io: OnboardIo): boolean {
  const result = loadManifestText(text, file);
  for (const w of result.warnings) io.err(formatProblem(w));
  if (!result.ok) {
    for (const e of result.errors) io.err(formatProblem(e));
    io.err(`${file}: not written: the change would make the manifest invalid (${result.errors.length} error(s))`);
    return false;
  }
  return true;
}

/**
 * For suspend and offboard, which must never wait for unrelated fixes (an emergency suspension cannot be blocked
 * by another partner's expired reviewBy): refuse only errors the change itself brings. Errors already in the file
 * are printed as warnings. Compared by field path and message, since the edit may shift line numbers.
 */
function checkNoNewErrors(file: string, original: string, text: string, io: OnboardIo): boolean {
  const key = (p: Problem) => `${p.path}\u0000${p.message}`;
  const before = loadManifestText(original, file);
  const existing = new Set(before.ok ? [] : before.errors.map(key));
  const result = loadManifestText(text, file);
  for (const w of result.warnings) io.err(formatProblem(w));
  if (result.ok) return true;
  const added = result.errors.filter((e) => !existing.has(key(e)));
  if (added.length > 0) {
    for (const e of added) io.err(formatProblem(e));
    io.err(`${file}: not written: the change would make the manifest invalid (${added.length} error(s))`);
    return false;
  }
  for (const e of result.errors) io.err(`warning: ${formatProblem(e)}`);
  io.err(`warning: ${file} already had ${result.errors.length} error(s) that this change does not touch; it is written anyway, fix them before the pull request`);
  return true;
}

/**
 * Write through a temporary file in the same directory, so a crash never leaves half a manifest. A symlinked
 * manifest is written at its target (the link stays a link); the file's mode is kept. Just before the rename the
 * file is read again: if it is no longer `expected` (another edit happened while this command ran, e.g. during
 * --lookup's network call), nothing is written, so that edit is never silently undone.
 */
function write(file: string, expected: string, text: string): void {
  const target = realTarget(file);
  const mode = fs.statSync(target).mode & 0o7777;
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  try {
    if (readManifest(file) !== expected) {
      throw new CliError(`${file} changed while this command ran (another edit?); nothing was written: run the command again`);
    }
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** The file a path names, following symlinks (a dangling or looping link is a clear error). */
function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    throw new CliError(`cannot resolve manifest file "${file}" (a broken symlink?); pass the path of stacks/<stack>.yaml with --manifest`);
  }
}

/** The identity's URN in the stack's state: component `partner-<org>` (infra/program.ts), child `<component>-identity` (infra/azure/identity.ts). */
export function identityStateUrn(stack: string, orgNumber: string): string {
  return identityStateUrns(stack, orgNumber, "managed-identity")[0]!;
}

/**
 * The URNs of the protected resources that make up a partner's identity, by the stack's identity kind: the
 * managed identity (`<component>-identity`, infra/azure/identity.ts), or the application and its service
 * principal (`<component>-app`, `<component>-sp`, infra/azure/appRegistration.ts).
 */
export function identityStateUrns(stack: string, orgNumber: string, kind: Settings["azure"]["identityKind"]): string[] {
  const parent = `urn:pulumi:${stack}::${PROJECT}::skyporten:partner:SkyportenPartner`;
  const name = partnerLogicalName(orgNumber);
  return kind === "app-registration"
    ? [`${parent}$azuread:index/application:Application::${name}-app`, `${parent}$azuread:index/servicePrincipal:ServicePrincipal::${name}-sp`]
    : [`${parent}$azure-native:managedidentity:UserAssignedIdentity::${name}-identity`];
}

function prStep(file: string, stack: string): string {
  return `Open a pull request with ${file}; its checks post the access diff (locally: npm run plan -- --stack ${stack} --base origin/main).`;
}

function handoverStep(stack: string, org: string): string {
  return `After the merge has been deployed to ${stack}, write the partner's handover document and send it: pulumi stack output --stack ${stack} --json > outputs.json && npm run handover -- --stack ${stack} --org ${org} --outputs outputs.json`;
}

function scopeStep(settings: Settings, org: string, grant: boolean): string | undefined {
  if (settings.maskinporten.manageScopeAccess) return undefined;
  return grant
    ? `This stack does not manage Maskinporten scope access: give organization ${org} access to ${settings.scope} in Samarbeidsportalen.`
    : `This stack does not manage Maskinporten scope access: remove organization ${org}'s access to ${settings.scope} in Samarbeidsportalen.`;
}

function printSteps(io: OnboardIo, steps: (string | undefined)[]): void {
  io.out("Next steps:");
  steps.filter((s): s is string => s !== undefined).forEach((s, i) => io.out(`  ${i + 1}. ${s}`));
}

async function add(argv: string[], io: OnboardIo): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      stack: { type: "string" },
      org: { type: "string" },
      name: { type: "string" },
      lookup: { type: "boolean" },
      azure: { type: "string", multiple: true },
      aws: { type: "string", multiple: true },
      contact: { type: "string" },
      "review-by": { type: "string" },
      manifest: { type: "string" },
    },
    USAGE,
  );
  noPositionals(positionals);
  const stack = required(values.stack, "stack");
  const org = required(values.org, "org");
  const lookup = values.lookup === true;
  if (lookup && values.name !== undefined) throw new CliError("give either --name or --lookup, not both");
  if (!lookup && values.name === undefined) throw new CliError(`give the organization's legal name with --name, or --lookup to read it from Brønnøysundregistrene\n${USAGE}`);
  const settings = settingsFor(stack);
  const file = values.manifest ?? settings.manifest;
  const original = readManifest(file);

  const entry: NewPartnerEntry = {
    orgNumber: org,
    // Validated first with a stand-in name, so a bad number or a duplicate is refused before any network call.
    name: values.name ?? "(name from Enhetsregisteret)",
    ...(values.contact === undefined ? {} : { contact: values.contact }),
    ...(values["review-by"] === undefined ? {} : { reviewBy: values["review-by"] }),
    azure: (values.azure ?? []).map(parseAzureGrant),
    aws: (values.aws ?? []).map(parseAwsGrant),
  };
  let base = original;
  let text = addPartner(editable(base), file, entry);
  if (!check(file, text, io)) return 1;
  if (lookup) {
    const unit = await lookupOrganization(org, { baseUrl: io.env.BRREG_API_URL ?? BRREG_API_URL });
    for (const w of unit.warnings) io.err(`warning: ${w}`);
    io.out(`Enhetsregisteret: ${org} is ${unit.name}`);
    entry.name = unit.name;
    // The file may have changed during the network call (an emergency suspend): edit what is there now.
    base = readManifest(file);
    text = addPartner(editable(base), file, entry);
    if (!check(file, text, io)) return 1;
  }
  write(file, base, asWritten(base, text));
  io.out(`${file}: added organization ${org} (${entry.name}); the manifest is valid`);
  printSteps(io, [prStep(file, stack), handoverStep(stack, org), scopeStep(settings, org, true)]);
  return 0;
}

function promote(argv: string[], io: OnboardIo): number {
  const { values, positionals } = parseCli(
    argv,
    {
      org: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      bucket: { type: "string", multiple: true },
      "from-manifest": { type: "string" },
      "to-manifest": { type: "string" },
    },
    USAGE,
  );
  noPositionals(positionals);
  const org = required(values.org, "org");
  const from = required(values.from, "from");
  const to = required(values.to, "to");
  if (from === to) throw new CliError(`--from and --to name the same stack "${from}"; promote copies an entry to another stack`);
  const fromFile = values["from-manifest"] ?? settingsFor(from).manifest;
  const toSettings = settingsFor(to);
  const toFile = values["to-manifest"] ?? toSettings.manifest;
  const bucketMap = new Map<string, string>();
  for (const spec of values.bucket ?? []) {
    const m = /^([^=]+)=([^=]+)$/.exec(spec);
    if (m === null) throw new CliError(`--bucket "${spec}" must be SOURCE=TARGET, e.g. --bucket banenor-payload-test=banenor-payload-prod`);
    bucketMap.set(m[1]!, m[2]!);
  }

  const fromText = readManifest(fromFile);
  const toText = readManifest(toFile);
  const target = loadManifestText(toText, toFile);
  if (!target.ok) {
    for (const e of target.errors) io.err(formatProblem(e));
    io.err(`${toFile} is invalid already; fix it (npm run validate -- --stack ${to}) before promoting into it`);
    return 1;
  }
  const text = promotePartner(editable(fromText), editable(toText), {
    orgNumber: org,
    fromFile,
    toFile,
    bucketMap,
    targetContainers: new Set(target.manifest.containers.map((c) => c.name)),
    targetBuckets: new Set(target.manifest.buckets.map((b) => b.name)),
  });
  if (!check(toFile, text, io)) return 1;
  write(toFile, toText, asWritten(toText, text));
  const loaded = loadManifestText(text, toFile);
  const copied = loaded.ok ? loaded.manifest.partners.find((p) => p.orgNumber === org) : undefined;
  io.out(`${toFile}: copied organization ${org} (${copied?.name ?? ""}) from ${fromFile}; the manifest is valid`);
  if (copied?.status === "suspended") {
    // The entry keeps its status: a suspended partner gets its identity in the target stack, but no access, no
    // scope and no handover until it is reinstated there.
    io.out(`organization ${org} is suspended in ${fromFile}, and so it is in ${toFile}: it gets no access in ${to} until reinstated`);
    printSteps(io, [prStep(toFile, to), `When the partner is to have access in ${to}: npm run onboard -- reinstate --stack ${to} --org ${org}`]);
    return 0;
  }
  printSteps(io, [prStep(toFile, to), handoverStep(to, org), scopeStep(toSettings, org, true)]);
  return 0;
}

const VERB: Record<PartnerStatus, string> = { active: "reinstated", suspended: "suspended", offboarded: "offboarded" };

function changeStatus(argv: string[], io: OnboardIo, status: PartnerStatus): number {
  const { values, positionals } = parseCli(argv, { stack: { type: "string" }, org: { type: "string" }, manifest: { type: "string" } }, USAGE);
  noPositionals(positionals);
  const stack = required(values.stack, "stack");
  const org = required(values.org, "org");
  const settings = settingsFor(stack);
  const file = values.manifest ?? settings.manifest;
  const original = readManifest(file);
  const { text, before, entry } = setStatus(editable(original), file, org, status);
  const valid = status === "active" ? check(file, text, io) : checkNoNewErrors(file, original, text, io);
  if (!valid) return 1;
  write(file, original, asWritten(original, text));
  const name = String(entry.get("name"));
  io.out(`${file}: organization ${org} (${name}) ${VERB[status]} (was ${before}); the manifest is valid`);

  const hasIdentity = grantCounts(entry).azure > 0;
  if (status === "suspended") {
    printSteps(io, [
      prStep(file, stack),
      "Once deployed, all of the partner's access is gone (federated credential, group memberships, ACL entries, AWS role); its managed identity, and so its client id, is kept for reinstatement.",
      scopeStep(settings, org, false),
    ]);
  } else if (status === "active") {
    if (before === "offboarded") {
      io.err(`warning: organization ${org} was offboarded, so its identity was deleted: reinstating it creates a new client id, and the partner needs a new handover document`);
    }
    printSteps(io, [prStep(file, stack), before === "offboarded" ? handoverStep(stack, org) : undefined, scopeStep(settings, org, true)]);
  } else {
    const kind = settings.azure.identityKind;
    const commands = identityStateUrns(stack, org, kind).map((urn) => `pulumi state unprotect --stack ${stack} --yes '${urn}'`);
    const unprotect =
      settings.protectIdentities && hasIdentity
        ? `This stack protects ${kind === "app-registration" ? "app registrations (application and service principal)" : "managed identities"}: after approval, and before pulumi up, run: ${commands.join(" && ")}`
        : undefined;
    printSteps(io, [
      prStep(file, stack),
      unprotect,
      "Once deployed, nothing of the partner remains (its client id is gone for good); the entry may then be deleted in a later change.",
      scopeStep(settings, org, false),
    ]);
  }
  return 0;
}

if (require.main === module) runMain(() => onboard(process.argv.slice(2)));
