import { permissionPolicyDocument } from "../../../infra/aws/policies";
import type { Access, Manifest } from "../../../infra/manifest/schema";
import { partnerFacts, type PartnerOutputEntry } from "../../../infra/partnerFacts";
import type { CanarySettings } from "../../../infra/settings/canary";
import { canaryGrants } from "./grants";
import type { Settings } from "../../../infra/settings/schema";

/**
 * What the canary proves, decided from the stack's settings, its manifest and the deployed outputs: the same
 * PartnerFacts the handover document gives a partner (issuer, token endpoint, tenant, client id, role ARN), the
 * grant it exercises and the places outside that grant it must be refused. Pure.
 */

/** Does an operation succeed for this access level, or must it be refused? */
export type Expect = "allowed" | "refused";

export interface OutsideProbe {
  /** Names the step: `azure.outside-container`, `azure.outside-path`, `aws.outside-prefix`, `aws.outside-bucket`. */
  kind: "container" | "path" | "prefix" | "bucket";
  /** `<container>/<path>/` or `<bucket>/<prefix>`: where the probe reads. */
  where: string;
  /** Why it is outside the grant, e.g. "another container", "organization 910000012's directory". */
  why: string;
}

export interface AzureTarget {
  tenantId: string;
  /** The canary identity's client id (from the stack outputs). */
  clientId: string;
  /** Audience of the Entra token: the gateway's token audience, or the storage account's blob endpoint. */
  tokenAudience: string;
  /** Gateway base URL, or the storage account's blob endpoint. */
  baseUrl: string;
  via: "gateway" | "storage account";
  container: string;
  path: string;
  access: Access;
  read: Expect;
  delete: Expect;
  outside: (OutsideProbe & { container: string; path: string | null })[];
}

export interface AwsTarget {
  region: string;
  roleArn: string;
  bucket: string;
  prefix: string;
  access: Access;
  read: Expect;
  /** Decided from the role's own policy document (the program grants no s3:DeleteObject). */
  delete: Expect;
  outside: (OutsideProbe & { bucket: string; prefix: string })[];
}

export interface CanaryTarget {
  stack: string;
  orgNumber: string;
  partnerName: string;
  skyporten: {
    issuer: string;
    tokenEndpoint: string;
    discoveryUrl: string;
    scope: string;
    /** Sent as `resource`; becomes the token's `aud`. */
    resource: string;
    clientId: string;
    keyId: string;
  };
  azure: AzureTarget;
  aws: AwsTarget | null;
  /** Things the operator should know (e.g. outputs that disagree with the files, a probe that cannot be made). */
  notices: string[];
}

export type TargetResult = { ok: true; target: CanaryTarget } | { ok: false; problems: string[] };

const within = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/** Does the role's policy (the document the program deploys) allow s3:DeleteObject on the prefix? */
function awsDeleteAllowed(
  settings: Settings,
  manifest: Manifest,
  grant: { bucket: string; prefix: string; access: Access },
): boolean {
  const doc = permissionPolicyDocument({
    grants: [grant],
    buckets: manifest.buckets,
    region: settings.aws.region,
  });
  return doc.Statement.some((s) => {
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    return s.Effect === "Allow" && actions.some((a) => a === "s3:DeleteObject" || a === "s3:*" || a === "*");
  });
}

export function canaryTarget(input: {
  stack: string;
  settings: Settings;
  canary: CanarySettings;
  manifest: Manifest;
  manifestFile: string;
  outputs: Record<string, PartnerOutputEntry> | null;
}): TargetResult {
  const { settings, canary, manifest, manifestFile } = input;
  const chosen = canaryGrants(canary, manifest, manifestFile, settings.aws.enabled);
  if (!chosen.ok) return { ok: false, problems: chosen.problems };
  const { partner, azure: az, aws: aw } = chosen.grants;
  const org = partner.orgNumber;
  const facts = partnerFacts(settings, partner, input.outputs?.[org]);
  const problems: string[] = [];
  const notices = [...facts.mismatches];

  const clientId = facts.azure?.clientId ?? null;
  if (clientId === null)
    problems.push(
      input.outputs === null
        ? `the canary identity's client id comes from the deployed stack: pass --outputs (pulumi stack output --stack ${input.stack} --json > outputs.json)`
        : `the stack outputs have no Azure identity for the canary organization ${org}: deploy first (pulumi up), then export the outputs again`,
    );
  if (settings.aws.enabled && aw !== null && facts.aws === null)
    problems.push(`the canary organization ${org} has no AWS role on this stack: deploy first (pulumi up)`);
  if (problems.length > 0 || clientId === null) return { ok: false, problems };

  const gateway = settings.azure.gateway ?? null;
  const others = manifest.partners.filter((p) => p.orgNumber !== org && p.status !== "offboarded");
  const azOutside: AzureTarget["outside"] = [];
  const otherContainer = manifest.containers.find((c) => !partner.azure.some((g) => g.container === c.name));
  if (otherContainer !== undefined)
    azOutside.push({
      kind: "container",
      container: otherContainer.name,
      path: null,
      where: `${otherContainer.name}/`,
      why: "another container",
    });
  else
    notices.push(
      `no container without a canary grant in ${manifestFile}: the "another container" refusal is not probed`,
    );
  const sibling = others
    .flatMap((p) => p.azure.map((g) => ({ p, g })))
    .find(
      ({ g }) =>
        g.container === az.container &&
        g.path !== undefined &&
        !within(g.path, az.path) &&
        !within(az.path, g.path),
    );
  if (sibling !== undefined && sibling.g.path !== undefined)
    azOutside.push({
      kind: "path",
      container: az.container,
      path: sibling.g.path,
      where: `${az.container}/${sibling.g.path}/`,
      why: `a sibling path (organization ${sibling.p.orgNumber}'s directory)`,
    });
  else
    notices.push(
      `no other partner's directory in container ${az.container}: the "sibling path" refusal is not probed (it needs a directory that exists)`,
    );

  const azure: AzureTarget = {
    tenantId: settings.azure.tenantId,
    clientId,
    tokenAudience: gateway?.tokenAudience ?? facts.azure!.blobEndpoint,
    baseUrl: gateway?.url.replace(/\/+$/, "") ?? facts.azure!.blobEndpoint,
    via: gateway === null ? "storage account" : "gateway",
    container: az.container,
    path: az.path,
    access: az.access,
    read: az.access === "write" ? "refused" : "allowed",
    // Delete needs -wx on the parent directory: both write and read-write path grants have it.
    delete: "allowed",
    outside: azOutside,
  };

  let aws: AwsTarget | null = null;
  if (aw !== null && facts.aws !== null) {
    const awsOutside: AwsTarget["outside"] = [];
    const neighbour = others
      .flatMap((p) => p.aws.map((g) => ({ p, g })))
      .find(
        ({ g }) =>
          g.bucket === aw.bucket && !g.prefix.startsWith(aw.prefix) && !aw.prefix.startsWith(g.prefix),
      );
    // Without a neighbour, a made-up sibling: "<prefix>-outside/" also proves that "abc/" does not match "abcd/".
    // S3 refuses with 403 whether the key exists or not when the policy does not allow the action
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
    const siblingPrefix = neighbour?.g.prefix ?? `${aw.prefix.slice(0, -1)}-outside/`;
    awsOutside.push({
      kind: "prefix",
      bucket: aw.bucket,
      prefix: siblingPrefix,
      where: `${aw.bucket}/${siblingPrefix}`,
      why:
        neighbour === undefined
          ? "a sibling prefix"
          : `a sibling prefix (organization ${neighbour.p.orgNumber}'s)`,
    });
    const otherBucket = manifest.buckets.find((b) => !partner.aws.some((g) => g.bucket === b.name));
    if (otherBucket !== undefined)
      awsOutside.push({
        kind: "bucket",
        bucket: otherBucket.name,
        prefix: aw.prefix,
        where: `${otherBucket.name}/${aw.prefix}`,
        why: "another bucket",
      });
    aws = {
      region: facts.aws.region,
      roleArn: facts.aws.roleArn,
      bucket: aw.bucket,
      prefix: aw.prefix,
      access: aw.access,
      read: aw.access === "write" ? "refused" : "allowed",
      delete: awsDeleteAllowed(settings, manifest, aw) ? "allowed" : "refused",
      outside: awsOutside,
    };
  }

  return {
    ok: true,
    target: {
      stack: input.stack,
      orgNumber: org,
      partnerName: partner.name,
      skyporten: {
        issuer: facts.issuer,
        tokenEndpoint: facts.tokenEndpoint,
        discoveryUrl: facts.discoveryUrl,
        scope: facts.scope,
        resource: facts.audience,
        clientId: canary.clientId,
        keyId: canary.keyId,
      },
      azure,
      aws,
      notices,
    },
  };
}
