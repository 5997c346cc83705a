import * as pulumi from "@pulumi/pulumi";
import { AwsPlatform, awsPartnerOutputs, providerPlan, validateAwsPlatform, type AwsPartnerOutputs } from "./aws";
import { planAcls, type PathAclPlan } from "./azure/acl";
import { AzurePlatform } from "./azure/platform";
import type { Manifest, Partner } from "./manifest/schema";
import { partnerLogicalName, subjectFor } from "./naming";
import { storageEndpoints } from "./partnerFacts";
import { checkPartner, SkyportenPartner } from "./partner";
import type { Settings } from "./settings/schema";

/** Per-partner stack output, keyed by org number: what the handover document needs. No secrets. */
export interface PartnerOutput {
  name: string;
  status: Partner["status"];
  issuer: string;
  subject: string;
  audience: string;
  azure?: {
    clientId: pulumi.Output<string>;
    principalId: pulumi.Output<string>;
    tenantId: string;
    identityResourceId: pulumi.Output<string>;
    storageAccount: string;
    blobEndpoint: string;
    dfsEndpoint: string;
    grants: Partner["azure"];
  };
  aws?: AwsPartnerOutputs;
}

/** Secrets read from config by the entry point (never in plain settings). */
export interface StackSecrets {
  /** skyporten-onboarding:adminPrivateKey, when maskinporten.manageScopeAccess is on. */
  maskinportenAdminKey?: pulumi.Output<string>;
}

export interface StackResult {
  partners: Record<string, PartnerOutput>;
}

/**
 * Let the event loop run once: every registration that can complete does, before the program goes on.
 * setImmediate, not a resolved promise: the SDK's registrations are chains of promises, and the event loop reaches
 * the check phase only when all of them that can settle have settled.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The whole stack from typed settings and manifest. Pure wiring: every decision is made by the functions the
 * components call. Offboarded partners get no resources, only an output entry saying so.
 *
 * Partners are built one at a time with a turn of the event loop after each. A resource's registration is a chain
 * of promises (its inputs, its parent's URN, the engine's answer); built in one synchronous loop, every partner's
 * chains would wait until the last partner is built, and at 1,000 partners that graph is most of the memory and,
 * through the garbage collector, most of the time of the offline plan (npm run bench: 880 -> 445 MiB, 7.7 -> 4.1 s).
 * With an engine, the registrations of one partner go out while the next is being built. Which resources are
 * registered, with which inputs, does not change (test/loadPath.test.ts compares them with the offline plan).
 *
 * Everything that can refuse a partner (checkPartner) runs for all of them before the first resource is built, the
 * platform's included: a refusal never comes after registrations have gone to the engine (validate first).
 */
export async function defineStack(settings: Settings, manifest: Manifest, secrets: StackSecrets = {}): Promise<StackResult> {
  // Every ACL decision up front (throws, naming the partner, when a path would exceed ADLS limits).
  const acls = planAcls(manifest);
  const aclsOf = new Map<string, PathAclPlan[]>();
  for (const a of acls) {
    if (a.owner.kind !== "partner") continue;
    const own = aclsOf.get(a.owner.orgNumber);
    if (own === undefined) aclsOf.set(a.owner.orgNumber, [a]);
    else own.push(a);
  }
  const built = manifest.partners.filter((partner) => partner.status !== "offboarded");
  const awsFacts = settings.aws.enabled
    ? { buckets: manifest.buckets, hasProvider: providerPlan(settings, manifest).kind !== "none" }
    : undefined;
  for (const partner of built) {
    checkPartner({ settings, partner, acls: aclsOf.get(partner.orgNumber) ?? [], maskinportenAdminKey: secrets.maskinportenAdminKey, aws: awsFacts });
  }
  // AwsPlatform's own check (e.g. an adopted provider ARN of another account), before the Azure platform is built.
  if (settings.aws.enabled) validateAwsPlatform(settings, manifest);

  const azure = new AzurePlatform("azure", { settings, containers: manifest.containers, acls });
  const aws = settings.aws.enabled ? { platform: new AwsPlatform("aws", { settings, manifest }), buckets: manifest.buckets } : undefined;
  const account = settings.azure.storageAccountName;
  const partners: Record<string, PartnerOutput> = {};
  for (const partner of manifest.partners) partners[partner.orgNumber] = partnerOutputBase(settings, partner);
  for (const partner of built) {
    const base = partners[partner.orgNumber]!;
    const component = new SkyportenPartner(partnerLogicalName(partner.orgNumber), {
      settings,
      partner,
      azure,
      acls: aclsOf.get(partner.orgNumber) ?? [],
      maskinportenAdminKey: secrets.maskinportenAdminKey,
      aws,
    });
    if (component.identity !== undefined) {
      base.azure = {
        clientId: component.identity.clientId,
        principalId: component.identity.principalId,
        tenantId: settings.azure.tenantId,
        identityResourceId: component.identity.resourceId,
        storageAccount: account,
        ...storageEndpoints(account),
        grants: partner.azure,
      };
    }
    if (component.awsRoleArn !== undefined && aws?.platform.providerArn !== undefined) {
      base.aws = awsPartnerOutputs({ settings, partner, roleArn: component.awsRoleArn, providerArn: aws.platform.providerArn });
    }
    await nextTurn();
  }
  return { partners };
}

/** What every partner's output entry says, whatever its status. */
function partnerOutputBase(settings: Settings, partner: Partner): PartnerOutput {
  return {
    name: partner.name,
    status: partner.status,
    issuer: settings.issuer,
    subject: subjectFor(partner.orgNumber, settings.scope),
    audience: settings.audience,
  };
}
