import { describe, expect, it } from "vitest";
import { BENCH_HEADER, benchRow } from "./bench";

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
});
