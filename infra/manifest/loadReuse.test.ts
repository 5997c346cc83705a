/**
 * The loader reuses its last file load only when nothing that decides the result changed: the same file, text,
 * day and keyed checks. The offline plan relies on it (it validates, then the program loads the same file).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stackSettings } from "../settings";
import { stackChecks } from "../stackChecks";
import { loadManifestFile, type ManifestChecks } from "./load";

const ROOT = path.resolve(__dirname, "..", "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skyporten-load-reuse-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const SAMPLE = fs.readFileSync(path.join(ROOT, "stacks", "test.yaml"), "utf8");
const TODAY = new Date("2026-06-01T00:00:00Z");

function file(text: string): string {
  const f = path.join(dir, `m-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(f, text);
  return f;
}

describe("loadManifestFile reuses a load only when nothing changed", () => {
  const settings = stackSettings("test", ROOT);

  it("the same file, text, day and equal settings: the same result (checks built twice, as plan and program do)", () => {
    const f = file(SAMPLE);
    const first = loadManifestFile(f, { today: TODAY, checks: stackChecks(settings) });
    expect(first.ok).toBe(true);
    // Another settings object with the same values, and the file named relatively.
    const again = loadManifestFile(path.relative(process.cwd(), f), {
      today: TODAY,
      checks: stackChecks(stackSettings("test", ROOT)),
    });
    expect(again).toBe(first);
  });

  it("an edited file is read afresh", () => {
    const f = file(SAMPLE);
    const first = loadManifestFile(f, { today: TODAY, checks: stackChecks(settings) });
    fs.writeFileSync(f, SAMPLE.replace("partners:", "partners: []\nunknown:"));
    const edited = loadManifestFile(f, { today: TODAY, checks: stackChecks(settings) });
    expect(edited).not.toBe(first);
    expect(edited.ok).toBe(false);
  });

  it("other settings, another day, or checks without a key: loaded again", () => {
    const f = file(SAMPLE);
    const first = loadManifestFile(f, { today: TODAY, checks: stackChecks(settings) });
    const noAws = { ...settings, aws: { ...settings.aws, enabled: false } };
    const otherSettings = loadManifestFile(f, { today: TODAY, checks: stackChecks(noAws) });
    expect(otherSettings).not.toBe(first);
    // The test stack's manifest has AWS grants: a stack without AWS refuses them.
    expect(otherSettings.ok).toBe(false);
    const base = loadManifestFile(f, { today: TODAY, checks: stackChecks(settings) });
    expect(
      loadManifestFile(f, { today: new Date("2026-06-02T00:00:00Z"), checks: stackChecks(settings) }),
    ).not.toBe(base);
    const unkeyed: ManifestChecks = () => [];
    const a = loadManifestFile(f, { today: TODAY, checks: unkeyed });
    expect(loadManifestFile(f, { today: TODAY, checks: unkeyed })).not.toBe(a);
  });
});
