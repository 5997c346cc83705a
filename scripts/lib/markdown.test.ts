import { describe, expect, it } from "vitest";
import { displayText } from "./markdown";

describe("displayText", () => {
  it("keeps real company names as they are", () => {
    for (const name of ["Hansen & Sønn (Bergen), AS", "Ærlig Øl og Åker AS", "A/S Nord-Vest 2.0 #1!"])
      expect(displayText(name)).toBe(name);
  });

  it("neutralises HTML, code spans, emphasis, links and table cell boundaries in a display name", () => {
    expect(displayText("Evil <!-- AS")).toBe("Evil \\<!-- AS");
    expect(displayText("</details><script>x</script>")).toBe("\\</details\\>\\<script\\>x\\</script\\>");
    expect(displayText("A | B `c` *d* _e_ [f](http://x) \\")).toBe(
      "A \\| B \\`c\\` \\*d\\* \\_e\\_ \\[f\\](http://x) \\\\",
    );
    expect(displayText("two\r\nlines\nhere")).toBe("two lines here");
  });
});
