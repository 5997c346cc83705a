import { describe, expect, it } from "vitest";
import { ManifestSchema } from "../../infra/manifest/schema";
import { settingsFixture } from "../../infra/settings/testFixture";
import { formatDiffMarkdown, semanticDiff } from "./diff";

/** A display name that would hide everything after it in a pull-request comment, and split a table row. */
const HOSTILE = "Evil <!-- | AS";
const ESCAPED = "Evil \\<!-- \\| AS";

const manifest = (partners: unknown[]) =>
  ManifestSchema.parse({ containers: [{ name: "inbound", shared: true }], partners });

describe("the pull-request diff with a hostile display name", () => {
  it("escapes the name in the access table and in the flags, so no HTML comment opens", () => {
    const nordlys = {
      orgNumber: "910000012",
      name: "Nordlys AS",
      azure: [{ container: "inbound", access: "write" }],
    };
    const evil = {
      orgNumber: "917422575",
      name: HOSTILE,
      azure: [{ container: "inbound", access: "write" }],
    };
    const md = formatDiffMarkdown(
      semanticDiff({
        stack: "test",
        baseRef: "main",
        settings: settingsFixture(),
        base: { manifest: manifest([nordlys]), plan: { resources: [] } },
        head: { manifest: manifest([nordlys, evil]), plan: { resources: [] } },
      }),
    );
    expect(md).toContain(`| 917422575 | ${ESCAPED} |`);
    expect(md).toContain(`organization 917422575 (${ESCAPED}): joins shared`);
    expect(md).not.toMatch(/(^|[^\\])<!--/m);
  });
});
