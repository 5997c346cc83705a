import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { formatPath, loadManifestText, type LoadResult } from "./load";
import { mod11CheckDigit } from "./orgNumber";
import { containerNameCollisions } from "../naming";
import { ACCESS_LEVELS, bucketNameProblem, containerNameProblem, displayTextProblem, PARTNER_STATUSES } from "./schema";

/** reviewBy dates are judged against this day, never the real clock; generated dates lie well after it. */
const TODAY = new Date("2026-01-01T00:00:00Z");
const load = (text: string): LoadResult => loadManifestText(text, "m.yaml", { today: TODAY });

// ---- generators of valid manifest data (plain JSON, as a person would write it) ----

const orgNumberArb = fc
  .integer({ min: 0, max: 99_999_999 })
  .map((n) => String(n).padStart(8, "0"))
  .filter((stem) => mod11CheckDigit(stem) !== undefined)
  .map((stem) => `${stem}${mod11CheckDigit(stem)}`)
  .filter((org) => org !== "000000000");

const alnum = (max: number) => fc.stringMatching(new RegExp(`^[a-z0-9]{1,${max}}$`));
/** Azure container names: alphanumeric runs joined by single hyphens, 3-63 characters. */
const containerNameArb = fc
  .array(alnum(10), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.join("-"))
  .filter((n) => containerNameProblem(n) === undefined);
/** S3 bucket names: alphanumeric runs joined by "." or "-"; the reserved and IP-shaped ones are filtered out. */
const bucketNameArb = fc
  .tuple(alnum(10), fc.array(fc.tuple(fc.constantFrom(".", "-"), alnum(10)), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([sep, part]) => sep + part).join(""))
  .filter((n) => bucketNameProblem(n) === undefined);
/** One directory segment: letters, digits, ".", "_", "-", never ending with ".". */
const segmentArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/).filter((s) => !s.endsWith("."));
/** Visible text that survives YAML and trimming: names, contacts (no control or invisible characters). */
const textArb = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 24 })
  .filter((s) => s.trim().length > 0 && displayTextProblem(s) === undefined);
const dateArb = fc
  .date({ min: new Date("2026-03-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

type Raw = Record<string, unknown>;
const compact = (o: Raw): Raw => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * A valid manifest as data. Every directory of a partner starts with its org number, so partners' directories
 * never overlap; whole-container grants are made only in containers marked `shared: true` (isolation); grants
 * are unique per (container, path) and (bucket, prefix).
 */
const manifestArb = fc
  .record({
    containers: fc
      .uniqueArray(fc.tuple(containerNameArb, fc.boolean()), { minLength: 1, maxLength: 4, selector: ([n]) => n })
      .filter((cs) => containerNameCollisions(cs.map(([n]) => n)).length === 0),
    buckets: fc.uniqueArray(bucketNameArb, { maxLength: 3 }),
    orgs: fc.uniqueArray(orgNumberArb, { maxLength: 4 }),
  })
  .chain(({ containers, buckets, orgs }) => {
    const directory = (org: string) =>
      fc.tuple(segmentArb, fc.boolean()).map(([seg, slash]) => `${org}/${seg}` + (slash ? "/" : ""));
    const azureGrant = (org: string) =>
      fc.constantFrom(...containers).chain(([container, shared]) =>
        fc.record({
          container: fc.constant(container),
          access: fc.constantFrom(...ACCESS_LEVELS),
          // Absent (whole container, shared containers only), or a directory <org>/<segment>, maybe written with a
          // trailing "/": always two levels, so one partner's paths are siblings (nested paths of one partner are
          // an error).
          path: shared ? fc.option(directory(org), { nil: undefined }) : directory(org),
        }),
      );
    const awsGrant = (org: string) =>
      fc.record({
        bucket: fc.constantFrom(...buckets),
        prefix: fc.array(segmentArb, { maxLength: 2 }).map((segs) => `${[org, ...segs].join("/")}/`),
        access: fc.constantFrom(...ACCESS_LEVELS),
      });
    const partnerArb = (org: string) =>
      fc.record({
        name: textArb,
        status: fc.option(fc.constantFrom(...PARTNER_STATUSES), { nil: undefined }),
        contact: fc.option(textArb, { nil: undefined }),
        reviewBy: fc.option(dateArb, { nil: undefined }),
        azure: fc.option(
          fc.uniqueArray(azureGrant(org), {
            maxLength: 3,
            selector: (g) => `${g.container}/${(g.path ?? "").replace(/\/$/, "")}`,
          }),
          { nil: undefined },
        ),
        aws:
          buckets.length === 0
            ? fc.constant(undefined)
            : fc.option(
                fc.uniqueArray(awsGrant(org), { maxLength: 3, selector: (g) => `${g.bucket}/${g.prefix}` }),
                { nil: undefined },
              ),
      });
    return fc
      .tuple(...orgs.map((org) => partnerArb(org).map((p) => ({ orgNumber: org, ...p }))))
      .map((partners) => ({
        containers: containers.map(([name, shared]) => (shared ? { name, shared } : { name })),
        buckets: buckets.map((name) => ({ name })),
        partners: partners.map((p) =>
          compact({
            ...p,
            azure: p.azure?.map((g) => compact(g)),
            aws: p.aws,
          }),
        ),
      }));
  });

/** What the loader makes of valid data: defaults filled in, paths without trailing "/", text trimmed. */
function expected(m: { containers: Raw[]; buckets: Raw[]; partners: Raw[] }) {
  return {
    containers: m.containers.map((c) => ({ adopt: false, ...c })),
    buckets: m.buckets.map((b) => ({ adopt: false, ...b })),
    partners: m.partners.map((p) =>
      compact({
        ...p,
        name: (p.name as string).trim(),
        contact: (p.contact as string | undefined)?.trim(),
        status: p.status ?? "active",
        azure: ((p.azure as Raw[] | undefined) ?? []).map((g) =>
          compact({ ...g, path: (g.path as string | undefined)?.replace(/\/$/, "") }),
        ),
        aws: (p.aws as Raw[] | undefined) ?? [],
      }),
    ),
  };
}

/** What is wrong with a result that should be a typed manifest or positioned errors ([] when nothing). */
function malformed(r: LoadResult): string[] {
  const wrong: string[] = [];
  if (typeof r.ok !== "boolean") wrong.push("ok is not a boolean");
  for (const p of [...(r.ok ? [] : r.errors), ...r.warnings]) {
    const ok =
      p.file === "m.yaml" &&
      Number.isInteger(p.line) &&
      p.line >= 1 &&
      Number.isInteger(p.col) &&
      p.col >= 1 &&
      typeof p.path === "string" &&
      p.message.length > 0;
    if (!ok) wrong.push(`badly positioned: ${JSON.stringify(p)}`);
  }
  if (r.ok && ![r.manifest.partners, r.manifest.containers, r.manifest.buckets].every(Array.isArray))
    wrong.push("manifest lists are not arrays");
  if (!r.ok && r.errors.length === 0) wrong.push("invalid without errors");
  return wrong;
}

describe("properties of the manifest loader", () => {
  it("every valid manifest survives a YAML round trip unchanged", () => {
    fc.assert(
      fc.property(manifestArb, (m) => {
        const r = load(stringify(m));
        expect(r).toEqual({ ok: true, manifest: expected(m), warnings: [] });
      }),
      { numRuns: 100 },
    );
  });

  // Any code point, lone surrogates included. (fast-check's "binary" unit does the same but spends seconds
  // building its tables on first use.)
  const codePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

  it("any text yields a typed manifest or positioned errors, never an exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: codePoint, maxLength: 200 }),
          fc.string({ unit: "grapheme", maxLength: 200 }),
          fc.string({ unit: "binary-ascii", maxLength: 200 }),
        ),
        (text) => {
          expect(malformed(load(text))).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  /** Edits to YAML text: YAML-significant characters inserted, spans deleted, lines duplicated or re-indented. */
  const yamlNoise = fc.constantFrom(
    ":",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a",
    "*a",
    "!!str",
    "!!binary",
    "\n",
    " ",
    "  ",
    "\t",
    '"',
    "'",
    "#",
    "|",
    ">",
    "?",
    "%YAML 1.1",
    "---",
    "...",
    "<<: ",
    "@",
    "`",
    "\u0000",
    "\uFEFF",
    "0x1F",
    "~",
    "null",
    "1e9",
    "917422575",
  );
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: yamlNoise }),
    fc.record({
      kind: fc.constant("delete" as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 20 }),
    }),
    fc.record({ kind: fc.constant("dupLine" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("indent" as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }),
  );
  type Edit =
    | { kind: "insert"; at: number; text: string }
    | { kind: "delete"; at: number; length: number }
    | { kind: "dupLine"; at: number }
    | { kind: "indent"; at: number; by: number };
  function applyEdit(text: string, e: Edit): string {
    const at = text.length === 0 ? 0 : e.at % text.length;
    const lines = text.split("\n");
    const line = lines.length === 0 ? 0 : e.at % lines.length;
    switch (e.kind) {
      case "insert":
        return text.slice(0, at) + e.text + text.slice(at);
      case "delete":
        return text.slice(0, at) + text.slice(at + e.length);
      case "dupLine":
        return [...lines.slice(0, line + 1), ...lines.slice(line)].join("\n");
      case "indent": {
        const by = e.by;
        lines[line] = by >= 0 ? " ".repeat(by) + lines[line]! : lines[line]!.slice(-by);
        return lines.join("\n");
      }
    }
  }

  it("mutated YAML yields a typed manifest or positioned errors, never an exception", () => {
    fc.assert(
      fc.property(manifestArb, fc.array(edit, { minLength: 1, maxLength: 6 }), (m, edits) => {
        const text = edits.reduce(applyEdit, stringify(m));
        expect(malformed(load(text))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  /** Invalid values for one field, and the field path the error must name. */
  type Mutation = { at: (string | number)[]; value: unknown };
  const mutations = (m: { containers: Raw[]; buckets: Raw[]; partners: Raw[] }, pick: number): Mutation[] => {
    const out: Mutation[] = [];
    const n = (len: number) => pick % len;
    out.push({
      at: ["containers", n(m.containers.length), "name"],
      value: ["Inbound", "in_bound", "ab", "-x-", "a--b"][n(5)],
    });
    if (m.buckets.length > 0)
      out.push({
        at: ["buckets", n(m.buckets.length), "name"],
        value: ["xn--bucket", "My.Bucket", "192.168.0.1", "a..b", "b-s3alias"][n(5)],
      });
    m.partners.forEach((p, i) => {
      const org = p.orgNumber as string;
      const wrongDigit = `${org.slice(0, 8)}${(Number(org[8]) + 1 + n(9)) % 10}`;
      out.push({
        at: ["partners", i, "orgNumber"],
        value: [wrongDigit, org.slice(0, 8), Number(org), `${org.slice(0, 8)}x`, ` ${org}`, "000000000"][n(6)],
      });
      out.push({ at: ["partners", i, "name"], value: ["", "   ", 42, ["a"], "A\u202eSA", "A\u0000B", "\u001b[2JA", "A\u200bB"][n(8)] });
      out.push({ at: ["partners", i, "status"], value: ["deleted", "Active", "", true][n(4)] });
      out.push({
        at: ["partners", i, "reviewBy"],
        value: ["2030-02-30", "next year", "2026-13-01", "30.06.2027"][n(4)],
      });
      out.push({ at: ["partners", i, "contact"], value: ["", 7][n(2)] });
      out.push({ at: ["partners", i, "acess"], value: "read" });
      (p.azure as Raw[] | undefined)?.forEach((_g, k) => {
        out.push({ at: ["partners", i, "azure", k, "access"], value: ["admin", "rw", "Read"][n(3)] });
        out.push({ at: ["partners", i, "azure", k, "container"], value: "not-declared-anywhere" });
        out.push({
          at: ["partners", i, "azure", k, "path"],
          value: ["/abs", "a/../b", "a/*", "a//b", "a\\b", "", "a/b.", "x."][n(8)],
        });
        out.push({ at: ["partners", i, "azure", k, "acess"], value: "read" });
      });
      (p.aws as Raw[] | undefined)?.forEach((_g, k) => {
        out.push({
          at: ["partners", i, "aws", k, "prefix"],
          value: ["no-slash", "/abs/", "a/./", "*/", "", "a./"][n(6)],
        });
        out.push({ at: ["partners", i, "aws", k, "bucket"], value: "not-declared-anywhere" });
        out.push({ at: ["partners", i, "aws", k, "access"], value: ["write-only", "RW"][n(2)] });
      });
    });
    return out;
  };
  function setAt(root: unknown, at: (string | number)[], value: unknown): void {
    let node = root as Record<string | number, unknown>;
    for (const seg of at.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
    node[at[at.length - 1]!] = value;
  }

  it("an invalid value in one field yields an error naming that field's path", () => {
    fc.assert(
      fc.property(manifestArb, fc.nat(), fc.nat(), (m, which, pick) => {
        const all = mutations(m, pick);
        const mutation = all[which % all.length]!;
        const data = structuredClone(m);
        setAt(data, mutation.at, mutation.value);
        const r = load(stringify(data));
        expect(r.ok).toBe(false);
        expect(r.ok ? [] : r.errors.map((e) => e.path)).toContain(formatPath(mutation.at));
      }),
      { numRuns: 100 },
    );
  });
});
