import { retryAfterMs, statusOf } from "../../../infra/azure/acl/provider";
import type { Unreadable } from "./report";

/**
 * Why a source could not be read, in words, and what permission the auditing principal lacks when the service
 * said 403 (or 401). Never a stack trace.
 */

/** The least-privilege permission each source needs (also listed in the README, "Access audit"). */
export const NEEDED_PERMISSION: Record<string, string> = {
  "azure.identities":
    "Microsoft.ManagedIdentity/userAssignedIdentities/read and .../federatedIdentityCredentials/read on the resource group (built-in role Reader on the resource group); with azure.identityKind app-registration, Microsoft Graph Application.Read.All",
  "azure.groups":
    "Microsoft Graph application permission GroupMember.Read.All (admin consent), to list the platform groups and their members",
  "azure.roleAssignments":
    "Microsoft.Authorization/roleAssignments/read on the storage account (built-in role Reader on the storage account)",
  "azure.acls":
    "read access to the ACLs of the container roots and granted paths (built-in role Storage Blob Data Reader on the storage account)",
  "aws.oidcProviders":
    "iam:ListOpenIDConnectProviders and iam:GetOpenIDConnectProvider (AWS managed policy SecurityAudit)",
  "aws.roles":
    "iam:ListRoles, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies (AWS managed policy SecurityAudit)",
  "aws.bucketPolicies": "s3:GetBucketPolicy on the manifest's buckets (AWS managed policy SecurityAudit)",
  "maskinporten.consumers":
    "a Maskinporten token of the platform's admin client with scope idporten:scopes.write (the same client the stack manages scope access with)",
};

interface Errorish {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  status?: number;
  $metadata?: { httpStatusCode?: number };
}

export function httpStatusOf(e: unknown): number | undefined {
  const err = (typeof e === "object" && e !== null ? e : {}) as Errorish;
  return (
    err.statusCode ??
    err.$metadata?.httpStatusCode ??
    (typeof err.status === "number" ? err.status : undefined) ??
    statusOf(e)
  );
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0]!.slice(0, 600);
}

/** An error as one line: status, service error code and the service's message. */
export function describeError(e: unknown): string {
  if (!(typeof e === "object" && e !== null)) return String(e);
  const err = e as Errorish;
  const status = httpStatusOf(e);
  const code =
    err.code ??
    (err.name !== undefined && err.name !== "Error" && err.name !== "RestError" ? err.name : undefined);
  return [status === undefined ? undefined : `HTTP ${status}`, code, firstLine(err.message)]
    .filter((x) => x !== undefined && x !== "")
    .join(" ");
}

export function unreadable(source: string, e: unknown): Unreadable {
  const status = httpStatusOf(e);
  const needs = NEEDED_PERMISSION[source];
  if ((status === 403 || status === 401) && needs !== undefined) {
    return { source, reason: `access denied (${describeError(e)}): the auditing principal needs ${needs}` };
  }
  return { source, reason: `could not be read: ${describeError(e)}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest Retry-After the audit waits for. A service that asks for more is reported unreadable at once: the
 * nightly job has a timeout, and a run killed by it writes no report at all.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Retry 429, 500 and 503 (honouring Retry-After up to MAX_RETRY_AFTER_MS) for SDKs whose own retry does not: the
 * storage SDK's retry policy ignores Retry-After and 429.
 */
export async function withRetries<T>(
  op: () => Promise<T>,
  maxRetries: number,
  baseDelayMs: number,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const status = httpStatusOf(e);
      if (attempt >= maxRetries || status === undefined || ![429, 500, 503].includes(status)) throw e;
      const delay = retryAfterMs(e) ?? baseDelayMs * 2 ** attempt;
      if (delay > MAX_RETRY_AFTER_MS) throw e;
      await sleep(delay);
    }
  }
}
