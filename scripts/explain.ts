/**
 * npm run explain -- --stack S [--manifest FILE] [--outputs FILE] --token FILE|- [--org N] [--verify] [--discovery-url URL]
 *
 * Decode a Skyporten token (never printing the raw token or its signature) and say which partner it belongs to
 * and, for Azure and AWS, whether the exchange would succeed against what this stack provisions, naming the
 * error the cloud would return (the precise Entra code per mismatch) and the fix. An Entra access token (what a
 * partner presents to the gateway) is judged as the gateway would: tenant, audience, expiry, client. Without
 * --verify the signature is not checked and the verdict says so; `alg` none/HS* and other algorithms the clouds
 * refuse fail offline. `--verify` also checks the signature against the issuer's JWKS
 * (discovery URL: --discovery-url, else $SKYPORTEN_DISCOVERY_URL, else `<stack issuer>/.well-known/openid-configuration`;
 * the token's own iss is still compared with the stack's issuer exactly).
 * Exit 0 every provisioned exchange would succeed, 1 one would fail (or bad input), 2 unreadable token.
 */
import * as fs from "node:fs";
import { orgNumberProblem } from "../infra/manifest/orgNumber";
import { discoveryUrlFor } from "../infra/partnerFacts";
import { CliError, parseCli, runMain } from "./lib/cli";
import {
  decodeToken,
  explainToken,
  formatExplanation,
  formatToken,
  MAX_TOKEN_BYTES,
  UnreadableToken,
  verifySignature,
  type DecodedToken,
} from "./lib/explain";
import { loadStackInputs } from "./lib/handoverInputs";

const USAGE =
  "usage: npm run explain -- --stack test|prod [--manifest FILE] [--outputs FILE] --token FILE|- [--org ORGNO] [--verify] [--discovery-url URL]";

/** Timeout of each request --verify makes (discovery document, JWKS). */
export const VERIFY_TIMEOUT_MS = 5000;

export interface ExplainIo {
  /** Where `--token -` reads from. Default: process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** The time tokens are judged at. Default: now. */
  now?: Date;
  /** Default: VERIFY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export async function explain(argv: string[], io: ExplainIo = {}): Promise<number> {
  const { values, positionals } = parseCli(
    argv,
    {
      stack: { type: "string" },
      manifest: { type: "string" },
      outputs: { type: "string" },
      token: { type: "string" },
      org: { type: "string" },
      verify: { type: "boolean" },
      "discovery-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"\n${USAGE}`);
  if (values.token === undefined)
    throw new CliError(`--token is required: a file with the token, or - for standard input\n${USAGE}`);
  if (values.org !== undefined) {
    const problem = orgNumberProblem(values.org);
    if (problem !== undefined) throw new CliError(`--org ${values.org}: organization number ${problem}`);
  }

  const inputs = loadStackInputs({ stack: values.stack, manifest: values.manifest, outputs: values.outputs });
  const now = io.now ?? new Date();

  let token: DecodedToken;
  try {
    token = decodeToken(await readTokenSource(values.token, io.stdin ?? process.stdin));
  } catch (e) {
    if (!(e instanceof UnreadableToken)) throw e;
    process.stderr.write(
      `unreadable token (${values.token === "-" ? "standard input" : values.token}): ${e.message}\n`,
    );
    return 2;
  }

  const signature =
    values.verify === true
      ? await verifySignature(token, {
          discoveryUrl:
            values["discovery-url"] ??
            process.env.SKYPORTEN_DISCOVERY_URL ??
            discoveryUrlFor(inputs.settings.issuer),
          issuer: inputs.settings.issuer,
          timeoutMs: io.timeoutMs ?? VERIFY_TIMEOUT_MS,
        })
      : undefined;

  const explanation = explainToken({
    settings: inputs.settings,
    manifest: inputs.manifest,
    manifestFile: inputs.manifestFile,
    outputs: inputs.outputs,
    token,
    now,
    expectedOrg: values.org,
    signature,
  });
  process.stdout.write(
    `${formatToken(token, now)}\n\n${formatExplanation(explanation, inputs.stack, inputs.manifestFile)}\n`,
  );
  return explanation.ok ? 0 : 1;
}

/** The token text from a file or standard input, at most MAX_TOKEN_BYTES (more is refused as unreadable). */
async function readTokenSource(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
  if (source !== "-") {
    let size: number;
    try {
      size = fs.statSync(source).size;
    } catch {
      throw new UnreadableToken(`cannot read "${source}": no such file`);
    }
    if (size > MAX_TOKEN_BYTES)
      throw new UnreadableToken(
        `the file is larger than ${MAX_TOKEN_BYTES} bytes; a Skyporten token is about 1 KB`,
      );
    return fs.readFileSync(source, "utf8");
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > MAX_TOKEN_BYTES)
      throw new UnreadableToken(
        `the input is larger than ${MAX_TOKEN_BYTES} bytes; a Skyporten token is about 1 KB`,
      );
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

if (require.main === module) runMain(() => explain(process.argv.slice(2)));
