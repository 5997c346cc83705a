import { describe, expect, it } from "vitest";
import { BENCH_HEADER, benchRow, REFRESH_HEADER, refreshRow } from "./bench";

describe("npm run bench", () => {
  it("prints plan and floor side by side with their ratios", () => {
    const row = benchRow({
      partners: 1000,
      resources: 9034,
      plan: { exitCode: 0, runMs: 9000, wallMs: 10_800, cpuMs: 9_800, maxRssKiB: 700 * 1024 },
      floor: { exitCode: 0, runMs: 7000, wallMs: 8_000, cpuMs: 7_000, maxRssKiB: 560 * 1024 },
    });
    expect(row).toBe("| 1000 | 9034 | 10.8 | 8.0 | 1.35x | 9.8 | 7.0 | 1.40x | 700 | 560 | 1.25x |");
    expect(row.split("|").length).toBe(BENCH_HEADER.split("\n")[0]!.split("|").length);
  });

  it("prints what one refresh would cost at each size", () => {
    const calls = { arm: 2009, graph: 2054, dfs: 1004, iam: 5001, digdir: 0 };
    const row = refreshRow(1000, {
      resourcesRead: 7032,
      calls,
      graphUnits: 6114,
      seconds: { arm: 70.36, graph: 0, dfs: 0.05, iam: null, digdir: null },
      estimateSeconds: 70.36,
      boundBy: "arm",
      perOnboarding: { arm: 2, graph: 2, dfs: 1, iam: 5, digdir: 0 },
      perOnboardingGraphUnits: 6,
    });
    expect(row).toBe("| 1000 | 7032 | 2009 | 2054 (6114) | 1004 | 5001 | 0 | 70.4 (arm) | 2/2/1/5/0 |");
    expect(row.split("|").length).toBe(REFRESH_HEADER.split("\n")[0]!.split("|").length);
  });
});
