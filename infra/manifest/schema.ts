import { z } from "zod";
import { orgNumberProblem } from "./orgNumber";

/**
 * The onboarding manifest (stacks/<stack>.yaml). Field names are a contract shared with CI and acceptance
 * checks (see README "Manifest format"). Every object is strict: an unknown key (a typo such as `acess`) is an
 * error, never a silently dropped grant.
 */

export const ACCESS_LEVELS = ["read", "write", "read-write"] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

export const PARTNER_STATUSES = ["active", "suspended", "offboarded"] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

/** Azure storage container names: 3-63 chars, lowercase letters, digits and single hyphens, alphanumeric at both ends. */
export function containerNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3-63 characters long (got ${name.length})`;
  if (!/^[a-z0-9-]+$/.test(name)) return "may contain only lowercase letters, digits and hyphens";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must start and end with a letter or digit";
  if (name.includes("--")) return "must not contain two hyphens in a row";
  return undefined;
}

/**
 * S3 general purpose bucket naming rules:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `must be 3-63 characters long (got ${name.length})`;
  if (!/^[a-z0-9.-]+$/.test(name)) return "may contain only lowercase letters, digits, dots and hyphens";
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return "must start and end with a letter or digit";
  if (name.includes("..")) return "must not contain two adjacent dots";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return "must not be formatted as an IP address";
  for (const prefix of ["xn--", "sthree-", "amzn-s3-demo-"]) {
    if (name.startsWith(prefix)) return `must not start with the reserved prefix "${prefix}"`;
  }
  for (const suffix of ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]) {
    if (name.endsWith(suffix)) return `must not end with the reserved suffix "${suffix}"`;
  }
  return undefined;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Why a relative directory path (an ADLS path or an S3 prefix without its trailing "/") is unacceptable.
 * Accepted: segments of letters, digits, ".", "_" and "-", joined by single "/", no "." or ".." segment.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return "must not be empty";
  if (path.startsWith("/")) return `must be relative: remove the leading "/" (write "${path.replace(/^\/+/, "")}")`;
  if (path.includes("\\")) return 'must use "/" as separator, not "\\"';
  if (/[*?[\]{}]/.test(path)) return "must not contain wildcards (* ? [ ] { }): grants are exact directories";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return 'must not contain empty segments ("//")';
  if (segments.some((s) => s === "." || s === "..")) return 'must not contain "." or ".." segments';
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) return `segment "${bad}" may contain only letters, digits, ".", "_" and "-"`;
  if (path.length > 1024) return "must be at most 1024 characters long";
  return undefined;
}

const orgNumber = z.unknown().transform((value, ctx): string => {
  if (typeof value === "number" || typeof value === "bigint") {
    ctx.addIssue({
      code: "custom",
      message: `organization number must be a quoted string: write orgNumber: "${String(value)}" so YAML keeps it as text`,
    });
    return z.NEVER;
  }
  if (typeof value !== "string") {
    ctx.addIssue({ code: "custom", message: 'organization number must be a quoted string of 9 digits, e.g. "917422575"' });
    return z.NEVER;
  }
  const problem = orgNumberProblem(value);
  if (problem !== undefined) {
    ctx.addIssue({ code: "custom", message: `organization number ${problem}` });
    return z.NEVER;
  }
  return value;
});

function checked(problemOf: (v: string) => string | undefined, what: string) {
  return z.string({ error: `${what} must be a string` }).superRefine((v, ctx) => {
    const problem = problemOf(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${what} ${problem}` });
  });
}

const access = z.enum(ACCESS_LEVELS, { error: 'access must be one of "read", "write", "read-write"' });

const adlsPath = checked(
  (v) => relativePathProblem(v.endsWith("/") ? v.slice(0, -1) : v),
  "path",
).transform((v) => (v.endsWith("/") ? v.slice(0, -1) : v));

const s3Prefix = checked((v) => {
  if (!v.endsWith("/")) return `must end with "/" (write "${v}/") so that "abc/" can never match "abcd/"`;
  return relativePathProblem(v.slice(0, -1));
}, "prefix");

/** ISO date YYYY-MM-DD that exists in the calendar. */
const isoDate = z.unknown().transform((value, ctx): string => {
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : value;
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    ctx.addIssue({ code: "custom", message: "reviewBy must be a date written YYYY-MM-DD, e.g. 2027-06-30" });
    return z.NEVER;
  }
  const parsed = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== text) {
    ctx.addIssue({ code: "custom", message: `reviewBy "${text}" is not a calendar date` });
    return z.NEVER;
  }
  return text;
});

export const AzureGrantSchema = z
  .strictObject({
    container: z.string({ error: "container must be the name of a container declared under containers" }),
    access,
    path: adlsPath.optional().describe("Directory inside the container; absent means the whole container."),
  })
  .describe("Access to an ADLS Gen2 container, or to one directory in it.");

export const AwsGrantSchema = z
  .strictObject({
    bucket: z.string({ error: "bucket must be the name of a bucket declared under buckets" }),
    prefix: s3Prefix.describe('Key prefix, relative, ending with "/".'),
    access,
  })
  .describe("Access to one key prefix of an S3 bucket.");

export const PartnerSchema = z
  .strictObject({
    orgNumber: orgNumber.describe('Norwegian organization number: a quoted string of 9 digits, MOD11-valid.'),
    name: z
      .string({ error: "name must be the organization's display name (text)" })
      .trim()
      .min(1, "name must not be empty")
      .max(256, "name must be at most 256 characters")
      .describe("Display name; never part of a resource name."),
    status: z
      .enum(PARTNER_STATUSES, { error: 'status must be one of "active", "suspended", "offboarded"' })
      .default("active"),
    contact: z.string().trim().min(1).max(256).optional().describe("Who to contact at the partner."),
    reviewBy: isoDate.optional().describe("Date by which the access must be reviewed (YYYY-MM-DD)."),
    azure: z.array(AzureGrantSchema).default([]),
    aws: z.array(AwsGrantSchema).default([]),
  })
  .describe("One partner organization.");

export const ContainerSchema = z.strictObject({
  name: checked(containerNameProblem, "container name"),
  adopt: z
    .boolean()
    .default(false)
    .describe("The container already exists: import it instead of creating it."),
});

export const BucketSchema = z.strictObject({
  name: checked(bucketNameProblem, "bucket name"),
  adopt: z.boolean().default(false).describe("The bucket already exists: import it instead of creating it."),
  kmsKeyArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, "kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    .optional()
    .describe("Customer-managed KMS key of the bucket; partners get Decrypt/GenerateDataKey on it only."),
});

export const ManifestSchema = z
  .strictObject({
    containers: z.array(ContainerSchema).default([]),
    buckets: z.array(BucketSchema).default([]),
    partners: z.array(PartnerSchema).default([]),
  })
  // `when: () => true` runs the cross-field rules even when some field is invalid, so a file's errors all come
  // at once; the rules look only at the entries that are valid on their own.
  .superRefine((_m, ctx) => crossFieldRules(leniently(ctx.value), ctx), { when: () => true });

interface LenientManifest {
  containers: { name: string }[];
  buckets: { name: string }[];
  /** Same indices as the input; undefined where the entry is invalid on its own. */
  partners: (Partner | undefined)[];
}

function leniently(raw: unknown): LenientManifest {
  const obj = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const named = (v: unknown) =>
    list(v).flatMap((x) => {
      const name = typeof x === "object" && x !== null ? (x as { name?: unknown }).name : undefined;
      return typeof name === "string" ? [{ name }] : [];
    });
  return {
    containers: named(obj.containers),
    buckets: named(obj.buckets),
    partners: list(obj.partners).map((p) => {
      const r = PartnerSchema.safeParse(p);
      return r.success ? r.data : undefined;
    }),
  };
}

export type AzureGrant = z.output<typeof AzureGrantSchema>;
export type AwsGrant = z.output<typeof AwsGrantSchema>;
export type Partner = z.output<typeof PartnerSchema>;
export type Container = z.output<typeof ContainerSchema>;
export type Bucket = z.output<typeof BucketSchema>;
export type Manifest = z.output<typeof ManifestSchema>;

/** Is `inner` the same directory as `outer` or below it? Both relative, no trailing "/". */
function pathWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}

function crossFieldRules(m: LenientManifest, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

  const seen = (items: { name: string }[], key: string, what: string) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const j = first.get(item.name);
      if (j !== undefined) issue([key, i, "name"], `${what} "${item.name}" is declared twice (first at ${key}[${j}]); remove one`);
      else first.set(item.name, i);
    });
  };
  seen(m.containers, "containers", "container");
  seen(m.buckets, "buckets", "bucket");

  const containers = new Set(m.containers.map((c) => c.name));
  const buckets = new Set(m.buckets.map((b) => b.name));
  const orgFirst = new Map<string, number>();
  // Directories and prefixes granted to someone, for the isolation rule between partners.
  const pathOwners: { org: string; container: string; path: string; at: (string | number)[] }[] = [];
  const prefixOwners: { org: string; bucket: string; prefix: string; at: (string | number)[] }[] = [];

  m.partners.forEach((p, i) => {
    if (p === undefined) return;
    const j = orgFirst.get(p.orgNumber);
    if (j !== undefined) {
      issue(["partners", i, "orgNumber"], `organization ${p.orgNumber} is listed twice (first at partners[${j}]); merge the two entries`);
    } else orgFirst.set(p.orgNumber, i);

    const azureSeen = new Map<string, { access: Access; index: number }>();
    p.azure.forEach((g, k) => {
      const at = ["partners", i, "azure", k];
      if (!containers.has(g.container)) {
        issue([...at, "container"], `container "${g.container}" is not declared under containers; declare it or fix the name`);
      }
      const key = `${g.container}/${g.path ?? ""}`;
      const prev = azureSeen.get(key);
      const where = g.path === undefined ? `container "${g.container}"` : `path "${g.path}" of container "${g.container}"`;
      if (prev !== undefined && prev.access === g.access) {
        issue(at, `the same grant on ${where} is listed twice (first at azure[${prev.index}]); remove one`);
      } else if (prev !== undefined) {
        issue([...at, "access"], `two grants on ${where} with different access ("${prev.access}" at azure[${prev.index}] and "${g.access}"); keep one grant with the access the partner needs`);
      } else azureSeen.set(key, { access: g.access, index: k });
      if (g.path !== undefined && p.status !== "offboarded") {
        pathOwners.push({ org: p.orgNumber, container: g.container, path: g.path, at: [...at, "path"] });
      }
    });

    const awsSeen = new Map<string, { access: Access; index: number }>();
    p.aws.forEach((g, k) => {
      const at = ["partners", i, "aws", k];
      if (!buckets.has(g.bucket)) {
        issue([...at, "bucket"], `bucket "${g.bucket}" is not declared under buckets; declare it or fix the name`);
      }
      const key = `${g.bucket}/${g.prefix}`;
      const prev = awsSeen.get(key);
      const where = `prefix "${g.prefix}" of bucket "${g.bucket}"`;
      if (prev !== undefined && prev.access === g.access) {
        issue(at, `the same grant on ${where} is listed twice (first at aws[${prev.index}]); remove one`);
      } else if (prev !== undefined) {
        issue([...at, "access"], `two grants on ${where} with different access ("${prev.access}" at aws[${prev.index}] and "${g.access}"); keep one grant with the access the partner needs`);
      } else awsSeen.set(key, { access: g.access, index: k });
      if (p.status !== "offboarded") prefixOwners.push({ org: p.orgNumber, bucket: g.bucket, prefix: g.prefix, at: [...at, "prefix"] });
    });
  });

  // Isolation: a directory granted to one partner must not contain one granted to another. A default ACL on
  // the outer directory is inherited by everything created below it, so the outer partner would read the
  // inner partner's data; on S3 the outer prefix's resource pattern matches the inner prefix's keys.
  for (let a = 0; a < pathOwners.length; a++) {
    for (let b = 0; b < pathOwners.length; b++) {
      const x = pathOwners[a]!;
      const y = pathOwners[b]!;
      if (a === b || x.org === y.org || x.container !== y.container) continue;
      if (pathWithin(y.path, x.path) && (x.path !== y.path || a < b)) {
        issue(y.at, `path "${y.path}" of container "${y.container}" lies inside path "${x.path}" granted to organization ${x.org}; partners must get disjoint directories`);
      }
    }
  }
  for (let a = 0; a < prefixOwners.length; a++) {
    for (let b = 0; b < prefixOwners.length; b++) {
      const x = prefixOwners[a]!;
      const y = prefixOwners[b]!;
      if (a === b || x.org === y.org || x.bucket !== y.bucket) continue;
      if (y.prefix.startsWith(x.prefix) && (x.prefix !== y.prefix || a < b)) {
        issue(y.at, `prefix "${y.prefix}" of bucket "${y.bucket}" lies inside prefix "${x.prefix}" granted to organization ${x.org}; partners must get disjoint prefixes`);
      }
    }
  }
}
