import type { Bucket, Manifest, Partner } from "../manifest/schema";
import { awsRoleName, issuerHost } from "../naming";
import type { Settings } from "../settings/schema";
import { expectedProviderArn, partitionOf, providerArnFor } from "./model";
import {
  permissionPolicyDocument,
  policySize,
  ROLE_INLINE_POLICY_MAX_CHARS,
  TRUST_POLICY_MAX_CHARS,
  trustPolicyDocument,
  type PolicyDocument,
} from "./policies";

/**
 * Synchronous checks run before any AWS resource is created (the components call them first; the entry point
 * may call them earlier). Each returns every problem at once; the `validate*` variants throw one Error listing
 * them, each naming the field and the fix.
 */

const QUOTAS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";

/** IAM role names are at most 64 characters, paths at most 512 (IAM quotas). */
const ROLE_NAME_MAX = 64;
const ROLE_PATH_MAX = 512;

export type AwsPlatformSettings = Pick<Settings, "issuer" | "audience" | "aws">;

/** A problem of the manifest under this stack's settings, at a manifest field (for `file:line:col` errors). */
export interface ManifestFieldProblem {
  path: (string | number)[];
  message: string;
}

/**
 * What this stack's AWS settings refuse in the manifest, field by field, before anything is planned: AWS
 * grants on a stack without AWS, a bucket's KMS key in another region or partition, and each active partner's
 * role problems (policy over IAM's size limits, unsafe prefix).
 */
export function awsManifestProblems(
  settings: AwsPlatformSettings & Pick<Settings, "nameKey" | "scope">,
  manifest: Pick<Manifest, "partners" | "buckets">,
): ManifestFieldProblem[] {
  const out: ManifestFieldProblem[] = [];
  if (!settings.aws.enabled) {
    manifest.partners.forEach((p, i) => {
      if (p.status === "offboarded" || p.aws.length === 0) return;
      out.push({
        path: ["partners", i, "aws"],
        message: `this stack has aws.enabled false, so the AWS grants of organization ${p.orgNumber} would silently not be provisioned; set skyporten-onboarding:aws.enabled to true or remove the grants`,
      });
    });
    return out;
  }
  manifest.buckets.forEach((b, i) => {
    for (const message of kmsKeyProblems(settings, b, i)) out.push({ path: ["buckets", i, "kmsKeyArn"], message });
  });
  manifest.partners.forEach((p, i) => {
    if (p.status !== "active" || p.aws.length === 0) return;
    for (const message of checkAwsPartner({ settings, partner: p, buckets: manifest.buckets }).problems)
      out.push({ path: ["partners", i, "aws"], message });
  });
  return out;
}

function kmsKeyProblems(settings: AwsPlatformSettings, b: Pick<Bucket, "name" | "kmsKeyArn">, i: number): string[] {
  const problems: string[] = [];
  if (b.kmsKeyArn === undefined) return problems;
  const { aws } = settings;
  const keyRegion = b.kmsKeyArn.split(":")[3];
  if (keyRegion !== aws.region) {
    // SSE-KMS needs a key in the bucket's region (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
    problems.push(
      `buckets[${i}].kmsKeyArn of bucket "${b.name}" is a key in region ${keyRegion}, but the bucket is in ${aws.region} (aws.region); S3 only uses keys from the bucket's region: use a key in ${aws.region}`,
    );
  }
  const keyPartition = b.kmsKeyArn.split(":")[1];
  if (keyPartition !== partitionOf(aws.region).partition) {
    problems.push(
      `buckets[${i}].kmsKeyArn of bucket "${b.name}" is in partition ${keyPartition}, not ${partitionOf(aws.region).partition}; use a key of the stack's partition`,
    );
  }
  return problems;
}

/** Why the stack's AWS settings cannot serve this manifest: an empty list when they can. */
export function awsPlatformProblems(
  settings: AwsPlatformSettings,
  manifest: Pick<Manifest, "partners" | "buckets">,
): string[] {
  const problems: string[] = [];
  const { aws } = settings;
  if (!aws.enabled) {
    const orgs = manifest.partners
      .filter((p) => p.status !== "offboarded" && p.aws.length > 0)
      .map((p) => p.orgNumber);
    if (orgs.length > 0) {
      problems.push(
        `aws.enabled is false but partner(s) ${orgs.join(", ")} have AWS grants that would silently not be provisioned; set skyporten-onboarding:aws.enabled to true or remove the grants`,
      );
    }
    return problems;
  }
  if (aws.oidcProviderArn !== undefined) {
    // IAM names a provider after its URL: an ARN for another issuer, account or partition can never verify
    // this stack's tokens (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html).
    const expected = expectedProviderArn(settings);
    if (aws.oidcProviderArn !== expected) {
      problems.push(
        `aws.oidcProviderArn "${aws.oidcProviderArn}" is not the provider of this stack's issuer ${settings.issuer} in account ${aws.accountId} (expected "${expected}", host "${issuerHost(settings.issuer)}"); fix the ARN or remove it to let the stack create the provider`,
      );
    }
  }
  manifest.buckets.forEach((b, i) => problems.push(...kmsKeyProblems(settings, b, i)));
  return problems;
}

/** Throws when the stack's AWS settings cannot serve the manifest (see awsPlatformProblems). */
export function validateAwsPlatform(
  settings: AwsPlatformSettings,
  manifest: Pick<Manifest, "partners" | "buckets">,
): void {
  const problems = awsPlatformProblems(settings, manifest);
  if (problems.length > 0) throw new Error(`AWS settings are invalid:\n- ${problems.join("\n- ")}`);
}

export interface AwsPartnerCheckArgs {
  settings: Pick<Settings, "nameKey" | "issuer" | "audience" | "scope" | "aws">;
  partner: Pick<Partner, "orgNumber" | "aws">;
  /** The manifest's buckets. */
  buckets: readonly Pick<Bucket, "name" | "kmsKeyArn">[];
}

export interface AwsPartnerCheck {
  problems: string[];
  /** The documents as they will be sent (trust with the expected or adopted provider ARN). */
  trust: PolicyDocument;
  permissions: PolicyDocument;
  trustSize: number;
  permissionSize: number;
}

/** Everything wrong with a partner's AWS role before it is created, plus the documents and their sizes. */
export function checkAwsPartner(args: AwsPartnerCheckArgs): AwsPartnerCheck {
  const { settings, partner } = args;
  const who = `partner ${partner.orgNumber}`;
  const problems: string[] = [];
  const declared = new Set(args.buckets.map((b) => b.name));
  partner.aws.forEach((g, k) => {
    if (!declared.has(g.bucket)) {
      problems.push(
        `${who}: aws[${k}].bucket "${g.bucket}" is not declared under buckets; declare it or fix the name`,
      );
    }
    // The prefix becomes part of an ARN pattern and of a StringLike value, where "*", "?" and "${" mean
    // something (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
    if (!g.prefix.endsWith("/") || g.prefix.startsWith("/") || /[*?$]/.test(g.prefix)) {
      problems.push(
        `${who}: aws[${k}].prefix "${g.prefix}" must be a relative key prefix ending with "/", without "*", "?" or "$" (e.g. "entur/"), so that it never matches a sibling prefix`,
      );
    }
  });
  const roleName = awsRoleName(settings.nameKey, partner.orgNumber);
  if (roleName.length > ROLE_NAME_MAX) {
    problems.push(
      `${who}: role name "${roleName}" is longer than IAM's ${ROLE_NAME_MAX} characters (${QUOTAS_DOC})`,
    );
  }
  if (settings.aws.rolePath.length > ROLE_PATH_MAX) {
    problems.push(
      `aws.rolePath is longer than IAM's ${ROLE_PATH_MAX} characters; use a shorter path such as /skyporten/`,
    );
  }

  const trust = trustPolicyDocument({
    providerArn: providerArnFor(settings),
    issuer: settings.issuer,
    audience: settings.audience,
    orgNumber: partner.orgNumber,
    scope: settings.scope,
  });
  const permissions = permissionPolicyDocument({
    grants: partner.aws,
    buckets: args.buckets,
    region: settings.aws.region,
  });
  const trustSize = policySize(trust);
  const permissionSize = policySize(permissions);
  if (trustSize > TRUST_POLICY_MAX_CHARS) {
    problems.push(
      `${who}: the role's trust policy is ${trustSize} characters, over IAM's default limit of ${TRUST_POLICY_MAX_CHARS} (${QUOTAS_DOC}); use a shorter audience, or raise the "Role trust policy length" quota in Service Quotas (up to 4,096)`,
    );
  }
  if (permissionSize > ROLE_INLINE_POLICY_MAX_CHARS) {
    problems.push(
      `${who}: the role's S3 policy is ${permissionSize} characters, over IAM's limit of ${ROLE_INLINE_POLICY_MAX_CHARS} for a role's inline policies (${QUOTAS_DOC}); grant fewer, broader prefixes (${partner.aws.length} grants now)`,
    );
  }
  return { problems, trust, permissions, trustSize, permissionSize };
}

/**
 * Throws an Error naming the partner and the fix when its role could not be created as planned (undeclared
 * bucket, unsafe prefix, name or policy over IAM's limits). Returns the policy sizes otherwise.
 */
export function validateAwsPartner(args: AwsPartnerCheckArgs): { trustSize: number; permissionSize: number } {
  const check = checkAwsPartner(args);
  if (check.problems.length > 0) {
    throw new Error(
      `AWS role of partner ${args.partner.orgNumber} cannot be created:\n- ${check.problems.join("\n- ")}`,
    );
  }
  return { trustSize: check.trustSize, permissionSize: check.permissionSize };
}
