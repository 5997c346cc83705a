import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifestText } from "../../infra/manifest/load";
import { CliError } from "./cli";
import { addPartner, layoutOf, parseAwsGrant, parseAzureGrant, promotePartner, setStatus, type NewPartnerEntry } from "./onboardEdit";

/** Comments everywhere: on keys, after values, between entries, blank lines, and after the last entry. */
const COMMENTED = `# yaml-language-server: $schema=./manifest.schema.json
# Header comment.
containers:
  - name: inbound # drop box
    shared: true
  - name: outbound

buckets:
  - name: banenor-payload-test
partners:
  # Entur: whole container.
  - orgNumber: "917422575"
    name: Entur AS # display only
    contact: data@entur.example
    azure:
      - container: inbound
        access: read # read only
  # Nordlys: suspended.
  - orgNumber: "910000012"
    name: Nordlys Logistikk AS
    status: suspended # since 2026-01
    azure:
      - container: outbound
        access: read
        path: nordlys
# Trailing comment.
`;

const NEW: NewPartnerEntry = {
  orgNumber: "123456785",
  name: "Ny Partner: AS #1",
  contact: "ops@ny.example",
  reviewBy: "2027-01-31",
  azure: [
    { container: "inbound", access: "write" },
    { container: "outbound", access: "read", path: "ny" },
  ],
  aws: [{ bucket: "banenor-payload-test", prefix: "ny/", access: "read" }],
};

const NEW_LINES = `  - orgNumber: "123456785"
    name: "Ny Partner: AS #1"
    contact: ops@ny.example
    reviewBy: 2027-01-31
    azure:
      - container: inbound
        access: write
      - container: outbound
        access: read
        path: ny
    aws:
      - bucket: banenor-payload-test
        prefix: ny/
        access: read
`;

const [COMMENTED_HEAD, COMMENTED_TAIL] = COMMENTED.split("# Trailing comment.\n") as [string, string];

describe("add", () => {
  it("appends the entry after the last partner; every other byte, comments included, stays", () => {
    const out = addPartner(COMMENTED, "m.yaml", NEW);
    expect(out).toBe(`${COMMENTED_HEAD}${NEW_LINES}# Trailing comment.\n${COMMENTED_TAIL}`);
    const loaded = loadManifestText(out, "m.yaml", { today: new Date("2026-01-01T00:00:00Z") });
    expect(loaded.ok && loaded.manifest.partners[2]).toEqual({
      orgNumber: "123456785",
      name: "Ny Partner: AS #1",
      status: "active",
      contact: "ops@ny.example",
      reviewBy: "2027-01-31",
      azure: [
        { container: "inbound", access: "write" },
        { container: "outbound", access: "read", path: "ny" },
      ],
      aws: [{ bucket: "banenor-payload-test", prefix: "ny/", access: "read" }],
    });
  });

  it("keeps the project's sample manifest byte for byte and only appends", () => {
    const sample = fs.readFileSync(path.resolve(__dirname, "..", "..", "stacks", "test.yaml"), "utf8");
    const out = addPartner(sample, "stacks/test.yaml", NEW);
    expect(out.startsWith(sample)).toBe(true);
    expect(out.slice(sample.length)).toBe(NEW_LINES);
  });

  it("follows the file's own indentation, sequence style and line endings", () => {
    const wide = 'partners:\n    - orgNumber: "917422575"\n      name: Entur AS\n      azure:\n          - container: inbound\n            access: read\n';
    expect(addPartner(wide, "w", { orgNumber: "123456785", name: "N", azure: [{ container: "inbound", access: "write" }], aws: [] })).toBe(
      `${wide}    - orgNumber: "123456785"\n      name: N\n      azure:\n          - container: inbound\n            access: write\n`,
    );
    const flat = 'partners:\n- orgNumber: "917422575"\n  name: Entur AS\n  azure:\n  - container: inbound\n    access: read\n';
    expect(addPartner(flat, "f", { orgNumber: "123456785", name: "N", azure: [{ container: "inbound", access: "write" }], aws: [] })).toBe(
      `${flat}- orgNumber: "123456785"\n  name: N\n  azure:\n  - container: inbound\n    access: write\n`,
    );
    const crlf = 'partners:\r\n  - orgNumber: "917422575" # x\r\n    name: Entur AS\r\n';
    expect(addPartner(crlf, "c", { orgNumber: "123456785", name: "N", azure: [], aws: [] })).toBe(`${crlf}  - orgNumber: "123456785"\r\n    name: N\r\n`);
    expect(layoutOf(crlf)).toEqual({ options: { lineWidth: 0, indent: 2, indentSeq: true }, eol: "\r\n" });
  });

  it("an empty, null or missing partners list gets a block list; a file without final line break gets one", () => {
    const entry = { orgNumber: "123456785", name: "N", azure: [], aws: [] };
    const item = '  - orgNumber: "123456785"\n    name: N\n';
    expect(addPartner("containers: []\npartners: [] # none yet\nbuckets: []\n", "a", entry)).toBe(`containers: []\npartners: # none yet\n${item}buckets: []\n`);
    expect(addPartner("containers: []\npartners:\nbuckets: []\n", "a", entry)).toBe(`containers: []\npartners:\n${item}buckets: []\n`);
    expect(addPartner("containers: []", "a", entry)).toBe(`containers: []\npartners:\n${item}`);
    expect(addPartner('partners:\n  - orgNumber: "917422575"\n    name: Entur AS', "a", entry)).toBe(`partners:\n  - orgNumber: "917422575"\n    name: Entur AS\n${item}`);
  });

  it("refuses a flow-style list and a file that is not YAML, saying what to do", () => {
    const entry = { orgNumber: "123456785", name: "N", azure: [], aws: [] };
    expect(() => addPartner('partners: [{orgNumber: "917422575", name: E}]\n', "a", entry)).toThrow(
      new CliError('partners is written in flow style ("[...]"); write it as a block list ("- orgNumber: ...") and run the command again'),
    );
    expect(() => addPartner("partners: [\n", "bad.yaml", entry)).toThrow(/^bad\.yaml: the file is not valid YAML .*; run npm run validate and fix it first$/);
  });
});

describe("grant flags", () => {
  it("--azure CONTAINER:ACCESS[:PATH] and --aws BUCKET:PREFIX:ACCESS", () => {
    expect(parseAzureGrant("inbound:write")).toEqual({ container: "inbound", access: "write" });
    expect(parseAzureGrant("outbound:read:a/b")).toEqual({ container: "outbound", access: "read", path: "a/b" });
    expect(parseAwsGrant("banenor-payload-test:entur/:read-write")).toEqual({ bucket: "banenor-payload-test", prefix: "entur/", access: "read-write" });
    expect(() => parseAzureGrant("inbound")).toThrow(
      '--azure "inbound" must be CONTAINER:ACCESS or CONTAINER:ACCESS:PATH (access one of read, write, read-write), e.g. --azure outbound:read:nordlys',
    );
    expect(() => parseAzureGrant("inbound:read:")).toThrow(/must be CONTAINER:ACCESS/);
    expect(() => parseAwsGrant("bucket:read")).toThrow('--aws "bucket:read" must be BUCKET:PREFIX:ACCESS (access one of read, write, read-write), e.g. --aws banenor-payload-test:entur/:read');
  });
});

describe("status", () => {
  it("suspend inserts the status after name; reinstate removes it: the round trip gives the file back byte for byte", () => {
    const suspended = setStatus(COMMENTED, "m.yaml", "917422575", "suspended");
    expect(suspended.before).toBe("active");
    expect(suspended.text).toBe(COMMENTED.replace("    name: Entur AS # display only\n", "    name: Entur AS # display only\n    status: suspended\n"));
    expect(setStatus(suspended.text, "m.yaml", "917422575", "active").text).toBe(COMMENTED);
  });

  it("an existing status keeps its comment when changed, also when reinstated (the line then says active)", () => {
    expect(setStatus(COMMENTED, "m.yaml", "910000012", "offboarded").text).toBe(COMMENTED.replace("status: suspended # since 2026-01", "status: offboarded # since 2026-01"));
    expect(setStatus(COMMENTED, "m.yaml", "910000012", "active").text).toBe(COMMENTED.replace("status: suspended # since 2026-01", "status: active # since 2026-01"));
    // Without a comment the line goes, so suspend then reinstate gives the file back.
    const plain = COMMENTED.replace("status: suspended # since 2026-01", "status: suspended");
    expect(setStatus(plain, "m.yaml", "910000012", "active").text).toBe(plain.replace("    status: suspended\n", ""));
  });

  it("the project's sample manifest survives suspend + reinstate and offboard byte for byte apart from the status line", () => {
    const sample = fs.readFileSync(path.resolve(__dirname, "..", "..", "stacks", "test.yaml"), "utf8");
    const s = setStatus(sample, "stacks/test.yaml", "910000012", "suspended").text;
    expect(s).toBe(sample.replace("    name: Nordlys Logistikk AS\n", "    name: Nordlys Logistikk AS\n    status: suspended\n"));
    expect(setStatus(s, "stacks/test.yaml", "910000012", "active").text).toBe(sample);
  });

  it("refuses an unknown organization and a status it already has", () => {
    expect(() => setStatus(COMMENTED, "m.yaml", "123456785", "suspended")).toThrow(
      new CliError("organization 123456785 is not in m.yaml; check the number (npm run onboard -- add ... adds a partner)"),
    );
    expect(() => setStatus(COMMENTED, "m.yaml", "910000012", "suspended")).toThrow(new CliError("organization 910000012 in m.yaml is already suspended; nothing to change"));
    expect(() => setStatus(COMMENTED, "m.yaml", "917422575", "active")).toThrow("organization 917422575 in m.yaml is already active; nothing to change");
  });
});

describe("promote", () => {
  const PROD = `# Prod manifest.
containers:
  - name: inbound
  - name: outbound
buckets:
  - name: banenor-payload-prod
partners:
  - orgNumber: "917422575" # already in prod
    name: Entur AS
`;
  const TEST = `${COMMENTED_HEAD.replace("# Nordlys: suspended.", "# Nordlys: path grant.").replace("    status: suspended # since 2026-01\n", "")}  # Fjordkraft: S3.
  - orgNumber: "921345674"
    name: Fjordkraft Data AS
    aws:
      - bucket: banenor-payload-test # the test bucket
        prefix: fjordkraft/
        access: read
`;
  const opts = {
    fromFile: "stacks/test.yaml",
    toFile: "stacks/prod.yaml",
    bucketMap: new Map<string, string>(),
    targetContainers: new Set(["inbound", "outbound"]),
    targetBuckets: new Set(["banenor-payload-prod"]),
  };

  it("copies the entry with the comments inside it to the end of the target, renaming mapped buckets", () => {
    expect(promotePartner(TEST, PROD, { ...opts, orgNumber: "910000012" })).toBe(
      `${PROD}  # Nordlys: path grant.\n  - orgNumber: "910000012"\n    name: Nordlys Logistikk AS\n    azure:\n      - container: outbound\n        access: read\n        path: nordlys\n`,
    );
    expect(promotePartner(TEST, PROD, { ...opts, orgNumber: "921345674", bucketMap: new Map([["banenor-payload-test", "banenor-payload-prod"]]) })).toBe(
      `${PROD}  # Fjordkraft: S3.\n  - orgNumber: "921345674"\n    name: Fjordkraft Data AS\n    aws:\n      - bucket: banenor-payload-prod # the test bucket\n        prefix: fjordkraft/\n        access: read\n`,
    );
  });

  it("refuses when the target lacks a container or bucket, naming each", () => {
    expect(() => promotePartner(TEST, PROD, { ...opts, orgNumber: "921345674" })).toThrow(
      new CliError(
        'stacks/prod.yaml declares no bucket "banenor-payload-test" (aws[0] of organization 921345674); declare it under buckets in stacks/prod.yaml, or map it to a bucket of stacks/prod.yaml with --bucket banenor-payload-test=banenor-payload-prod',
      ),
    );
    expect(() => promotePartner(TEST, PROD, { ...opts, orgNumber: "910000012", targetContainers: new Set(["inbound"]) })).toThrow(
      new CliError('stacks/prod.yaml declares no container "outbound" (azure[0] of organization 910000012); declare it under containers in stacks/prod.yaml first'),
    );
  });

  it("refuses an organization that is not in the source, or is offboarded there", () => {
    expect(() => promotePartner(TEST, PROD, { ...opts, orgNumber: "123456785" })).toThrow("organization 123456785 is not in stacks/test.yaml; nothing to promote");
    const off = TEST.replace("    name: Fjordkraft Data AS\n", "    name: Fjordkraft Data AS\n    status: offboarded\n");
    expect(() => promotePartner(off, PROD, { ...opts, orgNumber: "921345674" })).toThrow("organization 921345674 is offboarded in stacks/test.yaml; there is nothing to promote");
  });
});
