import * as fs from "node:fs";
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node, type Document } from "yaml";
import type { z } from "zod";
import { ManifestSchema, type Manifest } from "./schema";

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

export interface LoadOptions {
  /** The day `reviewBy` dates are judged against. Default: today (UTC). */
  today?: Date;
}

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
    return fail(file, `cannot read manifest file "${file}": it does not exist; pass the path of stacks/<stack>.yaml`);
  }
  if (!stat.isFile()) return fail(file, `"${file}" is not a file; pass the path of stacks/<stack>.yaml`);
  if (stat.size > MANIFEST_LIMITS.maxBytes) return tooLarge(file, stat.size);
  return loadManifestText(fs.readFileSync(file, "utf8"), file, options);
}

/** Validate manifest text. Any input yields a typed manifest or positioned errors, never an exception. */
export function loadManifestText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  if (Buffer.byteLength(text, "utf8") > MANIFEST_LIMITS.maxBytes) return tooLarge(file, Buffer.byteLength(text, "utf8"));
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    // uniqueKeys (default true) makes a duplicate key an error: a second `access:` must not silently win.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (e) {
    return fail(file, `the manifest could not be parsed (${e instanceof Error ? e.name : "error"}); it is too deeply nested or malformed`);
  }
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const errors: Problem[] = [];
  for (const e of doc.errors) {
    const msg = e.code === "DUPLICATE_KEY" ? `${e.message}; remove or merge the duplicate key` : e.message.split("\n")[0]!;
    errors.push({ severity: "error", file, ...at(e.pos[0]), path: "", message: msg });
  }
  if (errors.length > 0) return { ok: false, errors, warnings: [] };

  const depthProblem = checkDepth(doc.contents);
  if (depthProblem !== undefined) {
    return { ok: false, errors: [{ severity: "error", file, ...at(depthProblem), path: "", message: `collections are nested deeper than ${MANIFEST_LIMITS.maxDepth} levels; a manifest needs 4` }], warnings: [] };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MANIFEST_LIMITS.maxAliasCount });
  } catch (e) {
    const why = e instanceof Error && /alias/i.test(e.message) ? `too many YAML aliases (more than ${MANIFEST_LIMITS.maxAliasCount}); write entries out instead of using anchors` : "the YAML could not be converted to data";
    return fail(file, why);
  }
  if (data === null || data === undefined) data = {};

  const parsed = ManifestSchema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => issueToProblem(issue, doc, file, at)), warnings: [] };
  }
  const manifest = parsed.data;
  const warnings: Problem[] = [];
  const today = startOfDay(options.today ?? new Date());
  manifest.partners.forEach((p, i) => {
    if (p.reviewBy === undefined || p.status === "offboarded") return;
    const days = Math.round((Date.parse(`${p.reviewBy}T00:00:00Z`) - today) / 86_400_000);
    const path: (string | number)[] = ["partners", i, "reviewBy"];
    const node = nodeAt(doc, path);
    const pos = at(node?.range?.[0]);
    if (days < 0) {
      errors.push({ severity: "error", file, ...pos, path: formatPath(path), message: `review of organization ${p.orgNumber} was due ${p.reviewBy}; review the access, then set a new reviewBy date or offboard the partner` });
    } else if (days <= REVIEW_WARNING_DAYS) {
      warnings.push({ severity: "warning", file, ...pos, path: formatPath(path), message: `review of organization ${p.orgNumber} is due ${p.reviewBy} (in ${days} days)` });
    }
  });
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, manifest, warnings };
}

function startOfDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function fail(file: string, message: string): LoadResult {
  return { ok: false, errors: [{ severity: "error", file, line: 1, col: 1, path: "", message }], warnings: [] };
}

function tooLarge(file: string, bytes: number): LoadResult {
  return fail(file, `the manifest is ${bytes} bytes, more than the ${MANIFEST_LIMITS.maxBytes} allowed; split stacks or check that the right file was given`);
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

/** The YAML node at a data path, or the deepest existing ancestor. */
function nodeAt(doc: Document.Parsed, path: readonly PropertyKey[]): Node | undefined {
  let node: unknown = doc.contents;
  let last: Node | undefined = isNode(node) ? node : undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
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
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair !== undefined && isNode(pair.key) ? pair.key : map;
}

function issueToProblem(
  issue: z.core.$ZodIssue,
  doc: Document.Parsed,
  file: string,
  at: (offset: number | undefined) => { line: number; col: number },
): Problem {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const node = keyNodeAt(doc, path, key);
    const allowed = allowedKeysAt(path);
    const hint = allowed === undefined ? "" : `; allowed keys here: ${allowed.join(", ")}`;
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(", ")})` : "";
    return {
      severity: "error",
      file,
      ...at(node?.range?.[0]),
      path: formatPath([...path, key]),
      message: `unknown key "${key}"${more}: a misspelt key would silently drop a setting, so it is refused${hint}`,
    };
  }
  const node = nodeAt(doc, path);
  let message = issue.message;
  if (!pathExists(doc, path)) {
    message = `${String(path[path.length - 1] ?? "value")} is missing: ${issue.message}`;
  }
  return { severity: "error", file, ...at(node?.range?.[0]), path: formatPath(path), message };
}

function pathExists(doc: Document.Parsed, path: readonly PropertyKey[]): boolean {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
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
  container: ["name", "adopt"],
  bucket: ["name", "adopt", "kmsKeyArn"],
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
