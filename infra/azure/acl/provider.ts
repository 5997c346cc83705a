import type * as pulumi from "@pulumi/pulumi";
import type { TokenCredential } from "@azure/identity";
import type {
  AccessControlChanges,
  DataLakeDirectoryClient,
  PathAccessControlItem,
  PathChangeAccessControlRecursiveResponse,
  RemovePathAccessControlItem,
} from "@azure/storage-file-datalake";

/**
 * The Pulumi dynamic provider behind `PathAcl`: owns a set of ACL entries on one path of one ADLS Gen2 container
 * and never touches any other entry on that path.
 *
 * SELF-CONTAINED ON PURPOSE. Pulumi serialises a dynamic provider's object graph (its functions' source text and
 * everything they capture) into the state and runs it in a separate process
 * (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/#how-dynamic-providers-work). So this
 * module has no runtime imports: only `import type`, which TypeScript erases. The Azure SDKs are loaded with
 * `require` inside the functions that need them, and every helper is a plain function in this file.
 *
 * Why read-modify-write with the ETag instead of a plain "set": Path Update `setAccessControl` REPLACES the whole
 * ACL (https://learn.microsoft.com/rest/api/storageservices/datalakestoragegen2/path/update). Writing back the
 * ACL we read, with only our entries changed and `If-Match: <etag>`, keeps every foreign entry (the platform's own
 * service principals, manual entries, other resources) and turns a concurrent change into HTTP 412, after which
 * we read again and merge again instead of clobbering it.
 *
 * The mask (access and default): named entries and the owning group are ANDed with the mask
 * (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-access-control#the-mask). A new
 * container's root can carry a mask narrower than what we grant (Microsoft documents 750 there), which would cut
 * `-wx` down to `--x` and silently break a drop box. So after merging, the mask of each scope that holds named
 * entries is widened by exactly our entries' permissions (mask := mask | ours); when there is no mask yet it is
 * computed the POSIX way, as the union of the owning group and all named entries. We never narrow a mask (that
 * could cut someone else's entry) and never remove one on delete (a leftover mask only re-states permissions that
 * entries already hold). Widening can lift a foreign entry that someone deliberately cut with the mask up to at
 * most our own permissions; that is the price of not having our grant silently cut, and it is logged. `read`
 * reports an owned entry cut by the mask with its effective permissions, so a narrowed mask shows as drift.
 *
 * A default named entry needs a complete default ACL (POSIX requires default user::, group::, other::). When a
 * directory has none yet, the base entries are copied from its access ACL, as HDFS does (AclTransformation
 * "copyDefaultsIfNeeded"), so new children keep the directory's base permissions.
 */

// ---------------------------------------------------------------------------------------------------------------
// ACL entry strings (REST header x-ms-acl): comma separated "[default:]type:id:perms".

export type AclScope = "access" | "default";
export type AclType = "user" | "group" | "mask" | "other";

export interface AclEntry {
  scope: AclScope;
  type: AclType;
  /** Entra object id for named entries, "" for the base entries (owning user/group, mask, other). */
  id: string;
  /** "rwx" form with "-" for an absent permission. */
  perms: string;
}

/**
 * The value Pulumi puts in place of an input that is not known yet (preview). Internal code uses the
 * non-exported constant: TypeScript's CommonJS output reads exported constants through `exports.X`, which would
 * make the serialised provider capture this whole module's exports object.
 */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN = UNKNOWN_VALUE;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PERMS_RE = /^[r-][w-][x-]$/;

/** Parse one entry; throws an Error that says what is wrong with it. */
export function parseAclEntry(text: string): AclEntry {
  const parts = text.trim().split(":");
  let scope: AclScope = "access";
  if (parts[0] === "default") {
    scope = "default";
    parts.shift();
  }
  if (parts.length !== 3) {
    throw new Error(`ACL entry "${text}" must look like "[default:]user|group:<object id>:rwx"`);
  }
  const [type, id, perms] = parts as [string, string, string];
  if (type !== "user" && type !== "group" && type !== "mask" && type !== "other") {
    throw new Error(`ACL entry "${text}" has type "${type}"; expected user, group, mask or other`);
  }
  if (!PERMS_RE.test(perms)) {
    throw new Error(
      `ACL entry "${text}" has permissions "${perms}"; expected three characters like r-x, -wx or rwx`,
    );
  }
  return { scope, type, id: id.toLowerCase(), perms };
}

/** Parse a whole ACL string as the service returns it ("" means no entries). */
export function parseAcl(text: string | undefined): AclEntry[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map(parseAclEntry);
}

export function formatAclEntry(e: AclEntry): string {
  return `${e.scope === "default" ? "default:" : ""}${e.type}:${e.id}:${e.perms}`;
}

/** Identity of an entry on a path: an ACL holds at most one entry per key. */
export function aclEntryKey(e: Pick<AclEntry, "scope" | "type" | "id">): string {
  return `${e.scope === "default" ? "default:" : ""}${e.type}:${e.id}`;
}

export function formatAcl(entries: AclEntry[]): string {
  return entries.map(formatAclEntry).join(",");
}

const TYPE_ORDER: Record<string, number> = {
  "user:": 0,
  user: 1,
  "group:": 2,
  group: 3,
  "mask:": 4,
  "other:": 5,
};

function entryRank(e: AclEntry): number {
  const base = e.id === "" ? `${e.type}:` : e.type;
  return (e.scope === "default" ? 10 : 0) + (TYPE_ORDER[base] ?? 9);
}

/** Canonical order: user::, named users, group::, named groups, mask::, other::, then the same for default. */
export function sortAcl(entries: AclEntry[]): AclEntry[] {
  return [...entries].sort((a, b) => entryRank(a) - entryRank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Why an owned entry string is unacceptable, or undefined. Owned entries are named user/group entries with an
 * Entra object id: base entries (owning user/group, mask, other) belong to the path, not to a resource.
 */
export function ownedEntryProblem(text: string): string | undefined {
  let e: AclEntry;
  try {
    e = parseAclEntry(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (e.type === "mask" || e.type === "other" || e.id === "") {
    return `ACL entry "${text}" is a base entry (owning user/group, mask or other); a PathAcl owns named user/group entries only`;
  }
  if (!GUID_RE.test(e.id)) {
    return `ACL entry "${text}" must name an Entra OBJECT id (a GUID such as a managed identity's principalId), not "${e.id}"`;
  }
  return undefined;
}

function permBits(perms: string): number {
  return (perms[0] === "r" ? 4 : 0) | (perms[1] === "w" ? 2 : 0) | (perms[2] === "x" ? 1 : 0);
}

function bitsToPerms(bits: number): string {
  return `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
}

function isNamed(e: AclEntry): boolean {
  return (e.type === "user" || e.type === "group") && e.id !== "";
}

export interface MergeResult {
  acl: AclEntry[];
  changed: boolean;
  /** Human-readable notes: adopted entries, widened masks. */
  notes: string[];
}

/**
 * Merge owned entries into a path's current ACL: remove `removeKeys`, then add or change `upsert`, keep every
 * other entry as it is, widen each scope's mask just enough for the owned entries (see the module comment) and
 * complete a default ACL that gets named entries. Pure; the provider writes the result with If-Match.
 */
export function mergeOwnedEntries(
  current: AclEntry[],
  upsert: AclEntry[],
  removeKeys: string[],
): MergeResult {
  const notes: string[] = [];
  const upsertKeys = new Set(upsert.map(aclEntryKey));
  const remove = new Set(removeKeys.filter((k) => !upsertKeys.has(k)));
  const byKey = new Map<string, AclEntry>();
  for (const e of current) if (!remove.has(aclEntryKey(e))) byKey.set(aclEntryKey(e), { ...e });
  for (const e of upsert) {
    const prev = byKey.get(aclEntryKey(e));
    if (prev !== undefined && prev.perms !== e.perms)
      notes.push(`${aclEntryKey(e)}: ${prev.perms} -> ${e.perms}`);
    byKey.set(aclEntryKey(e), { ...e });
  }
  const get = (scope: AclScope, type: AclType) => byKey.get(aclEntryKey({ scope, type, id: "" }));
  const all = () => [...byKey.values()];

  if (all().some((e) => e.scope === "default" && isNamed(e))) {
    for (const type of ["user", "group", "other"] as const) {
      if (get("default", type) === undefined) {
        const base = get("access", type);
        // Without an access base entry (never the case on a real path) fall back to no permissions.
        byKey.set(aclEntryKey({ scope: "default", type, id: "" }), {
          scope: "default",
          type,
          id: "",
          perms: base?.perms ?? "---",
        });
      }
    }
  }

  for (const scope of ["access", "default"] as const) {
    const named = all().filter((e) => e.scope === scope && isNamed(e));
    if (named.length === 0) continue;
    const mask = get(scope, "mask");
    const ours = upsert.filter((e) => e.scope === scope).reduce((bits, e) => bits | permBits(e.perms), 0);
    if (mask === undefined) {
      const owningGroup = get(scope, "group");
      const bits = named.reduce(
        (b, e) => b | permBits(e.perms),
        owningGroup ? permBits(owningGroup.perms) : 0,
      );
      byKey.set(aclEntryKey({ scope, type: "mask", id: "" }), {
        scope,
        type: "mask",
        id: "",
        perms: bitsToPerms(bits),
      });
    } else if ((permBits(mask.perms) | ours) !== permBits(mask.perms)) {
      const widened = bitsToPerms(permBits(mask.perms) | ours);
      notes.push(
        `${scope === "default" ? "default:" : ""}mask: ${mask.perms} -> ${widened} so owned entries keep their permissions`,
      );
      mask.perms = widened;
    }
  }

  const acl = sortAcl(all());
  const changed = formatAcl(acl) !== formatAcl(sortAcl(current));
  return { acl, changed, notes };
}

/**
 * The owned entries as they are actually in effect on the path: present entries among `ownedKeys`, with the
 * permissions the mask lets through (an entry the mask cuts is reported with less, so `pulumi refresh` shows it
 * as drift and the next update widens the mask again).
 */
export function effectiveOwnedEntries(current: AclEntry[], ownedKeys: string[]): string[] {
  const keys = new Set(ownedKeys);
  const masks = new Map(
    current.filter((e) => e.type === "mask").map((e) => [e.scope, permBits(e.perms)] as const),
  );
  return sortAcl(current.filter((e) => keys.has(aclEntryKey(e))))
    .map((e) => ({ ...e, perms: bitsToPerms(permBits(e.perms) & (masks.get(e.scope) ?? 7)) }))
    .map(formatAclEntry);
}

/** Owned entries, normalised: parsed, lowercased, canonical order. */
export function normaliseEntries(entries: string[]): string[] {
  return sortAcl(entries.map(parseAclEntry)).map(formatAclEntry);
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs and their validation (the provider's `check`, also called synchronously by PathAcl's constructor).

export interface PathAclInputs {
  accountName: string;
  fileSystem: string;
  /** "/" for the container's root, otherwise "/dir/sub" (leading "/", no trailing "/"). */
  path: string;
  entries: string[];
  recursive?: boolean;
  createDirectory?: boolean;
  endpoint?: string;
  batchSize?: number;
}

export interface PathAclOutputs extends PathAclInputs {
  recursive: boolean;
  createDirectory: boolean;
  /** The owned entries as applied (after create/update) or as found in effect (after refresh). */
  appliedEntries: string[];
}

export interface InputProblem {
  property: string;
  reason: string;
}

/** Largest `maxRecords` the recursive ACL operation accepts per batch. */
const MAX_RECORDS = 2000;
export const MAX_BATCH_SIZE = MAX_RECORDS;

function isUnknown(v: unknown): boolean {
  return v === UNKNOWN_VALUE;
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Problems with (possibly partly unknown) inputs; unknown values are skipped, they are checked once known. */
export function pathAclInputProblems(inputs: Record<string, unknown>): InputProblem[] {
  const problems: InputProblem[] = [];
  const add = (property: string, reason: string) => problems.push({ property, reason });
  const { accountName, fileSystem, path, entries, recursive, createDirectory, endpoint, batchSize } = inputs;

  if (!isUnknown(accountName) && (typeof accountName !== "string" || !/^[a-z0-9]{3,24}$/.test(accountName))) {
    add("accountName", "accountName must be the storage account name: 3-24 lowercase letters and digits");
  }
  if (
    !isUnknown(fileSystem) &&
    (typeof fileSystem !== "string" || !/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(fileSystem))
  ) {
    add(
      "fileSystem",
      "fileSystem must be a container name: 3-63 lowercase letters, digits and single hyphens",
    );
  }
  if (!isUnknown(path)) {
    const segments = typeof path === "string" ? path.split("/").slice(1) : [];
    const ok =
      typeof path === "string" &&
      (path === "/" ||
        (path.startsWith("/") &&
          segments.every((s) => s !== "" && s !== "." && s !== ".." && /^[A-Za-z0-9._-]+$/.test(s))));
    if (!ok)
      add(
        "path",
        `path must be "/" (the container root) or an absolute directory like "/partner/reports" without a trailing "/" (got ${JSON.stringify(path)})`,
      );
  }
  if (!isUnknown(entries)) {
    if (!Array.isArray(entries)) {
      add("entries", 'entries must be a list of ACL entry strings such as "user:<object id>:r-x"');
    } else {
      const seen = new Map<string, string>();
      entries.forEach((text: unknown, i) => {
        if (isUnknown(text)) return;
        if (typeof text !== "string") return add(`entries[${i}]`, "each entry must be a string");
        const problem = ownedEntryProblem(text);
        if (problem !== undefined) return add(`entries[${i}]`, problem);
        const key = aclEntryKey(parseAclEntry(text));
        const first = seen.get(key);
        if (first !== undefined)
          add(`entries[${i}]`, `ACL entry "${text}" repeats "${first}": one entry per principal and scope`);
        else seen.set(key, text);
      });
      if (
        path === "/" &&
        entries.some((t) => typeof t === "string" && !isUnknown(t) && t.trim().startsWith("default:"))
      ) {
        // Allowed by the service, but a default entry on the root is inherited by everything created anywhere in
        // the container: never what a partner grant or a drop box wants.
        add(
          "entries",
          'default: entries on the container root "/" would be inherited by every new file and directory in the container; grant them on a directory',
        );
      }
    }
  }
  for (const [name, value] of [
    ["recursive", recursive],
    ["createDirectory", createDirectory],
  ] as const) {
    if (value !== undefined && !isUnknown(value) && typeof value !== "boolean")
      add(name, `${name} must be true or false`);
  }
  if (
    batchSize !== undefined &&
    !isUnknown(batchSize) &&
    (typeof batchSize !== "number" ||
      !Number.isInteger(batchSize) ||
      batchSize < 1 ||
      batchSize > MAX_RECORDS)
  ) {
    add("batchSize", `batchSize must be a whole number from 1 to ${MAX_RECORDS}`);
  }
  if (endpoint !== undefined && !isUnknown(endpoint)) {
    let url: URL | undefined;
    try {
      url = typeof endpoint === "string" ? new URL(endpoint) : undefined;
    } catch {
      url = undefined;
    }
    if (url === undefined || url.search !== "" || url.hash !== "") {
      add(
        "endpoint",
        "endpoint must be the account's DFS URL, e.g. https://<account>.dfs.core.windows.net (no query string)",
      );
    } else if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      // Bearer tokens are never sent over plain HTTP; plain HTTP is only accepted for a local test double.
      add(
        "endpoint",
        "endpoint must use https:// (plain http:// is accepted only on a loopback address, for local tests)",
      );
    }
  }
  return problems;
}

/** Inputs with defaults applied and entries normalised (only when they are all known). */
export function normaliseInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...inputs };
  out.recursive = inputs.recursive ?? false;
  out.createDirectory = inputs.createDirectory ?? false;
  const entries = inputs.entries;
  if (Array.isArray(entries) && entries.every((e) => typeof e === "string" && !isUnknown(e))) {
    out.entries = normaliseEntries(entries as string[]);
  }
  if (typeof inputs.endpoint === "string" && !isUnknown(inputs.endpoint))
    out.endpoint = inputs.endpoint.replace(/\/+$/, "");
  return out;
}

function endpointOf(inputs: Pick<PathAclInputs, "accountName" | "endpoint">): string {
  return inputs.endpoint ?? `https://${inputs.accountName}.dfs.core.windows.net`;
}

/** Fields whose change means another path: the old entries are removed first, then the new ones added. */
const IDENTITY_FIELDS = ["accountName", "fileSystem", "path"] as const;

/**
 * What an update changes. Replacement when the path's identity changes (delete before create, so the old path's
 * entries are removed even when the new path is the same directory under another endpoint name); an in-place
 * update when the owned entries, `recursive` or `createDirectory` change. `olds` are the previous outputs, so
 * `appliedEntries` (refreshed by `read`) is compared: drift found by `pulumi refresh` / `preview --refresh`
 * shows as a change.
 */
export function diffPathAcl(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): pulumi.dynamic.DiffResult {
  const replaces: string[] = IDENTITY_FIELDS.filter((f) => isUnknown(news[f]) || olds[f] !== news[f]);
  const trimmed = (v: unknown) => (typeof v === "string" ? v.replace(/\/+$/, "") : v);
  const endpointOld = trimmed(olds.endpoint);
  const endpointNew = trimmed(news.endpoint);
  if (isUnknown(news.endpoint) || endpointOld !== endpointNew) replaces.push("endpoint");

  const newEntries = news.entries;
  const entriesUnknown = !Array.isArray(newEntries) || newEntries.some(isUnknown);
  const oldApplied = (Array.isArray(olds.appliedEntries) ? olds.appliedEntries : olds.entries) as
    string[] | undefined;
  const entriesChanged =
    entriesUnknown ||
    JSON.stringify(normaliseEntries(newEntries as string[])) !==
      JSON.stringify(normaliseEntries(oldApplied ?? []));
  const flagChanged = (f: "recursive" | "createDirectory") =>
    isUnknown(news[f]) || (olds[f] ?? false) !== (news[f] ?? false);
  const changes =
    replaces.length > 0 || entriesChanged || flagChanged("recursive") || flagChanged("createDirectory");
  return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// Talking to the service: retries, errors, SDK loading.

export interface PathAclProviderOptions {
  /** Attempts per request for 429/500/503, timeouts and connection errors. Default 6. */
  maxAttempts?: number;
  /** First backoff delay; doubles per attempt, with jitter. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap of the computed backoff delay. Default 30 s. */
  maxDelayMs?: number;
  /** Cap of a server-sent Retry-After. Default 120 s. */
  maxRetryAfterMs?: number;
  /** Client-side timeout of one request. Default 60 s. */
  requestTimeoutMs?: number;
  /** Client-side timeout of one recursive batch. Default 300 s. */
  recursiveTimeoutMs?: number;
  /** Read-modify-write rounds after HTTP 412 (the ACL changed between our read and our write). Default 8. */
  maxConcurrencyRetries?: number;
  /** Progress and notes. Default: pulumi.log.info when running under the engine, else stderr. */
  log?: (message: string) => void;
}

interface Ctx {
  opts: Required<Omit<PathAclProviderOptions, "log">>;
  log: (message: string) => void;
  where: string;
  accountName: string;
}

interface HttpishError {
  name?: string;
  code?: string;
  message?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
  innerError?: HttpishError;
}

function asHttpish(e: unknown): HttpishError {
  const err = (typeof e === "object" && e !== null ? e : {}) as HttpishError;
  // DataLakeAclChangeFailedError wraps the RestError of a failed recursive batch.
  return err.statusCode === undefined && err.innerError !== undefined ? err.innerError : err;
}

export function statusOf(e: unknown): number | undefined {
  return asHttpish(e).statusCode;
}

function errorCodeOf(e: unknown): string {
  const err = asHttpish(e);
  return err.response?.headers?.get("x-ms-error-code") ?? err.code ?? "";
}

/** Delay a throttled/unavailable response asks for: retry-after-ms, x-ms-retry-after-ms, Retry-After (s or date). */
export function retryAfterMs(e: unknown, now: number = Date.now()): number | undefined {
  const headers = asHttpish(e).response?.headers;
  if (headers === undefined) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = headers.get(name);
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  }
  const ra = headers.get("retry-after");
  if (ra === undefined) return undefined;
  if (/^\d+$/.test(ra.trim())) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const RETRIED_STATUSES = new Set([429, 500, 503]);

function isTransient(e: unknown): boolean {
  const err = asHttpish(e);
  if (err.statusCode !== undefined) return RETRIED_STATUSES.has(err.statusCode);
  // No HTTP response at all: our per-request timeout fired, or the connection failed.
  return (
    err.name === "AbortError" ||
    err.name === "TimeoutError" ||
    err.code === "REQUEST_SEND_ERROR" ||
    /ECONNRESET|ECONNREFUSED|socket hang up/.test(err.message ?? "")
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeFailure(e: unknown): string {
  const status = statusOf(e);
  const code = errorCodeOf(e);
  if (status !== undefined) return `HTTP ${status}${code ? ` ${code}` : ""}`;
  const err = asHttpish(e);
  return err.name === "AbortError" || err.name === "TimeoutError" ? "timed out" : (err.message ?? String(e));
}

/** The message for a 403: what the deploying principal is missing, and how to fix it. */
export function forbiddenMessage(what: string, where: string, accountName: string, e: unknown): string {
  return (
    `ADLS Gen2 refused to ${what} on ${where} (${describeFailure(e)}). Changing ACLs requires the principal ` +
    `Pulumi deploys with (the same credentials as the azure-native provider) to hold Storage Blob Data Owner on ` +
    `storage account "${accountName}" (or to own the path): assign that role, wait a few minutes for it to ` +
    `propagate, and run the update again.`
  );
}

async function withRetry<T>(
  ctx: Ctx,
  what: string,
  timeoutMs: number,
  op: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op(AbortSignal.timeout(timeoutMs));
    } catch (e) {
      const status = statusOf(e);
      if (status === 403) throw new Error(forbiddenMessage(what, ctx.where, ctx.accountName, e));
      if (!isTransient(e)) {
        // 404 and 412 are decisions for the caller (missing path, concurrent change); anything else is final.
        if (status === undefined || status === 404 || status === 412) throw e;
        throw new Error(
          `ADLS Gen2 could not ${what} on ${ctx.where} (${describeFailure(e)}): ${asHttpish(e).message ?? ""}`,
        );
      }
      if (attempt >= ctx.opts.maxAttempts) {
        throw new Error(
          `ADLS Gen2 kept failing to ${what} on ${ctx.where}: ${ctx.opts.maxAttempts} attempts, the last ${describeFailure(e)}. Try again later.`,
        );
      }
      const backoff =
        Math.min(ctx.opts.maxDelayMs, ctx.opts.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      const asked = retryAfterMs(e);
      const delay = asked !== undefined ? Math.min(asked, ctx.opts.maxRetryAfterMs) : backoff;
      ctx.log(
        `${ctx.where}: ${what} got ${describeFailure(e)}; retrying in ${Math.round(delay)} ms (attempt ${attempt + 1} of ${ctx.opts.maxAttempts})`,
      );
      await sleep(delay);
    }
  }
}

function defaultLog(message: string): void {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the provider is serialised (see the module comment)
    const p = require("@pulumi/pulumi") as typeof pulumi;
    void p.log.info(message);
  } catch {
    process.stderr.write(`${message}\n`);
  }
}

const CREDENTIAL_CACHE_KEY = "__skyportenOnboardingAdlsCredential";

/**
 * DefaultAzureCredential: environment (client secret/certificate), workload identity (federated token file, as
 * in CI with OIDC), managed identity, then the Azure CLI session (also what `azure/login` with OIDC sets up). One
 * instance per provider process so tokens are cached across resources. A plain-http loopback endpoint (a local
 * test double) gets no credential at all: tokens never travel over plain HTTP.
 */
function credentialFor(endpoint: URL): TokenCredential | undefined {
  if (endpoint.protocol === "http:") return undefined;
  const g = globalThis as unknown as Record<string, TokenCredential | undefined>;
  if (g[CREDENTIAL_CACHE_KEY] === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the provider is serialised
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    g[CREDENTIAL_CACHE_KEY] = new identity.DefaultAzureCredential();
  }
  return g[CREDENTIAL_CACHE_KEY];
}

function directoryClient(inputs: PathAclInputs): DataLakeDirectoryClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the provider is serialised
  const dl = require("@azure/storage-file-datalake") as typeof import("@azure/storage-file-datalake");
  const endpoint = endpointOf(inputs);
  const credential = credentialFor(new URL(endpoint));
  // Our own retry loop handles 429 and honours Retry-After; the SDK's storage retry policy retries only 500/503
  // and ignores Retry-After, so it is switched off (one try per call).
  const service = new dl.DataLakeServiceClient(endpoint, credential ?? new dl.AnonymousCredential(), {
    retryOptions: { maxTries: 1 },
    userAgentOptions: { userAgentPrefix: "skyporten-onboarding-pathacl" },
  });
  // The root directory is addressed as "/" (the Python SDK's root directory client does the same).
  return service
    .getFileSystemClient(inputs.fileSystem)
    .getDirectoryClient(inputs.path === "/" ? "/" : inputs.path.slice(1));
}

function toSdkItem(e: AclEntry): PathAccessControlItem {
  return {
    defaultScope: e.scope === "default",
    accessControlType: e.type,
    entityId: e.id,
    permissions: { read: e.perms[0] === "r", write: e.perms[1] === "w", execute: e.perms[2] === "x" },
  };
}

function fromSdkItem(i: PathAccessControlItem): AclEntry {
  const p = i.permissions;
  return {
    scope: i.defaultScope ? "default" : "access",
    type: i.accessControlType,
    id: (i.entityId ?? "").toLowerCase(),
    perms: `${p.read ? "r" : "-"}${p.write ? "w" : "-"}${p.execute ? "x" : "-"}`,
  };
}

function notFound(ctx: Ctx, inputs: PathAclInputs, e: unknown): Error {
  const code = errorCodeOf(e);
  if (code === "FilesystemNotFound" || code === "ContainerNotFound") {
    return new Error(
      `container "${inputs.fileSystem}" does not exist in storage account "${inputs.accountName}" (${ctx.where}); create the container first`,
    );
  }
  return new Error(`${ctx.where} does not exist; create the directory first or set createDirectory: true`);
}

/** Create the directory and any missing parent, top down; never deletes anything. */
async function ensureDirectory(ctx: Ctx, inputs: PathAclInputs): Promise<void> {
  const segments = inputs.path.split("/").slice(1);
  for (let i = 1; i <= segments.length; i++) {
    const dir = directoryClient({ ...inputs, path: `/${segments.slice(0, i).join("/")}` });
    const created = await withRetry(ctx, "create the directory", ctx.opts.requestTimeoutMs, (abortSignal) =>
      dir.createIfNotExists({ abortSignal }),
    );
    if (created.succeeded) ctx.log(`${ctx.where}: created directory /${segments.slice(0, i).join("/")}`);
  }
}

/** Read-modify-write of the path's own ACL with If-Match; returns false when the path does not exist. */
async function mergeOnPath(
  ctx: Ctx,
  inputs: PathAclInputs,
  upsert: AclEntry[],
  removeKeys: string[],
  missingOk: boolean,
): Promise<boolean> {
  const dir = directoryClient(inputs);
  for (let round = 1; ; round++) {
    let current;
    try {
      current = await withRetry(ctx, "read the ACL", ctx.opts.requestTimeoutMs, (abortSignal) =>
        dir.getAccessControl({ abortSignal }),
      );
    } catch (e) {
      if (statusOf(e) === 404) {
        if (missingOk) return false;
        throw notFound(ctx, inputs, e);
      }
      throw e;
    }
    const merged = mergeOwnedEntries(current.acl.map(fromSdkItem), upsert, removeKeys);
    if (!merged.changed) return true;
    for (const note of merged.notes) ctx.log(`${ctx.where}: ${note}`);
    try {
      await withRetry(ctx, "write the ACL", ctx.opts.requestTimeoutMs, (abortSignal) =>
        dir.setAccessControl(merged.acl.map(toSdkItem), {
          abortSignal,
          conditions: { ifMatch: current.etag },
        }),
      );
      return true;
    } catch (e) {
      if (statusOf(e) === 404 && missingOk) return false;
      if (statusOf(e) !== 412) throw e;
      if (round >= ctx.opts.maxConcurrencyRetries) {
        throw new Error(
          `${ctx.where}: the ACL changed between every read and write (${round} rounds, HTTP 412); something else is rewriting it constantly. Try again later.`,
        );
      }
      ctx.log(
        `${ctx.where}: the ACL changed since it was read (HTTP 412); reading it again (round ${round + 1})`,
      );
      await sleep(Math.min(ctx.opts.maxDelayMs, ctx.opts.baseDelayMs * round * Math.random()));
    }
  }
}

/**
 * Apply owned entries to the path and everything below it, one batch per request with continuation tokens, so a
 * failed batch is retried from where it stopped and progress is logged per batch. Modify merges the given entries
 * into each child's ACL and remove deletes only the given keys: other entries on the children are untouched
 * (https://learn.microsoft.com/azure/storage/blobs/data-lake-storage-acl-javascript, "Set ACLs recursively").
 */
async function applyRecursive(
  ctx: Ctx,
  inputs: PathAclInputs,
  mode: "modify" | "remove",
  entries: AclEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const dir = directoryClient(inputs);
  const batchSize = inputs.batchSize ?? MAX_RECORDS;
  const total = { directories: 0, files: 0 };
  let continuationToken: string | undefined;
  let batch = 0;
  do {
    const failures: string[] = [];
    const options = {
      batchSize,
      maxBatches: 1,
      continuationToken,
      onProgress: (p: AccessControlChanges) => {
        for (const f of p.batchFailures) failures.push(`${f.name}: ${f.message}`);
      },
    };
    const what = mode === "modify" ? "update ACLs recursively" : "remove ACL entries recursively";
    const result: PathChangeAccessControlRecursiveResponse = await withRetry(
      ctx,
      what,
      ctx.opts.recursiveTimeoutMs,
      (abortSignal) =>
        mode === "modify"
          ? dir.updateAccessControlRecursive(entries.map(toSdkItem), { ...options, abortSignal })
          : dir.removeAccessControlRecursive(
              entries.map((e): RemovePathAccessControlItem => ({
                defaultScope: e.scope === "default",
                accessControlType: e.type,
                entityId: e.id,
              })),
              { ...options, abortSignal },
            ),
    );
    batch++;
    const c = result.counters;
    total.directories += c.changedDirectoriesCount;
    total.files += c.changedFilesCount;
    if (c.failedChangesCount > 0) {
      throw new Error(
        `${ctx.where}: ${what} failed on ${c.failedChangesCount} item(s) in batch ${batch}: ${failures.slice(0, 5).join("; ")}. ` +
          `Items owned by someone else need the deploying principal to hold Storage Blob Data Owner on storage account "${inputs.accountName}".`,
      );
    }
    continuationToken = result.continuationToken;
    ctx.log(
      `${ctx.where}: ${mode} recursive batch ${batch}: ${c.changedDirectoriesCount} directories, ${c.changedFilesCount} files ` +
        `(total ${total.directories} directories, ${total.files} files)${continuationToken ? ", continuing" : ", done"}`,
    );
  } while (continuationToken);
}

function resolvedOptions(options: PathAclProviderOptions): Ctx["opts"] {
  return {
    maxAttempts: options.maxAttempts ?? 6,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
    recursiveTimeoutMs: options.recursiveTimeoutMs ?? 300_000,
    maxConcurrencyRetries: options.maxConcurrencyRetries ?? 8,
  };
}

function contextFor(options: PathAclProviderOptions, inputs: PathAclInputs): Ctx {
  return {
    opts: resolvedOptions(options),
    log: options.log ?? defaultLog,
    where: `${inputs.accountName}/${inputs.fileSystem}${inputs.path === "/" ? "/" : inputs.path}`,
    accountName: inputs.accountName,
  };
}

function ownedKeysOf(props: Partial<PathAclOutputs>): string[] {
  const texts = [...(props.appliedEntries ?? []), ...(props.entries ?? [])].filter(
    (t) => typeof t === "string" && !isUnknown(t),
  );
  return [...new Set(texts.map((t) => aclEntryKey(parseAclEntry(t))))];
}

function idFor(inputs: PathAclInputs, entries: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: the provider is serialised
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const digest = crypto
    .createHash("sha256")
    .update(entries.map((e) => aclEntryKey(parseAclEntry(e))).join(","))
    .digest("hex")
    .slice(0, 12);
  return `${endpointOf(inputs)}/${inputs.fileSystem}${inputs.path === "/" ? "/" : inputs.path}#${digest}`;
}

function failIfInvalid(inputs: Record<string, unknown>): void {
  const problems = pathAclInputProblems(inputs);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.property}: ${p.reason}`).join("; "));
}

/** The provider object. One instance per options object; PathAcl uses the default one. */
export function createPathAclProvider(
  options: PathAclProviderOptions = {},
): pulumi.dynamic.ResourceProvider<PathAclInputs, PathAclOutputs> {
  return {
    check(_olds: PathAclInputs, news: PathAclInputs) {
      const failures = pathAclInputProblems(news as unknown as Record<string, unknown>);
      // Normalising needs parseable entries: with failures the inputs go back as given, with the failures.
      const inputs =
        failures.length > 0
          ? news
          : (normaliseInputs(news as unknown as Record<string, unknown>) as unknown as PathAclInputs);
      return Promise.resolve({ inputs, failures });
    },

    diff(_id: string, olds: PathAclOutputs, news: PathAclInputs) {
      return Promise.resolve(
        diffPathAcl(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>),
      );
    },

    async create(inputs: PathAclInputs) {
      failIfInvalid(inputs as unknown as Record<string, unknown>);
      const ctx = contextFor(options, inputs);
      const entries = normaliseEntries(inputs.entries);
      const parsed = entries.map(parseAclEntry);
      if (inputs.createDirectory === true && inputs.path !== "/") await ensureDirectory(ctx, inputs);
      await mergeOnPath(ctx, inputs, parsed, [], false);
      if (inputs.recursive === true) await applyRecursive(ctx, inputs, "modify", parsed);
      const outs: PathAclOutputs = {
        ...inputs,
        recursive: inputs.recursive ?? false,
        createDirectory: inputs.createDirectory ?? false,
        entries,
        appliedEntries: entries,
      };
      return { id: idFor(inputs, entries), outs };
    },

    async update(_id: string, olds: PathAclOutputs, news: PathAclInputs) {
      failIfInvalid(news as unknown as Record<string, unknown>);
      const ctx = contextFor(options, news);
      const entries = normaliseEntries(news.entries);
      const parsed = entries.map(parseAclEntry);
      const newKeys = new Set(parsed.map(aclEntryKey));
      const removedKeys = ownedKeysOf(olds).filter((k) => !newKeys.has(k));
      if (news.createDirectory === true && news.path !== "/") await ensureDirectory(ctx, news);
      await mergeOnPath(ctx, news, parsed, removedKeys, false);
      // Removals reach the children whenever the entries were, or will be, applied to them.
      if (olds.recursive === true || news.recursive === true) {
        const removed = removedKeys.map((k) => parseAclEntry(`${k}:---`));
        await applyRecursive(ctx, news, "remove", removed);
      }
      if (news.recursive === true) {
        const before = new Set(olds.appliedEntries ?? olds.entries ?? []);
        const changed =
          olds.recursive === true ? parsed.filter((e) => !before.has(formatAclEntry(e))) : parsed;
        await applyRecursive(ctx, news, "modify", changed);
      }
      const outs: PathAclOutputs = {
        ...news,
        recursive: news.recursive ?? false,
        createDirectory: news.createDirectory ?? false,
        entries,
        appliedEntries: entries,
      };
      return { outs };
    },

    async delete(_id: string, props: PathAclOutputs) {
      const ctx = contextFor(options, props);
      const keys = ownedKeysOf(props);
      const exists = await mergeOnPath(ctx, props, [], keys, true);
      if (!exists) {
        ctx.log(`${ctx.where}: path no longer exists; nothing to remove`);
        return;
      }
      if (props.recursive === true) {
        try {
          await applyRecursive(
            ctx,
            props,
            "remove",
            keys.map((k) => parseAclEntry(`${k}:---`)),
          );
        } catch (e) {
          if (statusOf(e) !== 404) throw e;
        }
      }
    },

    async read(id: string, props?: PathAclOutputs) {
      if (props === undefined || typeof props.accountName !== "string" || !Array.isArray(props.entries)) {
        throw new Error(
          `PathAcl ${id} cannot be read without its properties (account, container, path, entries): it can be refreshed, not imported by id`,
        );
      }
      const ctx = contextFor(options, props);
      const dir = directoryClient(props);
      let acl: AclEntry[];
      try {
        acl = (
          await withRetry(ctx, "read the ACL", ctx.opts.requestTimeoutMs, (abortSignal) =>
            dir.getAccessControl({ abortSignal }),
          )
        ).acl.map(fromSdkItem);
      } catch (e) {
        // The directory is gone, and our entries with it: report the resource as deleted.
        if (statusOf(e) === 404) return { id: "" };
        throw e;
      }
      const appliedEntries = effectiveOwnedEntries(acl, ownedKeysOf(props));
      return { id, props: { ...props, appliedEntries } };
    },
  };
}
