import * as pulumi from "@pulumi/pulumi";
import type { Access, Partner } from "../manifest/schema";
import type { Settings } from "../settings/schema";
import { sortedGrants } from "./model";

/** One granted prefix, as the partner's handover document shows it. */
export interface AwsGrantOutput {
  bucket: string;
  prefix: string;
  access: Access;
}

/** Per-partner AWS stack outputs: what the partner configures (role and provider ARN, region) and may reach. */
export interface AwsPartnerOutputs {
  roleArn: pulumi.Output<string>;
  providerArn: pulumi.Output<string>;
  region: string;
  grants: AwsGrantOutput[];
}

export interface AwsPartnerOutputsArgs {
  settings: Pick<Settings, "aws">;
  partner: Pick<Partner, "aws">;
  /** PartnerAwsRole.roleArn. */
  roleArn: pulumi.Input<string>;
  /** AwsPlatform.providerArn. */
  providerArn: pulumi.Input<string>;
}

/** The stack-output shape of one partner's AWS access (grants sorted by bucket, then prefix). */
export function awsPartnerOutputs(args: AwsPartnerOutputsArgs): AwsPartnerOutputs {
  return {
    roleArn: pulumi.output(args.roleArn),
    providerArn: pulumi.output(args.providerArn),
    region: args.settings.aws.region,
    grants: sortedGrants(args.partner.aws).map((g) => ({
      bucket: g.bucket,
      prefix: g.prefix,
      access: g.access,
    })),
  };
}
