import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { mod11CheckDigit } from "../../infra/manifest/orgNumber";

/**
 * A seeded corpus of hostile and careless manifests, for the fuzz test (test/fuzz.test.ts): the cases an
 * adversarial review tried (emptied and re-encoded files, cross-partner access, colliding names, invisible
 * characters, limits the clouds refuse), then generated manifests built from hostile value pools and mutated as
 * text. The same seed gives the same corpus, byte for byte, so a failure is reproducible by its case name.
 */

export interface FuzzCase {
  name: string;
  text: string;
  /** Known verdict of `validate --stack test` (random cases have none: they only must not crash). */
  expect?: "valid" | "invalid";
}

/** mulberry32: a tiny seeded PRNG, enough for picking from pools. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function orgs(count: number, start: number): string[] {
  const out: string[] = [];
  for (let n = start; out.length < count; n++) {
    const check = mod11CheckDigit(String(n).padStart(8, "0"));
    if (check !== undefined) out.push(`${String(n).padStart(8, "0")}${check}`);
  }
  return out;
}

const VALID_ORGS = orgs(40, 91000000);
const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";

const lines = (...ls: string[]) => `${ls.join("\n")}\n`;
const partner = (org: string, ...rest: string[]) => [
  `  - orgNumber: "${org}"`,
  `    name: Partner ${org} AS`,
  ...rest,
];
const azure = (...grants: string[]) => ["    azure:", ...grants.map((g) => `      - { ${g} }`)];
const aws = (...grants: string[]) => ["    aws:", ...grants.map((g) => `      - { ${g} }`)];

/** The cases of the review, and variants: each with the verdict it must get. */
export function reviewCases(sample: string): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (name: string, text: string, expect: "valid" | "invalid") => cases.push({ name, text, expect });
  const head = [
    "containers:",
    "  - name: inbound",
    "  - name: outbound",
    "buckets:",
    "  - name: banenor-payload-test",
    "partners:",
  ];
  const [a, b, c] = VALID_ORGS as [string, string, string];

  for (const [n, t] of [
    ["empty", ""],
    ["blank lines", "\n\n  \n"],
    ["comments only", "# partners were here\n"],
    ["null", "null\n"],
    ["tilde", "~\n"],
    ["document marker", "---\n"],
    ["BOM only", "\uFEFF"],
    ["no partners key", "containers: []\n"],
    ["misspelt partners key", "partner: []\n"],
  ] as const)
    add(`emptied: ${n}`, t, "invalid");
  add("line endings: sample as is", sample, "valid");
  add("line endings: CR only", sample.replace(/\n/g, "\r"), "valid");
  add("line endings: CRLF", sample.replace(/\n/g, "\r\n"), "valid");
  add(
    "line endings: mixed",
    sample
      .split("\n")
      .map((l, i) => l + ["\n", "\r\n", "\r"][i % 3])
      .join(""),
    "valid",
  );
  add(
    "line endings: CR-only with an error on line 9",
    lines(...head, ...partner(a, "    stauts: active")).replace(/\n/g, "\r"),
    "invalid",
  );

  add(
    "isolation: drop box written by one, read whole by another",
    lines(
      ...head,
      ...partner(a, ...azure("container: inbound, access: write")),
      ...partner(b, ...azure("container: inbound, access: read")),
    ),
    "invalid",
  );
  add(
    "isolation: two whole-container read-write",
    lines(
      ...head,
      ...partner(a, ...azure("container: outbound, access: read-write")),
      ...partner(b, ...azure("container: outbound, access: read-write")),
    ),
    "invalid",
  );
  add(
    "isolation: two drop-box writers",
    lines(
      ...head,
      ...partner(a, ...azure("container: inbound, access: write")),
      ...partner(b, ...azure("container: inbound, access: write")),
    ),
    "invalid",
  );
  add(
    "isolation: whole read beside a path",
    lines(
      ...head,
      ...partner(a, ...azure("container: outbound, access: read")),
      ...partner(b, ...azure("container: outbound, access: read, path: b")),
    ),
    "invalid",
  );
  add(
    "isolation: the same, shared on purpose",
    lines(
      ...head.map((l) => (l === "  - name: outbound" ? "  - { name: outbound, shared: true }" : l)),
      ...partner(a, ...azure("container: outbound, access: read")),
      ...partner(b, ...azure("container: outbound, access: read, path: b")),
    ),
    "valid",
  );
  add(
    "isolation: three writers in a shared drop box",
    lines(
      ...head.map((l) => (l === "  - name: inbound" ? "  - { name: inbound, shared: true }" : l)),
      ...[a, b, c].flatMap((o) => partner(o, ...azure("container: inbound, access: write"))),
    ),
    "valid",
  );
  add(
    "isolation: offboarded partner's path reused",
    lines(
      ...head,
      ...partner(a, "    status: offboarded", ...azure("container: outbound, access: write, path: x")),
      ...partner(b, ...azure("container: outbound, access: read, path: x")),
    ),
    "invalid",
  );
  add(
    "isolation: offboarded partner's prefix reused",
    lines(
      ...head,
      ...partner(
        a,
        "    status: offboarded",
        ...aws("bucket: banenor-payload-test, prefix: x/, access: write"),
      ),
      ...partner(b, ...aws("bucket: banenor-payload-test, prefix: x/y/, access: read")),
    ),
    "invalid",
  );
  add(
    "isolation: suspended partner's path nested",
    lines(
      ...head,
      ...partner(a, "    status: suspended", ...azure("container: outbound, access: write, path: x/y")),
      ...partner(b, ...azure("container: outbound, access: read, path: x")),
    ),
    "invalid",
  );
  add(
    "isolation: two offboarded partners on one path",
    lines(
      ...head,
      ...partner(a, "    status: offboarded", ...azure("container: outbound, access: write, path: x")),
      ...partner(b, "    status: offboarded", ...azure("container: outbound, access: read, path: x")),
    ),
    "valid",
  );
  add(
    "names: inbound and inbound-read",
    lines(
      "containers:",
      "  - name: inbound",
      "  - name: inbound-read",
      "partners:",
      ...partner(a, ...azure("container: inbound-read, access: write")),
    ),
    "invalid",
  );
  add(
    "names: inbound and inbound-readers",
    lines("containers:", "  - name: inbound", "  - name: inbound-readers", "partners: []"),
    "valid",
  );
  add("org number 000000000", lines("partners:", ...partner("000000000")), "invalid");
  for (const [n, ch] of [
    ["NUL", "\\0"],
    ["ESC", "\\e[2J"],
    ["bidi override", "\\u202E"],
    ["bidi isolate", "\\u2066"],
    ["zero-width space", "\\u200B"],
    ["BOM", "\\uFEFF"],
    ["line separator", "\\u2028"],
    ["C1 NEL", "\\x85"],
  ] as const)
    add(
      `display name with ${n}`,
      lines("partners:", `  - orgNumber: "${a}"`, `    name: "Entur${ch}AS"`),
      "invalid",
    );
  add(
    "display name: a real company",
    lines(
      "partners:",
      `  - orgNumber: "${a}"`,
      '    name: "Hansen & Sønn (Bergen), AS"',
      '    contact: "Åse Ærø <åse@hansen.example>"',
    ),
    "valid",
  );
  add(
    "path ending in a dot",
    lines(...head, ...partner(a, ...azure("container: outbound, access: read, path: reports."))),
    "invalid",
  );
  add(
    "prefix segment ending in a dot",
    lines(...head, ...partner(a, ...aws("bucket: banenor-payload-test, prefix: a./b/, access: read"))),
    "invalid",
  );
  add(
    "KMS key in another region",
    lines(
      "buckets:",
      `  - { name: b-one, kmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/${KEY}" }`,
      "partners:",
      ...partner(a, ...aws("bucket: b-one, prefix: a/, access: read")),
    ),
    "invalid",
  );
  add(
    "KMS key in another partition",
    lines(
      "buckets:",
      `  - { name: b-one, kmsKeyArn: "arn:aws-us-gov:kms:eu-north-1:000000000000:key/${KEY}" }`,
      "partners: []",
    ),
    "invalid",
  );
  add(
    "S3 policy of 500 prefixes",
    lines(
      "buckets: [{ name: b-one }]",
      "partners:",
      ...partner(
        a,
        ...aws(...Array.from({ length: 500 }, (_, i) => `bucket: b-one, prefix: p${i}/, access: read-write`)),
      ),
    ),
    "invalid",
  );
  add(
    "S3 policy of 40 prefixes",
    lines(
      "buckets: [{ name: b-one }]",
      "partners:",
      ...partner(
        a,
        ...aws(...Array.from({ length: 40 }, (_, i) => `bucket: b-one, prefix: p${i}/, access: read-write`)),
      ),
    ),
    "valid",
  );
  add(
    "501 containers",
    stringify({ containers: Array.from({ length: 501 }, (_, i) => ({ name: `c${i}x` })), partners: [] }),
    "invalid",
  );
  add(
    "2,000 containers",
    stringify({ containers: Array.from({ length: 2000 }, (_, i) => ({ name: `c${i}x` })), partners: [] }),
    "invalid",
  );
  add(
    "29 partners on one shared path",
    stringify({
      containers: [{ name: "outbound", shared: true }],
      partners: orgs(29, 92000000).map((o) => ({
        orgNumber: o,
        name: "P",
        azure: [{ container: "outbound", access: "read", path: "common" }],
      })),
    }),
    "invalid",
  );
  add(
    "5,001 partners",
    stringify({ partners: orgs(5001, 93000000).map((o) => ({ orgNumber: o, name: "P" })) }),
    "invalid",
  );
  add(
    "5,000 partners sharing a reference container",
    stringify({
      containers: [{ name: "reference", shared: true }],
      partners: orgs(5000, 93000000).map((o) => ({
        orgNumber: o,
        name: "P",
        azure: [{ container: "reference", access: "read" }],
      })),
    }),
    "valid",
  );
  add("an unquoted org number", lines("partners:", "  - orgNumber: 917422575", "    name: A"), "invalid");
  add(
    "alias bomb",
    lines(
      "a: &a [x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c]",
      "partners: []",
    ),
    "invalid",
  );
  add("deep nesting", `partners: ${"[".repeat(200)}${"]".repeat(200)}\n`, "invalid");
  add("two documents", lines("partners: []", "---", "partners: []"), "invalid");
  return cases;
}

// ---- generated manifests ----

/** Value pools: [values a careful editor writes, values a careless or hostile one writes]. */
type Pool<T> = readonly [readonly T[], readonly T[]];
const CONTAINERS: Pool<string> = [
  ["inbound", "outbound", "reference", "exchange-a"],
  ["inbound-read", "a--b", "Inbound", "x"],
];
const BUCKETS: Pool<string> = [
  ["banenor-payload-test", "b-two", "b.three"],
  ["xn--evil", "My.Bucket"],
];
const NAMES: Pool<string> = [
  ["Entur AS", "Hansen & Sønn (Bergen), AS", "Ærø Øst AS", "北欧物流 AS", "Ole's | Pipe # AS"],
  ["", "   ", "Entur\u202eAS", "A\u0000B", "\u001b[31mRed AS", "Zero\u200bWidth AS", "x".repeat(300)],
];
const ORGS: Pool<string> = [
  VALID_ORGS.slice(0, 12),
  ["000000000", "123456789", "91742257", "917 422 575", "0917422575"],
];
const PATHS: Pool<string | undefined> = [
  [undefined, "a", "a/b", "a/b/c", "b", "ab", "æøå"],
  ["a.", "../x", "/abs", "a//b", "a/*", "dir\\x", "a/b."],
];
const PREFIXES: Pool<string> = [
  ["a/", "a/b/", "b/", "ab/", "x/y/z/"],
  ["no-slash", "/abs/", "*/", "a./", ""],
];
const ACCESS: Pool<string> = [
  ["read", "write", "read-write"],
  ["admin", "Read"],
];
const STATUSES: Pool<string | undefined> = [[undefined, "active", "suspended", "offboarded"], ["deleted"]];
const DATES: Pool<string | undefined> = [
  [undefined, "2027-06-30"],
  ["2020-01-31", "2030-02-30", "next year"],
];
const KMS: Pool<string | undefined> = [
  [undefined, `arn:aws:kms:eu-north-1:000000000000:key/${KEY}`],
  [
    `arn:aws:kms:us-east-1:000000000000:key/${KEY}`,
    `arn:aws-cn:kms:cn-north-1:000000000000:key/${KEY}`,
    "key-1",
  ],
];

const NOISE = [
  ":",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "&a",
  "*a",
  "!!str",
  "\n",
  "  ",
  "\t",
  '"',
  "'",
  "#",
  "|",
  ">",
  "?",
  "---",
  "~",
  "null",
  "\u0000",
  "\uFEFF",
  "\r",
  "shared: true",
  "917422575",
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/**
 * One random manifest as data. Each value comes from the hostile half of its pool with probability `hostility`,
 * else from the careful half; directories are often made the partner's own, so careful manifests validate.
 */
function randomManifest(r: () => number, hostility: number): Record<string, unknown> {
  const from = <T>(pool: Pool<T>): T => pick(r, r() < hostility ? pool[1] : pool[0]);
  const containers = [...new Set(Array.from({ length: 1 + Math.floor(r() * 4) }, () => from(CONTAINERS)))];
  const buckets = [...new Set(Array.from({ length: Math.floor(r() * 3) }, () => from(BUCKETS)))];
  const compact = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const own = (org: string, dir: string | undefined) =>
    dir !== undefined && r() < 0.7 ? `${org}/${dir}` : dir;
  const partners = Array.from({ length: Math.floor(r() * 7) }, (_, i) => {
    const org = r() < hostility / 4 ? from(ORGS) : VALID_ORGS[i + Math.floor(r() * 3) * 7]!;
    const azureGrants = Array.from({ length: Math.floor(r() * 3) }, () =>
      compact({ container: pick(r, containers), access: from(ACCESS), path: own(org, from(PATHS)) }),
    );
    const awsGrants =
      buckets.length === 0
        ? []
        : Array.from({ length: Math.floor(r() * 3) }, () => ({
            bucket: pick(r, buckets),
            prefix: own(org, from(PREFIXES)),
            access: from(ACCESS),
          }));
    return compact({
      orgNumber: r() < hostility / 10 ? 917422575 : org,
      name: from(NAMES),
      status: from(STATUSES),
      reviewBy: from(DATES),
      azure: azureGrants.length > 0 ? azureGrants : undefined,
      aws: awsGrants.length > 0 ? awsGrants : undefined,
    });
  });
  return compact({
    containers: containers.map((name) => (r() < 0.4 ? { name, shared: true } : { name })),
    buckets:
      buckets.length === 0
        ? undefined
        : buckets.map((name) =>
            compact({ name, kmsKeyArn: from(KMS), shared: r() < 0.3 ? true : undefined }),
          ),
    partners: r() < hostility / 10 ? undefined : partners,
  });
}

/** Text edits: noise inserted, spans deleted, lines duplicated, truncation, other line endings. */
function mutate(r: () => number, text: string): string {
  let out = text;
  const edits = Math.floor(r() * 4);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (out.length + 1));
    const kind = Math.floor(r() * 4);
    if (kind === 0) out = out.slice(0, at) + pick(r, NOISE) + out.slice(at);
    else if (kind === 1) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 20));
    else if (kind === 2) out = out.slice(0, at);
    else {
      const ls = out.split("\n");
      const l = Math.floor(r() * ls.length);
      out = [...ls.slice(0, l + 1), ...ls.slice(l)].join("\n");
    }
  }
  const eol = r();
  return eol < 0.1 ? out.replace(/\n/g, "\r") : eol < 0.2 ? out.replace(/\n/g, "\r\n") : out;
}

/** The whole corpus: the review's cases, then `generated` random ones (about half left unmutated). */
export function fuzzCorpus(seed: number, generated: number, projectDir: string): FuzzCase[] {
  const sample = fs.readFileSync(path.join(projectDir, "stacks", "test.yaml"), "utf8");
  const r = rng(seed);
  const cases = reviewCases(sample);
  for (let i = 0; i < generated; i++) {
    // A third careful (mostly valid, overlapping grants still likely), a third hostile, a third mutated text.
    const kind = i % 3;
    const text = stringify(randomManifest(r, kind === 0 ? 0.02 : 0.3), { lineWidth: 0 });
    cases.push({ name: `generated #${i} (seed ${seed})`, text: kind === 2 ? mutate(r, text) : text });
  }
  return cases;
}

/** Hostile Skyporten tokens for `explain`, unsigned (explain decodes offline). */
export function fuzzTokens(now: number): { name: string; text: string }[] {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = {
    iss: "https://test.sky.maskinporten.no",
    sub: "0192:917422575;banenor:payloadmanager.storage",
    aud: "https://skyporten.test.banenor.example.no",
    scope: "banenor:payloadmanager.storage",
    consumer: { authority: "iso6523-actorid-upis", ID: "0192:917422575" },
    client_amr: "private_key_jwt",
    client_id: "client",
    iat: now,
    exp: now + 120,
    jti: "fuzz",
  };
  return [
    { name: "not a token", text: "not a token at all" },
    {
      name: "RS256-shaped, forged signature",
      text: `${b64({ alg: "RS256", typ: "JWT", kid: "k" })}.${b64(claims)}.c2lnbmF0dXJl`,
    },
    { name: "alg none", text: `${b64({ alg: "none" })}.${b64(claims)}.` },
    {
      name: "control characters in claims",
      text: `${b64({ alg: "RS256" })}.${b64({ ...claims, client_id: "\u001b[2J\u0007x", jti: "\u202e" })}.c2ln`,
    },
    {
      name: "times out of range",
      text: `${b64({ alg: "RS256" })}.${b64({ ...claims, iat: -1e20, exp: 1e20, nbf: "soon" })}.c2ln`,
    },
    {
      name: "unknown organization",
      text: `${b64({ alg: "RS256" })}.${b64({ ...claims, sub: "0192:000000000;banenor:payloadmanager.storage" })}.c2ln`,
    },
  ];
}
