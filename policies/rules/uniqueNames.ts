import type { PolicyResource, StackRule, StackViolation } from "./types";

/**
 * Two resources with one (type, logical name) are one URN to the engine: `pulumi up` fails, and the mock runtime
 * of the offline plan does not notice at all, so the plan would show two resources where one would exist (for
 * example a write-only partner's membership landing in a Contributor group: pulumi/pulumi's mocks do not reject
 * duplicate URNs). The manifest rules make names injective; this rule proves it on every plan.
 */
export function duplicateNames(resources: readonly PolicyResource[]): StackViolation[] {
  const seen = new Map<string, number>();
  const out: StackViolation[] = [];
  for (const r of resources) {
    const key = `${r.type}\u0000${r.name}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n === 2) {
      out.push({
        urn: r.urn,
        message: `two resources of type ${r.type} are both named "${r.name}": the engine would see one resource; rename what produces one of them (containers whose names differ only by a level suffix such as "-read" are refused by the manifest rules)`,
      });
    }
  }
  return out;
}

export const uniqueNamesRule: StackRule = {
  kind: "stack",
  name: "skyporten-unique-resource-names",
  description:
    "No two resources share a type and a logical name: each must be one URN to the engine, which the offline plan does not check.",
  enforcementLevel: "mandatory",
  validate: (resources) => duplicateNames(resources),
};
