/**
 * Edits of an onboarding manifest for `npm run onboard`. The `yaml` package's document API
 * (https://eemeli.org/yaml/#documents) finds the entry to change (with source offsets) and renders new entries;
 * the edit is spliced into the original text, so the file's comments, order and formatting survive byte for byte.
 * Each function takes the file's text and returns the new text; the caller validates it before writing.
 */
import { Document, isMap, isScalar, isSeq, parseDocument, Scalar, type Pair, type ToStringOptions, type YAMLMap, type YAMLSeq } from "yaml";
import { ACCESS_LEVELS, type PartnerStatus } from "../../infra/manifest/schema";
import { CliError } from "./cli";

/** A partner entry as `onboard add` writes it; values are validated by the manifest schema afterwards. */
export interface NewPartnerEntry {
  orgNumber: string;
  name: string;
  contact?: string;
  reviewBy?: string;
  azure: { container: string; access: string; path?: string }[];
  aws: { bucket: string; prefix: string; access: string }[];
}

const ACCESS_HINT = ACCESS_LEVELS.join(", ");

/** `--azure CONTAINER:ACCESS[:PATH]`, e.g. `outbound:read:nordlys` or `inbound:write`. */
export function parseAzureGrant(spec: string): NewPartnerEntry["azure"][number] {
  const [container = "", access = "", ...rest] = spec.split(":");
  if (container === "" || access === "" || (rest.length > 0 && rest.join(":") === "")) {
    throw new CliError(`--azure "${spec}" must be CONTAINER:ACCESS or CONTAINER:ACCESS:PATH (access one of ${ACCESS_HINT}), e.g. --azure outbound:read:nordlys`);
  }
  return rest.length === 0 ? { container, access } : { container, access, path: rest.join(":") };
}

/** `--aws BUCKET:PREFIX:ACCESS`, e.g. `banenor-payload-test:entur/:read`. */
export function parseAwsGrant(spec: string): NewPartnerEntry["aws"][number] {
  const parts = spec.split(":");
  if (parts.length < 3 || parts.some((p) => p === "")) {
    throw new CliError(`--aws "${spec}" must be BUCKET:PREFIX:ACCESS (access one of ${ACCESS_HINT}), e.g. --aws banenor-payload-test:entur/:read`);
  }
  return { bucket: parts[0]!, prefix: parts.slice(1, -1).join(":"), access: parts[parts.length - 1]! };
}

// ---------------------------------------------------------------------------------------------------------------
// Layout and splicing: the yaml package locates nodes (offsets) and renders new entries; the rest of the file is
// never re-printed, so every byte outside the edit stays as it was (the printer would normalise blank lines
// around comments, indentation and quoting).

export interface Layout {
  /** Printer options for new entries, matching the file's indentation. */
  options: ToStringOptions;
  eol: "\n" | "\r\n";
}

const CONTENT = /^(\s*)(\S.*)$/;
/** A key whose value is on the next lines: `key:` or `- key:`, maybe with a comment. */
const OPEN_KEY = /^(- )?[^\s#-][^:#]*:\s*(#.*)?$/;

/**
 * Indentation step and sequence style of a YAML file, read from its lines (the yaml package prints with options;
 * it does not remember a file's layout). A `key:` line is compared with the line after it.
 */
export function layoutOf(text: string): Layout {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  for (let i = 0; i + 1 < lines.length; i++) {
    const m = CONTENT.exec(lines[i]!);
    const next = CONTENT.exec(lines[i + 1]!);
    if (m === null || next === null || !OPEN_KEY.test(m[2]!)) continue;
    // The key of `- key:` starts two columns after the dash.
    const width = m[1]!.length + (m[2]!.startsWith("- ") ? 2 : 0);
    const nextWidth = next[1]!.length;
    if (next[2]!.startsWith("- ")) {
      indentSeq ??= nextWidth > width;
      if (nextWidth > width) indent ??= nextWidth - width;
    } else if (nextWidth > width) indent ??= nextWidth - width;
  }
  return { options: { lineWidth: 0, indent: indent ?? 2, indentSeq: indentSeq ?? true }, eol };
}

interface Source {
  text: string;
  doc: Document.Parsed;
  layout: Layout;
}

function parse(text: string, file: string): Source {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new CliError(`${file}: the file is not valid YAML (${doc.errors[0]!.message.split("\n")[0]}); run npm run validate and fix it first`);
  }
  return { text, doc, layout: layoutOf(text) };
}

/** Offset of the end of the line holding `offset` (before its line break). */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  if (nl < 0) return text.length;
  return text[nl - 1] === "\r" ? nl - 1 : nl;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just after the last non-blank character before `offset`. */
function contentEnd(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  return i;
}

function range(node: unknown): [number, number, number] {
  const r = (node as { range?: [number, number, number] | null }).range;
  if (r === undefined || r === null) throw new Error("yaml node without source range");
  return r;
}

/** The lines of one `partners` list item, rendered with the file's layout, each ending with the file's EOL. */
function renderItem(item: unknown, layout: Layout): string {
  const doc = new Document({ partners: [] });
  (doc.get("partners", true) as YAMLSeq).items.push(item);
  const lines = doc.toString(layout.options).split("\n");
  // Drop the "partners:" line and the empty string after the final line break.
  return lines
    .slice(1, -1)
    .map((l) => `${l}${layout.eol}`)
    .join("");
}

/** Insert a rendered item after the last entry of `partners` (creating the key if needed), touching nothing else. */
function insertItem(src: Source, item: unknown): string {
  const { text, doc, layout } = src;
  const eol = layout.eol;
  const rendered = renderItem(item, layout);
  const root = doc.contents;
  const pair = isMap(root) ? root.items.find((p) => keyOf(p) === "partners") : undefined;
  if (pair === undefined) {
    const sep = text === "" || text.endsWith("\n") ? "" : eol;
    return `${text}${sep}partners:${eol}${rendered}`;
  }
  const value = pair.value;
  if (isSeq(value) && value.flow !== true && value.items.length > 0) {
    const end = contentEnd(text, range(value)[1]);
    const at = lineEnd(text, end);
    // Insert after the line break that ends the last entry (or add one when the file has none at its end).
    if (at === text.length) return `${text}${eol}${rendered}`;
    const next = at + (text[at] === "\r" ? 2 : 1);
    return text.slice(0, next) + rendered + text.slice(next);
  }
  if (isSeq(value) && value.items.length > 0) {
    throw new CliError('partners is written in flow style ("[...]"); write it as a block list ("- orgNumber: ...") and run the command again');
  }
  // `partners: []` or `partners:` with nothing: the entry goes on the lines after the key, `[]` removed.
  let head: string;
  let tail: string;
  if (isSeq(value) || (isScalar(value) && range(value)[1] > range(value)[0])) {
    const [start, end] = range(value);
    head = text.slice(0, start).replace(/[ \t]+$/, "");
    tail = text.slice(end);
  } else {
    const keyEnd = range(pair.key)[1];
    head = text.slice(0, keyEnd + 1);
    tail = text.slice(keyEnd + 1);
  }
  const restOfLine = tail.slice(0, lineEnd(tail, 0));
  const after = tail.slice(restOfLine.length);
  const afterBreak = after.startsWith("\r\n") ? after.slice(2) : after.startsWith("\n") ? after.slice(1) : after;
  return `${head}${restOfLine}${eol}${rendered}${afterBreak}`;
}

function keyOf(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

/** The entry of an organization; undefined when absent. */
function findEntry(doc: Document.Parsed, orgNumber: string): YAMLMap | undefined {
  const seq = doc.get("partners", true);
  if (!isSeq(seq)) return undefined;
  const item = seq.items.find((i) => isMap(i) && String(i.get("orgNumber")) === orgNumber);
  return isMap(item) ? item : undefined;
}

/** Append a partner entry: keys in the manifest's documented order, the org number quoted (a string, not a number). */
export function addPartner(text: string, file: string, entry: NewPartnerEntry): string {
  const src = parse(text, file);
  const data: Record<string, unknown> = { orgNumber: entry.orgNumber, name: entry.name };
  if (entry.contact !== undefined) data.contact = entry.contact;
  if (entry.reviewBy !== undefined) data.reviewBy = entry.reviewBy;
  if (entry.azure.length > 0) data.azure = entry.azure;
  if (entry.aws.length > 0) data.aws = entry.aws;
  const map = src.doc.createNode(data);
  const org = map.get("orgNumber", true);
  if (isScalar(org)) org.type = Scalar.QUOTE_DOUBLE;
  return insertItem(src, map);
}

/** Raised when the requested change does not fit the partner's current state; the message says what to do. */
export class OnboardRefusal extends CliError {}

function statusOf(map: YAMLMap): PartnerStatus {
  const s = map.get("status");
  return s === "suspended" || s === "offboarded" ? s : "active";
}

/**
 * Set an organization's status. `active` removes the key (active is the default), so suspending and then
 * reinstating gives back the original text; another status replaces the value (keeping a comment after it) or
 * goes on a new line right after `name`.
 */
export function setStatus(text: string, file: string, orgNumber: string, status: PartnerStatus): { text: string; before: PartnerStatus; entry: YAMLMap } {
  const src = parse(text, file);
  const map = findEntry(src.doc, orgNumber);
  if (map === undefined) throw new OnboardRefusal(`organization ${orgNumber} is not in ${file}; check the number (npm run onboard -- add ... adds a partner)`);
  const before = statusOf(map);
  if (before === status) throw new OnboardRefusal(`organization ${orgNumber} in ${file} is already ${status}; nothing to change`);
  const pair = map.items.find((p) => keyOf(p) === "status");
  const eol = src.layout.eol;
  let out: string;
  const commented = pair !== undefined && text.slice(range(pair.value)[1], lineEnd(text, range(pair.value)[1])).includes("#");
  if (pair !== undefined && status === "active" && !commented) {
    const keyStart = range(pair.key)[0];
    const start = lineStart(text, keyStart);
    if (text.slice(start, keyStart).trim() !== "") {
      throw new OnboardRefusal(`organization ${orgNumber} in ${file}: move "status" below orgNumber (it starts the entry), then run the command again`);
    }
    const end = lineEnd(text, contentEnd(text, range(pair.value)[1]));
    out = text.slice(0, start) + text.slice(end + (text[end] === "\r" ? 2 : text[end] === "\n" ? 1 : 0));
  } else if (pair !== undefined) {
    // A status line with a comment is kept (written "active") so the comment is not lost.
    const [start, end] = range(pair.value);
    out = text.slice(0, start) + status + text.slice(end);
  } else {
    const anchor = map.items.find((p) => keyOf(p) === "name") ?? map.items.find((p) => keyOf(p) === "orgNumber") ?? map.items[0];
    if (anchor === undefined) throw new OnboardRefusal(`organization ${orgNumber} in ${file} has an empty entry; fix it first`);
    const keyStart = range(anchor.key)[0];
    const column = keyStart - lineStart(text, keyStart);
    const at = lineEnd(text, contentEnd(text, range(anchor.value)[1]));
    out = `${text.slice(0, at)}${eol}${" ".repeat(column)}status: ${status}${text.slice(at)}`;
  }
  return { text: out, before, entry: map };
}

export interface PromoteOptions {
  orgNumber: string;
  fromFile: string;
  toFile: string;
  /** Bucket renames from the source stack to the target stack (bucket names are global, so they differ). */
  bucketMap: ReadonlyMap<string, string>;
  /** Containers and buckets declared in the target manifest. */
  targetContainers: ReadonlySet<string>;
  targetBuckets: ReadonlySet<string>;
}

/**
 * Copy an organization's entry (with the comments inside it) from one manifest to the end of another's partners.
 * Refuses when the target lacks a container or bucket the entry uses, naming each: declaring storage is its own
 * reviewed change.
 */
export function promotePartner(fromText: string, toText: string, options: PromoteOptions): string {
  const from = parse(fromText, options.fromFile);
  const found = findEntry(from.doc, options.orgNumber);
  if (found === undefined) throw new OnboardRefusal(`organization ${options.orgNumber} is not in ${options.fromFile}; nothing to promote`);
  if (statusOf(found) === "offboarded") {
    throw new OnboardRefusal(`organization ${options.orgNumber} is offboarded in ${options.fromFile}; there is nothing to promote`);
  }
  const entry = found.clone();
  const problems: string[] = [];
  const list = (key: string): YAMLMap[] => {
    const seq = entry.get(key, true);
    return isSeq(seq) ? seq.items.filter((i): i is YAMLMap => isMap(i)) : [];
  };
  list("azure").forEach((grant, i) => {
    const container = String(grant.get("container"));
    if (!options.targetContainers.has(container)) {
      problems.push(`${options.toFile} declares no container "${container}" (azure[${i}] of organization ${options.orgNumber}); declare it under containers in ${options.toFile} first`);
    }
  });
  list("aws").forEach((grant, i) => {
    const source = String(grant.get("bucket"));
    const target = options.bucketMap.get(source) ?? source;
    if (!options.targetBuckets.has(target)) {
      const known = [...options.targetBuckets];
      const hint = known.length > 0 ? `, or map it to a bucket of ${options.toFile} with --bucket ${source}=${known[0]!}` : "";
      problems.push(`${options.toFile} declares no bucket "${target}" (aws[${i}] of organization ${options.orgNumber}); declare it under buckets in ${options.toFile}${hint}`);
      return;
    }
    const bucket = grant.get("bucket", true);
    if (isScalar(bucket)) bucket.value = target;
  });
  if (problems.length > 0) throw new OnboardRefusal(problems.join("\n"));
  return insertItem(parse(toText, options.toFile), entry);
}

/** The entry's Azure and AWS grant counts, as the next steps need them. */
export function grantCounts(entry: YAMLMap): { azure: number; aws: number } {
  const count = (key: string) => {
    const seq = entry.get(key, true);
    return isSeq(seq) ? seq.items.length : 0;
  };
  return { azure: count("azure"), aws: count("aws") };
}
