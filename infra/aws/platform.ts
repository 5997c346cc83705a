import * as iam from "@pulumi/aws/iam";
import * as s3 from "@pulumi/aws/s3";
import * as pulumi from "@pulumi/pulumi";
import type { Bucket, Manifest } from "../manifest/schema";
import type { Settings } from "../settings/schema";
import { bucketEncryptionRule, bucketResourceOptions, providerPlan } from "./model";
import { bucketTlsPolicyDocument } from "./policies";
import { validateAwsPlatform } from "./validate";

export const AWS_PLATFORM_TYPE = "skyporten:aws:AwsPlatform";

export interface AwsPlatformArgs {
  /** Validated stack settings (issuer, audience, `aws` section). */
  settings: Settings;
  /** The stack's manifest: its buckets are created or adopted, its partners decide whether a provider is needed. */
  manifest: Manifest;
  /** Tags of the provider and of created buckets. Default: `managed-by` and `skyporten-environment`. */
  tags?: Record<string, string>;
}

/** Default tags of the platform's AWS resources. */
export function platformTags(settings: Pick<Settings, "environment">): Record<string, string> {
  return { "managed-by": "skyporten-onboarding", "skyporten-environment": settings.environment };
}

/**
 * The stack's shared AWS resources: the Skyporten OIDC provider (created, adopted, or absent while no partner
 * needs it) and the manifest's S3 buckets with their security configuration.
 */
export class AwsPlatform extends pulumi.ComponentResource {
  /** ARN of the OIDC provider partner roles trust; undefined when the stack has none (see providerPlan). */
  public readonly providerArn: pulumi.Output<string> | undefined;
  /** ARN of every managed bucket, by bucket name. */
  public readonly bucketArns: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: AwsPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, even the component itself.
    validateAwsPlatform(args.settings, args.manifest);
    super(AWS_PLATFORM_TYPE, name, {}, opts);
    const { settings, manifest } = args;
    const tags = args.tags ?? platformTags(settings);

    const plan = providerPlan(settings, manifest);
    switch (plan.kind) {
      case "create": {
        const provider = new iam.OpenIdConnectProvider(
          `${name}-oidc-provider`,
          {
            url: plan.url,
            clientIdLists: plan.clientIds,
            // Omitted unless configured: IAM validates Skyporten's JWKS certificate against its trusted CAs.
            ...(plan.thumbprints.length > 0 ? { thumbprintLists: plan.thumbprints } : {}),
            tags,
          },
          { parent: this },
        );
        this.providerArn = provider.arn;
        break;
      }
      case "adopt": {
        // Only one provider per URL per account: reference the existing one read-only, so this stack can
        // neither change nor delete a provider other roles may rely on. Reading it also fails the preview when
        // the ARN does not exist.
        const existing = iam.OpenIdConnectProvider.get(`${name}-oidc-provider`, plan.arn, undefined, {
          parent: this,
        });
        const audience = settings.audience;
        existing.clientIdLists.apply((ids) => {
          if (!ids.includes(audience)) {
            void pulumi.log.warn(
              `the adopted OIDC provider ${plan.arn} does not list the audience "${audience}" as a client id; STS will reject partner tokens until it is added`,
              this,
            );
          }
        });
        this.providerArn = existing.arn;
        break;
      }
      case "none":
        this.providerArn = undefined;
        break;
    }

    this.bucketArns = {};
    if (settings.aws.enabled) {
      for (const bucket of manifest.buckets) {
        this.bucketArns[bucket.name] = this.bucket(name, bucket, settings.aws.region, tags);
      }
    }

    this.registerOutputs({ providerArn: this.providerArn, bucketArns: this.bucketArns });
  }

  /**
   * One bucket and its security configuration. The configuration resources are applied one after another:
   * S3 answers concurrent configuration writes to one bucket with 409 OperationAborted
   * (https://github.com/hashicorp/terraform-provider-aws/issues/7628, /issues/33552).
   */
  private bucket(
    name: string,
    bucket: Bucket,
    region: string,
    tags: Record<string, string>,
  ): pulumi.Output<string> {
    const logical = `${name}-bucket-${bucket.name}`;
    const keep = { protect: true, retainOnDelete: true } as const;
    const b = new s3.Bucket(
      logical,
      {
        bucket: bucket.name,
        region,
        // An imported bucket's inputs must match what exists, so adopted buckets keep their own tags.
        ...(bucket.adopt ? {} : { tags }),
      },
      { parent: this, ...bucketResourceOptions(bucket) },
    );
    const publicAccess = new s3.BucketPublicAccessBlock(
      `${logical}-public-access`,
      {
        bucket: b.bucket,
        region,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this, ...keep },
    );
    // BucketOwnerEnforced disables ACLs: every object belongs to the bucket owner, whoever uploaded it.
    const ownership = new s3.BucketOwnershipControls(
      `${logical}-ownership`,
      { bucket: b.bucket, region, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this, ...keep, dependsOn: [publicAccess] },
    );
    const encryption = new s3.BucketServerSideEncryptionConfiguration(
      `${logical}-encryption`,
      { bucket: b.bucket, region, rules: [bucketEncryptionRule(bucket)] },
      { parent: this, ...keep, dependsOn: [ownership] },
    );
    const versioning = new s3.BucketVersioning(
      `${logical}-versioning`,
      { bucket: b.bucket, region, versioningConfiguration: { status: "Enabled" } },
      { parent: this, ...keep, dependsOn: [encryption] },
    );
    // Note: PutBucketPolicy replaces the whole policy, also on an adopted bucket.
    new s3.BucketPolicy(
      `${logical}-policy`,
      {
        bucket: b.bucket,
        region,
        policy: pulumi.jsonStringify(bucketTlsPolicyDocument(region, bucket.name)),
      },
      { parent: this, ...keep, dependsOn: [versioning] },
    );
    return b.arn;
  }
}
