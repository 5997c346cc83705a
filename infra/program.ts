import * as pulumi from "@pulumi/pulumi";
import { AwsPlatform, awsPartnerOutputs, type AwsPartnerOutputs } from "./aws";
import { AzurePlatform } from "./azure/platform";
import type { Manifest, Partner } from "./manifest/schema";
import { partnerLogicalName } from "./naming";
import { SkyportenPartner } from "./partner";
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

export interface StackResult {
  partners: Record<string, PartnerOutput>;
}

/**
 * The whole stack from typed settings and manifest. Pure wiring: every decision is made by the functions the
 * components call. Offboarded partners get no resources, only an output entry saying so.
 */
export function defineStack(settings: Settings, manifest: Manifest): StackResult {
  const azure = new AzurePlatform("azure", { settings, containers: manifest.containers });
  const aws = settings.aws.enabled ? { platform: new AwsPlatform("aws", { settings, manifest }), buckets: manifest.buckets } : undefined;
  const account = settings.azure.storageAccountName;
  const partners: Record<string, PartnerOutput> = {};
  for (const partner of manifest.partners) {
    const base: PartnerOutput = {
      name: partner.name,
      status: partner.status,
      issuer: settings.issuer,
      subject: "",
      audience: settings.audience,
    };
    if (partner.status === "offboarded") {
      partners[partner.orgNumber] = base;
      continue;
    }
    const component = new SkyportenPartner(partnerLogicalName(partner.orgNumber), { settings, partner, azure, aws });
    base.subject = component.subject;
    if (component.identity !== undefined) {
      base.azure = {
        clientId: component.identity.clientId,
        principalId: component.identity.principalId,
        tenantId: settings.azure.tenantId,
        identityResourceId: component.identity.resourceId,
        storageAccount: account,
        blobEndpoint: `https://${account}.blob.core.windows.net`,
        dfsEndpoint: `https://${account}.dfs.core.windows.net`,
        grants: partner.azure,
      };
    }
    if (component.awsRoleArn !== undefined && aws?.platform.providerArn !== undefined) {
      base.aws = awsPartnerOutputs({ settings, partner, roleArn: component.awsRoleArn, providerArn: aws.platform.providerArn });
    }
    partners[partner.orgNumber] = base;
  }
  return { partners };
}
