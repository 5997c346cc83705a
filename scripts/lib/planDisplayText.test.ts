import { describe, expect, it } from "vitest";
import { ManifestSchema } from "../../infra/manifest/schema";
import { settingsFixture } from "../../infra/settings/testFixture";
import { buildPlanJson, formatMarkdown } from "./plan";

describe("the plan's markdown with a hostile display name", () => {
  it("escapes the name in the partner table, so no HTML opens and the row keeps its columns", () => {
    const manifest = ManifestSchema.parse({
      containers: [{ name: "outbound" }],
      partners: [
        {
          orgNumber: "917422575",
          name: "Evil </details> <!-- | `AS`",
          azure: [{ container: "outbound", access: "read", path: "evil" }],
        },
      ],
    });
    const plan = buildPlanJson({
      stack: "test",
      manifestFile: "m.yaml",
      manifest,
      resources: [],
      policyViolations: [],
    });
    const md = formatMarkdown(settingsFixture(), manifest, plan, []);
    const row = md.split("\n").find((l) => l.startsWith("| 917422575 |"))!;
    expect(row.startsWith("| 917422575 | Evil \\</details\\> \\<!-- \\| \\`AS\\` | active |")).toBe(true);
    expect(md).not.toMatch(/(^|[^\\])<!--/m);
  });
});
