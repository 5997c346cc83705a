import { ClientAssertionCredential } from "@azure/identity";
import { PAYLOAD_MANAGER_BLOB_API_VERSION } from "../../../infra/settings/gateway";
import { header, httpRequest, HttpFailure, type HttpOptions, type HttpResponse } from "./http";
import { retryAfterMs } from "./retry";
import { StepError } from "./steps";
import type { AzureTarget } from "./target";

/**
 * Azure half of the canary: the Skyporten token exchanged for an Entra token of the canary's identity
 * (client credentials with a federated assertion, @azure/identity ClientAssertionCredential), then plain Blob
 * REST with that token against the gateway or the storage account. Plain REST because the gateway speaks the Blob
 * REST API under its own base path, which the Blob SDK cannot address without repeating the path in every blob
 * name (Bane-NOR/platform-docs, Payload-Manager user guide).
 */

/** The REST version the gateway documents; the storage account accepts it too. */
export const BLOB_API_VERSION = PAYLOAD_MANAGER_BLOB_API_VERSION;

export interface AzureEndpoints {
  /** Entra authority host; default https://login.microsoftonline.com. Tests: a local stand-in. */
  authorityHost?: string;
  /** Replaces the target's base URL (tests: Azurite or the gateway stand-in). */
  baseUrl?: string;
}

/** The explain check an Entra error code corresponds to, and the fix when explain found the token right. */
export function entraFix(code: string | undefined, ctx: { stack: string; target: AzureTarget }): string {
  const audit = `run npm run audit -- --stack ${ctx.stack} to see the difference, then pulumi up`;
  const files = "explain's checks found the token right for the stack files, so";
  switch (code) {
    case "AADSTS700211":
      return `${files} the deployed federated credential's issuer differs from them: ${audit}`;
    case "AADSTS700212":
      return `${files} the deployed federated credential's audience differs from them: ${audit}`;
    case "AADSTS700213":
    case "AADSTS70021":
      return `${files} the canary identity has no federated credential for its subject (missing, or still replicating after a deploy): ${audit}`;
    case "AADSTS700016":
      return `client id ${ctx.target.clientId} (from the stack outputs) is not an application in tenant ${ctx.target.tenantId}: export the outputs again (pulumi stack output --stack ${ctx.stack} --json) and check azure.tenantId`;
    case "AADSTS700024":
      return "the Skyporten token had expired when Entra ID checked it although it was fetched just before: check this runner's clock (NTP)";
    case "AADSTS700027":
      return "Entra ID could not verify the token's signature with the issuer's published keys (a rotated Skyporten key): run again; if it persists, check the issuer's JWKS";
    case "AADSTS90002":
      return `tenant ${ctx.target.tenantId} does not exist: check azure.tenantId`;
    default:
      return `see Entra ID's error above (https://learn.microsoft.com/entra/identity-platform/reference-error-codes); ${audit}`;
  }
}

/** Exchange the Skyporten token for an Entra access token for the target's audience. */
export async function entraToken(
  target: AzureTarget,
  /** A fresh Skyporten token (asked again on every attempt: they live for minutes). */
  skyportenToken: () => Promise<string>,
  opts: { stack: string; endpoints: AzureEndpoints; http: HttpOptions },
): Promise<string> {
  const { authorityHost } = opts.endpoints;
  const credential = new ClientAssertionCredential(target.tenantId, target.clientId, skyportenToken, {
    // Retries are the canary's own (retry.ts): only documented transients, reported.
    retryOptions: { maxRetries: 0 },
    ...(authorityHost === undefined ? {} : { authorityHost, disableInstanceDiscovery: true }),
    ...(opts.http.ca === undefined ? {} : { tlsOptions: { ca: opts.http.ca } }),
  });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // MSAL does not stop its own request on abort: the race makes the timeout hold whatever the library does.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new StepError(`Entra ID: no answer within ${opts.http.timeoutMs} ms`, `check that ${authorityHost ?? "https://login.microsoftonline.com"} is reachable from this runner`));
    }, opts.http.timeoutMs);
  });
  try {
    const token = await Promise.race([credential.getToken(`${target.tokenAudience}/.default`, { abortSignal: abort.signal }), timeout]);
    if (token === null) throw new StepError("Entra ID answered without a token", "report it: Entra ID's answer is not as documented");
    return token.token;
  } catch (e) {
    if (e instanceof StepError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    const code = /\b(AADSTS\d+)\b/.exec(message)?.[1];
    const status = (e as { statusCode?: number }).statusCode;
    const statusInText = /\b(429|503)\b/.exec(message)?.[1];
    const first = message.split("\n").find((l) => /AADSTS\d+/.test(l)) ?? message.split("\n")[0]!;
    throw new StepError(
      `Entra ID: ${first.trim()}`,
      entraFix(code, { stack: opts.stack, target }),
      { code, status: status ?? (statusInText === undefined ? undefined : Number(statusInText)) },
    );
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Blob REST

export interface BlobCall {
  baseUrl: string;
  token: string;
  http: HttpOptions;
}

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

/** `<base>/<container>/<path>/<name>` (path may be null: the container root). */
export function blobUrl(baseUrl: string, container: string, path: string | null, name: string): string {
  return `${baseUrl}/${encodeURIComponent(container)}/${path === null ? "" : `${encodePath(path)}/`}${encodeURIComponent(name)}`;
}

async function call(c: BlobCall, method: string, url: string, extra: Record<string, string> = {}, body?: Buffer): Promise<HttpResponse> {
  try {
    return await httpRequest(
      url,
      { method, headers: { authorization: `Bearer ${c.token}`, "x-ms-version": BLOB_API_VERSION, ...extra }, body },
      c.http,
    );
  } catch (e) {
    if (e instanceof HttpFailure)
      throw new StepError(e.message, `check that ${new URL(url).origin} is reachable from this runner`);
    throw e;
  }
}

/** `HTTP 403 AuthorizationPermissionMismatch: <message>` from Azure Storage's error answer. */
export function storageError(res: HttpResponse): { code: string; text: string } {
  const body = res.body.toString("utf8");
  const code = header(res, "x-ms-error-code") || /<Code>([^<]*)<\/Code>/.exec(body)?.[1] || "";
  const msg = /<Message>([^<]*)<\/Message>/.exec(body)?.[1]?.split("\n")[0]?.trim() ?? "";
  return { code, text: `HTTP ${res.status}${code === "" ? "" : ` ${code}`}${msg === "" ? "" : `: ${msg}`}` };
}

function failure(res: HttpResponse, fix: string): StepError {
  const { code, text } = storageError(res);
  return new StepError(text, fix, { status: res.status, code, retryAfterMs: retryAfterMs(header(res, "retry-after"), new Date()) });
}

/** The fix for a refusal of an operation the grant allows. */
export function insideFix(res: HttpResponse, target: AzureTarget, stack: string): string {
  const { code } = storageError(res);
  if (res.status === 401)
    return target.via === "gateway"
      ? `the gateway refused the Entra token: it routes and validates on the token's audience, which is ${target.tokenAudience}: check azure.gateway.tokenAudience`
      : `the storage account refused the Entra token (audience ${target.tokenAudience}): check azure.storageAccountName`;
  if (res.status === 403)
    return `the canary identity lacks the access its grant declares on ${target.container}/${target.path}/ (${target.access}): check its path ACL and group memberships with npm run audit -- --stack ${stack}, then pulumi up`;
  if (res.status === 404 && /Container/i.test(code))
    return `container ${target.container} does not exist on the storage account: it is declared in the manifest, so pulumi up should have created it`;
  if (target.via === "gateway" && (res.status === 400 || res.status === 413 || res.status === 415))
    return "the gateway refused the request itself (file name or type rules): report it with the error above";
  return `see the storage error above (https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes)`;
}

/** Write, read back, list, delete: each returns what was proven, or throws a StepError. */
export function blobSteps(c: BlobCall, target: AzureTarget, stack: string, name: string, content: Buffer) {
  const url = blobUrl(c.baseUrl, target.container, target.path, name);
  const shown = `${target.container}/${target.path}/${name}`;
  return {
    async write(): Promise<string> {
      const res = await call(c, "PUT", url, { "x-ms-blob-type": "BlockBlob", "content-type": "text/plain" }, content);
      if (res.status !== 201) throw failure(res, insideFix(res, target, stack));
      return `wrote ${shown} (${content.length} bytes) through the ${target.via}`;
    },
    async read(): Promise<string> {
      const res = await call(c, "GET", url);
      if (target.read === "refused") return refused(res, `read of ${shown}`, `the grant is write-only, yet the canary read its own file: its access is wider than declared; run npm run audit -- --stack ${stack}`);
      if (res.status !== 200) throw failure(res, insideFix(res, target, stack));
      if (!res.body.equals(content))
        throw new StepError(
          `read back ${res.body.length} bytes that differ from the ${content.length} bytes written`,
          `something between the canary and the storage rewrites content (${target.via}): compare the gateway's policies`,
        );
      return `read ${shown} back byte-identical (${content.length} bytes)`;
    },
    async list(): Promise<string> {
      const listUrl = `${c.baseUrl}/${encodeURIComponent(target.container)}?restype=container&comp=list&prefix=${encodeURIComponent(`${target.path}/`)}`;
      const res = await call(c, "GET", listUrl);
      if (target.read === "refused") return refused(res, `listing of ${target.container}/${target.path}/`, `the grant is write-only, yet the canary could list: run npm run audit -- --stack ${stack}`);
      if (res.status !== 200) throw failure(res, insideFix(res, target, stack));
      const names = [...res.body.toString("utf8").matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
      if (!names.includes(`${target.path}/${name}`))
        throw new StepError(
          `the listing of ${target.container}/${target.path}/ (${names.length} entries) does not contain ${name}`,
          "the write did not land where the list looks: compare the gateway's routing for PUT and list requests",
        );
      return `listed ${target.container}/${target.path}/: the file is there`;
    },
    async delete(): Promise<string> {
      const res = await call(c, "DELETE", url);
      if (res.status !== 202) throw failure(res, insideFix(res, target, stack));
      return `deleted ${shown}`;
    },
  };
}

/** A refusal proven (403), or a StepError saying what came instead. */
function refused(res: HttpResponse, what: string, widerFix: string): string {
  if (res.status === 403) return `${what} refused: ${storageError(res).text}`;
  if (res.status >= 200 && res.status < 300)
    throw new StepError(`unexpected HTTP ${res.status}: the ${what} succeeded, it must be refused with 403`, widerFix, { status: res.status });
  throw failure(res, res.status === 404 ? `answered 404 instead of refusing with 403: the identity could look inside (it may read there); ${widerFix}` : widerFix);
}

/** Read a probe blob outside the grant: proven when refused with 403. */
export async function outsideProbe(
  c: BlobCall,
  target: AzureTarget,
  probe: AzureTarget["outside"][number],
  stack: string,
  name: string,
): Promise<string> {
  const res = await call(c, "GET", blobUrl(c.baseUrl, probe.container, probe.path, name));
  const wider =
    target.via === "gateway"
      ? `the gateway let the canary read ${probe.where}, ${probe.why}: its policy must enforce each partner's grant, not only route on the token's audience`
      : `the canary identity can read ${probe.where}, ${probe.why}: an RBAC role or ACL entry grants more than the manifest; run npm run audit -- --stack ${stack}`;
  return refused(res, `read in ${probe.where} (${probe.why})`, wider);
}
