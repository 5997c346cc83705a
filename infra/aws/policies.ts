import type { Access, AwsGrant, Bucket } from "../manifest/schema";
import { issuerHost, subjectFor } from "../naming";
import { bucketArn, partitionOf, prefixObjectsArn, sortedGrants } from "./model";

/**
 * IAM policy documents as plain data. Every function here is pure: the components serialize the result with
 * `pulumi.jsonStringify`, the tests feed it to an independent IAM evaluator, and `policySize` measures it.
 */

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { Federated: string } | { AWS: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * IAM's size quotas, counted in characters without white space
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a role trust policy may have
 * 2,048 by default (raisable to 4,096 through Service Quotas), and all inline policies of one role together
 * 10,240 (not raisable). The program sends minified JSON, so its length is an upper bound of IAM's count.
 */
export const TRUST_POLICY_MAX_CHARS = 2048;
export const ROLE_INLINE_POLICY_MAX_CHARS = 10240;

/** Characters of a policy as sent to IAM: its minified JSON. */
export function policySize(doc: PolicyDocument | string): number {
  const parsed: unknown = typeof doc === "string" ? JSON.parse(doc) : doc;
  return JSON.stringify(parsed).length;
}

export interface TrustPolicyArgs {
  /** ARN of the stack's Skyporten OIDC provider (created or adopted). */
  providerArn: string;
  /** The stack's Skyporten issuer, exact (no trailing slash): its host is the condition-key prefix. */
  issuer: string;
  /** The stack's audience: what partners send as `resource` to Skyporten, and so the token's `aud`. */
  audience: string;
  /** The partner's organization number. */
  orgNumber: string;
  /** The platform's Maskinporten scope; Skyporten appends it to `sub`. */
  scope: string;
}

/**
 * The trust policy of a partner's role: web identity from the Skyporten provider, for exactly this
 * organization's subject and the stack's audience.
 *
 * - `StringEquals` with single values, never `StringLike`, wildcards or set operators: one organization, one
 *   subject, byte for byte.
 * - Only `<host>:sub` and `<host>:aud`: for generic OIDC providers those are the only claim keys IAM supports
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif);
 *   a `:scope` condition would silently never match, which is why Skyporten carries the scope inside `sub`.
 */
export function trustPolicyDocument(args: TrustPolicyArgs): PolicyDocument {
  const host = issuerHost(args.issuer);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "SkyportenWebIdentity",
        Effect: "Allow",
        Principal: { Federated: args.providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${host}:sub`]: subjectFor(args.orgNumber, args.scope),
            [`${host}:aud`]: args.audience,
          },
        },
      },
    ],
  };
}

export interface PermissionPolicyArgs {
  /** The partner's AWS grants. */
  grants: readonly AwsGrant[];
  /** The manifest's buckets: the source of each granted bucket's KMS key. */
  buckets: readonly Pick<Bucket, "name" | "kmsKeyArn">[];
  /** The stack's AWS region (partition of the ARNs, and the S3 endpoint KMS calls must come through). */
  region: string;
}

const READS: ReadonlySet<Access> = new Set<Access>(["read", "read-write"]);
const WRITES: ReadonlySet<Access> = new Set<Access>(["write", "read-write"]);

/**
 * The partner's inline S3 policy, least privilege (domain.md, AWS side):
 *
 * - read:  `s3:GetObject` on `<bucket>/<prefix>*`, and `s3:ListBucket` on the bucket only for list requests
 *          whose `s3:prefix` lies under a granted prefix (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html).
 *          A request without a prefix (the bucket root) has no `s3:prefix` and does not match.
 * - write: `s3:PutObject` (which also covers the multipart create/upload/complete calls) and
 *          `s3:AbortMultipartUpload` on `<bucket>/<prefix>*`; no listing (a drop box, as on Azure).
 * - read-write: both. Nothing else: no `s3:*`, no bucket-level writes, no delete, no other bucket.
 * - A bucket with a customer-managed KMS key adds, on that key only and only through S3 in the stack's
 *   region (`kms:ViaService`): `kms:Decrypt` for reads and writes, `kms:GenerateDataKey` for writes. S3 needs
 *   Decrypt for multipart uploads too (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
 *
 * Statements are grouped by action set and sorted, so the document depends on the grants only, not on their
 * order in the manifest.
 */
export function permissionPolicyDocument(args: PermissionPolicyArgs): PolicyDocument {
  const { partition, dnsSuffix } = partitionOf(args.region);
  const grants = sortedGrants(args.grants);
  const keyOf = new Map(args.buckets.map((b) => [b.name, b.kmsKeyArn]));

  const statements: PolicyStatement[] = [];
  const listed = new Map<string, string[]>();
  for (const g of grants) {
    if (!READS.has(g.access)) continue;
    listed.set(g.bucket, [...(listed.get(g.bucket) ?? []), `${g.prefix}*`]);
  }
  [...listed.entries()].forEach(([bucket, patterns], i) => {
    statements.push({
      Sid: `ListGrantedPrefixes${i}`,
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(partition, bucket),
      Condition: { StringLike: { "s3:prefix": patterns } },
    });
  });

  const objects = (accesses: ReadonlySet<Access>) =>
    grants.filter((g) => accesses.has(g.access)).map((g) => prefixObjectsArn(partition, g.bucket, g.prefix));
  const readable = objects(READS);
  if (readable.length > 0) {
    statements.push({ Sid: "ReadObjects", Effect: "Allow", Action: "s3:GetObject", Resource: readable });
  }
  const writable = objects(WRITES);
  if (writable.length > 0) {
    statements.push({
      Sid: "WriteObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: writable,
    });
  }

  const keys = (accesses: ReadonlySet<Access>) =>
    [
      ...new Set(grants.filter((g) => accesses.has(g.access)).flatMap((g) => keyOf.get(g.bucket) ?? [])),
    ].sort();
  const viaS3 = { StringEquals: { "kms:ViaService": `s3.${args.region}.${dnsSuffix}` } };
  const decryptKeys = keys(new Set<Access>(["read", "write", "read-write"]));
  if (decryptKeys.length > 0) {
    statements.push({
      Sid: "KmsDecrypt",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: decryptKeys,
      Condition: viaS3,
    });
  }
  const dataKeyKeys = keys(WRITES);
  if (dataKeyKeys.length > 0) {
    statements.push({
      Sid: "KmsGenerateDataKey",
      Effect: "Allow",
      Action: "kms:GenerateDataKey",
      Resource: dataKeyKeys,
      Condition: viaS3,
    });
  }

  return { Version: "2012-10-17", Statement: statements };
}

/**
 * The bucket policy: refuse every request that does not use TLS, whoever makes it
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit). A Deny with
 * `Principal: "*"` is not a public grant, so Block Public Access accepts it.
 */
export function bucketTlsPolicyDocument(region: string, bucket: string): PolicyDocument {
  const { partition } = partitionOf(region);
  const arn = bucketArn(partition, bucket);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}
