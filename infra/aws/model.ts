import type { AwsGrant, Bucket, Manifest, Partner } from "../manifest/schema";
import { awsRoleName, issuerHost } from "../naming";
import type { Settings } from "../settings/schema";

/**
 * The AWS access model as plain data: partitions, ARNs, whether the stack needs an OIDC provider, and how the
 * manifest's buckets are configured. Components only turn these decisions into resources.
 */

/** AWS partition and DNS suffix of a region (ARNs and service endpoints differ outside the commercial partition). */
export function partitionOf(region: string): { partition: string; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (/^[a-z]{2}-gov-/.test(region)) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

/** `arn:<partition>:s3:::<bucket>`: S3 bucket ARNs carry neither region nor account. */
export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

/** The ARN pattern of every object under a prefix (the prefix ends with "/", so "abc/" never matches "abcd/"). */
export function prefixObjectsArn(partition: string, bucket: string, prefix: string): string {
  return `${bucketArn(partition, bucket)}/${prefix}*`;
}

/**
 * The URL the IAM OIDC provider is registered with: the Skyporten issuer, exactly (no trailing slash). STS
 * compares it with the token's `iss`, and IAM derives the provider ARN and the condition-key prefix from it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
 */
export function providerUrl(settings: Pick<Settings, "issuer">): string {
  return settings.issuer;
}

/** The provider's client id list: the stack's one audience (STS checks the token's `aud` against this list). */
export function providerClientIds(settings: Pick<Settings, "audience">): string[] {
  return [settings.audience];
}

/** The ARN IAM gives an OIDC provider for the stack's issuer: `arn:<partition>:iam::<account>:oidc-provider/<host>`. */
export function expectedProviderArn(settings: Pick<Settings, "issuer" | "aws">): string {
  const { partition } = partitionOf(settings.aws.region);
  return `arn:${partition}:iam::${settings.aws.accountId}:oidc-provider/${issuerHost(providerUrl(settings))}`;
}

/** The provider ARN roles trust: the adopted one from config, or the one IAM gives the provider this stack creates. */
export function providerArnFor(settings: Pick<Settings, "issuer" | "aws">): string {
  return settings.aws.oidcProviderArn ?? expectedProviderArn(settings);
}

/** Does the partner get a web-identity role? Only active partners with AWS grants (suspended/offboarded: none). */
export function needsAwsRole(partner: Pick<Partner, "status" | "aws">): boolean {
  return partner.status === "active" && partner.aws.length > 0;
}

/**
 * The partner's role ARN. It is name-based, so a partner reinstated after suspension gets the same ARN back
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
 */
export function awsRoleArnFor(settings: Pick<Settings, "nameKey" | "aws">, orgNumber: string): string {
  const { partition } = partitionOf(settings.aws.region);
  return `arn:${partition}:iam::${settings.aws.accountId}:role${settings.aws.rolePath}${awsRoleName(settings.nameKey, orgNumber)}`;
}

export type ProviderPlan =
  | { kind: "none"; reason: string }
  | { kind: "adopt"; arn: string }
  | { kind: "create"; url: string; clientIds: string[]; thumbprints: string[] };

/**
 * What the stack does about the Skyporten OIDC provider. An account can hold only one provider per URL, so an
 * existing one (e.g. created by hand) is adopted by ARN rather than created a second time. Otherwise the
 * provider exists while some partner that is not offboarded has AWS grants (a suspended partner keeps the
 * provider so reinstating it changes nothing shared), or when `aws.alwaysCreateProvider` says so.
 */
export function providerPlan(
  settings: Pick<Settings, "issuer" | "audience" | "aws">,
  manifest: Pick<Manifest, "partners">,
): ProviderPlan {
  if (!settings.aws.enabled) return { kind: "none", reason: "aws.enabled is false" };
  if (settings.aws.oidcProviderArn !== undefined) return { kind: "adopt", arn: settings.aws.oidcProviderArn };
  const used = manifest.partners.some((p) => p.status !== "offboarded" && p.aws.length > 0);
  if (!used && !settings.aws.alwaysCreateProvider) {
    return { kind: "none", reason: "no partner has AWS grants and aws.alwaysCreateProvider is false" };
  }
  return {
    kind: "create",
    url: providerUrl(settings),
    clientIds: providerClientIds(settings),
    // AWS no longer needs thumbprints: it validates the JWKS endpoint's certificate against trusted CAs
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html).
    thumbprints: settings.aws.thumbprints,
  };
}

/** Grants in a stable order (bucket, then prefix), so the policy document never changes with manifest order. */
export function sortedGrants(grants: readonly AwsGrant[]): AwsGrant[] {
  return [...grants].sort((a, b) =>
    a.bucket === b.bucket ? cmp(a.prefix, b.prefix) : cmp(a.bucket, b.bucket),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The default encryption rule of a bucket: SSE-KMS with its own key when the manifest names one, else SSE-S3. */
export function bucketEncryptionRule(bucket: Pick<Bucket, "kmsKeyArn">): {
  applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" | "aws:kms"; kmsMasterKeyId?: string };
  bucketKeyEnabled: boolean;
} {
  if (bucket.kmsKeyArn === undefined) {
    return { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: false };
  }
  // S3 Bucket Keys cut KMS requests (and cost) per object; partners still need kms:Decrypt/GenerateDataKey on
  // the key (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
  return {
    applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: bucket.kmsKeyArn },
    bucketKeyEnabled: true,
  };
}

/**
 * Resource options of a bucket and of its security configuration. Data is never deleted by an onboarding change
 * (design.md): `protect` makes a removal fail the update, `retainOnDelete` keeps the cloud resource even when
 * the protection is lifted. An adopted bucket is imported by name (the import id of aws.s3.Bucket).
 */
export function bucketResourceOptions(bucket: Pick<Bucket, "name" | "adopt">): {
  protect: true;
  retainOnDelete: true;
  import?: string;
} {
  return bucket.adopt
    ? { protect: true, retainOnDelete: true, import: bucket.name }
    : { protect: true, retainOnDelete: true };
}
