import { IAM_ROLE_TYPE } from "./awsTrustPolicy";
import { APPLICATION_FEDERATED_CREDENTIAL_TYPE, FEDERATED_CREDENTIAL_TYPE } from "./federatedCredential";
import { policyChars } from "./policyDocument";
import { USER_ASSIGNED_IDENTITY_TYPE } from "./protectedIdentity";
import { ROLE_ASSIGNMENT_TYPE } from "./roleAssignment";
import {
  isUnknown,
  limitsOf,
  type BudgetLimits,
  type PolicyContext,
  type PolicyResource,
  type StackRule,
  type StackViolation,
} from "./types";

export const PATH_ACL_TYPE = "pulumi-nodejs:dynamic/adls:PathAcl";

/** Usage of one limit: the worst case in the stack and where it is (null when nothing counts yet). */
export interface BudgetUsage {
  limit: number;
  used: number;
  at: string | null;
}

/** What `npm run plan` reports as `budgets`: each limit next to its usage. */
export interface BudgetReport {
  /**
   * The identity with the most federated credentials: a managed identity by name, an application by its resource
   * id (`/applications/<object id>`, the only link its credentials carry).
   */
  federatedCredentialsPerIdentity: BudgetUsage;
  /** Role assignments this stack adds to its subscription (an upper bound for this stack only). */
  roleAssignmentsPerSubscription: BudgetUsage;
  /** The path with the most named ACL entries, as `<account>/<container>/<path> (access|default)`. */
  namedAclEntriesPerPath: BudgetUsage;
  /** The longest role trust policy, by role URN. */
  trustPolicyChars: BudgetUsage;
}

interface Counted {
  key: string;
  used: number;
  /** URN to report a violation against, if one resource stands for the whole group. */
  urn: string | null;
}

const known = (v: unknown): v is string => typeof v === "string" && !isUnknown(v);

/**
 * Federated credentials grouped by the identity they are attached to: resource group + identity name for a
 * managed identity, the application's resource id for an app registration (Entra allows 20 per application as
 * well: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations). The
 * application's resource id is an output, not an input of the application, so there is no URN to report.
 */
function credentialsPerIdentity(resources: readonly PolicyResource[]): Counted[] {
  return [...credentialsPerManagedIdentity(resources), ...credentialsPerApplication(resources)];
}

function credentialsPerApplication(resources: readonly PolicyResource[]): Counted[] {
  const counts = new Map<string, number>();
  for (const r of resources) {
    // A new application's id is not known in preview: its credentials wait, like a new identity's.
    if (r.type !== APPLICATION_FEDERATED_CREDENTIAL_TYPE || !known(r.props.applicationId)) continue;
    counts.set(r.props.applicationId, (counts.get(r.props.applicationId) ?? 0) + 1);
  }
  return [...counts].map(([key, used]) => ({ key, used, urn: null }));
}

function credentialsPerManagedIdentity(resources: readonly PolicyResource[]): Counted[] {
  const identities = new Map<string, string>();
  for (const r of resources) {
    if (r.type === USER_ASSIGNED_IDENTITY_TYPE && known(r.props.resourceName)) {
      identities.set(`${String(r.props.resourceGroupName)}/${r.props.resourceName}`, r.urn);
    }
  }
  const counts = new Map<string, number>();
  for (const r of resources) {
    // An identity name not known yet (a new identity's output in preview) cannot be grouped: it waits.
    if (r.type !== FEDERATED_CREDENTIAL_TYPE || !known(r.props.resourceName)) continue;
    const key = `${String(r.props.resourceGroupName)}/${r.props.resourceName}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, used]) => ({
    key: key.slice(key.indexOf("/") + 1),
    used,
    urn: identities.get(key) ?? null,
  }));
}

const ACL_ENTRY = /^(default:)?(user|group|mask|other):([^:]*):(.*)$/;

/**
 * Named ACL entries per path, access and default ACL counted apart (each has its own 32-entry limit). The base
 * entries (`user::`, `group::`, `other::`, `mask::`) are the 4 of the 32 that are always there. Entries are
 * deduplicated by `[default:]type:id`, as ADLS keeps one entry per principal. An entry not known yet (a new
 * principal's object id in preview) cannot be counted: it waits until its value is known.
 */
function aclEntriesPerPath(resources: readonly PolicyResource[]): Counted[] {
  const sets = new Map<string, Set<string>>();
  for (const r of resources) {
    if (r.type !== PATH_ACL_TYPE) continue;
    const { accountName, fileSystem, path, entries } = r.props;
    if (!known(accountName) || !known(fileSystem) || !known(path) || !Array.isArray(entries)) continue;
    const pathKey = `${accountName}/${fileSystem}/${path.replace(/^\/+|\/+$/g, "")}`;
    for (const entry of (entries as unknown[]).filter(known).flatMap((e) => e.split(","))) {
      const text = entry.trim();
      const m = ACL_ENTRY.exec(text);
      // Base entries: owning user and group (no id), mask, other.
      if (m !== null && (m[3] === "" || m[2] === "mask" || m[2] === "other")) continue;
      const key = `${pathKey} (${m?.[1] === undefined ? "access" : "default"})`;
      const set = sets.get(key) ?? new Set<string>();
      set.add(m === null ? text : `${m[2]}:${m[3]}`);
      sets.set(key, set);
    }
  }
  return [...sets].map(([key, set]) => ({ key, used: set.size, urn: null }));
}

function trustPolicySizes(resources: readonly PolicyResource[]): Counted[] {
  return resources
    .filter((r) => r.type === IAM_ROLE_TYPE && known(r.props.assumeRolePolicy))
    .map((r) => ({
      key: known(r.props.name) ? r.props.name : r.name,
      used: policyChars(r.props.assumeRolePolicy as string),
      urn: r.urn,
    }));
}

function worst(counted: readonly Counted[], limit: number, at: (c: Counted) => string): BudgetUsage {
  const top = counted.reduce<Counted | undefined>(
    (best, c) => (best === undefined || c.used > best.used ? c : best),
    undefined,
  );
  return { limit, used: top?.used ?? 0, at: top === undefined ? null : at(top) };
}

/** Usage of every budget, for the plan summary and JSON. */
export function computeBudgets(
  resources: readonly PolicyResource[],
  limits: Partial<BudgetLimits> = {},
): BudgetReport {
  const l = limitsOf({ limits });
  const assignments = resources.filter((r) => r.type === ROLE_ASSIGNMENT_TYPE).length;
  return {
    federatedCredentialsPerIdentity: worst(
      credentialsPerIdentity(resources),
      l.federatedCredentialsPerIdentity,
      (c) => c.key,
    ),
    roleAssignmentsPerSubscription: { limit: l.roleAssignmentsPerSubscription, used: assignments, at: null },
    namedAclEntriesPerPath: worst(aclEntriesPerPath(resources), l.namedAclEntriesPerPath, (c) => c.key),
    trustPolicyChars: worst(trustPolicySizes(resources), l.trustPolicyChars, (c) => c.urn ?? c.key),
  };
}

/**
 * Hard limits a growing partner list runs into. Exceeding any of them fails the deployment half-way, so the
 * plan must say so first. The role assignment count covers this stack only: other deployments in the same
 * subscription share the 4,000.
 */
export function budgetViolations(
  resources: readonly PolicyResource[],
  context: PolicyContext,
): StackViolation[] {
  const limits = limitsOf(context);
  const violations: StackViolation[] = [];
  for (const c of credentialsPerIdentity(resources)) {
    if (c.used > limits.federatedCredentialsPerIdentity) {
      violations.push({
        urn: c.urn,
        message: `identity "${c.key}" has ${c.used} federated identity credentials; Entra ID allows at most ${limits.federatedCredentialsPerIdentity} per identity`,
      });
    }
  }
  const assignments = resources.filter((r) => r.type === ROLE_ASSIGNMENT_TYPE).length;
  if (assignments > limits.roleAssignmentsPerSubscription) {
    violations.push({
      urn: null,
      message: `the stack has ${assignments} role assignments; Azure allows at most ${limits.roleAssignmentsPerSubscription} per subscription, shared with everything else in it: grant through groups`,
    });
  }
  for (const c of aclEntriesPerPath(resources)) {
    if (c.used > limits.namedAclEntriesPerPath) {
      violations.push({
        urn: null,
        message: `path ${c.key} has ${c.used} named ACL entries; ADLS Gen2 allows ${limits.namedAclEntriesPerPath} (32 minus the owning user, owning group, mask and other): grant through Entra groups`,
      });
    }
  }
  for (const c of trustPolicySizes(resources)) {
    if (c.used > limits.trustPolicyChars) {
      violations.push({
        urn: c.urn,
        message: `trust policy of role "${c.key}" is ${c.used} characters; IAM allows ${limits.trustPolicyChars} (the default quota; Service Quotas can raise it to 4,096)`,
      });
    }
  }
  return violations;
}

export const budgetsRule: StackRule = {
  kind: "stack",
  name: "skyporten-stack-budgets",
  description:
    "Stack-level limits: at most 20 federated credentials per identity (managed identity or application), 4,000 role assignments per subscription, 28 named ACL entries per path (access and default each), and trust policies within IAM's length quota (2,048 characters by default).",
  enforcementLevel: "mandatory",
  validate: budgetViolations,
};
