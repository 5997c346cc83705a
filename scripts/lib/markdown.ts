/** Small markdown builders for the generated documents (handover). */

/** Inline code; a backtick inside would end it early, so it becomes a quote. */
export const code = (v: string): string => `\`${v.replace(/`/g, "'")}\``;

/**
 * Free text written by people (a partner's display name) as inline markdown: every character that could open
 * HTML (`<!--` would hide the rest of a pull-request comment), a code span, emphasis, a link or a table cell
 * boundary is backslash-escaped (CommonMark, "Backslash escapes"), line breaks are flattened. Real company names
 * ("Hansen & Sønn (Bergen), AS") come through unchanged.
 */
export const displayText = (v: string): string => v.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");

/** A table cell: pipes escaped, line breaks flattened. */
export const cell = (v: string): string => v.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.map(cell).join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

export const fence = (lang: string, lines: readonly string[]): string => ["```" + lang, ...lines, "```"].join("\n");
