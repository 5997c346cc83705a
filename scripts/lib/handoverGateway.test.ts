import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Access, Partner } from "../../infra/manifest/schema";
import { partnerFacts } from "../../infra/partnerFacts";
import { parseSettings, readStackFile, stackSettings, type Settings } from "../../infra/settings";
import { handoverJson, handoverMarkdown, type HandoverMeta } from "./handover";

/**
 * The handover on the committed stacks, which carry Bane NOR's payload-manager gateway (Pulumi.test.yaml,
 * Pulumi.prod.yaml): every value as in the platform's public docs (Bane-NOR/platform-docs, Payload-Manager), and
 * no storage call that bypasses the gateway.
 */

const NORDLYS: Partner = {
  orgNumber: "910000012",
  name: "Nordlys Logistikk AS",
  status: "active",
  azure: [
    { container: "outbound", access: "read", path: "nordlys" },
    { container: "inbound", access: "write" },
  ],
  aws: [],
};
const CLIENT_ID = "0a1b2c3d-0000-4000-8000-000000000001";
const meta = (stack: string): HandoverMeta => ({
  stack,
  manifest: `stacks/${stack}.yaml`,
  outputs: "outputs.json",
});
const lines = (md: string) => md.split("\n");
const docFor = (settings: Settings, stack: string, partner: Partner = NORDLYS) =>
  handoverMarkdown(
    partnerFacts(settings, partner, { azure: { clientId: CLIENT_ID, tenantId: settings.azure.tenantId } }),
    meta(stack),
  );

/** The test stack's settings without the gateway (partners call the account directly). */
function withoutGateway(): Settings {
  const raw = structuredClone(readStackFile("test").settings);
  delete (raw.azure as Record<string, unknown>).gateway;
  return parseSettings(raw, "Pulumi.test.yaml", "test");
}

describe("handover through the payload manager's gateway", () => {
  it("test stack: the gateway, the Entra token audience, the REST calls, the .NET form and the rules", () => {
    const l = lines(docFor(stackSettings("test"), "test"));
    const GW = "https://test.api.apps.banenor.no/payload-manager/v1";
    const H = [
      '  -H "Authorization: Bearer $ENTRA_TOKEN" \\',
      '  -H "x-ms-version: 2025-01-05" \\',
      `  -H "x-ms-date: $(date -u '+%a, %d %b %Y %H:%M:%S GMT')"`,
    ];
    expect(l).toEqual(
      expect.arrayContaining([
        "| Tenant id | `6ee535f2-3064-4ac9-81d8-4ceb2ff790c6` |",
        `| Client id (log in with this) | \`${CLIENT_ID}\` |`,
        `| Gateway (all storage calls go here) | \`${GW}\` |`,
        "| Entra token audience (the gateway routes on it) | `https://bnplmextnwesttest.blob.core.windows.net` |",
        "| Blob REST API version | `2025-01-05` |",
        `| \`outbound\` | \`nordlys\` | read (list and download) | \`${GW}/outbound/nordlys\` |`,
        `| \`inbound\` | (whole container) | write only (create files; no listing or reading) | \`${GW}/inbound\` |`,
        `az login --service-principal -u ${CLIENT_ID} -t 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6 --federated-token "$(cat skyporten-token.jwt)" --allow-no-subscriptions`,
        "ENTRA_TOKEN=$(az account get-access-token --resource https://bnplmextnwesttest.blob.core.windows.net --query accessToken -o tsv)",
        'var options = new BlobClientOptions { Audience = new BlobAudience("https://bnplmextnwesttest.blob.core.windows.net") };',
        `var service = new BlobServiceClient(new Uri("${GW}"), credential, options);`,
        'await container.GetBlobClient("v1/inbound/example.txt").UploadAsync("example.txt", overwrite: false);',
        "- Files are kept 8 days after creation, then deleted.",
        "- At most 100 MB per request: upload larger files in blocks (Put Block, then Put Block List).",
        "- File names may use only the characters `[a-zA-Z0-9.-]` (`kjorebok.xlsx`, not `kjørebok.xlsx`).",
      ]),
    );
    const put = l.indexOf(`curl -sS --fail-with-body -X PUT "${GW}/inbound/example.txt" \\`);
    expect(l.slice(put, put + 6)).toEqual([
      `curl -sS --fail-with-body -X PUT "${GW}/inbound/example.txt" \\`,
      ...H.slice(0, 2),
      `${H[2]} \\`,
      '  -H "x-ms-blob-type: BlockBlob" \\',
      "  --data-binary @example.txt",
    ]);
    const list = l.indexOf(
      `curl -sS --fail-with-body "${GW}/outbound?restype=container&comp=list&prefix=nordlys%2F" \\`,
    );
    expect(l.slice(list, list + 4)).toEqual([
      `curl -sS --fail-with-body "${GW}/outbound?restype=container&comp=list&prefix=nordlys%2F" \\`,
      ...H,
    ]);
    // The write-only drop box is never listed or read.
    expect(l.some((x) => x.includes(`${GW}/inbound?restype=container`))).toBe(false);
    expect(l.find((x) => x.startsWith("- Allowed file types:"))).toBe(
      "- Allowed file types: .txt .csv .log .json .xml .md .jpg .jpeg .png .gif .bmp .tiff .webp .mp3 .wav .mp4 .avi .mov .flac .pdf .doc .docx .xls .xlsx .ppt .pptx .zip .tar .gz .rar .html .css .js .py .cs .vp0 .vspe .kmm .kmm2 .hdr. Ask the platform team for another type.",
    );
  });

  it("the JSON twin carries the same gateway examples", () => {
    const settings = stackSettings("test");
    const json = handoverJson(
      partnerFacts(settings, NORDLYS, { azure: { clientId: CLIENT_ID, tenantId: settings.azure.tenantId } }),
      meta("test"),
    );
    expect(json.examples.gateway?.entraToken.slice(0, 3)).toEqual([
      `az login --service-principal -u ${CLIENT_ID} -t 6ee535f2-3064-4ac9-81d8-4ceb2ff790c6 --federated-token "$(cat skyporten-token.jwt)" --allow-no-subscriptions`,
      "# The gateway routes on the Entra token's audience: request it for https://bnplmextnwesttest.blob.core.windows.net exactly.",
      "ENTRA_TOKEN=$(az account get-access-token --resource https://bnplmextnwesttest.blob.core.windows.net --query accessToken -o tsv)",
    ]);
    expect(json.examples.gateway?.entraToken.slice(4)).toEqual([
      "# Or without the Azure CLI: the same exchange as one request to Entra ID.",
      "ENTRA_TOKEN=$(curl -sS --fail-with-body -X POST https://login.microsoftonline.com/6ee535f2-3064-4ac9-81d8-4ceb2ff790c6/oauth2/v2.0/token \\",
      `  --data-urlencode client_id=${CLIENT_ID} \\`,
      "  --data-urlencode scope=https://bnplmextnwesttest.blob.core.windows.net/.default \\",
      "  --data-urlencode grant_type=client_credentials \\",
      "  --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\",
      '  --data-urlencode client_assertion="$(cat skyporten-token.jwt)" | jq -r .access_token)',
    ]);
    expect(json.examples.gateway?.rest[0]).toBe("# List outbound/nordlys/");
    expect(json.examples.gateway?.dotnet.at(-1)).toBe(
      'await container.GetBlobClient("v1/inbound/example.txt").UploadAsync("example.txt", overwrite: false);',
    );
  });

  it("the JSON twin names no storage-account endpoint when a gateway is set: grant urls are gateway urls", () => {
    const settings = stackSettings("test");
    const json = handoverJson(
      partnerFacts(settings, NORDLYS, { azure: { clientId: CLIENT_ID, tenantId: settings.azure.tenantId } }),
      meta("test"),
    );
    expect(json.partner.azure?.grants.map((g) => [g.url, g.gatewayUrl])).toEqual([
      [
        "https://test.api.apps.banenor.no/payload-manager/v1/outbound/nordlys",
        "https://test.api.apps.banenor.no/payload-manager/v1/outbound/nordlys",
      ],
      [
        "https://test.api.apps.banenor.no/payload-manager/v1/inbound",
        "https://test.api.apps.banenor.no/payload-manager/v1/inbound",
      ],
    ]);
    expect([json.partner.azure?.blobEndpoint, json.partner.azure?.dfsEndpoint]).toEqual([null, null]);
    // Only the token audience may name the account (the gateway routes on it); no endpoint URL of its own.
    expect(JSON.stringify(json.partner)).not.toMatch(/bnplmextnwesttest\.(dfs|blob)\.core\.windows\.net\//);
    const direct = handoverJson(partnerFacts(withoutGateway(), NORDLYS), meta("test"));
    expect(direct.partner.azure?.grants[0]?.url).toBe(
      "https://bnplmextnwesttest.dfs.core.windows.net/outbound/nordlys",
    );
  });

  it("prod stack: the prod gateway, account, issuer and token endpoint", () => {
    const md = docFor(stackSettings("prod"), "prod");
    const l = lines(md);
    expect(l).toEqual(
      expect.arrayContaining([
        "# Skyporten access for Nordlys Logistikk AS (910000012): production environment",
        "| Gateway (all storage calls go here) | `https://api.banenor.no/payload-manager/v1` |",
        "| Entra token audience (the gateway routes on it) | `https://bnplmextnwestprod.blob.core.windows.net` |",
        "| Token endpoint | `https://sky.maskinporten.no/token` (POST, `application/x-www-form-urlencoded`) |",
        "| claim | `aud` | `https://sky.maskinporten.no` | the Skyporten issuer exactly: no trailing slash, not the token endpoint (otherwise 400 invalid_grant) |",
        "ENTRA_TOKEN=$(az account get-access-token --resource https://bnplmextnwestprod.blob.core.windows.net --query accessToken -o tsv)",
      ]),
    );
    expect(md).not.toContain("test.sky.maskinporten.no");
    expect(md).not.toContain("bnplmextnwesttest");
  });

  it("without a gateway: the storage account's own endpoints and az storage commands", () => {
    const md = docFor(withoutGateway(), "test");
    expect(lines(md)).toEqual(
      expect.arrayContaining([
        "| Storage account | `bnplmextnwesttest` |",
        "| Blob endpoint | `https://bnplmextnwesttest.blob.core.windows.net` |",
        "| `outbound` | `nordlys` | read (list and download) | `https://bnplmextnwesttest.dfs.core.windows.net/outbound/nordlys` |",
        "az storage fs file list --auth-mode login --account-name bnplmextnwesttest --file-system outbound --path nordlys --output table",
      ]),
    );
    expect(md).not.toMatch(/payload-manager|ENTRA_TOKEN|The gateway's rules/);
  });
});

describe("with a gateway, no storage example bypasses it (property)", () => {
  const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  const gatewayUrl = fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{1,10}\.[a-z]{2,5}$/), fc.array(segment, { maxLength: 3 }))
    .map(([host, path]) => `https://${host}${path.map((p) => `/${p}`).join("")}`);
  const grant = fc.record({
    container: fc.stringMatching(/^[a-z][a-z0-9-]{2,12}$/),
    access: fc.constantFrom<Access>("read", "write", "read-write"),
    path: fc.option(fc.stringMatching(/^[a-z][a-z0-9]{0,8}(\/[a-z][a-z0-9]{0,8})?$/), { nil: undefined }),
  });

  it("every request goes to the gateway; the account endpoint appears only as the token audience", () => {
    fc.assert(
      fc.property(
        gatewayUrl,
        fc.stringMatching(/^[a-z][a-z0-9]{2,23}$/),
        fc.array(grant, { minLength: 1, maxLength: 4 }),
        fc.constantFrom("test", "prod"),
        (url, account, grants, stack) => {
          const raw = structuredClone(readStackFile(stack).settings);
          const azure = raw.azure as Record<string, unknown>;
          azure.storageAccountName = account;
          azure.gateway = { url };
          const settings = parseSettings(raw, `Pulumi.${stack}.yaml`, stack);
          const partner: Partner = { ...NORDLYS, azure: grants };
          const md = docFor(settings, stack, partner);
          const audience = `https://${account}.blob.core.windows.net`;
          // Only as the token audience, never as a place to call.
          expect(md.split(audience).join("<audience>")).not.toMatch(/core\.windows\.net/);
          expect(md).not.toMatch(/--account-name|az storage /);
          const targets = [...md.matchAll(/curl -sS --fail-with-body(?: -X PUT| -o \S+)? "([^"]+)"/g)].map(
            (m) => m[1]!,
          );
          expect(targets.length).toBeGreaterThan(0);
          for (const t of targets) expect(t.startsWith(`${url}/`)).toBe(true);
        },
      ),
      { numRuns: 150, seed: 12 },
    );
  });
});
