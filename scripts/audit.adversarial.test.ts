import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PLATFORM } from "../infra/audit/plantTable";
import { deployed, sampleExpectation } from "../infra/audit/testing";
import type { AccessState } from "../infra/audit/observed";
import { audit } from "./audit";
import { CliError } from "./lib/cli";

/**
 * `npm run audit --observed` against hostile or broken input: the exit code is exactly 0, 1 or 2, a document
 * that lacks a cloud the stack uses is never "clean", and no input ends in a stack trace.
 */

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-audit-adversarial-"));
const write = (name: string, doc: unknown) => {
  const file = path.join(TMP, name);
  fs.writeFileSync(file, typeof doc === "string" ? doc : JSON.stringify(doc));
  return file;
};
const clean = (): AccessState => deployed(sampleExpectation("test", [PLATFORM]));

describe("npm run audit --observed: hostile and broken input", () => {
  const out: string[] = [];
  const err: string[] = [];
  beforeEach(() => {
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
    err.length = 0;
  });

  it("the deployed state is clean: exit 0", async () => {
    const file = write("clean.json", clean());
    expect(await audit(["--stack", "test", "--observed", file, "--platform-principal", PLATFORM])).toBe(0);
  });

  it("a document without the aws key, for a stack that uses AWS, is incomplete: exit 2, never clean", async () => {
    const doc = clean();
    delete doc.aws;
    const file = write("no-aws.json", doc);
    const json = path.join(TMP, "no-aws-findings.json");
    expect(await audit(["--stack", "test", "--observed", file, "--json", json])).toBe(2);
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as { unreadable: unknown[] };
    expect(report.unreadable).toEqual([
      { source: "aws", reason: `${file} has no "aws" key: the stack uses aws, so it was not judged` },
    ]);
    expect(out.join("")).toContain("INCOMPLETE: 1 source(s) could not be read");
  });

  it("a document without the azure key is incomplete: exit 2", async () => {
    const doc = clean();
    delete doc.azure;
    expect(await audit(["--stack", "test", "--observed", write("no-azure.json", doc)])).toBe(2);
  });

  it("--json into a directory is exit 2 with the reason, not a crash", async () => {
    const dir = fs.mkdtempSync(path.join(TMP, "dir-"));
    await expect(
      audit(["--stack", "test", "--observed", write("c.json", clean()), "--json", dir]),
    ).rejects.toMatchObject({
      code: 2,
      message: expect.stringMatching(/^cannot write --json .*: EISDIR/) as unknown,
    });
  });

  it.each([
    ["empty", ""],
    ["truncated", '{"stack": "test", "azure": {"identities": ['],
    ["a string", '"test"'],
    ["deeply nested", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
  ])("an observed file that is %s: exit 2 naming the file", async (_name, text) => {
    const file = write("bad.json", text);
    const e = await audit(["--stack", "test", "--observed", file]).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).code).toBe(2);
    expect((e as CliError).message.startsWith(file)).toBe(true);
    expect((e as CliError).message).not.toMatch(/\n\s+at /);
  });
});
