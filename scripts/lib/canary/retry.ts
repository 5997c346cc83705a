/**
 * When the canary tries a step again. Only causes documented as transient are retried, with exponential backoff
 * bounded by a time budget; every other failure is final at once (a wrong audience does not heal by waiting).
 *
 * - AADSTS70021 / AADSTS700213 right after a deploy: a new federated identity credential takes a while to
 *   replicate in Entra ID ("it can take a few minutes for the federated credential to be propagated",
 *   https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust). The canary always
 *   runs right after `pulumi up`, so both are retried within the budget; a credential that really does not match
 *   still fails, after the budget.
 * - HTTP 429 (throttled) and 503 (server busy), honouring Retry-After when it fits the budget
 *   (https://learn.microsoft.com/azure/storage/blobs/storage-performance-checklist#timeout-and-server-busy-errors,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html: 503 SlowDown).
 */

export interface RetryPolicy {
  /** Longest time a step may spend on retries, ms (from its first attempt). */
  budgetMs: number;
  /** First delay, ms; doubled per attempt. */
  baseDelayMs: number;
  /** Largest single delay, ms. */
  maxDelayMs: number;
  /**
   * Longest time the whole run may spend waiting for transients, ms from its start (default RUN_RETRY_BUDGET_MS):
   * a 429 on every step must not outlast the workflow's timeout and lose the report.
   */
  runBudgetMs?: number;
}

/** Ten minutes for the run: the scheduled workflow stops the job after 20 (install and non-retried steps need the rest). */
export const RUN_RETRY_BUDGET_MS = 600_000;

/** After a deploy: up to 3 minutes per step (Entra replication), delays 2 s doubling to 30 s; 10 minutes per run. */
export const DEFAULT_RETRY: RetryPolicy = { budgetMs: 180_000, baseDelayMs: 2_000, maxDelayMs: 30_000, runBudgetMs: RUN_RETRY_BUDGET_MS };

/** Why a failure may heal by waiting, or undefined when it will not. */
export function transientCause(failure: { status?: number; code?: string; message?: string }): string | undefined {
  const text = `${failure.code ?? ""} ${failure.message ?? ""}`;
  // \b after the code: AADSTS700211/700212 (issuer/audience mismatch) must never count as AADSTS70021.
  if (/\bAADSTS70021\b/.test(text))
    return "AADSTS70021: the federated credential may not have replicated in Entra ID yet";
  if (/\bAADSTS700213\b/.test(text))
    return "AADSTS700213: the federated credential's subject may not have replicated in Entra ID yet";
  if (failure.status === 429) return "HTTP 429: throttled";
  if (failure.status === 503) return "HTTP 503: service unavailable";
  return undefined;
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * The delay before attempt `attempt + 1` (attempt counts from 1), or null when the budget does not allow another
 * attempt. `elapsedMs` is the time since the step's first attempt.
 */
export function nextDelay(policy: RetryPolicy, attempt: number, elapsedMs: number, retryAfter?: number): number | null {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // The server's own Retry-After wins over the backoff (waiting less only earns another 429).
  const delay = retryAfter ?? backoff;
  return elapsedMs + delay > policy.budgetMs ? null : delay;
}
