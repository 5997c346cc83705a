import { asList, asRecord } from "./types";

/**
 * Reading IAM policy documents as the AWS provider receives them: a JSON string (what `pulumi.jsonStringify`
 * produces) or an object. Statement may be one object or a list; Action/Resource a string or a list
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
 */
export interface Statement {
  /** How messages name it: `statement "<Sid>"`, or `statement <1-based index>`. */
  label: string;
  raw: Record<string, unknown>;
}

export type ParsedDocument =
  { ok: true; statements: Statement[]; text: string } | { ok: false; problem: string };

export function parsePolicyDocument(field: string, value: unknown): ParsedDocument {
  let doc: unknown = value;
  let text: string;
  if (typeof value === "string") {
    text = value;
    try {
      doc = JSON.parse(value);
    } catch (e) {
      return {
        ok: false,
        problem: `${field} is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      };
    }
  } else {
    text = JSON.stringify(value) ?? "";
  }
  const record = asRecord(doc);
  if (record === undefined)
    return { ok: false, problem: `${field} must be a JSON policy document (an object with Statement)` };
  const statements = asList(record.Statement);
  if (statements.length === 0) return { ok: false, problem: `${field} has no Statement` };
  const parsed: Statement[] = [];
  for (const [i, s] of statements.entries()) {
    const raw = asRecord(s);
    if (raw === undefined) return { ok: false, problem: `${field} statement ${i + 1} is not an object` };
    parsed.push({
      label: typeof raw.Sid === "string" && raw.Sid !== "" ? `statement "${raw.Sid}"` : `statement ${i + 1}`,
      raw,
    });
  }
  return { ok: true, statements: parsed, text };
}

/** Characters IAM counts: the minified JSON (IAM does not count white space; the program sends minified JSON). */
export function policyChars(value: string): number {
  try {
    return JSON.stringify(JSON.parse(value)).length;
  } catch {
    return value.length;
  }
}
