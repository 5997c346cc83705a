import * as fs from "node:fs";
import * as path from "node:path";
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node,
  type Document,
} from "yaml";
import type { z } from "zod";
import {
  lenientPartners,
  ManifestSchema,
  unquotedOrgNumberMessage,
  UNQUOTED_NUMBER,
  type Manifest,
} from "./schema";

/** One finding in a manifest, positioned for editors and CI annotations (`file:line:col path: message`). */
export interface Problem {
  severity: "error" | "warning";
  file: string;
  line: number;
  col: number;
  /** Field path such as `partners[1].azure[0].access`; empty for the whole document. */
  path: string;
  message: string;
}

export type LoadResult =
  | { ok: true; manifest: Manifest; warnings: Problem[] }
  | { ok: false; errors: Problem[]; warnings: Problem[] };

/** A problem at a manifest field, before it is positioned (`path` as zod gives it). */
export interface FieldProblem {
  path: (string | number)[];
  message: string;
}

export interface LoadOptions {
  /** The day `reviewBy` dates are judged against. Default: today (UTC). */
  today?: Date;
  /**
   * Further checks of a manifest that is valid on its own, e.g. what one stack's settings refuse
   * (infra/stackChecks.ts); their problems are errors, positioned like the schema's.
   */
  checks?: ManifestChecks;
}

/**
 * Further checks of a valid manifest. `key`, when set, names everything the checks depend on: two checks with
 * the same key refuse the same manifests, which lets a load be reused.
 */
export type ManifestChecks = ((manifest: Manifest) => FieldProblem[]) & { key?: string };

/** Guards against hostile or accidental input: checked before and while parsing, answered quickly. */
export const MANIFEST_LIMITS = {
  /** Bytes. A manifest of 5,000 partners is about 1 MB. */
  maxBytes: 4 * 1024 * 1024,
  /** Aliases resolved when converting to data: an alias bomb expands exponentially. */
  maxAliasCount: 100,
  /** Nesting of collections; the manifest itself needs 4. */
  maxDepth: 32,
} as const;

export const REVIEW_WARNING_DAYS = 30;

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path === "" ? "(document)" : p.path}: ${p.severity === "warning" ? "warning: " : ""}${p.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Load and validate a manifest file. Never throws for bad content: problems come back positioned. */
export function loadManifestFile(file: string, options: LoadOptions = {}): LoadResult {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return fail(
      file,
      `cannot read manifest file "${file}": it does not exist; pass the path of stacks/<stack>.yaml`,
    );
  }
  if (!stat.isFile()) return fail(file, `"${file}" is not a file; pass the path of stacks/<stack>.yaml`);
  if (stat.size > MANIFEST_LIMITS.maxBytes) return tooLarge(file, stat.size);
  const raw = fs.readFileSync(file, "utf8");
  // Reuse the last load only for the same text, file name, day and keyed checks (checks without a key: never).
  const checksKey = options.checks === undefined ? "" : options.checks.key;
  const key =
    checksKey === undefined
      ? undefined
      : [path.resolve(file), startOfDay(options.today ?? new Date()), checksKey, raw].join("\u0000");
  if (key !== undefined && lastLoad?.key === key) return lastLoad.result;
  const result = loadManifestText(raw, file, options);
  if (key !== undefined) lastLoad = { key, result };
  return result;
}

/**
 * The last file load of this process. The offline plan validates the manifest and then runs the program, which
 * loads the same file with the same checks again (0.3-0.5 s at 1,000 partners); `pulumi up` loads it once. Only
 * one entry is kept, compared by the whole text, so an edited file is always read afresh.
 */
let lastLoad: { key: string; result: LoadResult } | undefined;

/** Validate manifest text. Any input yields a typed manifest or positioned errors, never an exception. */
export function loadManifestText(raw: string, file: string, options: LoadOptions = {}): LoadResult {
  if (Buffer.byteLength(raw, "utf8") > MANIFEST_LIMITS.maxBytes)
    return tooLarge(file, Buffer.byteLength(raw, "utf8"));
  const text = withLineFeeds(raw);
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    // uniqueKeys (default true) makes a duplicate key an error: a second `access:` must not silently win.
    // stringKeys makes every key text and a collection used as a key an error.
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      stringKeys: true,
    });
  } catch (e) {
    return fail(
      file,
      `the manifest could not be parsed (${e instanceof Error ? e.name : "error"}); it is too deeply nested or malformed`,
    );
  }
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const problem = (offset: number | undefined, path: string, message: string): Problem => ({
    severity: "error",
    file,
    ...at(offset),
    path,
    message,
  });

  // yaml's composer recurses per nesting level and reports a stack overflow as RESOURCE_EXHAUSTION on every
  // level it unwinds through: one clear error instead of hundreds of copies.
  const exhausted = doc.errors.find((e) => e.code === "RESOURCE_EXHAUSTION");
  if (exhausted !== undefined)
    return { ok: false, errors: [problem(exhausted.pos[0], "", tooDeep())], warnings: [] };
  const errors: Problem[] = doc.errors.map((e) => {
    switch (e.code) {
      case "DUPLICATE_KEY": {
        const path = pathOfKeyAt(doc, e.pos[0]);
        const key = path?.[path.length - 1];
        return problem(
          e.pos[0],
          path === undefined ? "" : formatPath(path),
          `duplicate key${key === undefined ? "" : ` "${String(key)}"`}: a key may appear once per mapping (YAML would otherwise keep only the last value); remove or merge the duplicate`,
        );
      }
      case "MULTIPLE_DOCS":
        return problem(
          e.pos[0],
          "",
          'the manifest must be a single YAML document: remove the "---" separator and merge what follows into one document',
        );
      case "NON_STRING_KEY":
        return problem(e.pos[0], "", "keys must be plain text, not lists or mappings");
      default:
        return problem(e.pos[0], "", e.message.split("\n")[0]!);
    }
  });
  if (errors.length > 0) return { ok: false, errors: sorted(errors), warnings: [] };

  const depthProblem = checkDepth(doc.contents);
  if (depthProblem !== undefined)
    return { ok: false, errors: [problem(depthProblem, "", tooDeep())], warnings: [] };
  const aliasProblem = checkAliases(doc);
  if (aliasProblem !== undefined) {
    return {
      ok: false,
      errors: [problem(aliasProblem.offset, formatPath(aliasProblem.path), aliasProblem.message)],
      warnings: [],
    };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MANIFEST_LIMITS.maxAliasCount });
  } catch (e) {
    const why =
      e instanceof Error && /excessive alias count/i.test(e.message)
        ? `too many YAML aliases (more than ${MANIFEST_LIMITS.maxAliasCount} values through aliases); write entries out instead of using anchors`
        : `the YAML could not be converted to data (${e instanceof Error ? e.message : String(e)})`;
    return fail(file, why);
  }
  if (data === null || data === undefined) {
    // An emptied or truncated file must never read as "no partners": its plan would delete every identity.
    return fail(
      file,
      `the manifest is empty (${text.trim() === "" ? "no content" : "only comments or a null value"}); an emptied or truncated file would remove every partner's access: restore it, or write "partners: []" for a stack without partners`,
    );
  }

  const parsed = ManifestSchema.safeParse(data);
  if (!parsed.success)
    errors.push(...parsed.error.issues.flatMap((issue) => issueToProblems(issue, doc, file, at)));

  // Review dates are judged even when other fields are invalid, so all errors of the file come at once.
  const warnings: Problem[] = [];
  const today = startOfDay(options.today ?? new Date());
  lenientPartners(data).forEach((p, i) => {
    if (p?.reviewBy === undefined || p.status === "offboarded") return;
    const who = p.orgNumber === undefined ? `partners[${i}]` : `organization ${p.orgNumber}`;
    const days = Math.round((Date.parse(`${p.reviewBy}T00:00:00Z`) - today) / 86_400_000);
    const path: (string | number)[] = ["partners", i, "reviewBy"];
    const node = nodeAt(doc, path);
    if (days < 0) {
      errors.push(
        problem(
          node?.range?.[0],
          formatPath(path),
          `review of ${who} was due ${p.reviewBy}; review the access, then set a new reviewBy date or offboard the partner`,
        ),
      );
    } else if (days <= REVIEW_WARNING_DAYS) {
      warnings.push({
        ...problem(
          node?.range?.[0],
          formatPath(path),
          `review of ${who} is due ${p.reviewBy} (in ${days} days)`,
        ),
        severity: "warning",
      });
    }
  });
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: sorted(errors), warnings };
  const checked = options.checks?.(parsed.data) ?? [];
  if (checked.length > 0) {
    const positioned = checked.map((c) =>
      problem(nodeAt(doc, c.path)?.range?.[0], formatPath(c.path), c.message),
    );
    return { ok: false, errors: sorted(positioned), warnings };
  }
  return { ok: true, manifest: parsed.data, warnings };
}

/**
 * Line breaks as YAML defines them (CR LF, CR or LF: https://yaml.org/spec/1.2.2/#54-line-break-characters) made
 * LF, so a file saved with old Mac (CR-only) or mixed line endings is read line by line and positions count
 * lines as an editor shows them. The yaml library treats a lone CR as an ordinary character, so without this
 * a CR-only file is one comment line.
 */
export function withLineFeeds(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

function tooDeep(): string {
  return `collections are nested deeper than ${MANIFEST_LIMITS.maxDepth} levels; a manifest needs 4: check the brackets and indentation`;
}

/** Problems in file order (line, then column); ties keep the order they were found in. */
function sorted(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.col - b.p.col || a.i - b.i)
    .map((x) => x.p);
}

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function fail(file: string, message: string): LoadResult {
  return {
    ok: false,
    errors: [{ severity: "error", file, line: 1, col: 1, path: "", message }],
    warnings: [],
  };
}

function tooLarge(file: string, bytes: number): LoadResult {
  return fail(
    file,
    `the manifest is ${bytes} bytes, more than the ${MANIFEST_LIMITS.maxBytes} allowed; split stacks or check that the right file was given`,
  );
}

/** Iterative depth check (no recursion, so hostile nesting cannot overflow the stack). Returns an offset. */
function checkDepth(root: unknown): number | undefined {
  const stack: { node: unknown; depth: number }[] = [{ node: root, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth + 1 > MANIFEST_LIMITS.maxDepth) return node.range?.[0] ?? 0;
      for (const item of node.items) {
        if (isPair(item)) stack.push({ node: item.value, depth: depth + 1 });
        else stack.push({ node: item, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Aliases that yaml's toJS would not turn into plain data: one used before its anchor (toJS throws) and one
 * inside the collection it refers to (toJS builds a circular structure). Runs after checkDepth, so the
 * recursive visit is bounded.
 */
function checkAliases(
  doc: Document.Parsed,
): { offset: number; path: (string | number)[]; message: string } | undefined {
  const anchors = new Map<string, Node>();
  let found: { offset: number; path: (string | number)[]; message: string } | undefined;
  visit(doc, {
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        const where = { offset: node.range?.[0] ?? 0, path: fieldPath(ancestors, node) };
        if (target === undefined) {
          found = {
            ...where,
            message: `alias "*${node.source}" refers to no anchor "&${node.source}" defined before it; define the anchor first or write the value out`,
          };
        } else if (ancestors.includes(target)) {
          found = {
            ...where,
            message: `alias "*${node.source}" lies inside the collection it refers to; a manifest cannot contain itself`,
          };
        }
        if (found !== undefined) return visit.BREAK;
      } else if (node.anchor !== undefined) anchors.set(node.anchor, node);
      return undefined;
    },
  });
  return found;
}

/** The field path of `node` from yaml's visit ancestors (Document, collections and pairs). */
function fieldPath(ancestors: readonly unknown[], node: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  ancestors.forEach((a, i) => {
    const child = ancestors[i + 1] ?? node;
    if (isSeq(a)) out.push(a.items.indexOf(child));
    else if (isPair(a) && isScalar(a.key) && child === a.value) out.push(String(a.key.value));
  });
  return out;
}

/** The field path of the mapping key that starts at `offset` (for duplicate-key errors). Iterative. */
function pathOfKeyAt(doc: Document.Parsed, offset: number): (string | number)[] | undefined {
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key === undefined) continue;
        if (isNode(pair.key) && pair.key.range?.[0] === offset) return [...path, key];
        stack.push({ node: pair.value, path: [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return undefined;
}

/** The YAML node at a data path, or the deepest existing ancestor. */
function nodeAt(doc: Document.Parsed, path: readonly PropertyKey[]): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = isNode(node) ? node : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return last;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg];
    } else return last;
    if (isNode(node)) last = node;
    else return last;
  }
  return last;
}

/** The key node of `key` in the map at `path` (for unknown-key errors). */
function keyNodeAt(doc: Document.Parsed, path: readonly PropertyKey[], key: string): Node | undefined {
  const map = nodeAt(doc, path);
  if (!isMap(map)) return map;
  const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  return pair !== undefined && isNode(pair.key) ? pair.key : map;
}

function issueToProblems(
  issue: z.core.$ZodIssue,
  doc: Document.Parsed,
  file: string,
  at: (offset: number | undefined) => { line: number; col: number },
): Problem[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    // One problem per unknown key, each at its own key: all errors at once, each where it is.
    const allowed = allowedKeysAt(path);
    const hint = allowed === undefined ? "" : `; allowed keys here: ${allowed.join(", ")}`;
    return issue.keys.map((key) => ({
      severity: "error",
      file,
      ...at(keyNodeAt(doc, path, key)?.range?.[0]),
      path: formatPath([...path, key]),
      message: `unknown key "${key}": a misspelt key would silently drop a setting, so it is refused${hint}`,
    }));
  }
  const node = nodeAt(doc, path);
  let message = issue.message;
  if (
    issue.code === "custom" &&
    issue.params?.[UNQUOTED_NUMBER] === true &&
    isScalar(node) &&
    typeof node.source === "string"
  ) {
    message = unquotedOrgNumberMessage(node.source);
  }
  if (!pathExists(doc, path)) {
    message = `${String(path[path.length - 1] ?? "value")} is missing: ${issue.message}`;
  }
  return [{ severity: "error", file, ...at(node?.range?.[0]), path: formatPath(path), message }];
}

function pathExists(doc: Document.Parsed, path: readonly PropertyKey[]): boolean {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return false;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      if (seg >= node.items.length) return false;
      node = node.items[seg];
    } else return false;
  }
  return true;
}

const KEYS = {
  root: ["containers", "buckets", "partners"],
  container: ["name", "adopt", "shared"],
  bucket: ["name", "adopt", "shared", "kmsKeyArn"],
  partner: ["orgNumber", "name", "status", "contact", "reviewBy", "azure", "aws"],
  azure: ["container", "access", "path"],
  aws: ["bucket", "prefix", "access"],
} as const;

function allowedKeysAt(path: readonly PropertyKey[]): readonly string[] | undefined {
  const named = path.filter((s) => typeof s === "string");
  const key = named.join(".");
  switch (key) {
    case "":
      return KEYS.root;
    case "containers":
      return KEYS.container;
    case "buckets":
      return KEYS.bucket;
    case "partners":
      return KEYS.partner;
    case "partners.azure":
      return KEYS.azure;
    case "partners.aws":
      return KEYS.aws;
    default:
      return undefined;
  }
}
