/**
 * The benchmark's floor, in its own process: Pulumi's mock runtime as shipped, registering trivial resources in
 * the same number and tree as a plan (each resource of the plan becomes a custom or component resource with the
 * same type token, name and parent; a custom resource's one input is its name), with a `newResource` mock that
 * echoes the inputs back. No program, validation, policies or recording: what registering that many resources
 * costs the SDK itself.
 *
 * The SDK runs with its defaults (its debugging aids on, Error.stackTraceLimit as Node.js sets it, no GC flags);
 * only source maps are off, as they are in the plan, so both run the same JavaScript.
 *
 * usage: node --import tsx scripts/lib/benchFloor.ts <stack> <shape.json>   (shape: floorShape() of a plan JSON)
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../infra/settings";
import { processUsage, reportSample } from "./benchSample";

/** One resource of the floor: where it sits in the tree, nothing else. */
export interface FloorResource {
  type: string;
  name: string;
  urn: string;
  parent: string | null;
  custom: boolean;
}

/**
 * The plan's resources in an order that registers every parent before its children (as the program does), each
 * marked custom or component. A resource is a component when another resource names it as parent: the program
 * parents resources only to its components, never to a custom resource.
 */
export function floorShape(
  resources: readonly { type: string; name: string; urn: string; parent: string | null }[],
): FloorResource[] {
  const parents = new Set(resources.map((r) => r.parent).filter((p): p is string => p !== null));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const ordered: FloorResource[] = [];
  const placed = new Set<string>();
  const place = (urn: string): void => {
    const r = byUrn.get(urn);
    if (r === undefined || placed.has(urn)) return;
    placed.add(urn);
    if (r.parent !== null) place(r.parent);
    ordered.push({ type: r.type, name: r.name, urn: r.urn, parent: r.parent, custom: !parents.has(r.urn) });
  };
  for (const r of resources) place(r.urn);
  return ordered;
}

class FloorCustom extends pulumi.CustomResource {
  constructor(type: string, name: string, opts: pulumi.CustomResourceOptions) {
    super(type, name, { name }, opts);
  }
}

class FloorComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.registerOutputs({});
  }
}

/**
 * Register `resources` under the mock runtime and wait until the engine has answered every registration.
 * Returns how many resources the engine saw (the root stack not counted). Once per process.
 */
export async function runFloor(stack: string, resources: readonly FloorResource[]): Promise<number> {
  let registered = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        // The mock engine is asked about components and the root stack too.
        if (args.type !== "pulumi:pulumi:Stack") registered++;
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call: (args) => {
        throw new Error(`the floor makes no invokes (${args.token})`);
      },
    },
    PROJECT,
    stack,
    true,
  );
  await pulumi.runtime.runInPulumiStack(() => {
    const created = new Map<string, pulumi.Resource>();
    for (const r of resources) {
      const parent = r.parent === null ? undefined : created.get(r.parent);
      created.set(
        r.urn,
        r.custom
          ? new FloorCustom(r.type, r.name, { parent })
          : new FloorComponent(r.type, r.name, { parent }),
      );
    }
    return Promise.resolve(undefined);
  });
  await pulumi.runtime.disconnect();
  return registered;
}

async function main(): Promise<void> {
  const [stack, shapeFile] = process.argv.slice(2);
  if (stack === undefined || shapeFile === undefined)
    throw new Error("usage: benchFloor <stack> <shape.json>");
  const resources = JSON.parse(fs.readFileSync(shapeFile, "utf8")) as FloorResource[];
  process.setSourceMapsEnabled(false);
  const started = process.hrtime.bigint();
  const registered = await runFloor(stack, resources);
  const runMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  // Exit code 0 only when the engine saw every resource of the shape.
  reportSample({ exitCode: registered === resources.length ? 0 : 1, runMs, ...processUsage() });
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
