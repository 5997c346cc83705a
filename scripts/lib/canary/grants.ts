import type { Access, AwsGrant, AzureGrant, Manifest, Partner } from "../../../infra/manifest/schema";
import type { CanarySettings } from "../../../infra/settings/canary";

// Held against the manifest here, not in infra/settings: stack settings stay independent of the manifest's
// types (the manifest's names depend on the settings' vocabulary, so the other direction would be a cycle).

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
export function canaryGrants(
  canary: CanarySettings,
  manifest: Manifest,
  manifestFile: string,
  awsEnabled: boolean,
): CanaryGrantsResult {
  const org = canary.orgNumber;
  const partner = manifest.partners.find((p) => p.orgNumber === org);
  const entry = `add a partner entry with orgNumber: "${org}" to ${manifestFile} (reviewed in a pull request like any partner), then pulumi up`;
  if (partner === undefined)
    return { ok: false, problems: [`canary.orgNumber ${org} is not a partner in ${manifestFile}: ${entry}`] };
  if (partner.status !== "active")
    return {
      ok: false,
      problems: [
        `the canary organization ${org} is ${partner.status} in ${manifestFile}: set status: active, then pulumi up`,
      ],
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
