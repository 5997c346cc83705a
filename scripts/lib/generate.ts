import { mod11CheckDigit } from "../../infra/manifest/orgNumber";

/** `count` distinct valid organization numbers, deterministic (for benchmarks and scale tests). */
export function validOrgNumbers(count: number, start = 90000000): string[] {
  const out: string[] = [];
  for (let n = start; out.length < count; n++) {
    const first = String(n).padStart(8, "0");
    const check = mod11CheckDigit(first);
    if (check !== undefined) out.push(`${first}${check}`);
  }
  return out;
}

/**
 * A manifest of `count` partners, each with a whole-container read, a path write and an AWS prefix grant:
 * the benchmark's shape (and a realistic worst case for shared paths). Every partner reads the whole
 * "reference" container, so it is `shared: true` (isolation is the default).
 */
export function benchmarkManifest(count: number): unknown {
  return {
    containers: [{ name: "inbound" }, { name: "outbound" }, { name: "reference", shared: true }],
    buckets: [{ name: "banenor-payload-test" }],
    partners: validOrgNumbers(count).map((org, i) => ({
      orgNumber: org,
      name: `Benchmark Partner ${i + 1} AS`,
      azure: [
        { container: "reference", access: "read" },
        { container: "inbound", access: "write", path: `partners/${org}` },
      ],
      aws: [{ bucket: "banenor-payload-test", prefix: `partners/${org}/`, access: "read" }],
    })),
  };
}
