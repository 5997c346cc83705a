import { awsS3PolicyRule } from "./awsS3Policy";
import { awsTrustPolicyRule } from "./awsTrustPolicy";
import { budgetsRule } from "./budgets";
import { federatedCredentialRule } from "./federatedCredential";
import { protectedIdentityRule } from "./protectedIdentity";
import { requiredTagsRule } from "./requiredTags";
import { roleAssignmentRule } from "./roleAssignment";
import { tagValuesRule } from "./tagValues";
import { uniqueNamesRule } from "./uniqueNames";
import type { EnforcementLevel, PolicyContext, PolicyResource, Rule } from "./types";

/**
 * The rules of the skyporten-onboarding policy pack, and the offline evaluator `npm run plan` uses. This module
 * never constructs the PolicyPack (policies/index.ts does, and that starts a gRPC server), so scripts and tests
 * can import it freely.
 */
export const RULES: readonly Rule[] = [
  federatedCredentialRule,
  roleAssignmentRule,
  awsTrustPolicyRule,
  awsS3PolicyRule,
  protectedIdentityRule,
  requiredTagsRule,
  tagValuesRule,
  budgetsRule,
  uniqueNamesRule,
];

export interface PolicyViolation {
  policy: string;
  level: EnforcementLevel;
  /** The resource at fault, or null for the stack as a whole. */
  urn: string | null;
  message: string;
}

/**
 * Applies every rule to recorded resources, in rule order then resource order: what the pack would report
 * under `pulumi preview --policy-pack policies`, without an engine. Unknown values (Pulumi's sentinels) are
 * never violations.
 */
export function evaluatePolicies(
  resources: readonly PolicyResource[],
  context: PolicyContext,
): PolicyViolation[] {
  const violations: PolicyViolation[] = [];
  for (const rule of RULES) {
    const base = { policy: rule.name, level: rule.enforcementLevel };
    if (rule.kind === "resource") {
      for (const resource of resources) {
        if (!rule.resourceTypes.includes(resource.type)) continue;
        for (const message of rule.validate(resource, context))
          violations.push({ ...base, urn: resource.urn, message });
      }
    } else {
      for (const v of rule.validate(resources, context)) violations.push({ ...base, ...v });
    }
  }
  return violations;
}

export { computeBudgets, type BudgetReport, type BudgetUsage } from "./budgets";
export {
  BUDGET_LIMITS,
  UNKNOWN,
  isUnknown,
  type BudgetLimits,
  type PolicyContext,
  type PolicyResource,
  type Rule,
} from "./types";
