import { describe, expect, it } from "vitest";
import { withRetries } from "./failures";

/** A throttled service that asks the audit to come back much later must not hold the nightly run hostage. */

function throttled(retryAfter: string): Error {
  const headers = new Map([["retry-after", retryAfter]]);
  return Object.assign(new Error("Too Many Requests"), {
    statusCode: 429,
    response: { status: 429, headers: { get: (n: string) => headers.get(n.toLowerCase()) } },
  });
}

describe("withRetries: bounded waits", () => {
  it("a Retry-After of an hour is not waited for: the source fails at once (and is reported unreadable)", async () => {
    let calls = 0;
    const started = Date.now();
    const err = await withRetries(
      () => {
        calls++;
        return Promise.reject(throttled("3600"));
      },
      5,
      10,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toBe(1);
    expect((err as Error).message).toBe("Too Many Requests");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a short Retry-After is honoured and the call retried", async () => {
    let calls = 0;
    const value = await withRetries(
      () => (++calls < 2 ? Promise.reject(throttled("0")) : Promise.resolve("ok")),
      5,
      10,
    );
    expect([value, calls]).toEqual(["ok", 2]);
  });
});
