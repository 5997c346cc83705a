import type { Access } from "../../infra/manifest/schema";
import type {
  AwsFacts,
  AzureFacts,
  AzureGrantFact,
  GatewayFacts,
  PartnerFacts,
} from "../../infra/partnerFacts";
import {
  gatewayDotnetLines,
  gatewayRestLines,
  gatewayTokenLines,
  PARTNER_ENV,
  TOKEN_FILE,
  tokenExamples,
  type Example,
} from "./handoverExamples";
import { troubleshootingRows } from "./handoverTroubleshooting";
import { code, displayText, fence, table } from "./markdown";

/**
 * The partner's handover document, rendered from PartnerFacts only (infra/partnerFacts.ts decides every value),
 * as markdown for people and as a JSON twin for scripts. Nothing secret goes in: no keys, no tokens, no object
 * ids (partners log in with the client id; an object id there gives AADSTS700016). With a partner gateway, every
 * storage call goes through it: the storage account's own endpoints are never offered.
 */

export { TOKEN_FILE } from "./handoverExamples";
export { troubleshootingRows } from "./handoverTroubleshooting";

/** Shown instead of the client id when the deployed stack's outputs were not given. */
export const CLIENT_ID_UNKNOWN = "assigned at deployment";

export interface HandoverMeta {
  stack: string;
  manifest: string;
  /** The outputs file the client id came from; null when offline. */
  outputs: string | null;
}

/**
 * The Azure facts as a partner is told them. With a gateway the storage account's own endpoints are left out
 * (null) and every grant's `url` is its gateway URL: partners reach storage only through the gateway, and a
 * script reading `url` must not bypass it.
 */
export type PartnerAzureView = Omit<AzureFacts, "blobEndpoint" | "dfsEndpoint"> & {
  blobEndpoint: string | null;
  dfsEndpoint: string | null;
};
export type PartnerView = Omit<PartnerFacts, "azure"> & { azure: PartnerAzureView | null };

export function partnerView(facts: PartnerFacts): PartnerView {
  const az = facts.azure;
  if (az === null || az.gateway === null) return facts;
  return {
    ...facts,
    azure: {
      ...az,
      blobEndpoint: null,
      dfsEndpoint: null,
      grants: az.grants.map((g) => ({ ...g, url: g.gatewayUrl ?? g.url })),
    },
  };
}

/** The JSON twin: the facts plus where they came from, and the same examples. Stable field names (scripts may read it). */
export interface HandoverJson {
  kind: "skyporten-handover";
  version: 1;
  stack: string;
  manifest: string;
  outputs: string | null;
  partner: PartnerView;
  examples: {
    /** The token request in shell, Node.js, Python and .NET. */
    token: Example[];
    /** Through the partner gateway; null without one (or without Azure grants). */
    gateway: { entraToken: string[]; rest: string[]; dotnet: string[] } | null;
  };
}

export function handoverJson(facts: PartnerFacts, meta: HandoverMeta): HandoverJson {
  const az = facts.azure;
  return {
    kind: "skyporten-handover",
    version: 1,
    stack: meta.stack,
    manifest: meta.manifest,
    outputs: meta.outputs,
    partner: partnerView(facts),
    examples: {
      token: tokenExamples(facts.tokenRequest),
      gateway:
        az === null || az.gateway === null
          ? null
          : {
              entraToken: gatewayTokenLines(az, az.gateway),
              rest: az.grants.flatMap((g) => gatewayRestLines(az.gateway!, g)),
              dotnet: gatewayDotnetLines(az, az.gateway),
            },
    },
  };
}

const ACCESS_TEXT: Record<Access, string> = {
  read: "read (list and download)",
  write: "write only (create files; no listing or reading)",
  "read-write": "read and write",
};

/** The client id to print in commands: the real one, or a placeholder that cannot be mistaken for one. */
function clientIdForCommands(azure: AzureFacts): string {
  return azure.clientId ?? "<client id: assigned at deployment>";
}

/** Storage commands that exercise each Azure grant (what the partner tests right after logging in). */
function azureGrantCommands(azure: AzureFacts, g: AzureGrantFact): string[] {
  const account = azure.storageAccount;
  const lines: string[] = [];
  const canRead = g.access !== "write";
  const canWrite = g.access !== "read";
  if (g.path === null) {
    if (canRead)
      lines.push(
        `az storage blob list --auth-mode login --account-name ${account} --container-name ${g.container} --output table`,
      );
    if (canWrite)
      lines.push(
        `az storage blob upload --auth-mode login --account-name ${account} --container-name ${g.container} --name example.txt --file ./example.txt`,
      );
  } else {
    // A path grant is an ACL on the directory: the Data Lake (dfs) commands address it directly. A path may begin
    // with "-" ("-reports"), which az's argument parser would take for an option: then the value is attached.
    const pathArg = (value: string) => (value.startsWith("-") ? `--path=${value}` : `--path ${value}`);
    if (canRead)
      lines.push(
        `az storage fs file list --auth-mode login --account-name ${account} --file-system ${g.container} ${pathArg(g.path)} --output table`,
      );
    if (canWrite)
      lines.push(
        `az storage fs file upload --auth-mode login --account-name ${account} --file-system ${g.container} ${pathArg(`${g.path}/example.txt`)} --source ./example.txt`,
      );
  }
  return lines;
}

function awsGrantCommands(aws: AwsFacts): string[] {
  const lines: string[] = [];
  for (const g of aws.grants) {
    if (g.access !== "write") lines.push(`aws s3 ls ${g.s3Uri} --region ${aws.region}`);
    if (g.access !== "read")
      lines.push(`aws s3 cp ./example.txt ${g.s3Uri}example.txt --region ${aws.region}`);
  }
  return lines;
}

function sessionName(facts: PartnerFacts): string {
  return `skyporten-${facts.orgNumber}`;
}

const ENV_NAME = (facts: PartnerFacts) => (facts.environment === "prod" ? "production" : "test");

/** Section "Get a Skyporten token": the facts, the complete grant, and the examples in four languages. */
function tokenSection(facts: PartnerFacts): string[] {
  const t = facts.tokenRequest;
  const out: string[] = [
    table(
      ["What", "Value"],
      [
        ["Environment", ENV_NAME(facts)],
        ["Organization", `${facts.orgNumber} (${code(facts.consumerId)} in the token's consumer.ID)`],
        ["Issuer", `${code(facts.issuer)} (exact: no trailing slash)`],
        ["Token endpoint", `${code(t.tokenEndpoint)} (${t.method}, ${code(t.contentType)})`],
        ["Discovery document", code(facts.discoveryUrl)],
        ["Scope to request", `${code(facts.scope)} (exactly this one scope, nothing else)`],
        ["resource (becomes the token's aud)", code(t.resource)],
        ["Subject your token will carry (sub)", code(facts.subject)],
      ],
    ),
    "",
    `The token request is an RFC 7523 JWT grant signed with your Maskinporten client's key, addressed to **Skyporten itself**: its ${code("aud")} is the issuer ${code(t.grantAudience)}, not the token endpoint and never with a trailing slash. Every field:`,
    "",
    table(
      ["Part", "Name", "Value", "Rule"],
      t.fields.map((f) => [f.part, code(f.name), f.value === null ? "_yours_" : code(f.value), f.rule]),
    ),
    "",
    `Each example below reads your client from ${code(PARTNER_ENV.clientId)}, ${code(PARTNER_ENV.keyId)} and ${code(PARTNER_ENV.keyFile)} (the private key's PEM file) and writes the token to ${code(TOKEN_FILE)}.`,
    "",
  ];
  for (const ex of tokenExamples(t)) out.push(`### ${ex.title}`, "", fence(ex.lang, ex.lines), "");
  out.push("Tokens are short-lived: fetch a new one right before each exchange below.", "");
  return out;
}

const grantRows = (azure: AzureFacts) =>
  azure.grants.map((g) => [
    code(g.container),
    g.path === null ? "(whole container)" : code(g.path),
    ACCESS_TEXT[g.access],
    code(azure.gateway === null ? g.url : g.gatewayUrl!),
  ]);

/** Who the partner logs in as: the tenant, the client id and the identity's name. */
const identityRows = (az: AzureFacts): string[][] => [
  ["Tenant id", code(az.tenantId)],
  ["Client id (log in with this)", az.clientId === null ? `_${CLIENT_ID_UNKNOWN}_` : code(az.clientId)],
  [az.identityKind === "app-registration" ? "App registration" : "Managed identity", code(az.identityName)],
];

/** Azure through the partner gateway: only the gateway URL and the token audience, never the account's endpoints. */
function azureGatewaySection(az: AzureFacts, gw: GatewayFacts): string[] {
  return [
    table(
      ["What", "Value"],
      [
        ...identityRows(az),
        ["Gateway (all storage calls go here)", code(gw.url)],
        ["Entra token audience (the gateway routes on it)", code(gw.tokenAudience)],
        ["Blob REST API version", code(gw.blobApiVersion)],
      ],
    ),
    "",
    `You reach storage only through the gateway, with the plain Azure Blob REST API: ${code(`PUT ${gw.url}/<container>/<blob>`)}. Never call the storage account directly; the gateway validates your Entra token and routes on its audience.`,
    "",
    "Granted:",
    "",
    table(["Container", "Path", "Access", "URL"], grantRows(az)),
    "",
    "### Exchange the Skyporten token for an Entra token",
    "",
    fence("bash", gatewayTokenLines(az, gw)),
    "",
    "### Upload, list and download through the gateway (REST)",
    "",
    fence(
      "bash",
      az.grants.flatMap((g) => gatewayRestLines(gw, g)),
    ),
    "",
    "### .NET (Azure.Identity + Azure.Storage.Blobs), as in the platform's guide",
    "",
    fence("csharp", gatewayDotnetLines(az, gw)),
    "",
    "### The gateway's rules",
    "",
    `- Files are kept ${gw.retentionDays} days after creation, then deleted.`,
    `- At most ${gw.maxRequestMegabytes} MB per request: upload larger files in blocks (Put Block, then Put Block List).`,
    `- File names may use only the characters ${code(gw.fileNameCharacters)} (${code("kjorebok.xlsx")}, not ${code("kjørebok.xlsx")}).`,
    `- Allowed file types: ${gw.allowedFileTypes.map((x) => `.${x}`).join(" ")}. Ask the platform team for another type.`,
    "",
  ];
}

/** Azure without a gateway: the storage account's own endpoints. */
function azureDirectSection(az: AzureFacts): string[] {
  return [
    table(
      ["What", "Value"],
      [
        ...identityRows(az),
        ["Storage account", code(az.storageAccount)],
        ["Blob endpoint", code(az.blobEndpoint)],
        ["Data Lake (dfs) endpoint", code(az.dfsEndpoint)],
      ],
    ),
    "",
    "Granted:",
    "",
    table(["Container", "Path", "Access", "URL"], grantRows(az)),
    "",
    "Log in with the Skyporten token, then try the grants:",
    "",
    fence("bash", [
      `az login --service-principal -u ${clientIdForCommands(az)} -t ${az.tenantId} --federated-token "$(cat ${TOKEN_FILE})" --allow-no-subscriptions`,
      ...az.grants.flatMap((g) => azureGrantCommands(az, g)),
    ]),
    "",
    "Azure SDKs (DefaultAzureCredential / WorkloadIdentityCredential) read these variables; they re-read the token file, so keep writing fresh tokens to it:",
    "",
    fence("bash", [
      `export AZURE_CLIENT_ID=${clientIdForCommands(az)}`,
      `export AZURE_TENANT_ID=${az.tenantId}`,
      `export AZURE_FEDERATED_TOKEN_FILE="$PWD/${TOKEN_FILE}"`,
    ]),
    "",
  ];
}

function awsSection(facts: PartnerFacts, aws: AwsFacts): string[] {
  return [
    table(
      ["What", "Value"],
      [
        ["Role ARN", code(aws.roleArn)],
        ["Region", code(aws.region)],
        ["OIDC provider (platform side)", code(aws.providerArn)],
        ["Session duration", `up to ${aws.maxSessionDurationSeconds} s`],
      ],
    ),
    "",
    "Granted:",
    "",
    table(
      ["Bucket", "Prefix", "Access", "URI"],
      aws.grants.map((g) => [code(g.bucket), code(g.prefix), ACCESS_TEXT[g.access], code(g.s3Uri)]),
    ),
    "",
    "Exchange the Skyporten token for temporary credentials (no AWS credentials needed for this call):",
    "",
    fence("bash", [
      `aws sts assume-role-with-web-identity --region ${aws.region} \\`,
      `  --role-arn ${aws.roleArn} \\`,
      `  --role-session-name ${sessionName(facts)} \\`,
      `  --web-identity-token "$(cat ${TOKEN_FILE})"`,
    ]),
    "",
    "AWS SDKs and the CLI do the exchange themselves with these variables (they re-read the token file):",
    "",
    fence("bash", [
      `export AWS_ROLE_ARN=${aws.roleArn}`,
      `export AWS_WEB_IDENTITY_TOKEN_FILE="$PWD/${TOKEN_FILE}"`,
      `export AWS_ROLE_SESSION_NAME=${sessionName(facts)}`,
      `export AWS_REGION=${aws.region}`,
      ...awsGrantCommands(aws),
    ]),
    "",
  ];
}

/** The partner's handover document as markdown. */
export function handoverMarkdown(facts: PartnerFacts, meta: HandoverMeta): string {
  const out: string[] = [];
  const env = ENV_NAME(facts);
  const gateway = facts.azure?.gateway ?? null;
  out.push(`# Skyporten access for ${displayText(facts.name)} (${facts.orgNumber}): ${env} environment`, "");
  out.push(
    `Generated by \`npm run handover\` from stack \`${meta.stack}\` (${meta.manifest}${meta.outputs === null ? ", offline" : `, deployed outputs ${meta.outputs}`}). ` +
      "Nothing in this document is secret. Never send anyone your Maskinporten private key or an unexpired token.",
    "",
  );
  if (facts.status !== "active") {
    out.push(
      `> **Access is ${facts.status}.** ${facts.status === "suspended" ? "Token exchanges are refused until the platform team reinstates the organization; the values below (including the client id) stay the same when it is reinstated." : "Nothing is provisioned for this organization any more."}`,
      "",
    );
  }

  out.push("## 1. Before you start", "");
  out.push(
    `1. In Digdir's self-service for Maskinporten (https://samarbeid.digdir.no, ${env} environment), organization ${facts.orgNumber} creates a Maskinporten client, registers a public key (JWK) on it (the key's kid goes in the token request) and adds the scope ${code(facts.scope)} to it.`,
    `2. Scope access: ${facts.maskinporten.scopeAccessManaged ? `the platform grants organization ${facts.orgNumber} access to ${code(facts.scope)} automatically.` : `the platform team grants organization ${facts.orgNumber} access to ${code(facts.scope)} by hand; you will be told when it is done.`}`,
    ...(gateway === null
      ? []
      : [
          `3. The steps: get a Skyporten token (section 2), exchange it for an Entra token for ${code(gateway.tokenAudience)}, and call the gateway ${code(gateway.url)} with it (section 3).`,
        ]),
    "",
  );

  out.push("## 2. Get a Skyporten token", "", ...tokenSection(facts));

  let section = 3;
  if (facts.azure !== null) {
    out.push(`## ${section++}. Azure`, "");
    out.push(
      ...(facts.azure.gateway === null
        ? azureDirectSection(facts.azure)
        : azureGatewaySection(facts.azure, facts.azure.gateway)),
    );
  }
  if (facts.aws !== null) out.push(`## ${section++}. AWS`, "", ...awsSection(facts, facts.aws));
  if (facts.azure === null && facts.aws === null)
    out.push(
      `## ${section++}. Storage`,
      "",
      "No storage access is provisioned for this organization on this stack.",
      "",
    );

  out.push(
    `## ${section++}. Troubleshooting`,
    "",
    table(["Error", "Meaning", "Fix"], troubleshootingRows(facts)),
    "",
  );
  out.push(
    "Still stuck? Send the platform team a token **after it has expired** (its `exp` has passed): they run `npm run explain` on it, which names the exact mismatch.",
    "",
  );
  return `${out.join("\n").trimEnd()}\n`;
}
