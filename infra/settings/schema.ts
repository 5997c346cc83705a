import { z } from "zod";

/**
 * Per-stack settings, read once from Pulumi config (Pulumi.<stack>.yaml) at the entry point.
 * Config keys live in the project namespace `skyporten-onboarding:`; objects are structured config.
 */

export const ENVIRONMENTS = ["test", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** Skyporten issuers, exact: no trailing slash (domain.md, Digdir's Skyporten guide). */
export const SKYPORTEN_ISSUERS: Record<Environment, string> = {
  test: "https://test.sky.maskinporten.no",
  prod: "https://sky.maskinporten.no",
};

/** Plain Maskinporten issuers (token endpoint audience for the admin client): WITH trailing slash. */
export const MASKINPORTEN_ISSUERS: Record<Environment, string> = {
  test: "https://test.maskinporten.no/",
  prod: "https://maskinporten.no/",
};

/** Digdir self-service API base URLs. */
export const SELF_SERVICE_API: Record<Environment, string> = {
  test: "https://api.test.samarbeid.digdir.no",
  prod: "https://api.samarbeid.digdir.no",
};

export const PLATFORM_SCOPE = "banenor:payloadmanager.storage";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a configured issuer is wrong for the environment, or undefined when it is exactly right. */
export function issuerProblem(environment: Environment, issuer: string): string | undefined {
  const expected = SKYPORTEN_ISSUERS[environment];
  if (issuer === expected) return undefined;
  if (/sky\.maskinporten\.dev/.test(issuer)) {
    return `"${issuer}" is the outdated Skyporten development issuer; use "${expected}" for the ${environment} environment`;
  }
  if (issuer === `${expected}/`) {
    return `"${issuer}" has a trailing slash; Skyporten tokens carry iss "${expected}" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)`;
  }
  if (Object.values(MASKINPORTEN_ISSUERS).some((m) => issuer === m || `${issuer}/` === m)) {
    return `"${issuer}" is a plain Maskinporten issuer, not Skyporten; use "${expected}" for the ${environment} environment`;
  }
  const other = ENVIRONMENTS.find((e) => e !== environment && SKYPORTEN_ISSUERS[e] === issuer.replace(/\/$/, ""));
  if (other !== undefined) {
    return `"${issuer}" is the Skyporten issuer of the ${other} environment; this stack's environment is ${environment}: use "${expected}"`;
  }
  return `"${issuer}" is not the Skyporten issuer of the ${environment} environment; use "${expected}"`;
}

const guid = (key: string) =>
  z.string({ error: `${key} must be a GUID string` }).regex(GUID, `${key} must be a lowercase GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);

export const AzureSettingsSchema = z.strictObject({
  tenantId: guid("azure.tenantId"),
  subscriptionId: guid("azure.subscriptionId"),
  resourceGroupName: z.string().regex(/^[-\w._()]{1,89}[-\w_()]$/, "azure.resourceGroupName must be a valid resource group name"),
  storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, "azure.storageAccountName must be 3-24 lowercase letters and digits"),
  location: z.string().min(1).default("norwayeast"),
  /** Object ids that own the platform's Entra groups (e.g. the deploying service principal). Default: none. */
  groupOwners: z.array(guid("azure.groupOwners[]")).default([]),
});

export const AwsSettingsSchema = z.strictObject({
  /** The AWS variant: OIDC provider, per-partner roles, buckets. Default: on. */
  enabled: z.boolean().default(true),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "aws.region must be an AWS region such as eu-north-1"),
  accountId: z.string().regex(/^\d{12}$/, "aws.accountId must be the 12-digit AWS account id"),
  /** Adopt an existing Skyporten OIDC provider (one per issuer URL per account) instead of creating one. */
  oidcProviderArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/, "aws.oidcProviderArn must be an IAM OIDC provider ARN")
    .optional(),
  /** Create the provider even when no partner has AWS grants yet. Default: false. */
  alwaysCreateProvider: z.boolean().default(false),
  /** IAM path of partner roles. Default: /skyporten/. */
  rolePath: z.string().regex(/^\/([\w+=,.@-]+\/)*$/, 'aws.rolePath must start and end with "/", e.g. /skyporten/').default("/skyporten/"),
  /** Max session duration of partner roles, seconds (3600-43200). Default: 3600. */
  maxSessionDurationSeconds: z.number().int().min(3600).max(43200).default(3600),
  /** Optional thumbprints for the OIDC provider; AWS no longer requires them. */
  thumbprints: z.array(z.string().regex(/^[0-9a-f]{40}$/i)).max(5).default([]),
});

export const MaskinportenSettingsSchema = z.strictObject({
  /** Grant scope access through Digdir's self-service API. Default: off (granted by hand). */
  manageScopeAccess: z.boolean().default(false),
  /** Self-service API base URL. Default: Digdir's for the environment. */
  apiBaseUrl: z.url().optional(),
  /** Token endpoint of plain Maskinporten. Default: <Maskinporten issuer>token. */
  tokenEndpoint: z.url().optional(),
  /** Audience of the admin client's JWT grant. Default: the plain Maskinporten issuer (with trailing slash). */
  tokenAudience: z.url().optional(),
  adminClientId: z.string().min(1).optional(),
  adminKeyId: z.string().min(1).optional(),
});

export const SettingsSchema = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: 'environment must be "test" or "prod"' }),
    issuer: z.string({ error: "issuer must be the Skyporten issuer URL" }),
    scope: z.literal(PLATFORM_SCOPE, { error: `scope must be "${PLATFORM_SCOPE}"` }),
    audience: z
      .string()
      .regex(/^https:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._~\/-]*)?$/, "audience must be an https URL under the platform's own domain, e.g. https://skyporten.example.no"),
    /** Manifest path relative to the project. Default: stacks/<environment>.yaml. */
    manifest: z.string().optional(),
    /** Protect managed identities (except offboarded). Default: true in prod, false in test. */
    protectIdentities: z.boolean().optional(),
    azure: AzureSettingsSchema,
    aws: AwsSettingsSchema,
    maskinporten: MaskinportenSettingsSchema.default({ manageScopeAccess: false }),
  })
  .superRefine((s, ctx) => {
    const problem = issuerProblem(s.environment, s.issuer);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["issuer"], message: problem });
    if (s.maskinporten.manageScopeAccess && (s.maskinporten.adminClientId === undefined || s.maskinporten.adminKeyId === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["maskinporten"],
        message: "maskinporten.manageScopeAccess needs adminClientId and adminKeyId (and the secret adminPrivateKey); set them or turn the switch off",
      });
    }
  })
  .transform((s) => ({
    ...s,
    manifest: s.manifest ?? `stacks/${s.environment}.yaml`,
    protectIdentities: s.protectIdentities ?? s.environment === "prod",
    maskinporten: {
      ...s.maskinporten,
      apiBaseUrl: s.maskinporten.apiBaseUrl ?? SELF_SERVICE_API[s.environment],
      tokenEndpoint: s.maskinporten.tokenEndpoint ?? `${MASKINPORTEN_ISSUERS[s.environment]}token`,
      tokenAudience: s.maskinporten.tokenAudience ?? MASKINPORTEN_ISSUERS[s.environment],
    },
  }));

export type Settings = z.output<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;
