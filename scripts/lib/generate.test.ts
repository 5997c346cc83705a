import { describe, expect, it } from "vitest";
import { ManifestSchema } from "../../infra/manifest/schema";
import { benchmarkManifest } from "./generate";

describe("benchmark manifests", () => {
  it.each([10, 1000, 5000])(
    "%i partners validate under the isolation rules (the reference container is shared)",
    (count) => {
      const r = ManifestSchema.safeParse(benchmarkManifest(count));
      expect(r.success ? [] : r.error.issues.slice(0, 3).map((i) => i.message)).toEqual([]);
      expect(r.success && r.data.partners.length).toBe(count);
    },
  );

  it("without the shared flag the same manifest is refused: every partner reads the whole reference container", () => {
    const data = benchmarkManifest(3) as { containers: { name: string; shared?: boolean }[] };
    data.containers = data.containers.map(({ name }) => ({ name }));
    const r = ManifestSchema.safeParse(data);
    expect(r.success ? [] : r.error.issues.map((i) => i.path.join("."))).toEqual([
      "partners.1.azure.0",
      "partners.2.azure.0",
    ]);
  });
});
