import type { TokenCredential } from "@azure/identity";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { S3Client } from "@aws-sdk/client-s3";
import { IAMClient } from "@aws-sdk/client-iam";
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RetryHandler,
  RetryHandlerOptions,
} from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import { AnonymousCredential, DataLakeServiceClient } from "@azure/storage-file-datalake";

/**
 * The clouds' own SDK clients the collectors read with, from one set of connection settings. Endpoints are the
 * public clouds' by default; tests point them at local servers on 127.0.0.1. Tokens never travel over plain
 * HTTP: an `http://` endpoint must be a loopback address (a local test double) and gets no token at all, the
 * same rule as the ACL provider (infra/azure/acl/provider.ts).
 */

export interface RetrySettings {
  /** Retries after the first attempt, for 429 and 503 (Retry-After honoured) and other transient failures. */
  maxRetries: number;
  /** Base delay of the exponential backoff when the service gives no Retry-After. */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { maxRetries: 5, baseDelayMs: 1000 };

export interface AzureConnection {
  credential: TokenCredential;
  subscriptionId: string;
  /** Default https://management.azure.com. */
  armEndpoint?: string;
  /** Default https://graph.microsoft.com (requests go to <endpoint>/v1.0). */
  graphEndpoint?: string;
  /** Default https://<account>.dfs.core.windows.net. */
  dfsEndpoint?: string;
  retry?: RetrySettings;
}

export interface AzureClients {
  msi: ManagedServiceIdentityClient;
  authorization: AuthorizationManagementClient;
  graph: Client;
  /** The Graph base the collectors follow `@odata.nextLink` on (never another host). */
  graphBase: string;
  dfs: (account: string) => DataLakeServiceClient;
  retry: RetrySettings;
}

/** An http:// URL on a loopback address: a local test double. Any other http:// URL is refused. */
export function isLoopbackHttp(endpoint: string): boolean {
  const url = new URL(endpoint);
  if (url.protocol === "https:") return false;
  if (url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return true;
  throw new Error(
    `endpoint ${endpoint} must use https:// (plain http:// only on a loopback address, for local tests)`,
  );
}

type ArmPipeline = ManagedServiceIdentityClient["pipeline"];
type ArmPolicy = Parameters<ArmPipeline["addPolicy"]>[0];

/** The longest Retry-After the audit honours (as failures.ts MAX_RETRY_AFTER_MS): the nightly job has a timeout. */
const MAX_RETRY_AFTER_S = 60;

/**
 * core-rest-pipeline's throttling strategy waits for any Retry-After, however long. Placed after the retry phase
 * (it sees each answer first), this policy drops a Retry-After beyond MAX_RETRY_AFTER_S: such an answer is then
 * final (the exponential strategy does not retry a 429), and the source is reported unreadable at once.
 */
const capRetryAfter: ArmPolicy = {
  name: "skyportenAuditCapRetryAfter",
  async sendRequest(request, next) {
    const response = await next(request);
    const ms = (name: string) => {
      const v = response.headers.get(name);
      if (v === undefined) return undefined;
      if (/^\d+(\.\d+)?$/.test(v.trim())) return name === "retry-after" ? Number(v) * 1000 : Number(v);
      const at = Date.parse(v);
      return Number.isNaN(at) ? undefined : at - Date.now();
    };
    for (const name of ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"])
      if ((ms(name) ?? 0) > MAX_RETRY_AFTER_S * 1000) response.headers.delete(name);
    return response;
  },
};

function withCappedRetryAfter<T extends { pipeline: ArmPipeline }>(client: T): T {
  client.pipeline.addPolicy(capRetryAfter, { afterPhase: "Retry" });
  return client;
}

/** ARM clients add a bearer-token policy that refuses http; for a loopback double it is removed (no token sent). */
function withoutTokenOnLoopback<T extends { pipeline: { removePolicy(o: { name: string }): unknown } }>(
  client: T,
  endpoint: string,
): T {
  if (isLoopbackHttp(endpoint)) client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
  return client;
}

export function azureClients(c: AzureConnection): AzureClients {
  const retry = c.retry ?? DEFAULT_RETRY;
  const arm = (c.armEndpoint ?? "https://management.azure.com").replace(/\/+$/, "");
  // core-rest-pipeline's default policies retry 429 and 503 honouring Retry-After (throttlingRetryPolicy) and
  // other transient failures with exponential backoff (exponentialRetryPolicy).
  const armOptions = {
    endpoint: arm,
    retryOptions: {
      maxRetries: retry.maxRetries,
      retryDelayInMs: retry.baseDelayMs,
      maxRetryDelayInMs: retry.baseDelayMs * 32,
    },
    userAgentOptions: { userAgentPrefix: "skyporten-onboarding-audit" },
    // Only ever for a loopback double (isLoopbackHttp refuses any other http URL).
    allowInsecureConnection: isLoopbackHttp(arm),
  };
  const msi = withCappedRetryAfter(
    withoutTokenOnLoopback(new ManagedServiceIdentityClient(c.credential, c.subscriptionId, armOptions), arm),
  );
  const authorization = withCappedRetryAfter(
    withoutTokenOnLoopback(
      new AuthorizationManagementClient(c.credential, c.subscriptionId, armOptions),
      arm,
    ),
  );

  const graphBase = (c.graphEndpoint ?? "https://graph.microsoft.com").replace(/\/+$/, "");
  isLoopbackHttp(graphBase);
  // The Graph client adds the token only for Graph's own hosts (AuthenticationHandler: isGraphURL/customHosts),
  // so a loopback double gets none. RetryHandler retries 429/503/504 and honours Retry-After (seconds).
  const authProvider = new TokenCredentialAuthenticationProvider(c.credential, {
    scopes: ["https://graph.microsoft.com/.default"],
  });
  const auth = new AuthenticationHandler(authProvider);
  const retrying = new RetryHandler(
    new RetryHandlerOptions(
      Math.max(1, Math.round(retry.baseDelayMs / 1000)),
      Math.min(10, retry.maxRetries),
    ),
  );
  auth.setNext(retrying);
  retrying.setNext(new HTTPMessageHandler());
  const graph = Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${graphBase}/`,
    defaultVersion: "v1.0",
  });

  const dfs = (account: string) => {
    const endpoint = (c.dfsEndpoint ?? `https://${account}.dfs.core.windows.net`).replace(/\/+$/, "");
    // The storage SDK's own retry ignores Retry-After and 429: the collector retries itself (one try per call).
    return new DataLakeServiceClient(
      endpoint,
      isLoopbackHttp(endpoint) ? new AnonymousCredential() : c.credential,
      {
        retryOptions: { maxTries: 1 },
        userAgentOptions: { userAgentPrefix: "skyporten-onboarding-audit" },
      },
    );
  };
  return { msi, authorization, graph, graphBase, dfs, retry };
}

export interface AwsConnection {
  region: string;
  /** Default: the SDK's (the partition's global IAM endpoint). */
  endpoint?: string;
  /** Default: the SDK's default credential chain (environment, web identity in CI, profile). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  retry?: RetrySettings;
}

/**
 * What the IAM and S3 clients share: the region, the retries (the standard retry strategy retries throttling,
 * 429 and 5xx with backoff), the credentials, and an endpoint that must be the real service or a loopback double.
 */
function awsClientConfig(c: AwsConnection): { region: string; maxAttempts: number; endpoint?: string; credentials?: AwsConnection["credentials"] } {
  if (c.endpoint !== undefined) isLoopbackHttp(c.endpoint);
  return {
    region: c.region,
    maxAttempts: (c.retry ?? DEFAULT_RETRY).maxRetries + 1,
    ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }),
    ...(c.credentials === undefined ? {} : { credentials: c.credentials }),
  };
}

export function iamClient(c: AwsConnection): IAMClient {
  return new IAMClient(awsClientConfig(c));
}

/** S3 client for bucket policies (path-style against a loopback double, so the bucket is not a host name). */
export function s3Client(c: AwsConnection): S3Client {
  return new S3Client({ ...awsClientConfig(c), ...(c.endpoint === undefined ? {} : { forcePathStyle: true }) });
}
