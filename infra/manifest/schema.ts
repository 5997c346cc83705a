import { z } from "zod";
import { containerNameCollisions } from "../naming";
import { isolationFindings } from "./isolation";
import { orgNumberProblem } from "./orgNumber";
import { ACCESS_LEVELS, PARTNER_STATUSES, type Access, type PartnerStatus } from "./vocabulary";

/**
 * The onboarding manifest (stacks/<stack>.yaml). Field names are a contract shared with CI and acceptance
 * checks (see README "Manifest format"). Every object is strict: an unknown key (a typo such as `acess`) is an
 * error, never a silently dropped grant.
 */

export { ACCESS_LEVELS, PARTNER_STATUSES, type Access, type PartnerStatus };

/**
 * Sizes a stack is built and measured for; a manifest beyond them is refused by validation rather than failing
 * in the plan or in `pulumi up`. Containers: 2 role assignments each, against the subscription's 4,000
 * (https://learn.microsoft.com/azure/role-based-access-control/troubleshoot-limits); 500 containers use a quarter
 * of it. Partners: the benchmarked size. Buckets: IAM's 10,240-character inline policy limits what one partner
 * can be granted long before the bucket count matters.
 */
export const STACK_BUDGETS = { containers: 500, partners: 5000, buckets: 100 } as const;


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
  if (path.startsWith("/")) {
    const rest = path.replace(/^\/+/, "");
    return rest === ""
      ? "must name a directory, not the root"
      : `must be relative: remove the leading "/" (write "${rest}")`;
  }
  if (path.includes("\\")) return 'must use "/" as separator, not "\\"';
  if (/[*?[\]{}]/.test(path)) return "must not contain wildcards (* ? [ ] { }): grants are exact directories";
  const segments = path.split("/");
  if (segments.some((s) => s === "")) return 'must not contain empty segments ("//")';
  if (segments.some((s) => s === "." || s === "..")) return 'must not contain "." or ".." segments';
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) return `segment "${bad}" may contain only letters, digits, ".", "_" and "-"`;
  // Azure drops a trailing dot from blob and directory names, so "data." and "data" would be one directory
  // (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata#blob-names).
  const dotted = segments.find((s) => s.endsWith("."));
  if (dotted !== undefined)
    return `segment "${dotted}" ends with "."; Azure drops a trailing dot, so it would name the same directory as "${dotted.replace(/\.+$/, "")}": remove the dot`;
  if (path.length > 1024) return "must be at most 1024 characters long";
  return undefined;
}

/**
 * Characters that must never reach a review, a terminal or a tag from a display field: control characters (C0,
 * DEL, C1: NUL, ESC and its terminal escape sequences), format characters (bidi overrides and isolates, zero-width
 * spaces and joiners, BOM, soft hyphen), line and paragraph separators, private-use code points and lone
 * surrogates. They can make one name look like another or rewrite what a terminal shows. Letters of any script,
 * punctuation and symbols ("Hansen & Sønn (Bergen), AS") are fine.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;

/** Why a display text (name, contact) is unacceptable because of an invisible or control character. */
export function displayTextProblem(value: string): string | undefined {
  const m = INVISIBLE.exec(value);
  if (m === null) return undefined;
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `contains the invisible or control character U+${code} at position ${m.index + 1}; such characters can disguise text in reviews and terminals: type it again without it`;
}

/**
 * The message for an organization number YAML read as a number. `written` is the number as it stands in the file:
 * the loader passes the YAML source text, because the parsed number has lost leading zeros and digits beyond
 * double precision, and quoting it would otherwise change it.
 */
export function unquotedOrgNumberMessage(written: string): string {
  return `organization number must be a quoted string: write orgNumber: "${written}" so YAML keeps it as text`;
}

/** Marks the issue so the loader can replace the number with its source text (see unquotedOrgNumberMessage). */
export const UNQUOTED_NUMBER = "unquotedNumber";

const orgNumber = z.unknown().transform((value, ctx): string => {
  if (typeof value === "number" || typeof value === "bigint") {
    ctx.addIssue({
      code: "custom",
      message: unquotedOrgNumberMessage(String(value)),
      params: { [UNQUOTED_NUMBER]: true },
    });
    return z.NEVER;
  }
  if (typeof value !== "string") {
    ctx.addIssue({
      code: "custom",
      message: 'organization number must be a quoted string of 9 digits, e.g. "917422575"',
    });
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

function displayText(what: string) {
  return (v: string, ctx: z.RefinementCtx) => {
    const problem = displayTextProblem(v);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${what} ${problem}` });
  };
}

const access = z.enum(ACCESS_LEVELS, { error: 'access must be one of "read", "write", "read-write"' });

const adlsPath = checked((v) => {
  if (v === "" || v === "/") return 'must name a directory; remove "path" to grant the whole container';
  return relativePathProblem(v.endsWith("/") ? v.slice(0, -1) : v);
}, "path").transform((v) => (v.endsWith("/") ? v.slice(0, -1) : v));

const s3Prefix = checked((v) => {
  if (v === "" || v === "/")
    return 'must name a directory such as "partner/"; the whole bucket cannot be granted';
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

/**
 * A zod error option: `message` when the value has the wrong type (zod's default, "expected array, received
 * null", names no fix), zod's own message for anything else.
 */
function typeError(message: string) {
  return { error: (issue: { code?: string }) => (issue.code === "invalid_type" ? message : undefined) };
}

export const AzureGrantSchema = z
  .strictObject(
    {
      container: z.string({ error: "container must be the name of a container declared under containers" }),
      access,
      path: adlsPath.optional().describe("Directory inside the container; absent means the whole container."),
    },
    typeError(
      'each azure grant must be a mapping such as "container: inbound" with "access: read" (and optionally "path: dir")',
    ),
  )
  .describe("Access to an ADLS Gen2 container, or to one directory in it.");

export const AwsGrantSchema = z
  .strictObject(
    {
      bucket: z.string({ error: "bucket must be the name of a bucket declared under buckets" }),
      prefix: s3Prefix.describe('Key prefix, relative, ending with "/".'),
      access,
    },
    typeError(
      'each aws grant must be a mapping with bucket, prefix and access, such as "bucket: b", "prefix: partner/", "access: read"',
    ),
  )
  .describe("Access to one key prefix of an S3 bucket.");

export const PartnerSchema = z
  .strictObject(
    {
      orgNumber: orgNumber.describe(
        "Norwegian organization number: a quoted string of 9 digits, MOD11-valid.",
      ),
      name: z
        .string({ error: "name must be the organization's display name (text)" })
        .trim()
        .min(1, "name must not be empty")
        .max(256, "name must be at most 256 characters")
        .superRefine(displayText("name"))
        .describe("Display name; never part of a resource name."),
      status: z
        .enum(PARTNER_STATUSES, { error: 'status must be one of "active", "suspended", "offboarded"' })
        .default("active"),
      contact: z
        .string({ error: "contact must be text: an e-mail address or a name" })
        .trim()
        .min(1, "contact must not be empty; remove the key if there is no contact")
        .max(256, "contact must be at most 256 characters")
        .superRefine(displayText("contact"))
        .optional()
        .describe("Who to contact at the partner."),
      reviewBy: isoDate.optional().describe("Date by which the access must be reviewed (YYYY-MM-DD)."),
      azure: z
        .array(
          AzureGrantSchema,
          typeError('azure must be a list of grants ("- container: ..."); remove the key for none'),
        )
        .default([]),
      aws: z
        .array(
          AwsGrantSchema,
          typeError('aws must be a list of grants ("- bucket: ..."); remove the key for none'),
        )
        .default([]),
    },
    typeError(
      'each partner must be a mapping with at least orgNumber and name, such as orgNumber: "917422575"',
    ),
  )
  .describe("One partner organization.");

const shared = (what: string) =>
  z
    .boolean({ error: "shared must be true or false" })
    .optional()
    .describe(
      `Default false. Several partners may see each other's files in this ${what}. Without it, any grant through which one partner could read, list, overwrite or delete another partner's files here is an error.`,
    );

const adopt = (what: string) =>
  z
    .boolean({ error: "adopt must be true or false" })
    .default(false)
    .describe(`The ${what} already exists: import it instead of creating it.`);

export const ContainerSchema = z.strictObject(
  {
    name: checked(containerNameProblem, "container name"),
    adopt: adopt("container"),
    shared: shared("container"),
  },
  typeError('each container must be a mapping such as "name: inbound"'),
);

export const BucketSchema = z.strictObject(
  {
    name: checked(bucketNameProblem, "bucket name"),
    adopt: adopt("bucket"),
    shared: shared("bucket"),
    kmsKeyArn: z
      .string({ error: "kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)" })
      .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
        "kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)",
      )
      .optional()
      .describe("Customer-managed KMS key of the bucket; partners get Decrypt/GenerateDataKey on it only."),
  },
  typeError('each bucket must be a mapping such as "name: my-bucket"'),
);

export const ManifestSchema = z
  .strictObject(
    {
      containers: z
        .array(
          ContainerSchema,
          typeError('containers must be a list such as "- name: inbound"; write "containers: []" for none'),
        )
        .max(
          STACK_BUDGETS.containers,
          `at most ${STACK_BUDGETS.containers} containers per stack: each takes 2 of the subscription's 4,000 role assignments (and test and prod may share a subscription); split the stack`,
        )
        .default([]),
      buckets: z
        .array(
          BucketSchema,
          typeError('buckets must be a list such as "- name: my-bucket"; write "buckets: []" for none'),
        )
        .max(
          STACK_BUDGETS.buckets,
          `at most ${STACK_BUDGETS.buckets} buckets per stack; split the stack`,
        )
        .default([]),
      // Required: a truncated or emptied file must not read as "no partners" and plan the deletion of every
      // partner's identity.
      partners: z
        .array(
          PartnerSchema,
          typeError(
            'partners must be a list of partner entries ("- orgNumber: ..."); write "partners: []" for a stack without partners',
          ),
        )
        .max(
          STACK_BUDGETS.partners,
          `at most ${STACK_BUDGETS.partners} partners per stack: the offline plan and \`pulumi up\` are measured up to that size (README, "Benchmark"); split the stack`,
        ),
    },
    typeError("the manifest must be a mapping with the keys containers, buckets and partners"),
  )
  // `when: () => true` runs the cross-field rules even when some field is invalid, so a file's errors all come
  // at once; the rules look at every entry, and at every grant, that is valid on its own.
  .superRefine((_m, ctx) => crossFieldRules(leniently(ctx.value), ctx), { when: () => true });

export type AzureGrant = z.output<typeof AzureGrantSchema>;
export type AwsGrant = z.output<typeof AwsGrantSchema>;
export type Partner = z.output<typeof PartnerSchema>;
export type Container = z.output<typeof ContainerSchema>;
export type Bucket = z.output<typeof BucketSchema>;
export type Manifest = z.output<typeof ManifestSchema>;

/**
 * A partner entry as far as it is valid: a field or grant that is invalid on its own is undefined (its own
 * error is reported by the schema), so one bad field does not hide the cross-field errors of the others.
 */
export interface LenientPartner {
  orgNumber: string | undefined;
  /** `active` when absent or invalid: the rules then treat the entry as live, the safe reading. */
  status: PartnerStatus;
  reviewBy: string | undefined;
  azure: (AzureGrant | undefined)[];
  aws: (AwsGrant | undefined)[];
}

interface LenientManifest {
  containers: { name: string; shared: boolean }[];
  buckets: { name: string; shared: boolean }[];
  /** Same indices as the input; undefined where the entry is not a mapping at all. */
  partners: (LenientPartner | undefined)[];
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
function valid<S extends z.ZodType>(schema: S, v: unknown): z.output<S> | undefined {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

/** The partners of raw (JSON-like) manifest data, each as far as it is valid; see LenientPartner. */
export function lenientPartners(raw: unknown): (LenientPartner | undefined)[] {
  const shape = PartnerSchema.shape;
  return asList(asRecord(raw)?.partners).map((entry) => {
    const p = asRecord(entry);
    if (p === undefined) return undefined;
    return {
      orgNumber: valid(shape.orgNumber, p.orgNumber),
      status: valid(shape.status, p.status) ?? "active",
      reviewBy: valid(shape.reviewBy, p.reviewBy),
      azure: asList(p.azure).map((g) => valid(AzureGrantSchema, g)),
      aws: asList(p.aws).map((g) => valid(AwsGrantSchema, g)),
    };
  });
}

function leniently(raw: unknown): LenientManifest {
  const obj = asRecord(raw) ?? {};
  const named = (v: unknown) =>
    asList(v).flatMap((x) => {
      const name = asRecord(x)?.name;
      return typeof name === "string" ? [{ name, shared: asRecord(x)?.shared === true }] : [];
    });
  return { containers: named(obj.containers), buckets: named(obj.buckets), partners: lenientPartners(raw) };
}

function crossFieldRules(m: LenientManifest, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: "custom", path, message });

  const seen = (items: { name: string }[], key: string, what: string) => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const j = first.get(item.name);
      if (j !== undefined)
        issue(
          [key, i, "name"],
          `${what} "${item.name}" is declared twice (first at ${key}[${j}]); remove one`,
        );
      else first.set(item.name, i);
    });
  };
  seen(m.containers, "containers", "container");
  seen(m.buckets, "buckets", "bucket");

  // Per-container resource names (groups, their role assignments and memberships) must be unique.
  for (const c of containerNameCollisions(m.containers.map((x) => x.name))) {
    const [mine, theirs] = c.levels;
    issue(
      ["containers", c.index, "name"],
      `containers "${m.containers[c.index]!.name}" and "${m.containers[c.other]!.name}" (containers[${c.other}]) would both name their groups "${c.key}" (the ${mine} group of one, the ${theirs} group of the other): two resources with one name; rename one of the containers`,
    );
  }

  const containers = new Set(m.containers.map((c) => c.name));
  const buckets = new Set(m.buckets.map((b) => b.name));
  const orgFirst = new Map<string, number>();

  m.partners.forEach((p, i) => {
    if (p === undefined) return;
    if (p.orgNumber !== undefined) {
      const j = orgFirst.get(p.orgNumber);
      if (j !== undefined) {
        issue(
          ["partners", i, "orgNumber"],
          `organization ${p.orgNumber} is listed twice (first at partners[${j}]); merge the two entries`,
        );
      } else orgFirst.set(p.orgNumber, i);
    }

    const azureSeen = new Map<string, { access: Access; index: number }>();
    p.azure.forEach((g, k) => {
      if (g === undefined) return;
      const at = ["partners", i, "azure", k];
      if (!containers.has(g.container)) {
        issue(
          [...at, "container"],
          `container "${g.container}" is not declared under containers; declare it or fix the name`,
        );
      }
      const key = `${g.container}/${g.path ?? ""}`;
      const prev = azureSeen.get(key);
      const where =
        g.path === undefined
          ? `container "${g.container}"`
          : `path "${g.path}" of container "${g.container}"`;
      if (prev !== undefined && prev.access === g.access) {
        issue(at, `the same grant on ${where} is listed twice (first at azure[${prev.index}]); remove one`);
      } else if (prev !== undefined) {
        issue(
          [...at, "access"],
          `two grants on ${where} with different access ("${prev.access}" at azure[${prev.index}] and "${g.access}"); keep one grant with the access the partner needs`,
        );
      } else azureSeen.set(key, { access: g.access, index: k });
    });

    // One partner's nested directories (a and a/b) cannot both be ACL grants: the outer grant is applied
    // recursively and would overwrite the inner grant's entries on every update.
    const ownPaths = p.azure.flatMap((g, k) => (g === undefined || g.path === undefined ? [] : [{ g, k }]));
    for (const inner of ownPaths) {
      const outer = ownPaths.find(
        (o) => o.k !== inner.k && o.g.container === inner.g.container && inner.g.path!.startsWith(`${o.g.path}/`),
      );
      if (outer !== undefined) {
        issue(
          ["partners", i, "azure", inner.k, "path"],
          `path "${inner.g.path}" lies inside path "${outer.g.path}" (azure[${outer.k}]) of the same partner in container "${inner.g.container}"; keep one grant on "${outer.g.path}" with the access the partner needs`,
        );
      }
    }

    const awsSeen = new Map<string, { access: Access; index: number }>();
    p.aws.forEach((g, k) => {
      if (g === undefined) return;
      const at = ["partners", i, "aws", k];
      if (!buckets.has(g.bucket)) {
        issue(
          [...at, "bucket"],
          `bucket "${g.bucket}" is not declared under buckets; declare it or fix the name`,
        );
      }
      const key = `${g.bucket}/${g.prefix}`;
      const prev = awsSeen.get(key);
      const where = `prefix "${g.prefix}" of bucket "${g.bucket}"`;
      if (prev !== undefined && prev.access === g.access) {
        issue(at, `the same grant on ${where} is listed twice (first at aws[${prev.index}]); remove one`);
      } else if (prev !== undefined) {
        issue(
          [...at, "access"],
          `two grants on ${where} with different access ("${prev.access}" at aws[${prev.index}] and "${g.access}"); keep one grant with the access the partner needs`,
        );
      } else awsSeen.set(key, { access: g.access, index: k });
    });
  });

  for (const f of isolationFindings(m)) issue(f.at.at, f.message);
}
