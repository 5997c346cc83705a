import { z } from "zod";
import { orgNumberProblem } from "../manifest/orgNumber";
import type { Access, AwsGrant, AzureGrant, Manifest, Partner } from "../manifest/schema";

/**
 * The deploy canary (`npm run canary`): the platform onboards itself as a partner, with its own Maskinporten
 * client, and proves the trust chain end to end after every deploy. Its settings are optional: a stack without
 * `canary` has no canary (`npm run canary` exits 2).
 *
 * ```yaml
 *   skyporten-onboarding:canary:
 *     orgNumber: "917422575"        # the platform's own organization: a partner entry of the manifest
 *     clientId: 0a1b2c3d-...        # its Maskinporten client (the same client partners would create)
 *     keyId: canary-2026-12         # kid of the client's key registered at Digdir
 * ```
 * The private key is a Pulumi secret (`pulumi config set --secret skyporten-onboarding:canaryPrivateKey < key.pem`)
 * or, in CI, the environment variable CANARY_PRIVATE_KEY_ENV.
 */

/** Secret config key of the canary's private key (PKCS#8 PEM). */
export const CANARY_PRIVATE_KEY_SECRET = "canaryPrivateKey";
/** Environment variable that holds the canary's private key in CI (wins over the Pulumi secret). */
export const CANARY_PRIVATE_KEY_ENV = "SKYPORTEN_CANARY_PRIVATE_KEY";

const text = (key: string, what: string) =>
  z.string({ error: `${key} must be ${what} (text)` }).trim().min(1, `${key} must not be empty`);

export const CanarySettingsSchema = z.strictObject(
  {
    /** The platform's own organization number: it must be an active partner entry of the stack's manifest. */
    orgNumber: z
      .string({ error: 'canary.orgNumber must be the platform\'s organization number as a quoted string, e.g. "917422575"' })
      .superRefine((v, ctx) => {
        const problem = orgNumberProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: `canary.orgNumber ${problem}` });
      }),
    /** Client id of the platform's Maskinporten client used by the canary (the `iss` of its JWT grant). */
    clientId: text("canary.clientId", "the client id of the canary's Maskinporten client"),
    /** Key id (`kid`) of the client's key registered at Digdir. */
    keyId: text("canary.keyId", "the kid of the canary client's key registered at Digdir"),
  },
  {
    error: (issue: { code?: string }) =>
      issue.code === "invalid_type"
        ? "canary must be a mapping with orgNumber, clientId and keyId (remove it for no canary)"
        : undefined,
  },
);

export type CanarySettings = z.output<typeof CanarySettingsSchema>;

/** The grants the canary exercises: one Azure path grant and, where AWS is on, one prefix. */
export interface CanaryGrants {
  partner: Partner;
  azure: AzureGrant & { path: string };
  /** Null when the stack's AWS variant is off. */
  aws: AwsGrant | null;
}

const WRITABLE: ReadonlySet<Access> = new Set<Access>(["write", "read-write"]);

/** Read-write first (it proves write, read, list and delete), then write-only (write and delete). */
function best<G extends { access: Access }>(grants: readonly G[]): G | undefined {
  return grants.find((g) => g.access === "read-write") ?? grants.find((g) => WRITABLE.has(g.access));
}

export type CanaryGrantsResult = { ok: true; grants: CanaryGrants } | { ok: false; problems: string[] };

/**
 * Which of the canary partner's grants the canary uses, or every reason it cannot run. The canary must be a
 * partner entry of the manifest like any other (reviewed in a pull request), active, with an Azure path grant it
 * can write to (it writes a file there) and, when the stack's AWS variant is on, a prefix it can write to.
 */
export function canaryGrants(canary: CanarySettings, manifest: Manifest, manifestFile: string, awsEnabled: boolean): CanaryGrantsResult {
  const org = canary.orgNumber;
  const partner = manifest.partners.find((p) => p.orgNumber === org);
  const entry = `add a partner entry with orgNumber: "${org}" to ${manifestFile} (reviewed in a pull request like any partner), then pulumi up`;
  if (partner === undefined)
    return { ok: false, problems: [`canary.orgNumber ${org} is not a partner in ${manifestFile}: ${entry}`] };
  if (partner.status !== "active")
    return {
      ok: false,
      problems: [`the canary organization ${org} is ${partner.status} in ${manifestFile}: set status: active, then pulumi up`],
    };
  const problems: string[] = [];
  const pathGrants = partner.azure.filter((g): g is AzureGrant & { path: string } => g.path !== undefined);
  const azure = best(pathGrants);
  if (azure === undefined) {
    problems.push(
      pathGrants.length === 0
        ? `the canary organization ${org} has no Azure path grant in ${manifestFile}: add one, e.g. "- container: <container>, path: skyporten-canary, access: read-write"`
        : `the canary organization ${org} has only read access on its Azure paths in ${manifestFile}: the canary writes a file, give one path access: read-write`,
    );
  }
  let aws: AwsGrant | undefined;
  if (awsEnabled) {
    aws = best(partner.aws);
    if (aws === undefined)
      problems.push(
        partner.aws.length === 0
          ? `the canary organization ${org} has no AWS prefix in ${manifestFile} and this stack's AWS variant is on: add one, e.g. "- bucket: <bucket>, prefix: skyporten-canary/, access: read-write"`
          : `the canary organization ${org} has only read access on its AWS prefixes in ${manifestFile}: the canary writes an object, give one prefix access: read-write`,
      );
  }
  if (problems.length > 0 || azure === undefined) return { ok: false, problems };
  return { ok: true, grants: { partner, azure, aws: aws ?? null } };
}
