import { z } from "zod";
import { awsRoleArnFor, needsAwsRole, providerArnFor } from "./aws/model";
import {
  ACCESS_LEVELS,
  PARTNER_STATUSES,
  type Access,
  type Partner,
  type PartnerStatus,
} from "./manifest/schema";
// The pure texts, not the folder's index: that one loads the Pulumi SDK (ScopeAccess), which the offline
// commands (handover, explain) do not need.
import { scopeAccessStep } from "./maskinporten/instructions";
import {
  awsRoleName,
  consumerIdFor,
  federatedCredentialName,
  identityName,
  subjectFor,
  tokenEndpointFor,
} from "./naming";
import { PAYLOAD_MANAGER_BLOB_API_VERSION } from "./settings/gateway";
import type { Environment, Settings } from "./settings/schema";
import { tokenRequestFor, type TokenRequestFacts } from "./tokenRequest";

/**
 * The partner-facing facts: what a partner organization must configure to reach its storage through Skyporten,
 * and what the stack trusts. ONE function decides them (issuer, subject, audience, names, ARNs, endpoints), the
 * same helpers the program uses to create the resources, so `handover` and `explain` can never disagree with
 * what `pulumi up` deploys. Pure: no I/O, no Pulumi.
 */

/** One Azure grant as the partner sees it. */
export interface AzureGrantFact {
  container: string;
  /** Directory inside the container; null = the whole container. */
  path: string | null;
  access: Access;
  /** `https://<account>.dfs.core.windows.net/<container>[/<path>]`: the Data Lake URL of what was granted. */
  url: string;
  /** `<gateway>/<container>[/<path>]`: where the partner reaches it; null without a gateway. */
  gatewayUrl: string | null;
}

/**
 * The partner gateway in front of the storage account (settings azure.gateway): the only way partners reach
 * storage when it is set. Bane NOR's payload manager: Bane-NOR/platform-docs, docs/integration/Payload-Manager/.
 */
export interface GatewayFacts {
  /** Base URL, no trailing slash: requests go to `<url>/<container>/<blob>`. */
  url: string;
  /** The audience of the partner's Entra token (`az account get-access-token --resource`, BlobClientOptions.Audience). */
  tokenAudience: string;
  /** The `x-ms-version` the platform's own examples send (bruno/Payload-Manager-Examples). */
  blobApiVersion: string;
  /**
   * What the .NET Blob SDK's blob names must start with before `<container>/` when pointed at the gateway: the
   * gateway URL's last path segment ("v1" for .../payload-manager/v1; the platform's guide: the SDK cannot place
   * the path otherwise). Null when the URL has no path.
   */
  sdkBlobNameRoot: string | null;
  retentionDays: number;
  maxRequestMegabytes: number;
  /** A regular-expression character class, e.g. `[a-zA-Z0-9.-]`. */
  fileNameCharacters: string;
  allowedFileTypes: string[];
}

export interface AzureFacts {
  /**
   * Does the stack accept Skyporten tokens for this identity now? Only an active partner has the federated
   * credential; a suspended one keeps the identity (same client id when reinstated) but no trust.
   */
  exchangeEnabled: boolean;
  tenantId: string;
  /**
   * The identity's name, the same for both kinds: the user-assigned managed identity's name, or the app
   * registration's display name (for the platform team; partners log in with the client id).
   */
  identityName: string;
  /**
   * "app-registration" when the stack's identities are Entra applications (settings azure.identityKind);
   * absent for the default, a user-assigned managed identity.
   */
  identityKind?: "app-registration";
  federatedCredentialName: string;
  /** Application (client) id to log in with; null until known from the deployed stack's outputs. */
  clientId: string | null;
  storageAccount: string;
  blobEndpoint: string;
  dfsEndpoint: string;
  /** Null when partners call the storage account directly. */
  gateway: GatewayFacts | null;
  grants: AzureGrantFact[];
}

/** One S3 grant as the partner sees it. */
export interface AwsGrantFact {
  bucket: string;
  /** Relative key prefix ending with "/". */
  prefix: string;
  access: Access;
  /** `s3://<bucket>/<prefix>`. */
  s3Uri: string;
}

export interface AwsFacts {
  /** Does the role exist now? Only active partners have one (suspension deletes it; the ARN returns with it). */
  exchangeEnabled: boolean;
  roleName: string;
  roleArn: string;
  /** The IAM OIDC provider the role trusts (one per issuer per account). */
  providerArn: string;
  region: string;
  maxSessionDurationSeconds: number;
  grants: AwsGrantFact[];
}

export interface PartnerFacts extends TokenExpectations {
  environment: Environment;
  /** The complete JWT-grant request for the Skyporten token (the same for every partner of the stack). */
  tokenRequest: TokenRequestFacts;
  orgNumber: string;
  name: string;
  status: PartnerStatus;
  contact: string | null;
  /** Null when the partner has no Azure grants or is offboarded. */
  azure: AzureFacts | null;
  /** Null when the partner has no AWS grants, is offboarded, or the stack's AWS variant is off. */
  aws: AwsFacts | null;
  maskinporten: {
    /** True when this stack grants the scope access itself; false when someone must do it by hand. */
    scopeAccessManaged: boolean;
    /** The paragraph saying who grants the scope access and how. */
    text: string;
  };
  /** Things the reader should know (e.g. grants the stack does not deploy, client id not yet known). */
  notices: string[];
  /**
   * Where the given stack outputs contradict the settings and manifest (empty without outputs). Non-empty means
   * the deployed stack is not what the files describe: deploy first (`pulumi up`), then hand over.
   */
  mismatches: string[];
}

/** The ADLS Gen2 and Blob endpoints of a storage account (public Azure cloud). */
export function storageEndpoints(account: string): { blobEndpoint: string; dfsEndpoint: string } {
  return {
    blobEndpoint: `https://${account}.blob.core.windows.net`,
    dfsEndpoint: `https://${account}.dfs.core.windows.net`,
  };
}

/** The gateway as partners are told about it; null without one. */
export function gatewayFacts(settings: Pick<Settings, "azure">): GatewayFacts | null {
  const g = settings.azure.gateway;
  if (g === undefined) return null;
  const segments = new URL(g.url).pathname.split("/").filter((s) => s !== "");
  return {
    url: g.url,
    tokenAudience: g.tokenAudience,
    blobApiVersion: PAYLOAD_MANAGER_BLOB_API_VERSION,
    sdkBlobNameRoot: segments.length === 0 ? null : segments[segments.length - 1]!,
    retentionDays: g.retentionDays,
    maxRequestMegabytes: g.maxRequestMegabytes,
    fileNameCharacters: g.fileNameCharacters,
    allowedFileTypes: [...g.allowedFileTypes],
  };
}

/** Discovery document URL of an issuer (OpenID Connect Discovery 1.0, section 4). */
export function discoveryUrlFor(issuer: string): string {
  return `${issuer}/.well-known/openid-configuration`;
}

/** What a token must carry for an organization, and where it comes from: the trust every cloud checks. */
export interface TokenExpectations {
  /** Skyporten issuer, exact (no trailing slash): the token's `iss`. */
  issuer: string;
  discoveryUrl: string;
  tokenEndpoint: string;
  /** The one scope to request. */
  scope: string;
  /** What to send as `resource`; it becomes the token's `aud`. */
  audience: string;
  /** The token's `sub`: `0192:<orgno>;<scope>`. */
  subject: string;
  /** `consumer.ID` of the organization's tokens: `0192:<orgno>`. */
  consumerId: string;
}

/**
 * The token an organization must present: the same values the federated credential and the IAM trust policy are
 * built from. Defined for any organization number, onboarded or not (explain judges unknown tokens too).
 */
export function tokenExpectations(
  settings: Pick<Settings, "issuer" | "scope" | "audience">,
  orgNumber: string,
): TokenExpectations {
  return {
    issuer: settings.issuer,
    discoveryUrl: discoveryUrlFor(settings.issuer),
    tokenEndpoint: tokenEndpointFor(settings.issuer),
    scope: settings.scope,
    audience: settings.audience,
    subject: subjectFor(orgNumber, settings.scope),
    consumerId: consumerIdFor(orgNumber),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Stack outputs (`pulumi stack output --json`), as read back by the offline commands.

const grantAccess = z.enum(ACCESS_LEVELS);

/**
 * One entry of the `partners` stack output (infra/program.ts PartnerOutput, after `pulumi stack output --json`).
 * Loose objects: outputs may gain fields without breaking older tooling.
 */
export const PartnerOutputEntrySchema = z.looseObject({
  name: z.string().optional(),
  status: z.enum(PARTNER_STATUSES).optional(),
  issuer: z.string().optional(),
  subject: z.string().optional(),
  audience: z.string().optional(),
  azure: z
    .looseObject({
      clientId: z.string(),
      principalId: z.string().optional(),
      tenantId: z.string(),
      storageAccount: z.string().optional(),
      blobEndpoint: z.string().optional(),
      dfsEndpoint: z.string().optional(),
      grants: z
        .array(z.looseObject({ container: z.string(), access: grantAccess, path: z.string().optional() }))
        .optional(),
    })
    .optional(),
  aws: z
    .looseObject({
      roleArn: z.string(),
      providerArn: z.string(),
      region: z.string(),
      grants: z.array(z.looseObject({ bucket: z.string(), prefix: z.string(), access: grantAccess })),
    })
    .optional(),
});

export type PartnerOutputEntry = z.output<typeof PartnerOutputEntrySchema>;

const StackOutputsSchema = z.looseObject({
  partners: z.record(z.string(), PartnerOutputEntrySchema, {
    error: "the outputs have no `partners` object",
  }),
});

export class OutputsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputsError";
  }
}

/**
 * Parse the text of `pulumi stack output --json` into the per-partner entries, keyed by organization number.
 * Throws OutputsError naming the field and the fix.
 */
export function parseStackOutputs(text: string, source: string): Record<string, PartnerOutputEntry> {
  const fix = `pass the file written by \`pulumi stack output --json > ${source}\``;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new OutputsError(`${source}: not JSON; ${fix}`);
  }
  const parsed = StackOutputsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length === 0 ? "(document)" : issue.path.map(String).join(".");
    const message =
      issue.path.length <= 1 && issue.code === "invalid_type"
        ? "the outputs have no `partners` object"
        : issue.message;
    throw new OutputsError(`${source}: ${where}: ${message}; ${fix}`);
  }
  return parsed.data.partners;
}

// ---------------------------------------------------------------------------------------------------------------

/** Key of a grant for comparing the manifest with the deployed outputs. */
const azureKey = (g: { container: string; path?: string | null; access: string }) =>
  `${g.container}/${g.path ?? ""}:${g.access}`;
const awsKey = (g: { bucket: string; prefix: string; access: string }) =>
  `${g.bucket}/${g.prefix}:${g.access}`;
const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/**
 * The facts about one partner, from the stack settings, its manifest entry and (optionally) its entry in the
 * deployed stack's outputs. Without outputs the client id is null ("assigned at deployment"); everything else is
 * computable offline.
 */
export function partnerFacts(
  settings: Settings,
  partner: Partner,
  outputs?: PartnerOutputEntry,
): PartnerFacts {
  const org = partner.orgNumber;
  const live = partner.status !== "offboarded";
  const notices: string[] = [];
  const mismatches: string[] = [];
  const { blobEndpoint, dfsEndpoint } = storageEndpoints(settings.azure.storageAccountName);
  const gateway = gatewayFacts(settings);

  const azure: AzureFacts | null =
    live && partner.azure.length > 0
      ? {
          exchangeEnabled: partner.status === "active",
          tenantId: settings.azure.tenantId,
          identityName: identityName(settings.nameKey, org),
          ...(settings.azure.identityKind === "app-registration" ? { identityKind: "app-registration" as const } : {}),
          federatedCredentialName: federatedCredentialName(org),
          clientId: outputs?.azure?.clientId ?? null,
          storageAccount: settings.azure.storageAccountName,
          blobEndpoint,
          dfsEndpoint,
          gateway,
          grants: partner.azure.map((g) => {
            const rest = `${g.container}${g.path === undefined ? "" : `/${g.path}`}`;
            return {
              container: g.container,
              path: g.path ?? null,
              access: g.access,
              url: `${dfsEndpoint}/${rest}`,
              gatewayUrl: gateway === null ? null : `${gateway.url}/${rest}`,
            };
          }),
        }
      : null;

  let aws: AwsFacts | null = null;
  if (live && partner.aws.length > 0) {
    if (!settings.aws.enabled) {
      notices.push(
        `organization ${org} has AWS grants, but this stack's AWS variant is off (aws.enabled is false): nothing is deployed on AWS for it`,
      );
    } else {
      aws = {
        exchangeEnabled: needsAwsRole(partner),
        roleName: awsRoleName(settings.nameKey, org),
        roleArn: awsRoleArnFor(settings, org),
        providerArn: providerArnFor(settings),
        region: settings.aws.region,
        maxSessionDurationSeconds: settings.aws.maxSessionDurationSeconds,
        grants: partner.aws.map((g) => ({
          bucket: g.bucket,
          prefix: g.prefix,
          access: g.access,
          s3Uri: `s3://${g.bucket}/${g.prefix}`,
        })),
      };
    }
  }

  const step = scopeAccessStep(settings, org, partner.status);
  const facts: PartnerFacts = {
    environment: settings.environment,
    orgNumber: org,
    name: partner.name,
    status: partner.status,
    contact: partner.contact ?? null,
    ...tokenExpectations(settings, org),
    tokenRequest: tokenRequestFor(settings),
    azure,
    aws,
    maskinporten: { scopeAccessManaged: step.managed, text: step.text },
    notices,
    mismatches,
  };
  if (outputs !== undefined) mismatches.push(...outputMismatches(facts, partner, outputs));
  if (azure !== null && azure.clientId === null) {
    notices.push(
      outputs === undefined
        ? "the client id is assigned at deployment: pass the deployed stack's outputs (--outputs) to include it"
        : `the stack outputs have no Azure identity for organization ${org}: deploy first (pulumi up), then export the outputs again`,
    );
  }
  return facts;
}

/** Where the deployed outputs disagree with what the settings and manifest say: a deployment is pending. */
function outputMismatches(facts: PartnerFacts, partner: Partner, out: PartnerOutputEntry): string[] {
  const problems: string[] = [];
  const differ = (what: string, deployed: string | undefined, expected: string) => {
    if (deployed !== undefined && deployed !== expected)
      problems.push(`${what}: deployed "${deployed}", the stack files say "${expected}"`);
  };
  differ("status", out.status, facts.status);
  differ("issuer", out.issuer, facts.issuer);
  // Offboarded partners carry an empty subject in the outputs (program.ts): no trust exists to compare.
  if (out.subject !== "") differ("subject", out.subject, facts.subject);
  differ("audience", out.audience, facts.audience);

  if (facts.azure !== null && out.azure === undefined)
    problems.push("azure: the manifest grants Azure access, but no Azure identity is deployed");
  if (facts.azure === null && out.azure !== undefined)
    problems.push("azure: an Azure identity is deployed, but the manifest grants no Azure access");
  if (facts.azure !== null && out.azure !== undefined) {
    differ("azure.tenantId", out.azure.tenantId, facts.azure.tenantId);
    differ("azure.storageAccount", out.azure.storageAccount, facts.azure.storageAccount);
    differ("azure.blobEndpoint", out.azure.blobEndpoint, facts.azure.blobEndpoint);
    differ("azure.dfsEndpoint", out.azure.dfsEndpoint, facts.azure.dfsEndpoint);
    if (
      out.azure.grants !== undefined &&
      !sameSet(out.azure.grants.map(azureKey), partner.azure.map(azureKey))
    ) {
      problems.push(
        `azure.grants: deployed [${out.azure.grants.map(azureKey).join(", ")}], the manifest says [${partner.azure.map(azureKey).join(", ")}]`,
      );
    }
  }

  // Only an active partner has a role; a suspended one legitimately has no AWS output.
  const wantsRole = facts.aws?.exchangeEnabled === true;
  if (wantsRole && out.aws === undefined)
    problems.push("aws: the manifest grants AWS access, but no role is deployed");
  if (facts.aws !== null && out.aws !== undefined) {
    differ("aws.roleArn", out.aws.roleArn, facts.aws.roleArn);
    differ("aws.providerArn", out.aws.providerArn, facts.aws.providerArn);
    differ("aws.region", out.aws.region, facts.aws.region);
    if (!sameSet(out.aws.grants.map(awsKey), partner.aws.map(awsKey))) {
      problems.push(
        `aws.grants: deployed [${out.aws.grants.map(awsKey).join(", ")}], the manifest says [${partner.aws.map(awsKey).join(", ")}]`,
      );
    }
  } else if (facts.aws === null && out.aws !== undefined && partner.status === "active") {
    problems.push("aws: a role is deployed, but the manifest grants no AWS access");
  }
  return problems.map((p) => `organization ${facts.orgNumber}: ${p}`);
}
