import { z } from "zod";
import { formatPath } from "../manifest/load";

/**
 * The observed-access document (design.md, "Observed access"): one JSON shape for what was read from the clouds
 * and for what the manifest expects (`audit --write-expected`). Ids are Entra object ids unless named otherwise.
 * Lists are unordered; a cloud's key is absent when that cloud is not used. Loose objects: a reader may carry
 * more fields than the audit judges.
 */

/** Messages that say whether the field is missing or of the wrong type. */
const said = (what: string, kind: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `${what} is required (${kind})` : `${what} must be ${kind}`;
const text = (what: string) => z.string({ error: said(what, "text") });
const list = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: said(what, "a list") });

export const FederatedCredentialSchema = z.looseObject({
  name: text("name"),
  issuer: text("issuer"),
  subject: text("subject"),
  audiences: list(text("audiences[]"), "audiences"),
});

/** A client secret or certificate on an application or its service principal (app-registration identities). */
export const SecretCredentialSchema = z.looseObject({
  kind: z.enum(["client secret", "certificate"], { error: 'kind must be "client secret" or "certificate"' }),
  keyId: text("keyId"),
  displayName: text("displayName").optional(),
});

export const IdentitySchema = z.looseObject({
  name: text("name"),
  clientId: text("clientId"),
  principalId: text("principalId"),
  federatedCredentials: list(FederatedCredentialSchema, "federatedCredentials"),
  /**
   * Client secrets and certificates (app-registration identities only: a managed identity cannot have any);
   * absent when not read. The stack never creates one: any is a way in that bypasses Skyporten.
   */
  secretCredentials: list(SecretCredentialSchema, "secretCredentials").optional(),
});

export const GroupSchema = z.looseObject({
  name: text("name"),
  objectId: text("objectId"),
  memberIds: list(text("memberIds[]"), "memberIds"),
});

export const RoleAssignmentSchema = z.looseObject({
  scope: text("scope"),
  roleDefinitionId: text("roleDefinitionId"),
  principalId: text("principalId"),
  principalType: text("principalType").optional(),
});

const ACL_ENTRY = /^(default:)?(user|group|mask|other):[^:,]*:[r-][w-][x-]$/;
const aclEntry = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .regex(ACL_ENTRY, `${what} must look like "[default:]user|group|mask|other:<object id or empty>:rwx"`);

export const AclSchema = z.looseObject({
  container: text("container"),
  /** "/" for the container root, otherwise "/dir/sub". */
  path: text("path").regex(/^\//, 'path must be absolute: "/" for the root or "/dir/sub"'),
  access: list(aclEntry("access[]"), "access"),
  default: list(aclEntry("default[]"), "default"),
  /** x-ms-owner of the path (an object id or "$superuser"); absent when not read. */
  owner: text("owner").optional(),
  /** x-ms-group of the path (an object id or "$superuser"); absent when not read. */
  owningGroup: text("owningGroup").optional(),
});

export const OidcProviderSchema = z.looseObject({
  arn: text("arn"),
  url: text("url"),
  clientIds: list(text("clientIds[]"), "clientIds"),
});

/** An IAM policy document as JSON (IAM returns it URL-encoded; collectors decode it). */
const policyDocument = z.looseObject(
  { Version: z.string().optional(), Statement: z.unknown() },
  { error: "a policy document must be a JSON object with Statement" },
);

type PolicyDocument = z.output<typeof policyDocument>;

/**
 * Policy documents by name, in an object without a prototype. IAM policy names may be `__proto__` or
 * `constructor` ([\w+=,.@-]+); on a plain object `__proto__` would vanish (a hidden grant) and `constructor`
 * would look present on every role.
 */
export function policiesByName(entries: Iterable<[string, PolicyDocument]>): Record<string, PolicyDocument> {
  const out = Object.create(null) as Record<string, PolicyDocument>;
  for (const [name, doc] of entries) out[name] = doc;
  return out;
}

const policyMap = z
  .preprocess(
    (v) => (typeof v === "object" && v !== null && !Array.isArray(v) ? new Map(Object.entries(v)) : v),
    z.map(z.string(), policyDocument, { error: "inlinePolicies must map names to policy documents" }),
  )
  .transform((m) => policiesByName(m));

export const RoleSchema = z.looseObject({
  name: text("name"),
  path: text("path"),
  arn: text("arn"),
  trustPolicy: policyDocument,
  inlinePolicies: policyMap,
  attachedPolicyArns: list(text("attachedPolicyArns[]"), "attachedPolicyArns"),
});

/** A bucket's policy as S3 holds it (null: the bucket has none). Only the manifest's buckets are read. */
export const BucketPolicySchema = z.looseObject({
  name: text("name"),
  policy: policyDocument.nullable(),
});

export const ConsumerSchema = z.looseObject({ orgno: text("orgno"), state: text("state") });

export const AccessStateSchema = z.looseObject({
  stack: text("stack"),
  azure: z
    .looseObject({
      identities: list(IdentitySchema, "identities"),
      groups: list(GroupSchema, "groups"),
      roleAssignments: list(RoleAssignmentSchema, "roleAssignments"),
      acls: list(AclSchema, "acls"),
    })
    .optional(),
  aws: z
    .looseObject({
      oidcProviders: list(OidcProviderSchema, "oidcProviders"),
      roles: list(RoleSchema, "roles"),
      /** Absent when not read (documents written before bucket policies were audited). */
      bucketPolicies: list(BucketPolicySchema, "bucketPolicies").optional(),
    })
    .optional(),
  maskinporten: z
    .looseObject({ scope: text("scope"), consumers: list(ConsumerSchema, "consumers") })
    .optional(),
});

export type FederatedCredential = z.output<typeof FederatedCredentialSchema>;
export type SecretCredential = z.output<typeof SecretCredentialSchema>;
export type ObservedIdentity = z.output<typeof IdentitySchema>;
export type ObservedGroup = z.output<typeof GroupSchema>;
export type ObservedRoleAssignment = z.output<typeof RoleAssignmentSchema>;
export type ObservedAcl = z.output<typeof AclSchema>;
export type ObservedOidcProvider = z.output<typeof OidcProviderSchema>;
export type ObservedRole = z.output<typeof RoleSchema>;
export type ObservedBucketPolicy = z.output<typeof BucketPolicySchema>;
export type ObservedConsumer = z.output<typeof ConsumerSchema>;
/** The whole document: what the clouds hold, or (from expectedState) what the manifest says they should hold. */
export type AccessState = z.output<typeof AccessStateSchema>;

export class ObservedStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ObservedStateError";
  }
}

/**
 * Parse an observed-access document. Throws ObservedStateError naming the file, the field path and the fix
 * (every problem at once), never a stack trace.
 */
export function parseAccessState(textOfFile: string, source: string): AccessState {
  let data: unknown;
  try {
    data = JSON.parse(textOfFile);
  } catch (e) {
    throw new ObservedStateError(
      `${source}: not JSON (${e instanceof Error ? e.message : String(e)}); pass a file in the observed-access format (design.md, "Observed access"), e.g. one written by --write-expected`,
    );
  }
  const parsed = AccessStateSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 20).map((issue) => {
    const where = issue.path.length === 0 ? "(document)" : formatPath(issue.path);
    return `${source}: ${where}: ${issue.code === "invalid_type" && issue.path.length === 0 ? "must be a JSON object with stack, azure, aws, maskinporten" : issue.message}`;
  });
  throw new ObservedStateError(problems.join("\n"));
}
