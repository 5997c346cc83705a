import { vi } from "vitest";

/** Where a CLI's printed text goes in a test: stdout, stderr, and both in the order written. */
export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
  /** Optional: both streams interleaved, e.g. to assert that no secret reached either. */
  everything?: string[];
}

/**
 * Replace process.stdout/stderr.write with spies that collect into `into` (restore with vi.restoreAllMocks()).
 * The CLIs under test write with process.stdout.write, exactly as runMain leaves them.
 */
export function captureOutput(into: CapturedOutput): void {
  const sink = (stream: string[]) => (chunk: string | Uint8Array) => {
    stream.push(String(chunk));
    into.everything?.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(sink(into.stdout));
  vi.spyOn(process.stderr, "write").mockImplementation(sink(into.stderr));
}
