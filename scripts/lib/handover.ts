import type { Access } from "../../infra/manifest/schema";
import type { AwsFacts, AzureFacts, AzureGrantFact, PartnerFacts } from "../../infra/partnerFacts";

/**
 * The partner's handover document, rendered from PartnerFacts only (infra/partnerFacts.ts decides every value),
 * as markdown for people and as a JSON twin for scripts. Nothing secret goes in: no keys, no tokens, no object
 * ids (partners log in with the client id; an object id there gives AADSTS700016).
 */

/** Shown instead of the client id when the deployed stack's outputs were not given. */
export const CLIENT_ID_UNKNOWN = "assigned at deployment";

/** File the examples keep the Skyporten token in. */
export const TOKEN_FILE = "skyporten-token.jwt";

export interface HandoverMeta {
  stack: string;
  manifest: string;
  /** The outputs file the client id came from; null when offline. */
  outputs: string | null;
}

/** The JSON twin: the facts plus where they came from. Stable field names (scripts may read it). */
export interface HandoverJson {
  kind: "skyporten-handover";
  version: 1;
  stack: string;
  manifest: string;
  outputs: string | null;
  partner: PartnerFacts;
}

export function handoverJson(facts: PartnerFacts, meta: HandoverMeta): HandoverJson {
  return {
    kind: "skyporten-handover",
    version: 1,
    stack: meta.stack,
    manifest: meta.manifest,
    outputs: meta.outputs,
    partner: facts,
  };
}

const code = (v: string) => `\`${v.replace(/`/g, "'")}\``;
const cell = (v: string) => v.replace(/\|/g, "\\|").replace(/\n/g, " ");
function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(cell).join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}
const fence = (lang: string, lines: string[]) => ["```" + lang, ...lines, "```"].join("\n");

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
    // A path grant is an ACL on the directory: the Data Lake (dfs) commands address it directly.
    if (canRead)
      lines.push(
        `az storage fs file list --auth-mode login --account-name ${account} --file-system ${g.container} --path ${g.path} --output table`,
      );
    if (canWrite)
      lines.push(
        `az storage fs file upload --auth-mode login --account-name ${account} --file-system ${g.container} --path ${g.path}/example.txt --source ./example.txt`,
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

/** Rows of the troubleshooting table for the clouds this partner uses. */
export function troubleshootingRows(facts: PartnerFacts): string[][] {
  const rows: string[][] = [];
  const expect = `${code(facts.issuer)} (exact, no trailing slash), sub ${code(facts.subject)}, aud ${code(facts.audience)}`;
  if (facts.azure !== null) {
    rows.push(
      [
        "AADSTS70021 (or AADSTS700213): No matching federated identity record found for presented assertion",
        "The token's issuer, subject or audience differs from the trust the platform configured, by even one character.",
        `The token must carry iss ${expect}. Request exactly one scope (${code(facts.scope)}) from ${code(facts.tokenEndpoint)} with resource ${code(facts.audience)}; a token from plain Maskinporten has the wrong issuer. Right after onboarding, allow a few minutes for Entra ID to replicate the trust.`,
      ],
      [
        "AADSTS700016: Application with identifier '...' was not found in the directory",
        "The login used the identity's object (principal) id instead of its client id, or the wrong tenant.",
        `Log in with ${facts.azure.clientId === null ? "the client id of the Azure section (not the object id)" : `client id ${code(facts.azure.clientId)}`} and tenant ${code(facts.azure.tenantId)}.`,
      ],
      [
        "AADSTS700024: Client assertion is not within its valid time range",
        "The Skyporten token has expired (they live for minutes) or the machine's clock is off.",
        "Fetch a new token immediately before logging in; keep the clock synchronised (NTP).",
      ],
      [
        "AuthorizationPermissionMismatch / 403 from storage",
        "Logged in, but the operation is outside the grants (e.g. listing with write-only access, or outside the granted path).",
        "Compare the operation with the grants table above; ask the platform team for a manifest change if you need more.",
      ],
    );
  }
  if (facts.aws !== null) {
    rows.push(
      [
        "InvalidIdentityToken: Incorrect token audience",
        "The token's aud is not the audience the platform's OIDC provider accepts.",
        `Send resource ${code(facts.audience)} exactly when requesting the token.`,
      ],
      [
        "InvalidIdentityToken: No OpenIDConnect provider found in your account for ...",
        "The token's issuer is not the Skyporten issuer the platform trusts (plain Maskinporten, trailing slash, other environment).",
        `Get the token from ${code(facts.tokenEndpoint)}; its iss must be ${code(facts.issuer)}.`,
      ],
      [
        "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
        "The token's subject does not match the role's trust (another organization's client, or no scope in sub), or the role ARN is wrong.",
        `Use role ${code(facts.aws.roleArn)} with a token whose sub is ${code(facts.subject)} (request exactly one scope).`,
      ],
      [
        "ExpiredTokenException: Token expired",
        "The Skyporten token has expired.",
        "Fetch a new token immediately before assuming the role.",
      ],
    );
  }
  return rows;
}

/** The partner's handover document as markdown. */
export function handoverMarkdown(facts: PartnerFacts, meta: HandoverMeta): string {
  const out: string[] = [];
  const env = facts.environment === "prod" ? "production" : "test";
  out.push(`# Skyporten access for ${facts.name} (${facts.orgNumber}): ${env} environment`, "");
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
    `1. In Digdir's self-service for Maskinporten (${env} environment), organization ${facts.orgNumber} creates a Maskinporten client and adds the scope ${code(facts.scope)} to it.`,
    `2. Scope access: ${facts.maskinporten.scopeAccessManaged ? `the platform grants organization ${facts.orgNumber} access to ${code(facts.scope)} automatically.` : `the platform team grants organization ${facts.orgNumber} access to ${code(facts.scope)} by hand; you will be told when it is done.`}`,
    "",
  );

  out.push("## 2. Get a Skyporten token", "");
  out.push(
    table(
      ["What", "Value"],
      [
        ["Environment", env],
        ["Organization", `${facts.orgNumber} (${code(facts.consumerId)} in the token's consumer.ID)`],
        ["Issuer", `${code(facts.issuer)} (exact: no trailing slash)`],
        ["Token endpoint", code(facts.tokenEndpoint)],
        ["Discovery document", code(facts.discoveryUrl)],
        ["Scope to request", `${code(facts.scope)} (exactly this one scope, nothing else)`],
        ["resource (becomes the token's aud)", code(facts.audience)],
        ["Subject your token will carry (sub)", code(facts.subject)],
      ],
    ),
    "",
  );
  out.push(
    `Build the JWT grant as for any Maskinporten token (Digdir's JWT-grant guide) with ${code(`"scope": "${facts.scope}"`)} and ${code(`"resource": "${facts.audience}"`)}, and send it to the Skyporten token endpoint:`,
    "",
    fence("bash", [
      `curl -s -X POST ${facts.tokenEndpoint} \\`,
      "  --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \\",
      `  --data-urlencode assertion="$JWT_GRANT" | jq -r .access_token > ${TOKEN_FILE}`,
    ]),
    "",
    "Tokens are short-lived: fetch a new one right before each exchange below.",
    "",
  );

  let section = 3;
  if (facts.azure !== null) {
    const az = facts.azure;
    out.push(`## ${section++}. Azure`, "");
    out.push(
      table(
        ["What", "Value"],
        [
          ["Tenant id", code(az.tenantId)],
          [
            "Client id (log in with this)",
            az.clientId === null ? `_${CLIENT_ID_UNKNOWN}_` : code(az.clientId),
          ],
          [az.identityKind === "app-registration" ? "App registration" : "Managed identity", code(az.identityName)],
          ["Storage account", code(az.storageAccount)],
          ["Blob endpoint", code(az.blobEndpoint)],
          ["Data Lake (dfs) endpoint", code(az.dfsEndpoint)],
        ],
      ),
      "",
      "Granted:",
      "",
      table(
        ["Container", "Path", "Access", "URL"],
        az.grants.map((g) => [
          code(g.container),
          g.path === null ? "(whole container)" : code(g.path),
          ACCESS_TEXT[g.access],
          code(g.url),
        ]),
      ),
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
    );
  }

  if (facts.aws !== null) {
    const aws = facts.aws;
    out.push(`## ${section++}. AWS`, "");
    out.push(
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
    );
  }

  if (facts.azure === null && facts.aws === null)
    out.push(
      `## ${section++}. Storage`,
      "",
      "No storage access is provisioned for this organization on this stack.",
      "",
    );

  const rows = troubleshootingRows(facts);
  if (rows.length > 0) {
    out.push(`## ${section++}. Troubleshooting`, "", table(["Error", "Meaning", "Fix"], rows), "");
    out.push(
      "Still stuck? Send the platform team a token **after it has expired** (its `exp` has passed): they run `npm run explain` on it, which names the exact mismatch.",
      "",
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}
