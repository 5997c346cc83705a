import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PLAN_NODE_FLAGS } from "./planChild";

describe("plan process flags", () => {
  it("are the same for `npm run plan` as for the plans the scripts start themselves", () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.plan).toBe(`node ${PLAN_NODE_FLAGS.join(" ")} --import tsx scripts/plan.ts`);
  });
});
