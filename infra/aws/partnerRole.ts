import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import type { Bucket, Partner } from "../manifest/schema";
import { awsRoleName } from "../naming";
import type { Settings } from "../settings/schema";
import { needsAwsRole } from "./model";
import { permissionPolicyDocument, trustPolicyDocument } from "./policies";
import { validateAwsPartner } from "./validate";

export const PARTNER_AWS_ROLE_TYPE = "skyporten:aws:PartnerAwsRole";

/** Name of the role's one inline policy. */
export const S3_POLICY_NAME = "skyporten-s3-access";

export interface PartnerAwsRoleArgs {
  /** Validated stack settings: issuer, audience, scope, `aws.rolePath`, `aws.maxSessionDurationSeconds`. */
  settings: Settings;
  /** The partner: must be active with at least one AWS grant (suspended and offboarded partners have no role). */
  partner: Partner;
  /** The manifest's buckets (each granted bucket must be among them; their KMS keys go into the policy). */
  buckets: Bucket[];
  /** ARN of the stack's Skyporten OIDC provider (AwsPlatform.providerArn). */
  providerArn: pulumi.Input<string>;
  /** Tags of the role: the same as the partner's Azure identity. */
  tags: Record<string, string>;
}

/**
 * A partner's web-identity role: trusted for exactly its Skyporten subject and the stack's audience, with one
 * inline policy limited to its granted bucket prefixes. The role name derives from the organization number,
 * so its ARN survives removal (suspension) and re-creation.
 */
export class PartnerAwsRole extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;

  constructor(name: string, args: PartnerAwsRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, even the component itself.
    if (!needsAwsRole(args.partner)) {
      throw new Error(
        `partner ${args.partner.orgNumber}: PartnerAwsRole is only for active partners with AWS grants (status "${args.partner.status}", ${args.partner.aws.length} AWS grants); create it only when needsAwsRole(partner) is true`,
      );
    }
    validateAwsPartner({ settings: args.settings, partner: args.partner, buckets: args.buckets });
    super(PARTNER_AWS_ROLE_TYPE, name, {}, opts);
    const { settings, partner } = args;

    const trust = pulumi.output(args.providerArn).apply((providerArn) =>
      trustPolicyDocument({
        providerArn,
        issuer: settings.issuer,
        audience: settings.audience,
        orgNumber: partner.orgNumber,
        scope: settings.scope,
      }),
    );
    const role = new iam.Role(
      `${name}-role`,
      {
        name: awsRoleName(settings.nameKey, partner.orgNumber),
        path: settings.aws.rolePath,
        description: `Skyporten web identity of organization ${partner.orgNumber} (${settings.environment}); managed by skyporten-onboarding`,
        assumeRolePolicy: pulumi.jsonStringify(trust),
        maxSessionDuration: settings.aws.maxSessionDurationSeconds,
        tags: args.tags,
      },
      { parent: this },
    );
    new iam.RolePolicy(
      `${name}-s3-policy`,
      {
        role: role.id,
        name: S3_POLICY_NAME,
        policy: pulumi.jsonStringify(
          permissionPolicyDocument({
            grants: partner.aws,
            buckets: args.buckets,
            region: settings.aws.region,
          }),
        ),
      },
      { parent: this },
    );

    this.roleArn = role.arn;
    this.roleName = role.name;
    this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
  }
}
