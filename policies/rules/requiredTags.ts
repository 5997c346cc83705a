import { orgNumberProblem } from "../../infra/manifest/orgNumber";
import { PARTNER_STATUSES } from "../../infra/manifest/schema";
import { IAM_ROLE_TYPE } from "./awsTrustPolicy";
import { PARTNER_IDENTITY_TYPES } from "./protectedIdentity";
import {
  isUnknown,
  show,
  type PolicyContext,
  type PolicyResource,
  type ResourceRule,
  tagsOf,
} from "./types";

export const MANAGED_BY = "skyporten-onboarding";

/**
 * Tags on partner identities and IAM roles: who manages the resource, for which environment, which
 * organization and in which status. Operators find a partner's resources by org number across both clouds,
 * and the prod-protection rule reads `partner-status`. Entra applications and service principals take tags as a
 * list of strings: there each tag is the entry `key:value` (tagsOf).
 */
export function requiredTagViolations(resource: PolicyResource, context: PolicyContext): string[] {
  const raw = resource.props.tags;
  if (isUnknown(raw)) return [];
  const tags = tagsOf(raw) ?? {};
  const asList = Array.isArray(raw) ? (key: string) => ` (as the list entry "${key}:<value>")` : () => "";
  const violations: string[] = [];
  const check = (key: string, fix: string, problemOf: (value: unknown) => string | undefined) => {
    const value = tags[key];
    if (isUnknown(value)) return;
    if (value === undefined || value === null || value === "") {
      violations.push(`tag "${key}" is missing; set it to ${fix}${asList(key)}`);
      return;
    }
    const problem = problemOf(value);
    if (problem !== undefined) violations.push(`tag "${key}" ${problem}`);
  };

  check("managed-by", `"${MANAGED_BY}"`, (v) =>
    v === MANAGED_BY ? undefined : `is ${show(v)}; it must be "${MANAGED_BY}"`,
  );
  check("environment", `"${context.environment}"`, (v) =>
    v === context.environment
      ? undefined
      : `is ${show(v)}; it must be the stack's environment "${context.environment}"`,
  );
  check("org-number", "the partner's 9-digit organization number", (v) => {
    if (typeof v !== "string") return `is ${show(v)}; it must be the partner's 9-digit organization number`;
    const problem = orgNumberProblem(v);
    return problem === undefined ? undefined : `is invalid: ${problem}`;
  });
  check("partner-status", PARTNER_STATUSES.join(", "), (v) =>
    typeof v === "string" && (PARTNER_STATUSES as readonly string[]).includes(v)
      ? undefined
      : `is ${show(v)}; it must be one of ${PARTNER_STATUSES.join(", ")}`,
  );
  return violations;
}

export const requiredTagsRule: ResourceRule = {
  kind: "resource",
  name: "skyporten-required-tags",
  description: `Partner identities (managed identities, applications, service principals) and IAM roles carry the tags managed-by="${MANAGED_BY}", environment=<stack environment>, org-number=<MOD11-valid organization number> and partner-status=${PARTNER_STATUSES.join("|")} (Entra tag lists as "key:value" entries).`,
  enforcementLevel: "mandatory",
  resourceTypes: [...PARTNER_IDENTITY_TYPES, IAM_ROLE_TYPE],
  validate: requiredTagViolations,
};
