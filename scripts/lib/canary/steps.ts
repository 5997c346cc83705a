import { nextDelay, transientCause, type RetryPolicy } from "./retry";

/**
 * Steps of a canary run and how one is run: timed, retried only for transient causes (retry.ts), and reported
 * with the cloud's own error and the fix. Nothing here ever holds a token or key in a message.
 */

export type Cloud = "skyporten" | "azure" | "aws";

export type StepStatus = "proven" | "failed" | "not-run";

export interface StepResult {
  /** Stable name, e.g. `azure.write`, `aws.outside`: machines key on it. */
  step: string;
  cloud: Cloud;
  status: StepStatus;
  /** Wall-clock time of the step, retries included, ms. */
  durationMs: number;
  attempts: number;
  /** What was proven, or what the step was about to prove. */
  detail: string;
  /** The error as the cloud (or the network) gave it. */
  error?: string;
  /** What to do about it. */
  fix?: string;
  /** Transient causes that were retried. */
  retried?: string[];
}

/** A step's failure: the cloud's error and the fix, and the HTTP status/code the retry policy looks at. */
export class StepError extends Error {
  readonly fix: string;
  readonly status?: number;
  readonly code?: string;
  readonly retryAfterMs?: number;
  constructor(error: string, fix: string, meta: { status?: number; code?: string; retryAfterMs?: number } = {}) {
    super(error);
    this.name = "StepError";
    this.fix = fix;
    this.status = meta.status;
    this.code = meta.code;
    this.retryAfterMs = meta.retryAfterMs;
  }
}

export interface StepContext {
  retry: RetryPolicy;
  /** When transient retries of the whole run stop (a ctx.now() value); absent = only the per-step budget. */
  deadline?: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  /** Called after every step (progress lines). */
  onStep?: (result: StepResult) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Run one step: `attempt` returns what was proven (the detail) or throws a StepError. Anything else thrown is
 * turned into a failure naming the step (never rethrown: one broken step must not hide the report).
 */
export async function runStep(
  ctx: StepContext,
  step: string,
  cloud: Cloud,
  about: string,
  attempt: () => Promise<string>,
): Promise<StepResult> {
  const start = ctx.now();
  const retried: string[] = [];
  for (let n = 1; ; n++) {
    try {
      const detail = await attempt();
      return done(ctx, { step, cloud, status: "proven", durationMs: ctx.now() - start, attempts: n, detail, ...(retried.length > 0 ? { retried } : {}) });
    } catch (e) {
      const err =
        e instanceof StepError
          ? e
          : new StepError(
              `unexpected error: ${e instanceof Error ? e.message : String(e)}`,
              "this is a bug of the canary or an answer it does not understand: run again with the same inputs and report it",
            );
      const cause = transientCause({ status: err.status, code: err.code, message: err.message });
      const stepDelay = cause === undefined ? null : nextDelay(ctx.retry, n, ctx.now() - start, err.retryAfterMs);
      const runOver = stepDelay !== null && ctx.deadline !== undefined && ctx.now() + stepDelay > ctx.deadline;
      const delay = runOver ? null : stepDelay;
      if (cause !== undefined && delay !== null) {
        retried.push(cause);
        await ctx.sleep(delay);
        continue;
      }
      const usedUp = runOver ? ", the run's retry time is used up" : "";
      const gaveUp = cause === undefined ? "" : ` (still failing after ${n} attempts over ${Math.round((ctx.now() - start) / 100) / 10} s${usedUp}: ${cause})`;
      return done(ctx, {
        step,
        cloud,
        status: "failed",
        durationMs: ctx.now() - start,
        attempts: n,
        detail: about,
        error: `${err.message}${gaveUp}`,
        fix: err.fix,
        ...(retried.length > 0 ? { retried } : {}),
      });
    }
  }
}

function done(ctx: StepContext, r: StepResult): StepResult {
  ctx.onStep?.(r);
  return r;
}

/** A step that was not run because an earlier one failed. */
export function notRun(step: string, cloud: Cloud, about: string, because: string): StepResult {
  return { step, cloud, status: "not-run", durationMs: 0, attempts: 0, detail: about, error: `not run: ${because}` };
}
