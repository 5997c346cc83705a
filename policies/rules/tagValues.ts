import { awsTagProblem, azureTagProblem } from "../../infra/tags";
import { isUnknown, tagsOf, type StackRule, type StackViolation } from "./types";

/**
 * Every tag of every resource is one its cloud accepts (infra/tags.ts names the rules and their sources): a tag
 * value IAM would refuse (e.g. a company name with "&" or parentheses) fails the plan and the preview, so
 * `pulumi up` is never the first to find out. AWS resources (`aws:*`) are held to AWS's pattern and lengths,
 * Azure Resource Manager resources (`azure-native:*`) to Azure's. Unknown values are judged once known.
 */
export function tagValueViolations(resources: readonly { type: string; urn: string; props: Record<string, unknown> }[]): StackViolation[] {
  const violations: StackViolation[] = [];
  for (const r of resources) {
    const problemOf = r.type.startsWith("aws:") ? awsTagProblem : r.type.startsWith("azure-native:") ? azureTagProblem : undefined;
    if (problemOf === undefined || isUnknown(r.props.tags) || Array.isArray(r.props.tags)) continue;
    const tags = tagsOf(r.props.tags);
    if (tags === undefined) continue;
    for (const [key, value] of Object.entries(tags)) {
      if (isUnknown(value) || typeof value !== "string") continue;
      const problem = problemOf(key, value);
      if (problem !== undefined)
        violations.push({
          urn: r.urn,
          message: `${problem}: ${r.type.startsWith("aws:") ? "AWS" : "Azure"} refuses it at pulumi up; make the value safe with safeTagValue (infra/tags.ts)`,
        });
    }
  }
  return violations;
}

export const tagValuesRule: StackRule = {
  kind: "stack",
  name: "skyporten-tag-values",
  description:
    "Every tag is one its cloud accepts: AWS keys and values match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@] (keys 1-128, values at most 256 characters); Azure names have none of <>%&\\?/ (at most 512) and values at most 256 characters.",
  enforcementLevel: "mandatory",
  validate: (resources) => tagValueViolations(resources),
};
