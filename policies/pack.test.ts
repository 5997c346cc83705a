import type {
  PolicyResource as EngineResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { buildPolicies, contextFromStackConfig, toPlain, type ContextResult } from "./pack";
import { unknownCheckingProxy, UnknownValueError } from "./sdkInternals";
import {
  AUDIENCE,
  bucket,
  credential,
  iamRole,
  identity,
  ORG,
  rolePolicy,
  tags,
  trustDocument,
} from "./rules/fixtures";
import { UNKNOWN, type PolicyResource } from "./rules/types";

/**
 * The CrossGuard adapter, driven the way the engine drives it: ResourceValidationArgs / StackValidationArgs with
 * props behind @pulumi/policy's own unknown-checking proxy, stack tags, policy config and notApplicable.
 * policies/index.ts is never imported (constructing the PolicyPack starts a gRPC server).
 */

class NotApplicable extends Error {}

const STACK_TAGS: ReadonlyMap<string, string> = new Map([
  ["pulumi:project", "skyporten-onboarding"],
  ["pulumi:runtime", "nodejs"],
]);

const TEST: ContextResult = { ok: true, context: { environment: "test", nameKey: "test", audience: AUDIENCE } };
const PROD: ContextResult = { ok: true, context: { environment: "prod", nameKey: "prod", audience: AUDIENCE } };

function opts(r: PolicyResource) {
  return {
    protect: r.protect,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
}

function resourceArgs(r: PolicyResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
  return {
    type: r.type,
    props: unknownCheckingProxy(r.props),
    urn: r.urn,
    name: r.name,
    opts: opts(r),
    stackTags: STACK_TAGS,
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

function stackArgs(resources: PolicyResource[], config: Record<string, unknown> = {}): StackValidationArgs {
  const engineResources: EngineResource[] = resources.map((r) => ({
    type: r.type,
    props: unknownCheckingProxy(r.props),
    urn: r.urn,
    name: r.name,
    opts: opts(r),
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  return {
    resources: engineResources,
    stackTags: STACK_TAGS,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

function policy<P extends ResourceValidationPolicy | StackValidationPolicy>(
  name: string,
  context: ContextResult = TEST,
): P {
  const found = buildPolicies(() => context).find((p) => p.name === name);
  if (found === undefined) throw new Error(`no policy ${name}`);
  return found as P;
}

type Report = [message: string, urn?: string];

async function validateResource(
  name: string,
  r: PolicyResource,
  context: ContextResult = TEST,
  config: Record<string, unknown> = {},
): Promise<Report[]> {
  const p = policy<ResourceValidationPolicy>(name, context);
  const reports: Report[] = [];
  const validate = p.validateResource;
  if (validate === undefined || Array.isArray(validate))
    throw new Error("expected one validateResource function");
  await validate(resourceArgs(r, config), (message, urn) =>
    reports.push(urn === undefined ? [message] : [message, urn]),
  );
  return reports;
}

async function validateStack(
  name: string,
  resources: PolicyResource[],
  context: ContextResult = TEST,
  config: Record<string, unknown> = {},
): Promise<Report[]> {
  const p = policy<StackValidationPolicy>(name, context);
  const reports: Report[] = [];
  await p.validateStack(stackArgs(resources, config), (message, urn) =>
    reports.push(urn === undefined ? [message] : [message, urn]),
  );
  return reports;
}

describe("policy pack adapter", () => {
  it("exposes every rule with its name, description, enforcement level and config schema", () => {
    const policies = buildPolicies(() => TEST);
    expect(
      policies.map((p) => [p.name, p.enforcementLevel, "validateStack" in p ? "stack" : "resource"]),
    ).toEqual([
      ["skyporten-federated-credential", "mandatory", "resource"],
      ["skyporten-role-assignment", "mandatory", "resource"],
      ["skyporten-aws-trust-policy", "mandatory", "resource"],
      ["skyporten-aws-s3-policy", "mandatory", "stack"],
      ["skyporten-prod-identity-protected", "mandatory", "resource"],
      ["skyporten-required-tags", "mandatory", "resource"],
      ["skyporten-tag-values", "mandatory", "stack"],
      ["skyporten-stack-budgets", "mandatory", "stack"],
      ["skyporten-unique-resource-names", "mandatory", "stack"],
    ]);
    expect(policies.every((p) => p.description.length > 40)).toBe(true);
    expect(
      policies
        .filter((p) => p.configSchema !== undefined)
        .map((p) => [p.name, Object.keys(p.configSchema?.properties ?? {})]),
    ).toEqual([
      ["skyporten-aws-s3-policy", ["declaredBuckets"]],
      ["skyporten-stack-budgets", ["trustPolicyMaxChars"]],
    ]);
  });

  it("passes a compliant resource and reports a violation with its exact message", async () => {
    expect(await validateResource("skyporten-federated-credential", credential())).toEqual([]);
    expect(
      await validateResource(
        "skyporten-federated-credential",
        credential({ audiences: ["https://other.example.no"] }),
      ),
    ).toEqual([[`audience "https://other.example.no" is not the stack's audience "${AUDIENCE}"`]]);
  });

  it("marks other resource types not applicable", async () => {
    await expect(validateResource("skyporten-federated-credential", identity())).rejects.toThrow(
      new NotApplicable(
        "applies to azure-native:managedidentity:FederatedIdentityCredential, azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential only",
      ),
    );
  });

  it("reads unknown preview values as unknown, so the other checks of the resource still run", async () => {
    const r = credential({ issuer: UNKNOWN, subject: "0192:917422575" });
    // This is what a rule reading the engine's props directly would hit: the whole policy aborted.
    expect(() => unknownCheckingProxy(r.props).issuer).toThrow(UnknownValueError);
    expect(await validateResource("skyporten-federated-credential", r)).toEqual([
      [
        'subject "0192:917422575" is not of the form "0192:<organization number>;banenor:payloadmanager.storage" (Skyporten puts the scope after a semicolon; the older "0192:<organization number>" form never matches)',
      ],
    ]);
  });

  it("copies nested proxied values, unknown array elements included", () => {
    const proxied = unknownCheckingProxy({ a: [1, UNKNOWN, { b: UNKNOWN, c: "x" }], d: { e: null } });
    expect(toPlain(proxied)).toEqual({ a: [1, UNKNOWN, { b: UNKNOWN, c: "x" }], d: { e: null } });
  });

  it("reads protect from the resource options", async () => {
    const prodIdentity = (protect: boolean) =>
      identity({ resourceName: `id-skyporten-prod-${ORG}`, tags: tags({ environment: "prod" }) }, protect);
    expect(await validateResource("skyporten-prod-identity-protected", prodIdentity(true), PROD)).toEqual([]);
    expect(await validateResource("skyporten-prod-identity-protected", prodIdentity(false), PROD)).toEqual([
      [
        `prod identity "id-skyporten-prod-${ORG}" (partner-status "active") is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`,
      ],
    ]);
  });

  it("reports stack violations against the resource at fault", async () => {
    const stray = rolePolicy(
      [{ Sid: "Stray", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::other-bucket/x/*" }],
      "stray",
    );
    const message =
      'statement "Stray" resource "arn:aws:s3:::other-bucket/x/*" is in bucket "other-bucket", which is not declared (declared: banenor-payload-test)';
    expect(await validateStack("skyporten-aws-s3-policy", [bucket(), rolePolicy()])).toEqual([]);
    expect(await validateStack("skyporten-aws-s3-policy", [bucket(), rolePolicy(), stray])).toEqual([
      [message, stray.urn],
    ]);
  });

  it("takes declaredBuckets from the policy pack config", async () => {
    const config = { declaredBuckets: ["other-bucket"] };
    const message =
      'statement "ReadObjects" resource "arn:aws:s3:::banenor-payload-test/entur/*" is in bucket "banenor-payload-test", which is not declared (declared: other-bucket)';
    const reports = await validateStack("skyporten-aws-s3-policy", [bucket(), rolePolicy()], TEST, config);
    expect(reports.map(([m]) => m)).toContain(message);
  });

  it("takes the trust policy quota from the policy pack config", async () => {
    const long = iamRole([trustDocument({ Sid: "x".repeat(2100) })]);
    expect(await validateStack("skyporten-stack-budgets", [long])).toHaveLength(1);
    expect(
      await validateStack("skyporten-stack-budgets", [long], TEST, { trustPolicyMaxChars: 4096 }),
    ).toEqual([]);
  });

  it("reports stack-wide violations without a urn", async () => {
    const fics = Array.from({ length: 21 }, (_, i) =>
      credential({ resourceName: "id-elsewhere" }, `fic-${i}`),
    );
    expect(await validateStack("skyporten-stack-budgets", fics)).toEqual([
      [
        'identity "id-elsewhere" has 21 federated identity credentials; Entra ID allows at most 20 per identity',
      ],
    ]);
  });

  it("is not applicable to another project, and fails loudly on a misconfigured stack", async () => {
    const other = contextFromStackConfig({ project: "another-project", get: () => "test" });
    await expect(validateResource("skyporten-required-tags", identity(), other)).rejects.toThrow(
      new NotApplicable(
        'this pack guards the skyporten-onboarding project only (this stack\'s project is "another-project")',
      ),
    );
    await expect(validateStack("skyporten-stack-budgets", [], other)).rejects.toThrow(NotApplicable);

    const broken = contextFromStackConfig({ project: "skyporten-onboarding", get: () => undefined });
    await expect(validateResource("skyporten-required-tags", identity(), broken)).rejects.toThrow(
      new Error(
        'stack config "skyporten-onboarding:environment" is not set; the policy pack needs test or prod (it selects the Skyporten issuer): set it in Pulumi.<stack>.yaml',
      ),
    );
  });
});

describe("contextFromStackConfig", () => {
  const source = (values: Record<string, string>, project = "skyporten-onboarding") => ({
    project,
    get: (k: string) => values[k],
  });

  it("reads environment and audience from the stack config", () => {
    expect(
      contextFromStackConfig(source({ environment: "prod", audience: AUDIENCE, scope: "ignored" })),
    ).toEqual(PROD);
    // The engine may not name the project (older CLIs): the config decides.
    expect(contextFromStackConfig(source({ environment: "test", audience: AUDIENCE }, ""))).toEqual(TEST);
  });

  it("reads nameKey like the program: the environment by default, the same rule when set", () => {
    expect(contextFromStackConfig(source({ environment: "test", nameKey: "dev", audience: AUDIENCE }))).toEqual({
      ok: true,
      context: { environment: "test", nameKey: "dev", audience: AUDIENCE },
    });
    expect(contextFromStackConfig(source({ environment: "test", nameKey: "Dev-1", audience: AUDIENCE }))).toEqual({
      ok: false,
      applicable: true,
      reason:
        'stack config "skyporten-onboarding:nameKey": "Dev-1" is not a name key: use 2-12 lowercase letters and digits starting with a letter, e.g. dev (it enters every resource name; without it names use the environment); fix it in Pulumi.<stack>.yaml',
    });
    expect(contextFromStackConfig(source({ environment: "test", nameKey: "prod", audience: AUDIENCE }))).toEqual({
      ok: false,
      applicable: true,
      reason:
        'stack config "skyporten-onboarding:nameKey": "prod" is the prod environment\'s name, which the prod stack\'s resources are named with; this stack\'s environment is test, so its resources would take the prod stack\'s names: use another key, e.g. dev, or remove nameKey to use test; fix it in Pulumi.<stack>.yaml',
    });
  });

  it("names the key and the fix when config is wrong", () => {
    expect(contextFromStackConfig(source({ environment: "staging", audience: AUDIENCE }))).toEqual({
      ok: false,
      applicable: true,
      reason:
        'stack config "skyporten-onboarding:environment" is "staging"; the policy pack needs test or prod (it selects the Skyporten issuer): set it in Pulumi.<stack>.yaml',
    });
    expect(contextFromStackConfig(source({ environment: "test" }))).toEqual({
      ok: false,
      applicable: true,
      reason:
        'stack config "skyporten-onboarding:audience" is not set; the policy pack checks every credential and trust policy against it: set it in Pulumi.<stack>.yaml',
    });
  });
});
