import { REDACTED, redactCredentials } from "./redact";
import type { StepResult } from "./steps";

/** The outcome of a canary run: printed for people, written with --json for machines. */
export interface CanaryReport {
  stack: string;
  orgNumber: string;
  partnerName: string;
  /** Where the Azure steps went: "gateway <url>" or "storage account <url>". */
  azureVia: string;
  startedAt: string;
  durationMs: number;
  ok: boolean;
  /** Steps that failed, in order (empty when ok). */
  failedSteps: string[];
  steps: StepResult[];
  notices: string[];
}

/**
 * Secrets seen during a run (the private key, tokens, session credentials). Every text the canary prints or
 * writes goes through `redact`: a defence in depth, since no message is built from a secret in the first place.
 */
export class Secrets {
  private readonly values = new Set<string>();

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 8) return;
    this.values.add(secret);
    // Parts of a JWT or a PEM body also identify the secret.
    for (const part of secret.split(/[.\s]+/)) if (part.length >= 24 && !part.startsWith("-----")) this.values.add(part);
  }

  /** Every registered secret and its parts, then whatever has the shape of a token or a private key. */
  redact(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join(REDACTED);
    return redactCredentials(out);
  }

  redactReport(report: CanaryReport): CanaryReport {
    return JSON.parse(this.redact(JSON.stringify(report))) as CanaryReport;
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const MARK: Record<StepResult["status"], string> = { proven: "ok  ", failed: "FAIL", "not-run": "--  " };

export function formatStep(s: StepResult): string[] {
  const width = 24;
  const head = `  ${MARK[s.status]}  ${s.step.padEnd(width)} ${s.status === "not-run" ? " ".repeat(7) : seconds(s.durationMs).padStart(7)}  ${s.detail}`;
  const lines = [head];
  const pad = " ".repeat(8);
  if (s.retried !== undefined) lines.push(`${pad}retried ${s.retried.length}x: ${[...new Set(s.retried)].join("; ")}`);
  if (s.status !== "proven" && s.error !== undefined) lines.push(`${pad}error: ${s.error}`);
  if (s.status === "failed" && s.fix !== undefined) lines.push(`${pad}fix:   ${s.fix}`);
  return lines;
}

export function formatReport(r: CanaryReport): string {
  const lines = [`Deploy canary, stack ${r.stack}: organization ${r.orgNumber} (${r.partnerName}); Azure through the ${r.azureVia}`];
  for (const s of r.steps) lines.push(...formatStep(s));
  for (const n of r.notices) lines.push(`  note: ${n}`);
  const proven = r.steps.filter((s) => s.status === "proven").length;
  lines.push(
    r.ok
      ? `Result: all ${proven} steps proven in ${seconds(r.durationMs)}`
      : `Result: FAILED at ${r.failedSteps.join(", ")} (${proven} of ${r.steps.length} steps proven, ${seconds(r.durationMs)})`,
  );
  return lines.join("\n");
}
