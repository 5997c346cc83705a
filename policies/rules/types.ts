import { PLATFORM_SCOPE, type Environment } from "../../infra/settings/schema";

/**
 * The neutral shapes every rule works on. Rules are pure functions of these: they never import
 * `@pulumi/policy` or `@pulumi/pulumi`, so the same code runs inside the CrossGuard pack (policies/index.ts,
 * through policies/pack.ts) and offline in `npm run plan` (evaluatePolicies in ./index.ts).
 */

/** One resource as a rule sees it. `props` are the inputs (or outputs) under the SDK's property names. */
export interface PolicyResource {
  /** Pulumi type token, e.g. `azure-native:managedidentity:FederatedIdentityCredential`. */
  type: string;
  /** Logical (Pulumi) name. */
  name: string;
  urn: string;
  /** The `protect` resource option. */
  protect: boolean;
  props: Record<string, unknown>;
}

/** What a rule needs to know about the stack. `Settings` (infra/settings/schema.ts) fits as it is. */
export interface PolicyContext {
  environment: Environment;
  /** The stack's name key (settings nameKey, by default the environment): identity and role names carry it. */
  nameKey: string;
  /** The stack's audience: the one value every federated credential and trust policy must name. */
  audience: string;
  /**
   * The manifest's bucket names. When absent, the S3 rule takes the buckets registered in the stack
   * (`aws:s3/bucket:Bucket`), which the program creates or adopts from the same manifest.
   */
  declaredBuckets?: readonly string[];
  /** Overrides of the budget limits (e.g. a raised IAM trust policy quota); defaults in BUDGET_LIMITS. */
  limits?: Partial<BudgetLimits>;
}

export type EnforcementLevel = "mandatory" | "advisory";

interface RuleBase {
  /** Policy name, unique in the pack; `npm run plan` reports it as `policy`. */
  name: string;
  description: string;
  enforcementLevel: EnforcementLevel;
}

/** A rule judged one resource at a time. Returns the violation messages (empty when compliant). */
export interface ResourceRule extends RuleBase {
  kind: "resource";
  /** The type tokens it applies to; others are not applicable. */
  resourceTypes: readonly string[];
  validate(resource: PolicyResource, context: PolicyContext): string[];
}

export interface StackViolation {
  /** The resource at fault, or null when the stack as a whole is. */
  urn: string | null;
  message: string;
}

/** A rule that needs the whole stack (budgets, or facts held by other resources). */
export interface StackRule extends RuleBase {
  kind: "stack";
  validate(resources: readonly PolicyResource[], context: PolicyContext): StackViolation[];
}

export type Rule = ResourceRule | StackRule;

export interface BudgetLimits {
  /** Entra ID: at most 20 federated identity credentials per user-assigned managed identity or application. */
  federatedCredentialsPerIdentity: number;
  /** Azure RBAC: at most 4,000 role assignments per subscription. */
  roleAssignmentsPerSubscription: number;
  /** ADLS Gen2: 32 ACL entries per path, of which 4 are the base entries: 28 named, for access and default each. */
  namedAclEntriesPerPath: number;
  /** IAM: role trust policy length, 2,048 characters by default (Service Quotas can raise it to 4,096). */
  trustPolicyChars: number;
}

/**
 * Limits from the providers' documentation:
 * - https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations (20 per identity)
 * - https://learn.microsoft.com/azure/role-based-access-control/troubleshoot-limits (4,000 per subscription)
 * - https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control (32 entries per ACL)
 * - https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (trust policy 2,048 / 4,096)
 */
export const BUDGET_LIMITS: Readonly<BudgetLimits> = {
  federatedCredentialsPerIdentity: 20,
  roleAssignmentsPerSubscription: 4000,
  namedAclEntriesPerPath: 28,
  trustPolicyChars: 2048,
};

/** The Maskinporten scope every subject must carry: the platform's, never stack configuration. */
export const EXPECTED_SCOPE = PLATFORM_SCOPE;

/**
 * Pulumi's sentinels for values not known until deployment (the engine sends them to policy packs, the mock
 * runtime records them in preview). A rule treats them as "cannot judge yet", never as a violation.
 * Same strings as @pulumi/pulumi runtime/rpc and @pulumi/policy proxy.ts.
 */
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
]);

/** The value the adapters put where the engine had an unknown. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** A plain object (not an array, not null), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Tags as a map, whatever their shape: Azure resources and AWS roles take a map; Entra applications and service
 * principals take a list of strings, which the program writes as `key:value` (infra/azure/appRegistration.ts
 * applicationTags). In a list, the first entry of a key counts; entries without ":" and unknown entries are not
 * tags of this scheme and are skipped. Undefined when the value is neither a map nor a list.
 */
export function tagsOf(value: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(value)) return asRecord(value);
  const tags = new Map<string, string>();
  for (const entry of value) {
    if (typeof entry !== "string" || isUnknown(entry)) continue;
    const colon = entry.indexOf(":");
    if (colon <= 0) continue;
    const key = entry.slice(0, colon);
    if (!tags.has(key)) tags.set(key, entry.slice(colon + 1));
  }
  return Object.fromEntries(tags);
}

/** IAM's "string or list of strings" fields as a list (non-strings kept, so rules can name them). */
export function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** How a value is shown inside a message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : (JSON.stringify(value) ?? String(value));
}

export function limitsOf(context: Pick<PolicyContext, "limits">): BudgetLimits {
  return { ...BUDGET_LIMITS, ...context.limits };
}
