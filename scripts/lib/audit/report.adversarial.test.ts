import { describe, expect, it } from "vitest";
import { reportMarkdown } from "./report";

/**
 * The markdown report becomes the body of a GitHub issue, and findings quote text that whoever changed the cloud
 * chose (a federated credential's subject, a group's display name): it must not mention people, link, or embed.
 */
describe("reportMarkdown: text from the clouds is shown, never interpreted", () => {
  it("mentions, links, HTML and backticks in a finding are neutralised", () => {
    const hostile =
      "repo:x `y` @banenor/platform-team [login](https://evil.example) <img src=x onerror=alert(1)>";
    const md = reportMarkdown({
      stack: "test",
      observed: "live",
      findings: [
        {
          severity: "critical",
          kind: "unexpected",
          cloud: "azure",
          orgNumber: "910000012",
          subject: `id/${hostile}`,
          message: `admits subject ${hostile}`,
        },
      ],
      reviews: [],
      unreadable: [{ source: "azure.groups", reason: `could not be read: HTTP 500 ${hostile}` }],
    });
    // Code spans show their text literally (no mention, link or HTML there); everything else must be escaped.
    const outsideCode = md.replace(/`[^`]*`/g, "");
    expect(outsideCode).not.toMatch(/@banenor/);
    // Brackets escaped: shown as text, no link (a bare URL stays visible, as GitHub autolinks show it).
    expect(outsideCode).not.toMatch(/[^\\]\]\(https:/);
    expect(outsideCode).toContain("\\[login\\](https://evil.example)");
    expect(outsideCode).not.toContain("<img");
    // The subject stays one code span: no backtick inside it.
    const row = md.split("\n").find((l) => l.startsWith("| unexpected"))!;
    expect(row.match(/(?<!\\)`/g)).toHaveLength(2);
    // Still readable.
    expect(row).toContain("banenor/platform-team");
    expect(row).toContain("https://evil.example");
  });
});
