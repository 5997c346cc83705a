import type { ObservedConsumer } from "../../../infra/audit/observed";
import { listAccess, normalizeApiBase, type Connection } from "../../../infra/maskinporten/provider";
import type { Settings } from "../../../infra/settings";
import { isLoopbackHttp } from "./clients";

/**
 * Digdir's access list of the platform's scope, read with the same client code the ScopeAccess provider uses
 * (infra/maskinporten/provider.ts: the admin client's JWT grant, token cache, retries with Retry-After).
 */

export interface MaskinportenAuditKey {
  /** PEM private key of the platform's admin client. */
  privateKey: string;
  /** Timeout and retries of each call; defaults as the provider's. */
  timeoutMs?: number;
  maxAttempts?: number;
  retryBaseDelayMs?: number;
}

export function auditConnection(settings: Settings, key: MaskinportenAuditKey): Connection {
  const mp = settings.maskinporten;
  if (mp.adminClientId === undefined)
    throw new Error("maskinporten.adminClientId is not set in the stack settings");
  for (const url of [mp.apiBaseUrl, mp.tokenEndpoint]) isLoopbackHttp(url);
  const conn: Connection = {
    apiBaseUrl: normalizeApiBase(mp.apiBaseUrl),
    tokenEndpoint: mp.tokenEndpoint,
    tokenAudience: mp.tokenAudience,
    clientId: mp.adminClientId,
    privateKey: key.privateKey,
    timeoutMs: key.timeoutMs ?? 30_000,
    maxAttempts: key.maxAttempts ?? 5,
    baseDelayMs: key.retryBaseDelayMs ?? 500,
  };
  if (mp.adminKeyId !== undefined) conn.keyId = mp.adminKeyId;
  return conn;
}

export async function collectConsumers(conn: Connection, scope: string): Promise<ObservedConsumer[]> {
  const list = await listAccess(conn, scope);
  return list.flatMap((r) =>
    typeof r.consumer_orgno === "string" && typeof r.state === "string"
      ? [{ orgno: r.consumer_orgno, state: r.state }]
      : [],
  );
}
