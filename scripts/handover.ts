/**
 * npm run handover -- --stack S [--manifest FILE] [--outputs FILE] [--org N] [--out DIR]
 *
 * The partner's handover document: everything a partner organization needs to get a Skyporten token and reach
 * its storage, and nothing secret. Printed to stdout, or written to DIR as <orgno>.md plus a JSON twin
 * <orgno>.json. Offline it is complete except the Azure client id ("assigned at deployment"); pass
 * `pulumi stack output --json` with --outputs to include it. Exit 0 ok, 1 bad input or a pending deployment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { orgNumberProblem } from "../infra/manifest/orgNumber";
import { partnerFacts, type PartnerFacts } from "../infra/partnerFacts";
import { CliError, parseCli, runMain } from "./lib/cli";
import { handoverJson, handoverMarkdown, type HandoverMeta } from "./lib/handover";
import { loadStackInputs } from "./lib/handoverInputs";

const USAGE =
  "usage: npm run handover -- --stack test|prod [--manifest FILE] [--outputs FILE] [--org ORGNO] [--out DIR]";

export function handover(argv: string[]): Promise<number> {
  return Promise.resolve().then(() => run(argv));
}

function run(argv: string[]): number {
  const { values, positionals } = parseCli(
    argv,
    {
      stack: { type: "string" },
      manifest: { type: "string" },
      outputs: { type: "string" },
      org: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  if (values.org !== undefined) {
    const problem = orgNumberProblem(values.org);
    if (problem !== undefined) throw new CliError(`--org ${values.org}: organization number ${problem}`);
  }

  const inputs = loadStackInputs({ stack: values.stack, manifest: values.manifest, outputs: values.outputs });
  const meta: HandoverMeta = {
    stack: inputs.stack,
    manifest: inputs.manifestFile,
    outputs: inputs.outputsFile,
  };

  let partners = inputs.manifest.partners;
  if (values.org !== undefined) {
    const org = values.org;
    partners = partners.filter((p) => p.orgNumber === org);
    if (partners.length === 0)
      throw new CliError(
        `organization ${org} is not in ${inputs.manifestFile}: onboard it first (add a manifest entry, open a pull request, pulumi up)`,
      );
    if (partners[0]!.status === "offboarded")
      throw new CliError(`organization ${org} is offboarded on stack ${inputs.stack}: nothing to hand over`);
  } else {
    for (const p of partners.filter((p) => p.status === "offboarded"))
      process.stderr.write(`skipping organization ${p.orgNumber}: offboarded\n`);
    partners = partners.filter((p) => p.status !== "offboarded");
  }

  const all: PartnerFacts[] = partners.map((p) =>
    partnerFacts(inputs.settings, p, inputs.outputs?.[p.orgNumber]),
  );
  const mismatches = all.flatMap((f) => f.mismatches);
  if (mismatches.length > 0) {
    for (const m of mismatches) process.stderr.write(`${m}\n`);
    process.stderr.write(
      `${inputs.outputsFile}: the deployed stack differs from ${inputs.manifestFile} / Pulumi.${inputs.stack}.yaml; run \`pulumi up\`, export the outputs again, then hand over (a handover must describe what is deployed)\n`,
    );
    return 1;
  }
  for (const f of all) for (const n of f.notices) process.stderr.write(`organization ${f.orgNumber}: ${n}\n`);
  for (const f of all)
    if (!f.maskinporten.scopeAccessManaged && f.status === "active")
      process.stderr.write(`organization ${f.orgNumber}: ${f.maskinporten.text}\n`);

  if (all.length === 0) {
    process.stderr.write(`no partner to hand over in ${inputs.manifestFile}\n`);
    return 0;
  }
  if (values.out === undefined) {
    process.stdout.write(all.map((f) => handoverMarkdown(f, meta)).join("\n---\n\n"));
    return 0;
  }
  fs.mkdirSync(values.out, { recursive: true });
  for (const f of all) {
    const md = path.join(values.out, `${f.orgNumber}.md`);
    const json = path.join(values.out, `${f.orgNumber}.json`);
    fs.writeFileSync(md, handoverMarkdown(f, meta));
    fs.writeFileSync(json, `${JSON.stringify(handoverJson(f, meta), null, 2)}\n`);
    process.stdout.write(`wrote ${md} and ${json}\n`);
  }
  return 0;
}

if (require.main === module) runMain(() => handover(process.argv.slice(2)));
