import { z } from "zod";
import { CanarySettingsSchema } from "./canary";
import { gatewayProblems, GatewaySettingsSchema, withGatewayDefaults } from "./gateway";

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

/**
 * The name key: the part of every physical name that tells stacks apart (`id-skyporten-<key>-<org>`,
 * `skyporten-<key>-<org>`, `sg-skyporten-<key>-<container>-<level>`). Lowercase letters and digits, starting
 * with a letter, 2 to 12 characters: the longest name it enters, the IAM role `skyporten-<key>-<9 digits>`, stays
 * far below IAM's 64, and every name stays valid in Azure, Entra and IAM. It holds no "-", so the prefix
 * `sg-skyporten-<key>-` of one key never matches another key's names.
 */
export const NAME_KEY_PATTERN = /^[a-z][a-z0-9]{1,11}$/;
const NAME_KEY_RULE =
  "2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment)";

/**
 * Why a configured name key is wrong for the environment, or undefined when it is right. Another environment's
 * name is refused: a `test` stack with nameKey `prod` would take the prod stack's names.
 */
export function nameKeyProblem(environment: Environment, nameKey: string): string | undefined {
  if (!NAME_KEY_PATTERN.test(nameKey)) {
    return `"${nameKey}" is not a name key: use ${NAME_KEY_RULE}`;
  }
  const other = ENVIRONMENTS.find((e) => e !== environment && e === nameKey);
  if (other !== undefined) {
    return `"${nameKey}" is the ${other} environment's name, which the ${other} stack's resources are named with; this stack's environment is ${environment}, so its resources would take the ${other} stack's names: use another key, e.g. dev, or remove nameKey to use ${environment}`;
  }
  return undefined;
}

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
  const other = ENVIRONMENTS.find(
    (e) => e !== environment && SKYPORTEN_ISSUERS[e] === issuer.replace(/\/$/, ""),
  );
  if (other !== undefined) {
    return `"${issuer}" is the Skyporten issuer of the ${other} environment; this stack's environment is ${environment}: use "${expected}"`;
  }
  return `"${issuer}" is not the Skyporten issuer of the ${environment} environment; use "${expected}"`;
}

const guid = (key: string) =>
  z
    .string({ error: `${key} must be a GUID string` })
    .regex(GUID, `${key} must be a lowercase GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);

const bool = (key: string) => z.boolean({ error: `${key} must be true or false` });
const httpsUrl = (key: string) =>
  z.url({
    protocol: /^https$/,
    error: `${key} must be an https URL such as https://api.test.samarbeid.digdir.no`,
  });
/** A zod error option: `message` when the value has the wrong type, zod's own message for anything else. */
const typeError = (message: string) => ({
  error: (issue: { code?: string }) => (issue.code === "invalid_type" ? message : undefined),
});

/** Kinds of partner identity on Azure (azure.identityKind). */
export const IDENTITY_KINDS = ["managed-identity", "app-registration"] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

export const AzureSettingsSchema = z.strictObject(
  {
    tenantId: guid("azure.tenantId"),
    subscriptionId: guid("azure.subscriptionId"),
    resourceGroupName: z
      .string({ error: "azure.resourceGroupName must be the name of the storage account's resource group" })
      .regex(
        /^[-\w._()]{0,89}[-\w_()]$/,
        "azure.resourceGroupName must be a valid resource group name: 1-90 letters, digits, '-', '_', '.', '(', ')', not ending with '.'",
      ),
    storageAccountName: z
      .string({ error: "azure.storageAccountName must be the storage account's name" })
      .regex(/^[a-z0-9]{3,24}$/, "azure.storageAccountName must be 3-24 lowercase letters and digits"),
    location: z
      .string({ error: "azure.location must be an Azure region name such as norwayeast" })
      .min(1, "azure.location must be an Azure region name such as norwayeast")
      .default("norwayeast"),
    /**
     * Object ids that own the platform's Entra groups and, with identityKind "app-registration", the partners'
     * applications and service principals (e.g. the deploying service principal). Default: none.
     */
    groupOwners: z
      .array(guid("azure.groupOwners[]"), typeError("azure.groupOwners must be a list of object ids (GUIDs)"))
      .default([]),
    /**
     * What each partner's Entra identity is. Default: "managed-identity", a user-assigned managed identity with a
     * federated identity credential (an Azure resource in the storage account's resource group). "app-registration"
     * is the other variant of Digdir's Skyporten guide: an Entra application, its service principal and an
     * application federated identity credential (a directory object; the deployer needs
     * Application.ReadWrite.OwnedBy and is made owner through azure.groupOwners). Grants are the same for both
     * (they name the principal's object id). Switching the kind of a deployed stack replaces every partner's
     * identity, so partners get new client ids: choose once, before the first partner is onboarded.
     */
    identityKind: z
      .enum(IDENTITY_KINDS, { error: `azure.identityKind must be one of ${IDENTITY_KINDS.map((k) => `"${k}"`).join(", ")}` })
      .default("managed-identity"),
    /** The partner gateway in front of the storage account (./gateway.ts). Default: none, partners call the account. */
    gateway: GatewaySettingsSchema.optional(),
  },
  typeError(
    "azure must be a mapping with tenantId, subscriptionId, resourceGroupName and storageAccountName",
  ),
);

const SESSION_SECONDS = "aws.maxSessionDurationSeconds must be a whole number of seconds from 3600 to 43200";

export const AwsSettingsSchema = z.strictObject(
  {
    /** The AWS variant: OIDC provider, per-partner roles, buckets. Default: on. */
    enabled: bool("aws.enabled").default(true),
    region: z
      .string({ error: "aws.region must be an AWS region such as eu-north-1" })
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "aws.region must be an AWS region such as eu-north-1"),
    accountId: z
      .string({
        error:
          'aws.accountId must be the 12-digit AWS account id as a quoted string (e.g. "000000000000"), so leading zeros are kept',
      })
      .regex(/^\d{12}$/, "aws.accountId must be the 12-digit AWS account id"),
    /** Adopt an existing Skyporten OIDC provider (one per issuer URL per account) instead of creating one. */
    oidcProviderArn: z
      .string({ error: "aws.oidcProviderArn must be an IAM OIDC provider ARN" })
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/,
        "aws.oidcProviderArn must be an IAM OIDC provider ARN (arn:aws:iam::<account>:oidc-provider/<host>)",
      )
      .optional(),
    /** Create the provider even when no partner has AWS grants yet. Default: false. */
    alwaysCreateProvider: bool("aws.alwaysCreateProvider").default(false),
    /** IAM path of partner roles. Default: /skyporten/. */
    rolePath: z
      .string({ error: "aws.rolePath must be an IAM path such as /skyporten/" })
      .regex(/^\/([\w+=,.@-]+\/)*$/, 'aws.rolePath must start and end with "/", e.g. /skyporten/')
      .default("/skyporten/"),
    /** Max session duration of partner roles, seconds (3600-43200). Default: 3600. */
    maxSessionDurationSeconds: z
      .number({ error: SESSION_SECONDS })
      .int(SESSION_SECONDS)
      .min(3600, SESSION_SECONDS)
      .max(43200, SESSION_SECONDS)
      .default(3600),
    /** Optional thumbprints for the OIDC provider; AWS no longer requires them. */
    thumbprints: z
      .array(
        z
          .string({ error: "aws.thumbprints entries must be SHA-1 thumbprints: 40 hex characters" })
          .regex(/^[0-9a-f]{40}$/i, "aws.thumbprints entries must be SHA-1 thumbprints: 40 hex characters"),
        typeError("aws.thumbprints must be a list of SHA-1 thumbprints"),
      )
      .max(5, "aws.thumbprints may hold at most 5 thumbprints (IAM limit); AWS no longer needs any")
      .default([]),
  },
  typeError(
    "aws must be a mapping with region and accountId (set enabled: false to turn the AWS variant off)",
  ),
);

export const MaskinportenSettingsSchema = z.strictObject(
  {
    /** Grant scope access through Digdir's self-service API. Default: off (granted by hand). */
    manageScopeAccess: bool("maskinporten.manageScopeAccess").default(false),
    /** Self-service API base URL. Default: Digdir's for the environment. */
    apiBaseUrl: httpsUrl("maskinporten.apiBaseUrl").optional(),
    /** Token endpoint of plain Maskinporten. Default: <Maskinporten issuer>token. */
    tokenEndpoint: httpsUrl("maskinporten.tokenEndpoint").optional(),
    /** Audience of the admin client's JWT grant. Default: the plain Maskinporten issuer (with trailing slash). */
    tokenAudience: httpsUrl("maskinporten.tokenAudience").optional(),
    adminClientId: z
      .string({ error: "maskinporten.adminClientId must be the admin client's id (text)" })
      .min(1, "maskinporten.adminClientId must not be empty")
      .optional(),
    adminKeyId: z
      .string({ error: "maskinporten.adminKeyId must be the kid of the admin client's key (text)" })
      .min(1, "maskinporten.adminKeyId must not be empty")
      .optional(),
  },
  typeError("maskinporten must be a mapping such as { manageScopeAccess: false }"),
);

export const SettingsSchema = z
  .strictObject({
    environment: z.enum(ENVIRONMENTS, { error: 'environment must be "test" or "prod"' }),
    issuer: z.string({
      error: `issuer must be the Skyporten issuer URL (${SKYPORTEN_ISSUERS.test} for test, ${SKYPORTEN_ISSUERS.prod} for prod)`,
    }),
    scope: z.literal(PLATFORM_SCOPE, { error: `scope must be "${PLATFORM_SCOPE}"` }),
    audience: z
      .string({
        error:
          "audience must be the https URL partners send as resource to Skyporten, e.g. https://skyporten.example.no",
      })
      .regex(
        /^https:\/\/[a-z0-9.-]+(\/[A-Za-z0-9._~\/-]*)?$/,
        "audience must be an https URL under the platform's own domain, e.g. https://skyporten.example.no",
      ),
    /**
     * Manifest path relative to the project. Default: stacks/<stack name>.yaml (parseSettings knows the stack), so a
     * `dev` stack with environment test reads stacks/dev.yaml; stacks/<environment>.yaml when the stack is unknown.
     */
    manifest: z
      .string({ error: "manifest must be a file path relative to the project, e.g. stacks/test.yaml" })
      .optional(),
    /**
     * The key every physical name derives from (NAME_KEY_PATTERN, nameKeyProblem). Default: the environment, so
     * the test and prod stacks keep their names. A second stack of an environment (a `dev` stack with environment
     * test) sets its own key, so its names differ from the test stack's in a shared tenant and AWS account.
     * Changing it on a deployed stack renames everything: managed identities and IAM roles are replaced (new
     * client ids and role ARNs); nothing here can see the deployed names, so README and runbook warn instead.
     */
    nameKey: z
      .string({ error: `nameKey must be ${NAME_KEY_RULE}` })
      .regex(NAME_KEY_PATTERN, `nameKey must be ${NAME_KEY_RULE}`)
      .optional(),
    /** Protect managed identities (except offboarded). Default: true in prod, false in test. */
    protectIdentities: bool("protectIdentities").optional(),
    azure: AzureSettingsSchema,
    aws: AwsSettingsSchema,
    maskinporten: MaskinportenSettingsSchema.default({ manageScopeAccess: false }),
    /** The deploy canary (infra/settings/canary.ts). Default: none. */
    canary: CanarySettingsSchema.optional(),
  })
  // `when: () => true`: the issuer rule runs even when another setting is invalid, so every problem of the stack
  // file comes at once. It then sees unvalidated values, hence the type checks.
  .superRefine(
    (s, ctx) => {
      const v = ctx.value as {
        environment?: unknown;
        issuer?: unknown;
        nameKey?: unknown;
        maskinporten?: unknown;
        azure?: unknown;
      };
      const environment = ENVIRONMENTS.find((e) => e === v.environment);
      if (environment !== undefined && typeof v.issuer === "string") {
        const problem = issuerProblem(environment, v.issuer);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["issuer"], message: problem });
      }
      // The pattern is the field's own rule; here only what needs the environment.
      if (environment !== undefined && typeof v.nameKey === "string" && NAME_KEY_PATTERN.test(v.nameKey)) {
        const problem = nameKeyProblem(environment, v.nameKey);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: ["nameKey"], message: problem });
      }
      const mp = (
        typeof v.maskinporten === "object" && v.maskinporten !== null ? v.maskinporten : {}
      ) as Partial<typeof s.maskinporten>;
      for (const p of gatewayProblems(v.azure)) ctx.addIssue({ code: "custom", ...p });
      if (mp.manageScopeAccess === true && (mp.adminClientId === undefined || mp.adminKeyId === undefined)) {
        ctx.addIssue({
          code: "custom",
          path: ["maskinporten"],
          message:
            "maskinporten.manageScopeAccess needs adminClientId and adminKeyId (and the secret adminPrivateKey); set them or turn the switch off",
        });
      }
    },
    { when: () => true },
  )
  .transform((s) => ({
    ...s,
    manifest: s.manifest ?? `stacks/${s.environment}.yaml`,
    nameKey: s.nameKey ?? s.environment,
    protectIdentities: s.protectIdentities ?? s.environment === "prod",
    azure: withGatewayDefaults(s.azure),
    maskinporten: {
      ...s.maskinporten,
      apiBaseUrl: s.maskinporten.apiBaseUrl ?? SELF_SERVICE_API[s.environment],
      tokenEndpoint: s.maskinporten.tokenEndpoint ?? `${MASKINPORTEN_ISSUERS[s.environment]}token`,
      tokenAudience: s.maskinporten.tokenAudience ?? MASKINPORTEN_ISSUERS[s.environment],
    },
  }));

export type Settings = z.output<typeof SettingsSchema>;
export type SettingsInput = z.input<typeof SettingsSchema>;
