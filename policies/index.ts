/**
 * Entry point of the policy pack: `pulumi preview --policy-pack policies` runs this file through
 * @pulumi/pulumi's run-policy-pack. Constructing the PolicyPack starts the gRPC server the engine talks to,
 * so nothing may import this module (tests and `npm run plan` use ./pack and ./rules instead).
 */
import * as pulumi from "@pulumi/pulumi";
import { PolicyPack } from "@pulumi/policy";
import { buildPolicies, contextFromStackConfig, PROJECT, type ContextResult } from "./pack";

let context: ContextResult | undefined;
/** Read once, on first use: the engine passes the stack's config to the pack process in its environment. */
function loadContext(): ContextResult {
  if (context === undefined) {
    const config = new pulumi.Config(PROJECT);
    context = contextFromStackConfig({ project: pulumi.getProject(), get: (key) => config.get(key) });
  }
  return context;
}

new PolicyPack(PROJECT, {
  description:
    "Guardrails for Skyporten partner onboarding: exact trust, least privilege, protected prod identities, and the limits that do not scale.",
  enforcementLevel: "mandatory",
  policies: buildPolicies(loadContext),
});
