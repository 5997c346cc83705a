import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { mod11CheckDigit } from "../../manifest/orgNumber";
import { ManifestSchema, type Access, type Manifest } from "../../manifest/schema";

/** Manifests for the ACL tests: the sample stacks and a generated large one. Test support only. */

export function loadStackManifest(stack: string): Manifest {
  return ManifestSchema.parse(parse(readFileSync(`stacks/${stack}.yaml`, "utf8")));
}

/** The first `count` valid organization numbers from `base` (8 digits) upwards. */
export function orgNumbers(count: number, base = 81000000): string[] {
  const out: string[] = [];
  for (let n = base; out.length < count; n++) {
    const check = mod11CheckDigit(String(n));
    if (check !== undefined) out.push(`${n}${check}`);
  }
  return out;
}

const ACCESS: Access[] = ["read", "write", "read-write"];

/**
 * `count` active partners across four containers, validated by the real schema:
 * - every partner: a path grant in "outbound" at region-<i%8>/p<org> (every 5th one level deeper, under
 *   region-<i%8>/deep), access cycling read / write / read-write;
 * - every 3rd: container-wide write (drop box) in "inbound";
 * - every 7th: container-wide read-write in "archive";
 * - every 11th: container-wide read in "reference"; every 13th is suspended.
 */
export function largeManifest(count: number): Manifest {
  const orgs = orgNumbers(count);
  return ManifestSchema.parse({
    containers: [{ name: "outbound" }, { name: "inbound", shared: true }, { name: "archive", shared: true }, { name: "reference", shared: true }],
    partners: orgs.map((org, i) => {
      const azure: { container: string; access: Access; path?: string }[] = [
        {
          container: "outbound",
          access: ACCESS[i % 3]!,
          path: i % 5 === 0 ? `region-${i % 8}/deep/p${org}` : `region-${i % 8}/p${org}`,
        },
      ];
      if (i % 3 === 0) azure.push({ container: "inbound", access: "write" });
      if (i % 7 === 0) azure.push({ container: "archive", access: "read-write" });
      if (i % 11 === 0) azure.push({ container: "reference", access: "read" });
      return {
        orgNumber: org,
        name: `Generated Partner ${i}`,
        status: i % 13 === 12 ? "suspended" : "active",
        azure,
      };
    }),
  });
}
