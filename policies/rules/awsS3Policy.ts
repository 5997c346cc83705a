import { parsePolicyDocument, type Statement } from "./policyDocument";
import {
  asList,
  asRecord,
  isUnknown,
  show,
  type PolicyContext,
  type PolicyResource,
  type StackRule,
  type StackViolation,
} from "./types";

/** Permission policies a partner role can carry: inline role policies, and managed policies if ever used. */
export const PERMISSION_POLICY_TYPES: readonly string[] = [
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
];
/** S3 bucket types; their `bucket` input is the bucket name. */
export const S3_BUCKET_TYPES: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

const S3_ARN = /^arn:aws[a-z-]*:s3:::([^/]*)(?:\/(.*))?$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** A granted prefix: a non-empty literal key prefix, optionally followed by one final `*`. */
const PREFIX_PATTERN = /^[^*?]+\*?$/;
/** The only KMS actions a partner needs on its bucket's key, and only through S3 (infra/aws/policies.ts). */
const KMS_ACTIONS: ReadonlySet<string> = new Set(["kms:decrypt", "kms:generatedatakey"]);

/**
 * Partner permission policies are least privilege on declared buckets
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html): named S3 actions, never
 * a `*` action; resources only in declared buckets, objects only under a prefix; listing a bucket only with an
 * `s3:prefix` condition, or the role could list every partner's object keys. The one exception is
 * kms:Decrypt / kms:GenerateDataKey on a specific key with a `kms:ViaService` condition, which a bucket with a
 * customer-managed key needs (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
 * `declaredBuckets` undefined means "unknown": every other check still runs.
 */
export function permissionPolicyViolations(
  policy: unknown,
  declaredBuckets: readonly string[] | undefined,
): string[] {
  if (isUnknown(policy)) return [];
  if (policy === undefined || policy === null) return ["policy is not set"];
  const parsed = parsePolicyDocument("policy", policy);
  if (!parsed.ok) return [parsed.problem];
  return parsed.statements
    .filter((s) => s.raw.Effect === "Allow")
    .flatMap((s) => statementViolations(s, declaredBuckets));
}

function statementViolations(statement: Statement, declared: readonly string[] | undefined): string[] {
  const { label, raw } = statement;
  const violations: string[] = [];
  for (const key of ["NotAction", "NotResource", "NotPrincipal"]) {
    if (key in raw)
      violations.push(`${label} uses ${key}; list the allowed actions and resources explicitly`);
  }
  const actions = asList(raw.Action).filter((a): a is string => typeof a === "string" && !isUnknown(a));
  const lower = actions.map((a) => a.toLowerCase());
  const isKms = lower.length > 0 && lower.every((a) => KMS_ACTIONS.has(a));
  for (const action of actions) {
    if (action.includes("*") || action.includes("?")) {
      violations.push(
        `${label} action "${action}" is a wildcard; list the S3 actions explicitly (e.g. s3:GetObject)`,
      );
    } else if (!/^s3:/i.test(action) && !isKms) {
      violations.push(
        `${label} action "${action}" is not an S3 action; partner roles get S3 access (and kms:Decrypt/GenerateDataKey on a bucket key) only`,
      );
    }
  }
  const condition = asRecord(raw.Condition) ?? {};
  const conditionKeys = Object.values(condition).flatMap((block) =>
    Object.keys(asRecord(block) ?? {}).map((k) => k.toLowerCase()),
  );

  for (const resource of asList(raw.Resource)) {
    if (isUnknown(resource)) continue;
    if (typeof resource !== "string") {
      violations.push(`${label} resource ${show(resource)} is not an ARN`);
      continue;
    }
    if (resource === "*") {
      violations.push(`${label} resource "*" covers every resource; name the declared buckets and prefixes`);
      continue;
    }
    if (isKms) {
      if (!KMS_KEY_ARN.test(resource))
        violations.push(`${label} resource "${resource}" is not one KMS key ARN`);
      continue;
    }
    violations.push(...s3ResourceViolations(label, resource, declared, lower, conditionKeys));
  }
  if (isKms && !conditionKeys.includes("kms:viaservice")) {
    violations.push(
      `${label} allows ${show(raw.Action)} without a kms:ViaService condition; the key must be usable only through S3`,
    );
  }
  return violations;
}

function s3ResourceViolations(
  label: string,
  resource: string,
  declared: readonly string[] | undefined,
  actions: readonly string[],
  conditionKeys: readonly string[],
): string[] {
  const match = S3_ARN.exec(resource);
  if (match === null) return [`${label} resource "${resource}" is not an S3 bucket or object ARN`];
  const bucket = match[1] ?? "";
  const key = match[2];
  if (/[*?]/.test(bucket) || bucket === "")
    return [`${label} resource "${resource}" has a wildcard or empty bucket name; name a declared bucket`];
  const violations: string[] = [];
  if (declared !== undefined && !declared.includes(bucket)) {
    violations.push(
      `${label} resource "${resource}" is in bucket "${bucket}", which is not declared (declared: ${declared.length === 0 ? "none" : declared.join(", ")})`,
    );
  }
  if (key === undefined) {
    if (actions.some((a) => a.startsWith("s3:listbucket")) && !conditionKeys.includes("s3:prefix")) {
      violations.push(
        `${label} lets the role list bucket "${bucket}" without an s3:prefix condition: it could list every partner's object keys`,
      );
    }
  } else if (key === "" || key === "*") {
    violations.push(
      `${label} resource "${resource}" covers the whole bucket; grant a prefix (arn:aws:s3:::${bucket}/<prefix>/*)`,
    );
  } else if (!PREFIX_PATTERN.test(key)) {
    violations.push(
      `${label} resource "${resource}" has a wildcard before the end of the key; grant a literal prefix followed by one "*"`,
    );
  }
  return violations;
}

/** Bucket names registered in the stack (known ones only). */
export function stackBucketNames(resources: readonly PolicyResource[]): string[] {
  return resources
    .filter((r) => S3_BUCKET_TYPES.includes(r.type))
    .map((r) => r.props.bucket)
    .filter((b): b is string => typeof b === "string" && !isUnknown(b));
}

export function s3PolicyStackViolations(
  resources: readonly PolicyResource[],
  context: PolicyContext,
): StackViolation[] {
  const buckets = resources.filter((r) => S3_BUCKET_TYPES.includes(r.type));
  // A bucket whose name is not known yet could be any bucket: the membership check waits for it.
  const namesKnown = buckets.every((b) => typeof b.props.bucket === "string" && !isUnknown(b.props.bucket));
  const declared = context.declaredBuckets ?? (namesKnown ? stackBucketNames(resources) : undefined);
  return resources
    .filter((r) => PERMISSION_POLICY_TYPES.includes(r.type))
    .flatMap((r) =>
      permissionPolicyViolations(r.props.policy, declared).map((message) => ({ urn: r.urn, message })),
    );
}

export const awsS3PolicyRule: StackRule = {
  kind: "stack",
  name: "skyporten-aws-s3-policy",
  description:
    "Partner permission policies name S3 actions explicitly (no '*' actions), only on declared buckets and granted prefixes (no '*' resources), list buckets only with an s3:prefix condition, and use KMS keys only through S3.",
  enforcementLevel: "mandatory",
  validate: s3PolicyStackViolations,
};
