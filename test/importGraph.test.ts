/**
 * The import graph of the project's own modules stays one-way: no module reaches itself through its imports
 * (type-only imports included, since they still tie two modules' designs together). Imports are read with the
 * TypeScript compiler's own pre-processor, so every `import`/`export ... from` form counts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..");
const FOLDERS = ["infra", "scripts", "policies", "test"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Relative imports of one file, resolved to project files (`./x` -> `./x.ts` or `./x/index.ts`). */
function localImports(file: string, known: ReadonlySet<string>): string[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  const out: string[] = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith(".")) continue;
    const base = path.resolve(path.dirname(file), ref.fileName.replace(/\.js$/, ""));
    const hit = [`${base}.ts`, path.join(base, "index.ts")].find((c) => known.has(c));
    if (hit !== undefined) out.push(hit);
  }
  return out;
}

/** Strongly connected components with more than one module (Tarjan), or a module importing itself. */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe("import graph", () => {
  it("finds a planted cycle (the check can fail)", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(importCycles(graph)).toEqual([["a", "b", "c"]]);
    expect(
      importCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("has no cycle among the project's modules", () => {
    const files = FOLDERS.flatMap((f) => sourceFiles(path.join(ROOT, f)));
    const known = new Set(files);
    const graph = new Map(files.map((f) => [f, localImports(f, known)] as const));
    // Sanity: the reader sees the program's wiring, so an empty graph cannot pass silently.
    expect(graph.get(path.join(ROOT, "infra", "index.ts"))?.length).toBeGreaterThan(0);
    const cycles = importCycles(graph).map((c) => c.map((f) => path.relative(ROOT, f)));
    expect(cycles).toEqual([]);
  });
});
