import type {
  Policies,
  PolicyConfigSchema,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { ENVIRONMENTS, nameKeyProblem, type Environment } from "../infra/settings/schema";
import { RULES } from "./rules";
import { UnknownValueError } from "./sdkInternals";
import {
  UNKNOWN,
  type PolicyContext,
  type PolicyResource,
  type ResourceRule,
  type Rule,
  type StackRule,
} from "./rules/types";

/**
 * The CrossGuard adapter: turns the pure rules (./rules) into @pulumi/policy policies. It never constructs the
 * PolicyPack (./index.ts does: that starts the gRPC server the engine talks to), so tests import this module.
 */

/** The project this pack guards; its stack config (Pulumi.<stack>.yaml) is where the pack reads the context. */
export const PROJECT = "skyporten-onboarding";

/** What the pack reads from the stack it runs against. index.ts fills it from `pulumi.getProject()` and `pulumi.Config`. */
export interface StackConfigSource {
  /** `pulumi.getProject()`: "" when the engine did not say. */
  project: string;
  /** A key of the project namespace, e.g. `environment` for `skyporten-onboarding:environment`. */
  get(key: string): string | undefined;
}

export type ContextResult =
  | { ok: true; context: PolicyContext }
  | { ok: false; applicable: false; reason: string }
  | { ok: false; applicable: true; reason: string };

/**
 * The context from the same stack settings the program reads. Pulumi hands a policy pack the stack's config
 * (PULUMI_CONFIG) and project/stack names (https://github.com/pulumi/pulumi/pull/3612), so the environment and
 * audience are never configured twice; the issuer follows from the environment (SKYPORTEN_ISSUERS). The name key
 * is the program's: `nameKey` when set (and valid, by the settings' own rule), else the environment.
 */
export function contextFromStackConfig(source: StackConfigSource): ContextResult {
  if (source.project !== "" && source.project !== PROJECT) {
    return {
      ok: false,
      applicable: false,
      reason: `this pack guards the ${PROJECT} project only (this stack's project is "${source.project}")`,
    };
  }
  const environment = source.get("environment");
  if (environment === undefined || !(ENVIRONMENTS as readonly string[]).includes(environment)) {
    return {
      ok: false,
      applicable: true,
      reason: `stack config "${PROJECT}:environment" is ${environment === undefined ? "not set" : `"${environment}"`}; the policy pack needs test or prod (it selects the Skyporten issuer): set it in Pulumi.<stack>.yaml`,
    };
  }
  const audience = source.get("audience");
  if (audience === undefined || audience === "") {
    return {
      ok: false,
      applicable: true,
      reason: `stack config "${PROJECT}:audience" is not set; the policy pack checks every credential and trust policy against it: set it in Pulumi.<stack>.yaml`,
    };
  }
  const env = environment as Environment;
  const nameKey = source.get("nameKey") ?? env;
  const problem = nameKeyProblem(env, nameKey);
  if (problem !== undefined) {
    return {
      ok: false,
      applicable: true,
      reason: `stack config "${PROJECT}:nameKey": ${problem}; fix it in Pulumi.<stack>.yaml`,
    };
  }
  return { ok: true, context: { environment: env, nameKey, audience } };
}

/**
 * Per-policy settings of `pulumi preview --policy-pack policies --policy-pack-config <file>`: JSON Schema that the
 * engine validates (and fills defaults from), and how each setting enters the context.
 */
interface PolicySettings {
  configSchema: PolicyConfigSchema;
  apply(config: Record<string, unknown>, context: PolicyContext): PolicyContext;
}

const POLICY_SETTINGS: Readonly<Record<string, PolicySettings>> = {
  "skyporten-aws-s3-policy": {
    configSchema: {
      properties: {
        declaredBuckets: {
          type: "array",
          items: { type: "string" },
          description:
            "Bucket names partner policies may name. Default: the S3 buckets registered in the stack.",
        },
      },
    },
    apply: (config, context) =>
      Array.isArray(config.declaredBuckets)
        ? {
            ...context,
            declaredBuckets: config.declaredBuckets.filter((b): b is string => typeof b === "string"),
          }
        : context,
  },
  "skyporten-stack-budgets": {
    configSchema: {
      properties: {
        trustPolicyMaxChars: {
          type: "integer",
          minimum: 1,
          maximum: 4096,
          default: 2048,
          description:
            "The account's IAM role trust policy length quota (2,048 by default, up to 4,096 through Service Quotas).",
        },
      },
    },
    apply: (config, context) =>
      typeof config.trustPolicyMaxChars === "number"
        ? { ...context, limits: { ...context.limits, trustPolicyChars: config.trustPolicyMaxChars } }
        : context,
  },
};

/**
 * A deep plain copy of engine props. @pulumi/policy hands props behind a proxy that throws UnknownValueError
 * when a value unknown in preview is read (aborting the whole policy with "can't run policy during preview");
 * the copy puts Pulumi's unknown sentinel there instead, which the rules treat as "cannot judge yet", so the
 * other checks of the same resource still run.
 */
export function toPlain(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const read = (key: string | number): unknown => {
    try {
      return toPlain((value as Record<string | number, unknown>)[key]);
    } catch (e) {
      if (e instanceof UnknownValueError) return UNKNOWN;
      throw e;
    }
  };
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(i));
  return Object.fromEntries(Object.keys(value).map((k) => [k, read(k)]));
}

/** The neutral shape of an engine resource (ResourceValidationArgs or a StackValidationArgs resource). */
export function toPolicyResource(
  r: Pick<ResourceValidationArgs, "type" | "name" | "urn" | "opts" | "props">,
): PolicyResource {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    protect: r.opts.protect,
    props: toPlain(r.props) as Record<string, unknown>,
  };
}

type ContextArgs = Pick<ResourceValidationArgs, "getConfig" | "notApplicable">;

function contextFor(rule: Rule, load: () => ContextResult, args: ContextArgs): PolicyContext {
  const result = load();
  if (!result.ok) {
    if (!result.applicable) args.notApplicable(result.reason);
    // A misconfigured stack fails the preview loudly rather than passing unchecked.
    throw new Error(result.reason);
  }
  const settings = POLICY_SETTINGS[rule.name];
  return settings === undefined
    ? result.context
    : settings.apply(args.getConfig<Record<string, unknown>>(), result.context);
}

function metadata(rule: Rule) {
  const settings = POLICY_SETTINGS[rule.name];
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: rule.enforcementLevel,
    ...(settings === undefined ? {} : { configSchema: settings.configSchema }),
  };
}

export function resourcePolicy(rule: ResourceRule, load: () => ContextResult): ResourceValidationPolicy {
  return {
    ...metadata(rule),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!rule.resourceTypes.includes(args.type))
        args.notApplicable(`applies to ${rule.resourceTypes.join(", ")} only`);
      const context = contextFor(rule, load, args);
      for (const message of rule.validate(toPolicyResource(args), context)) report(message);
    },
  };
}

export function stackPolicy(rule: StackRule, load: () => ContextResult): StackValidationPolicy {
  return {
    ...metadata(rule),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const context = contextFor(rule, load, args);
      for (const v of rule.validate(args.resources.map(toPolicyResource), context)) {
        if (v.urn === null) report(v.message);
        else report(v.message, v.urn);
      }
    },
  };
}

/** Every rule as a CrossGuard policy; `load` is called on each validation (index.ts memoizes it). */
export function buildPolicies(load: () => ContextResult): Policies {
  return RULES.map((rule) =>
    rule.kind === "resource" ? resourcePolicy(rule, load) : stackPolicy(rule, load),
  );
}
