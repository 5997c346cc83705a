import type { Finding, ReviewNotice, Severity } from "../../../infra/audit";

/**
 * The audit's outputs: the findings JSON (design.md, "Observed access": `{ stack, findings }`, plus the review
 * reminders and the sources that could not be read), the markdown report (nightly issue and artifact) and the
 * terminal summary.
 */

/** A source that could not be read: the audit then exits 2, and never calls the stack clean. */
export interface Unreadable {
  /** e.g. "azure.roleAssignments", "aws.roles", "maskinporten.consumers". */
  source: string;
  reason: string;
}

export interface AuditReport {
  stack: string;
  /** "live" or the --observed file. */
  observed: string;
  findings: Finding[];
  reviews: ReviewNotice[];
  unreadable: Unreadable[];
}

export function reportJson(r: AuditReport): string {
  return `${JSON.stringify({ stack: r.stack, observed: r.observed, findings: r.findings, reviews: r.reviews, unreadable: r.unreadable }, null, 2)}\n`;
}

const count = (findings: readonly Finding[], s: Severity) => findings.filter((f) => f.severity === s).length;

export function verdict(r: AuditReport): string {
  const c = count(r.findings, "critical");
  const w = count(r.findings, "warning");
  const n = count(r.findings, "notice");
  if (r.unreadable.length > 0)
    return `INCOMPLETE: ${r.unreadable.length} source(s) could not be read, so the stack is NOT known to be clean (${c} critical, ${w} warning, ${n} notice among what was read)`;
  if (c + w === 0) return `nothing unexpected (${n} notice(s), ${r.reviews.length} review reminder(s))`;
  return `${c} critical, ${w} warning, ${n} notice`;
}

/** Pipes and line breaks would break a markdown table cell. */
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
/**
 * Text from the clouds (a credential's subject, a group's name: chosen by whoever changed them) as plain text in a
 * GitHub issue: no mention (a zero-width space after "@"), no link, no HTML, no code span.
 */
const plain = (s: string) =>
  cell(s)
    .replace(/@/g, "@\u200b")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([[\]`])/g, "\\$1");
/** Inside a code span nothing is interpreted; a backtick would end it early. */
const code = (s: string) => `\`${cell(s).replace(/`/g, "'")}\``;

export function reportMarkdown(r: AuditReport): string {
  const lines: string[] = [
    `## Access audit of stack \`${r.stack}\``,
    "",
    `Observed: ${r.observed === "live" ? "read live from Azure, AWS and Digdir" : `\`${r.observed}\``}`,
    "",
    `**${verdict(r)}**`,
    "",
  ];
  if (r.unreadable.length > 0) {
    lines.push(
      "### Could not be read",
      "",
      ...r.unreadable.map((u) => `- \`${u.source}\`: ${plain(u.reason)}`),
      "",
    );
  }
  for (const severity of ["critical", "warning", "notice"] as const) {
    const list = r.findings.filter((f) => f.severity === severity);
    if (list.length === 0) continue;
    lines.push(
      `### ${severity} (${list.length})`,
      "",
      "| kind | cloud | organization | subject | what and the fix |",
      "|---|---|---|---|---|",
    );
    for (const f of list)
      lines.push(
        `| ${f.kind} | ${f.cloud} | ${f.orgNumber ?? "platform"} | ${code(f.subject)} | ${plain(f.message)} |`,
      );
    lines.push("");
  }
  if (r.reviews.length > 0) {
    lines.push(
      `### Access reviews due (${r.reviews.length})`,
      "",
      ...r.reviews.map((v) => `- ${v.message}`),
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

export function reportText(r: AuditReport): string {
  const lines = [`Access audit of stack "${r.stack}" (observed: ${r.observed})`];
  for (const u of r.unreadable) lines.push(`UNREADABLE ${u.source}: ${u.reason}`);
  for (const f of r.findings)
    lines.push(
      `${f.severity.padEnd(8)} ${f.kind.padEnd(10)} ${f.cloud.padEnd(12)} ${(f.orgNumber ?? "platform").padEnd(9)} ${f.subject}\n         ${f.message}`,
    );
  for (const v of r.reviews) lines.push(`review   ${v.orgNumber} ${v.message}`);
  lines.push(verdict(r));
  return `${lines.join("\n")}\n`;
}

/** Exit code: 2 when a source could not be read, 1 for critical or warning findings, else 0. */
export function exitCode(r: AuditReport): number {
  if (r.unreadable.length > 0) return 2;
  return r.findings.some((f) => f.severity !== "notice") ? 1 : 0;
}
