import { describe, expect, it } from "vitest";
import { FIXTURE_TENANT, settingsFixture } from "../../infra/settings/testFixture";
import type { Partner } from "../../infra/manifest/schema";
import { partnerFacts } from "../../infra/partnerFacts";
import { handoverJson, handoverMarkdown, troubleshootingRows, type HandoverMeta } from "./handover";
import { tokenExamples } from "./handoverExamples";

const TENANT = FIXTURE_TENANT;
const CLIENT_ID = "0a1b2c3d-0000-4000-8000-000000000001";
const PRINCIPAL_ID = "0a1b2c3d-0000-4000-8000-00000000000f";

const settings = settingsFixture;

const partner = (p: Partial<Partner> & { orgNumber: string }): Partner => ({
  name: "Partner AS",
  status: "active",
  azure: [],
  aws: [],
  ...p,
});

const azureOnly = partner({
  orgNumber: "910000012",
  name: "Nordlys Logistikk AS",
  azure: [
    { container: "outbound", access: "read", path: "nordlys" },
    { container: "inbound", access: "write" },
  ],
});
const awsOnly = partner({
  orgNumber: "921345674",
  name: "Fjordkraft Data AS",
  aws: [{ bucket: "payload", prefix: "fjordkraft/", access: "read" }],
});
const both = partner({
  orgNumber: "917422575",
  name: "Entur AS",
  azure: [{ container: "exchange", access: "read-write" }],
  aws: [{ bucket: "payload", prefix: "entur/", access: "read-write" }],
});

const offline: HandoverMeta = { stack: "test", manifest: "stacks/test.yaml", outputs: null };
const lines = (md: string) => md.split("\n");
/** Lines outside fenced code blocks (a `#` inside a block is a shell comment, not a heading). */
const prose = (md: string) => {
  let inFence = false;
  return lines(md).filter((l) => {
    if (l.startsWith("```")) inFence = !inFence;
    return !inFence && !l.startsWith("```");
  });
};
/** Document and section headings (not the examples' sub-headings). */
const headings = (md: string) => prose(md).filter((l) => /^##? /.test(l));

describe("handoverMarkdown", () => {
  it("a display name cannot inject HTML or markup into the document", () => {
    const md = handoverMarkdown(
      partnerFacts(settings(), { ...azureOnly, name: "Evil <!-- | `AS` [x](http://evil)" }),
      offline,
    );
    expect(headings(md)[0]).toBe(
      "# Skyporten access for Evil \\<!-- \\| \\`AS\\` \\[x\\](http://evil) (910000012): test environment",
    );
    expect(md).not.toMatch(/(^|[^\\])<!--/m);
  });

  it("a path that begins with '-' is attached to --path, so az does not read it as an option", () => {
    const dash = partner({ orgNumber: "910000012", azure: [{ container: "outbound", access: "read-write", path: "-reports/2027" }] });
    const l = lines(handoverMarkdown(partnerFacts(settings(), dash), offline));
    expect(l).toContain(
      "az storage fs file list --auth-mode login --account-name stsky --file-system outbound --path=-reports/2027 --output table",
    );
    expect(l).toContain(
      "az storage fs file upload --auth-mode login --account-name stsky --file-system outbound --path=-reports/2027/example.txt --source ./example.txt",
    );
    expect(l.some((line) => / --path -/.test(line))).toBe(false);
  });

  it("Azure-only partner: Azure section with login, SDK variables and per-grant commands; no AWS", () => {
    const md = handoverMarkdown(partnerFacts(settings(), azureOnly), offline);
    expect(headings(md)).toEqual([
      "# Skyporten access for Nordlys Logistikk AS (910000012): test environment",
      "## 1. Before you start",
      "## 2. Get a Skyporten token",
      "## 3. Azure",
      "## 4. Troubleshooting",
    ]);
    const l = lines(md);
    expect(l).toContain("| Tenant id | `11111111-2222-4333-8444-555555555555` |");
    expect(l).toContain("| Client id (log in with this) | _assigned at deployment_ |");
    expect(l).toContain(
      "| `outbound` | `nordlys` | read (list and download) | `https://stsky.dfs.core.windows.net/outbound/nordlys` |",
    );
    expect(l).toContain(
      "| `inbound` | (whole container) | write only (create files; no listing or reading) | `https://stsky.dfs.core.windows.net/inbound` |",
    );
    expect(l).toContain(
      'az login --service-principal -u <client id: assigned at deployment> -t 11111111-2222-4333-8444-555555555555 --federated-token "$(cat skyporten-token.jwt)" --allow-no-subscriptions',
    );
    // Path grant: Data Lake commands on the directory; write-only container: upload, never list.
    expect(l).toContain(
      "az storage fs file list --auth-mode login --account-name stsky --file-system outbound --path nordlys --output table",
    );
    expect(l).toContain(
      "az storage blob upload --auth-mode login --account-name stsky --container-name inbound --name example.txt --file ./example.txt",
    );
    expect(md).not.toContain("--container-name inbound --output table");
    expect(l).toEqual(
      expect.arrayContaining([
        "export AZURE_CLIENT_ID=<client id: assigned at deployment>",
        `export AZURE_TENANT_ID=${TENANT}`,
        'export AZURE_FEDERATED_TOKEN_FILE="$PWD/skyporten-token.jwt"',
      ]),
    );
    expect(md).not.toMatch(/AWS_ROLE_ARN|assume-role-with-web-identity|InvalidIdentityToken/);
  });

  it("AWS-only partner: role, region, prefixes, the STS command and SDK variables; no Azure", () => {
    const md = handoverMarkdown(partnerFacts(settings(), awsOnly), offline);
    expect(headings(md)).toEqual([
      "# Skyporten access for Fjordkraft Data AS (921345674): test environment",
      "## 1. Before you start",
      "## 2. Get a Skyporten token",
      "## 3. AWS",
      "## 4. Troubleshooting",
    ]);
    const l = lines(md);
    expect(l).toContain("| Role ARN | `arn:aws:iam::123456789012:role/skyporten/skyporten-test-921345674` |");
    expect(l).toContain("| Region | `eu-north-1` |");
    expect(l).toContain(
      "| `payload` | `fjordkraft/` | read (list and download) | `s3://payload/fjordkraft/` |",
    );
    const sts = l.indexOf("aws sts assume-role-with-web-identity --region eu-north-1 \\");
    expect(l.slice(sts, sts + 4)).toEqual([
      "aws sts assume-role-with-web-identity --region eu-north-1 \\",
      "  --role-arn arn:aws:iam::123456789012:role/skyporten/skyporten-test-921345674 \\",
      "  --role-session-name skyporten-921345674 \\",
      '  --web-identity-token "$(cat skyporten-token.jwt)"',
    ]);
    expect(l).toEqual(
      expect.arrayContaining([
        "export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/skyporten/skyporten-test-921345674",
        'export AWS_WEB_IDENTITY_TOKEN_FILE="$PWD/skyporten-token.jwt"',
        "export AWS_REGION=eu-north-1",
        "aws s3 ls s3://payload/fjordkraft/ --region eu-north-1",
      ]),
    );
    // Read-only prefix: no upload example.
    expect(md).not.toContain("aws s3 cp");
    expect(md).not.toMatch(/AZURE_CLIENT_ID|az login|AADSTS/);
  });

  it("partner with both: token facts, Azure (with the deployed client id) and AWS, then troubleshooting", () => {
    const facts = partnerFacts(settings(), both, {
      azure: { clientId: CLIENT_ID, principalId: PRINCIPAL_ID, tenantId: TENANT },
    });
    const md = handoverMarkdown(facts, {
      stack: "test",
      manifest: "stacks/test.yaml",
      outputs: "outputs.json",
    });
    expect(headings(md)).toEqual([
      "# Skyporten access for Entur AS (917422575): test environment",
      "## 1. Before you start",
      "## 2. Get a Skyporten token",
      "## 3. Azure",
      "## 4. AWS",
      "## 5. Troubleshooting",
    ]);
    const l = lines(md);
    expect(l).toEqual(
      expect.arrayContaining([
        "| Issuer | `https://test.sky.maskinporten.no` (exact: no trailing slash) |",
        "| Token endpoint | `https://test.sky.maskinporten.no/token` (POST, `application/x-www-form-urlencoded`) |",
        "| Scope to request | `banenor:payloadmanager.storage` (exactly this one scope, nothing else) |",
        "| resource (becomes the token's aud) | `https://skyporten.test.example.no` |",
        "| Subject your token will carry (sub) | `0192:917422575;banenor:payloadmanager.storage` |",
        `| Client id (log in with this) | \`${CLIENT_ID}\` |`,
        `az login --service-principal -u ${CLIENT_ID} -t ${TENANT} --federated-token "$(cat skyporten-token.jwt)" --allow-no-subscriptions`,
        `export AZURE_CLIENT_ID=${CLIENT_ID}`,
        "aws s3 cp ./example.txt s3://payload/entur/example.txt --region eu-north-1",
      ]),
    );
    expect(md).toContain(
      "Generated by `npm run handover` from stack `test` (stacks/test.yaml, deployed outputs outputs.json).",
    );
    // Nothing secret and no object id: that one gives AADSTS700016 when used to log in.
    expect(md).not.toContain(PRINCIPAL_ID);
  });

  it("says who grants the Maskinporten scope access, and flags a suspended partner", () => {
    const manual = handoverMarkdown(partnerFacts(settings(), both), offline);
    expect(lines(manual)).toContain(
      "2. Scope access: the platform team grants organization 917422575 access to `banenor:payloadmanager.storage` by hand; you will be told when it is done.",
    );
    const managed = handoverMarkdown(
      partnerFacts(
        settings({ maskinporten: { manageScopeAccess: true, adminClientId: "a", adminKeyId: "k" } }),
        both,
      ),
      offline,
    );
    expect(lines(managed)).toContain(
      "2. Scope access: the platform grants organization 917422575 access to `banenor:payloadmanager.storage` automatically.",
    );
    const suspended = handoverMarkdown(
      partnerFacts(settings(), { ...azureOnly, status: "suspended" }),
      offline,
    );
    expect(lines(suspended)).toContain(
      "> **Access is suspended.** Token exchanges are refused until the platform team reinstates the organization; the values below (including the client id) stay the same when it is reinstated.",
    );
  });
});

describe("troubleshootingRows", () => {
  it("names every error of the token request, the Entra exchange and AWS, with this partner's values", () => {
    const rows = troubleshootingRows(
      partnerFacts(settings(), both, { azure: { clientId: CLIENT_ID, tenantId: TENANT } }),
    );
    expect(rows.map((r) => r[0])).toEqual([
      "400 invalid_grant: Invalid JWT claim aud",
      "400 invalid_grant: (the description names the claim or the key at fault)",
      "400 invalid_scope: (the client may not request this scope)",
      "AADSTS700211: No matching federated identity record found for presented assertion issuer '...'",
      "AADSTS700212: No matching federated identity record found for presented assertion audience '...'",
      "AADSTS700213: No matching federated identity record found for presented assertion subject '...'",
      "AADSTS70021: No matching federated identity record found for presented assertion",
      "AADSTS700024: Client assertion is not within its valid time range",
      "AADSTS700016: Application with identifier '...' was not found in the directory",
      "AADSTS700027: Client assertion contains an invalid signature",
      "403 AuthorizationPermissionMismatch from storage",
      "InvalidIdentityToken: Incorrect token audience",
      "InvalidIdentityToken: No OpenIDConnect provider found in your account for ...",
      "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
      "ExpiredTokenException: Token expired",
    ]);
    expect(rows[0]![2]).toBe("Set the grant's aud to `https://test.sky.maskinporten.no` exactly.");
    expect(rows[8]![2]).toBe(`Log in with client id \`${CLIENT_ID}\` and tenant \`${TENANT}\`.`);
    expect(rows[11]![2]).toBe("Send resource `https://skyporten.test.example.no` exactly in the grant.");
  });
});

describe("handoverJson", () => {
  it("is the facts plus where they came from", () => {
    const facts = partnerFacts(settings(), awsOnly);
    expect(handoverJson(facts, offline)).toEqual({
      kind: "skyporten-handover",
      version: 1,
      stack: "test",
      manifest: "stacks/test.yaml",
      outputs: null,
      partner: facts,
      examples: { token: tokenExamples(facts.tokenRequest), gateway: null },
    });
    expect(handoverJson(facts, offline).examples.token.map((x) => x.title)).toEqual([
      "Shell (openssl + curl + jq)",
      "Node.js (jose)",
      "Python (jwcrypto + requests, as in Digdir's Skyporten example)",
      ".NET (Microsoft.IdentityModel.JsonWebTokens)",
    ]);
  });
});
