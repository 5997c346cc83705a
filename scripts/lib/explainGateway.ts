import type { Partner } from "../../infra/manifest/schema";
import { gatewayFacts, storageEndpoints } from "../../infra/partnerFacts";
import { GATEWAY } from "./cloudErrors";
import { expiryCheck, fail, ok, type Check, type ExplainInput, type Explanation } from "./explainTypes";
import { algorithmProblem } from "./tokenAlgorithms";

/**
 * `explain` on an Entra access token: what a partner presents to the gateway (or to storage) after the exchange.
 * The gateway validates the token and routes on its audience (Bane-NOR/platform-docs, docs/integration/
 * Payload-Manager/Getting-Started/index.md: the audience MUST be https://<storage-account>.blob.core.windows.net),
 * so a token for another audience is refused (APIM validate-jwt answers 401 by default).
 */

const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/**
 * Entra's access-token issuers: v1 `https://sts.windows.net/<tenant>/`, v2
 * `https://login.microsoftonline.com/<tenant>/v2.0` (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, iss).
 */
const ENTRA_ISSUER = [new RegExp(`^https://sts\\.windows\\.net/(${GUID})/$`), new RegExp(`^https://login\\.microsoftonline\\.com/(${GUID})/v2\\.0$`)];

/** The tenant of an Entra access token's issuer, or undefined when the token is not Entra's. */
export function entraTenantOf(iss: unknown): string | undefined {
  if (typeof iss !== "string") return undefined;
  for (const re of ENTRA_ISSUER) {
    const m = re.exec(iss);
    if (m !== null) return m[1];
  }
  return undefined;
}

/** Judge an Entra access token as the gateway (or, without one, storage) would. */
export function explainGatewayToken(input: ExplainInput): Explanation {
  const { settings, manifest, token, now } = input;
  const c = token.claims as Record<string, unknown>;
  const gateway = gatewayFacts(settings);
  const tenant = settings.azure.tenantId;
  const refusedBy = gateway === null ? "401 from storage" : `${GATEWAY.unauthorized.code} ${GATEWAY.unauthorized.message}`;
  const withError = (ch: Check): Check => (ch.ok ? ch : { ...ch, error: refusedBy });
  const checks: Check[] = [];

  const alg = algorithmProblem(token.header.alg);
  checks.push(alg === undefined ? ok("algorithm", `${String(token.header.alg)} is a signing algorithm Entra uses`) : fail("algorithm", alg.reason, alg.detail, "use the access token exactly as Entra ID issued it"));

  const tid = typeof c.tid === "string" ? c.tid : entraTenantOf(c.iss);
  checks.push(
    tid === tenant
      ? ok("tenant", `issued by the platform's tenant ${tenant}`)
      : fail("tenant", "other-tenant", `issued by tenant ${JSON.stringify(tid ?? null)}, not the platform's tenant ${tenant}`, `log in with tenant ${tenant} (az login ... -t ${tenant})`),
  );

  // With a gateway: exactly its token audience. Without: what storage accepts for this account
  // (https://learn.microsoft.com/azure/storage/blobs/authorize-access-azure-active-directory: https://storage.azure.com/
  // or the account's own endpoint).
  const { blobEndpoint } = storageEndpoints(settings.azure.storageAccountName);
  const accepted = gateway === null ? [blobEndpoint, `${blobEndpoint}/`, "https://storage.azure.com", "https://storage.azure.com/"] : [gateway.tokenAudience];
  const aud = c.aud;
  const audFix =
    gateway === null
      ? `request the Entra token for ${blobEndpoint}`
      : `request the Entra token for ${gateway.tokenAudience} exactly (az account get-access-token --resource ${gateway.tokenAudience}; .NET: BlobClientOptions.Audience): the gateway routes on it`;
  if (typeof aud === "string" && accepted.includes(aud)) checks.push(ok("audience", `${JSON.stringify(aud)} is the audience ${gateway === null ? "storage accepts" : "the gateway routes on"}`));
  else {
    const generic = aud === "https://storage.azure.com" || aud === "https://storage.azure.com/";
    checks.push(
      fail(
        "audience",
        generic ? "generic-storage-audience" : "wrong-audience",
        generic
          ? `aud ${JSON.stringify(aud)} is Azure Storage's generic audience; the gateway routes only tokens for ${accepted[0]!}`
          : `aud ${JSON.stringify(aud ?? null)} is not ${accepted.map((a) => JSON.stringify(a)).join(" or ")}`,
        audFix,
      ),
    );
  }

  checks.push(expiryCheck(c, now, "get a new Entra token (az account get-access-token) right before the call; Skyporten tokens for the exchange live for minutes"));

  // Which partner: the client id the token was issued to (appid in v1, azp in v2), matched with the deployed
  // outputs (only they know client ids).
  const clientId = typeof c.appid === "string" ? c.appid : typeof c.azp === "string" ? c.azp : null;
  let partner: Partner | undefined;
  if (clientId === null) checks.push(fail("client", "missing", "the token names no client (no appid or azp claim)", "use the access token exactly as Entra ID issued it"));
  else if (input.outputs == null) checks.push(ok("client", `client id ${clientId}; which organization it is needs the deployed outputs (--outputs)`));
  else {
    const org = Object.entries(input.outputs).find(([, o]) => o.azure?.clientId === clientId)?.[0];
    partner = org === undefined ? undefined : manifest.partners.find((p) => p.orgNumber === org);
    if (partner === undefined)
      checks.push({
        ...fail("client", "not-a-partner", `client id ${clientId} is no partner identity of this stack`, "log in with the client id from your handover document"),
        error: "403 AuthorizationPermissionMismatch from storage (no grants)",
      });
    else if (partner.status !== "active")
      checks.push(fail("client", partner.status, `client id ${clientId} is organization ${partner.orgNumber} (${partner.name}), which is ${partner.status}`, "ask the platform team to reinstate the organization"));
    else checks.push(ok("client", `client id ${clientId} is organization ${partner.orgNumber} (${partner.name})`));
  }

  const gatewayChecks = checks.map((ch) => (ch.name === "client" ? ch : withError(ch)));
  const target = gateway === null ? `the storage account ${settings.azure.storageAccountName}` : `the gateway ${gateway.url}`;
  const exchange = { cloud: "gateway" as const, target, ok: gatewayChecks.every((ch) => ch.ok), checks: gatewayChecks };
  return {
    tokenKind: "entra",
    orgNumber: partner?.orgNumber ?? null,
    judgedOrg: partner?.orgNumber ?? null,
    partner: partner === undefined ? null : { orgNumber: partner.orgNumber, name: partner.name, status: partner.status },
    general: [],
    exchanges: [exchange],
    notProvisioned: [],
    signatureChecked: false,
    ok: exchange.ok,
  };
}
