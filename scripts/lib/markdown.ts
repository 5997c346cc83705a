/** Small markdown builders for the generated documents (handover). */

/** Inline code; a backtick inside would end it early, so it becomes a quote. */
export const code = (v: string): string => `\`${v.replace(/`/g, "'")}\``;

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
