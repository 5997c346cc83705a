import type { AzureFacts, AzureGrantFact, GatewayFacts } from "../../infra/partnerFacts";
import { GRANT_EXAMPLE_LIFETIME_SECONDS, JWT_BEARER_GRANT_TYPE, type TokenRequestFacts } from "../../infra/tokenRequest";

/**
 * The handover's code examples, generated from the partner's facts only (never hand-written per stack): the
 * token request in four languages, and the storage calls through the gateway. Every example reads the partner's
 * own secrets from the same environment variables and writes the token to the same file.
 */

/** File the examples keep the Skyporten token in. */
export const TOKEN_FILE = "skyporten-token.jwt";

/** The partner's own Maskinporten client, read by every example from the environment. */
export const PARTNER_ENV = {
  clientId: "MASKINPORTEN_CLIENT_ID",
  keyId: "MASKINPORTEN_KID",
  keyFile: "MASKINPORTEN_KEY_FILE",
} as const;

export interface Example {
  title: string;
  /** Fence language. */
  lang: string;
  lines: string[];
}

/** The file name every upload example uses: allowed by the payload manager's name and type rules. */
export const EXAMPLE_FILE = "example.txt";

const js = (v: string) => JSON.stringify(v);

/** curl with the grant built and signed in the shell (openssl), as in Digdir's protocol description. */
function shellTokenExample(t: TokenRequestFacts): Example {
  return {
    title: "Shell (openssl + curl + jq)",
    lang: "bash",
    lines: [
      `# Your Maskinporten client: ${PARTNER_ENV.clientId}, ${PARTNER_ENV.keyId} (the key id registered on it) and`,
      `# ${PARTNER_ENV.keyFile} (its private key, PEM).`,
      "b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }",
      "NOW=$(date +%s)",
      `HEADER=$(printf '{"alg":"RS256","kid":"%s"}' "$${PARTNER_ENV.keyId}" | b64url)`,
      `CLAIMS=$(printf '{"aud":"%s","iss":"%s","scope":"%s","resource":"%s","iat":%d,"exp":%d,"jti":"%s"}' \\`,
      `  ${js(t.grantAudience)} "$${PARTNER_ENV.clientId}" ${js(t.scope)} ${js(t.resource)} \\`,
      `  "$NOW" "$((NOW + ${GRANT_EXAMPLE_LIFETIME_SECONDS}))" "$(openssl rand -hex 16)" | b64url)`,
      `SIGNATURE=$(printf '%s.%s' "$HEADER" "$CLAIMS" | openssl dgst -sha256 -sign "$${PARTNER_ENV.keyFile}" -binary | b64url)`,
      `curl -sS --fail-with-body -X ${t.method} ${t.tokenEndpoint} \\`,
      `  --data-urlencode grant_type=${JWT_BEARER_GRANT_TYPE} \\`,
      `  --data-urlencode assertion="$HEADER.$CLAIMS.$SIGNATURE" | jq -r .access_token > ${TOKEN_FILE}`,
    ],
  };
}

/** Node.js 20+ with jose (fetch is built in). Executed by a test against a local Skyporten-like issuer. */
export function nodeTokenExample(t: TokenRequestFacts): Example {
  return {
    title: "Node.js (jose)",
    lang: "js",
    lines: [
      "// skyporten-token.mjs: npm install jose; node skyporten-token.mjs (Node.js 20 or later)",
      `// The key must be PKCS#8 ("BEGIN PRIVATE KEY"); convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem`,
      'import { randomUUID } from "node:crypto";',
      'import { readFileSync, writeFileSync } from "node:fs";',
      'import { importPKCS8, SignJWT } from "jose";',
      "",
      `const env = (name) => process.env[name] ?? (() => { throw new Error(\`set \${name}\`); })();`,
      `const key = await importPKCS8(readFileSync(env(${js(PARTNER_ENV.keyFile)}), "utf8"), "RS256");`,
      "const now = Math.floor(Date.now() / 1000);",
      `const grant = await new SignJWT({ scope: ${js(t.scope)}, resource: ${js(t.resource)} })`,
      `  .setProtectedHeader({ alg: "RS256", kid: env(${js(PARTNER_ENV.keyId)}) })`,
      `  .setAudience(${js(t.grantAudience)}) // the Skyporten issuer exactly: no trailing slash`,
      `  .setIssuer(env(${js(PARTNER_ENV.clientId)}))`,
      "  .setIssuedAt(now)",
      `  .setExpirationTime(now + ${GRANT_EXAMPLE_LIFETIME_SECONDS}) // at most 120 s after iat`,
      "  .setJti(randomUUID())",
      "  .sign(key);",
      `const response = await fetch(${js(t.tokenEndpoint)}, {`,
      `  method: ${js(t.method)},`,
      `  headers: { "content-type": ${js(t.contentType)} },`,
      `  body: new URLSearchParams({ grant_type: ${js(JWT_BEARER_GRANT_TYPE)}, assertion: grant }),`,
      "});",
      "const body = await response.json();",
      "if (!response.ok) throw new Error(`Skyporten answered ${response.status}: ${JSON.stringify(body)}`);",
      `writeFileSync(${js(TOKEN_FILE)}, body.access_token);`,
    ],
  };
}

/** Python with jwcrypto and requests: the libraries of Digdir's own Skyporten example. */
function pythonTokenExample(t: TokenRequestFacts): Example {
  return {
    title: "Python (jwcrypto + requests, as in Digdir's Skyporten example)",
    lang: "python",
    lines: [
      "# pip install jwcrypto requests",
      "import os, time, uuid",
      "import requests",
      "from jwcrypto import jwk, jwt",
      "",
      `with open(os.environ[${js(PARTNER_ENV.keyFile)}], "rb") as f:`,
      "    key = jwk.JWK.from_pem(f.read())",
      "now = int(time.time())",
      "grant = jwt.JWT(",
      `    header={"alg": "RS256", "kid": os.environ[${js(PARTNER_ENV.keyId)}]},`,
      "    claims={",
      `        "aud": ${js(t.grantAudience)},  # the Skyporten issuer exactly: no trailing slash`,
      `        "iss": os.environ[${js(PARTNER_ENV.clientId)}],`,
      `        "scope": ${js(t.scope)},`,
      `        "resource": ${js(t.resource)},`,
      '        "iat": now,',
      `        "exp": now + ${GRANT_EXAMPLE_LIFETIME_SECONDS},  # at most 120 s after iat`,
      '        "jti": str(uuid.uuid4()),',
      "    },",
      ")",
      "grant.make_signed_token(key)",
      "response = requests.post(",
      `    ${js(t.tokenEndpoint)},`,
      `    data={"grant_type": ${js(JWT_BEARER_GRANT_TYPE)}, "assertion": grant.serialize()},`,
      "    timeout=30,",
      ")",
      "response.raise_for_status()",
      `with open(${js(TOKEN_FILE)}, "w") as f:`,
      '    f.write(response.json()["access_token"])',
    ],
  };
}

/**
 * .NET with Microsoft.IdentityModel.JsonWebTokens. Default times are off: the handler would add `nbf`, a claim
 * Maskinporten does not list and refuses ("Invalid assertion").
 */
function dotnetTokenLines(t: TokenRequestFacts): string[] {
  return [
    "// dotnet add package Microsoft.IdentityModel.JsonWebTokens",
    "using System.Security.Cryptography;",
    "using Microsoft.IdentityModel.JsonWebTokens;",
    "using Microsoft.IdentityModel.Tokens;",
    "",
    "static string Env(string name) => Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($\"set {name}\");",
    "var rsa = RSA.Create();",
    `rsa.ImportFromPem(File.ReadAllText(Env(${js(PARTNER_ENV.keyFile)})));`,
    "var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();",
    "var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };",
    "var grant = handler.CreateToken(new SecurityTokenDescriptor",
    "{",
    `    Audience = ${js(t.grantAudience)}, // the Skyporten issuer exactly: no trailing slash`,
    `    Issuer = Env(${js(PARTNER_ENV.clientId)}),`,
    "    Claims = new Dictionary<string, object>",
    "    {",
    `        ["scope"] = ${js(t.scope)},`,
    `        ["resource"] = ${js(t.resource)},`,
    '        ["iat"] = now,',
    `        ["exp"] = now + ${GRANT_EXAMPLE_LIFETIME_SECONDS}, // at most 120 s after iat`,
    '        ["jti"] = Guid.NewGuid().ToString(),',
    "    },",
    `    SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = Env(${js(PARTNER_ENV.keyId)}) }, SecurityAlgorithms.RsaSha256),`,
    "});",
    "using var http = new HttpClient();",
    `var response = await http.PostAsync(${js(t.tokenEndpoint)}, new FormUrlEncodedContent(new Dictionary<string, string>`,
    "{",
    `    ["grant_type"] = ${js(JWT_BEARER_GRANT_TYPE)},`,
    '    ["assertion"] = grant,',
    "}));",
    "response.EnsureSuccessStatusCode();",
    "var tokenResponse = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());",
    `await File.WriteAllTextAsync(${js(TOKEN_FILE)}, tokenResponse.RootElement.GetProperty("access_token").GetString());`,
  ];
}

/** The token request in every language, from the same facts. */
export function tokenExamples(t: TokenRequestFacts): Example[] {
  return [
    shellTokenExample(t),
    nodeTokenExample(t),
    pythonTokenExample(t),
    { title: ".NET (Microsoft.IdentityModel.JsonWebTokens)", lang: "csharp", lines: dotnetTokenLines(t) },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Storage through the gateway

const clientIdOf = (azure: AzureFacts) => azure.clientId ?? "<client id: assigned at deployment>";

/**
 * Log in with the Skyporten token and get the Entra token the gateway accepts: with the Azure CLI, or with one
 * request to Entra's token endpoint (client credentials with the Skyporten token as federated client assertion,
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow, "third case").
 */
export function gatewayTokenLines(azure: AzureFacts, gateway: GatewayFacts): string[] {
  return [
    `az login --service-principal -u ${clientIdOf(azure)} -t ${azure.tenantId} --federated-token "$(cat ${TOKEN_FILE})" --allow-no-subscriptions`,
    `# The gateway routes on the Entra token's audience: request it for ${gateway.tokenAudience} exactly.`,
    `ENTRA_TOKEN=$(az account get-access-token --resource ${gateway.tokenAudience} --query accessToken -o tsv)`,
    "",
    "# Or without the Azure CLI: the same exchange as one request to Entra ID.",
    `ENTRA_TOKEN=$(curl -sS --fail-with-body -X POST https://login.microsoftonline.com/${azure.tenantId}/oauth2/v2.0/token \\`,
    `  --data-urlencode client_id=${clientIdOf(azure)} \\`,
    `  --data-urlencode scope=${gateway.tokenAudience}/.default \\`,
    "  --data-urlencode grant_type=client_credentials \\",
    "  --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\",
    `  --data-urlencode client_assertion="$(cat ${TOKEN_FILE})" | jq -r .access_token)`,
  ];
}

/** One curl call through the gateway: the bearer token and the headers every Blob REST request carries. */
function curlCall(gateway: GatewayFacts, head: string, extra: readonly string[]): string[] {
  const parts = [
    head,
    '-H "Authorization: Bearer $ENTRA_TOKEN"',
    `-H "x-ms-version: ${gateway.blobApiVersion}"`,
    `-H "x-ms-date: $(date -u '+%a, %d %b %Y %H:%M:%S GMT')"`,
    ...extra,
  ];
  return parts.map((p, i) => `${i === 0 ? "" : "  "}${p}${i === parts.length - 1 ? "" : " \\"}`);
}

/** The blob REST calls through the gateway that exercise one grant (bruno/Payload-Manager-Examples). */
export function gatewayRestLines(gateway: GatewayFacts, g: AzureGrantFact): string[] {
  const dir = g.path === null ? "" : `${g.path}/`;
  const blobUrl = `${gateway.url}/${g.container}/${dir}${EXAMPLE_FILE}`;
  const lines: string[] = [];
  if (g.access !== "read")
    lines.push(
      `# Upload ${EXAMPLE_FILE} to ${g.container}/${dir}`,
      ...curlCall(gateway, `curl -sS --fail-with-body -X PUT "${blobUrl}"`, [
        '-H "x-ms-blob-type: BlockBlob"',
        `--data-binary @${EXAMPLE_FILE}`,
      ]),
    );
  if (g.access !== "write") {
    const prefix = g.path === null ? "" : `&prefix=${encodeURIComponent(dir)}`;
    lines.push(
      `# List ${g.container}/${dir}`,
      ...curlCall(gateway, `curl -sS --fail-with-body "${gateway.url}/${g.container}?restype=container&comp=list${prefix}"`, []),
      `# Download ${g.container}/${dir}${EXAMPLE_FILE}`,
      ...curlCall(gateway, `curl -sS --fail-with-body -o ${EXAMPLE_FILE} "${blobUrl}"`, []),
    );
  }
  return lines;
}

/**
 * .NET through the gateway, as the platform's guide does it (Uploading-files-with-skyporten.md): a workload
 * identity credential reading the Skyporten token file, BlobClientOptions.Audience = the token audience, the
 * gateway as the service URL, and blob names that repeat `<root>/<container>/`.
 */
export function gatewayDotnetLines(azure: AzureFacts, gateway: GatewayFacts): string[] {
  const g = azure.grants.find((x) => x.access !== "read") ?? azure.grants[0]!;
  const dir = g.path === null ? "" : `${g.path}/`;
  const root = gateway.sdkBlobNameRoot === null ? "" : `${gateway.sdkBlobNameRoot}/`;
  const lines = [
    "// dotnet add package Azure.Identity; dotnet add package Azure.Storage.Blobs",
    "using Azure.Identity;",
    "using Azure.Storage.Blobs;",
    "using Azure.Storage.Blobs.Models;",
    "",
    "var credential = new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions",
    "{",
    `    TenantId = ${js(azure.tenantId)},`,
    `    ClientId = ${js(clientIdOf(azure))},`,
    `    TokenFilePath = ${js(TOKEN_FILE)}, // re-read on every exchange: keep writing fresh tokens to it`,
    "});",
    "// The gateway routes on the Entra token's audience: the storage account's blob endpoint.",
    `var options = new BlobClientOptions { Audience = new BlobAudience(${js(gateway.tokenAudience)}) };`,
    `var service = new BlobServiceClient(new Uri(${js(gateway.url)}), credential, options);`,
    `var container = service.GetBlobContainerClient(${js(g.container)});`,
  ];
  if (root !== "")
    lines.push(`// Through the gateway the blob name repeats "${root}${g.container}/": the SDK cannot place the path otherwise.`);
  const blobName = `${root}${g.container}/${dir}${EXAMPLE_FILE}`;
  if (g.access !== "read") lines.push(`await container.GetBlobClient(${js(blobName)}).UploadAsync(${js(EXAMPLE_FILE)}, overwrite: false);`);
  else lines.push(`await container.GetBlobClient(${js(blobName)}).DownloadToAsync(${js(EXAMPLE_FILE)});`);
  return lines;
}
