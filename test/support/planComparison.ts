/**
 * Put the offline plan (scripts/lib/plan.ts PlanJson, recorded under Pulumi's mock monitor) and the registrations a
 * real runner sent to the stand-in engine side by side.
 *
 * One translation is needed: the mock monitor builds URNs differently from the engine. MockMonitor.newUrn
 * (@pulumi/pulumi runtime/mocks.js) prefixes the parent's last type segment, including `pulumi:pulumi:Stack` for
 * top-level resources, while the engine drops the root stack type and keeps the parent's whole type chain
 * (standInEngine.ts engineUrn). The plan's parent links are exact, so engine URNs are rebuilt from them.
 */
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import type { PlanJson } from "../../scripts/lib/plan";
import { engineUrn, ROOT_STACK_TYPE, type Registration } from "./standInEngine";

/** What identifies a registration and how it is protected: compared as a whole between plan and runner. */
export interface ResourceRow {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  protect: boolean;
  retainOnDelete: boolean;
  importId: string | null;
}

const byUrn = (a: ResourceRow, b: ResourceRow) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0);

export function stackUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${project}-${stack}`;
}

/** The plan's resources with engine URNs (parents likewise), sorted by URN; `toEngine` maps plan URN -> engine URN. */
export function planRows(
  plan: PlanJson,
  project: string,
  stack: string,
): { rows: ResourceRow[]; toEngine: Map<string, string> } {
  const root = stackUrn(stack, project);
  const byPlanUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const toEngine = new Map<string, string>([[root, root]]);
  const resolve = (planUrn: string, seen: Set<string>): string => {
    const known = toEngine.get(planUrn);
    if (known !== undefined) return known;
    const r = byPlanUrn.get(planUrn);
    // The stack itself is not in plan.resources; any other unknown parent is a broken plan.
    if (r === undefined)
      throw new Error(`plan: parent ${planUrn} is neither a planned resource nor the stack ${root}`);
    if (seen.has(planUrn)) throw new Error(`plan: parent cycle at ${planUrn}`);
    seen.add(planUrn);
    const parent = r.parent === null ? null : resolve(r.parent, seen);
    const urn = engineUrn(stack, project, parent, r.type, r.name);
    toEngine.set(planUrn, urn);
    return urn;
  };
  const rows = plan.resources.map((r) => ({
    urn: resolve(r.urn, new Set()),
    type: r.type,
    name: r.name,
    parent: r.parent === null ? null : resolve(r.parent, new Set()),
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    importId: r.importId,
  }));
  return { rows: rows.sort(byUrn), toEngine };
}

/** The runner's registrations except the stack itself (the plan leaves it out), sorted by URN. */
export function registrationRows(registrations: readonly Registration[]): ResourceRow[] {
  return registrations
    .filter((r) => r.type !== ROOT_STACK_TYPE)
    .map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      importId: r.importId,
    }))
    .sort(byUrn);
}

/** The dynamic provider's serialised code: compiled by tsx in the plan and by ts-node here, so never equal as text. */
export const DYNAMIC_PROVIDER_KEY = "__provider";

/**
 * A registration's inputs in the plan JSON's form: the same deserializer the plan uses
 * (pulumi.runtime.deserializeProperties), then through JSON as the plan file went.
 */
export function planFormInputs(reg: Registration): Record<string, unknown> {
  if (reg.inputStruct === undefined) return {};
  const props = pulumi.runtime.deserializeProperties(reg.inputStruct) as Record<string, unknown>;
  const { [DYNAMIC_PROVIDER_KEY]: _provider, ...rest } = JSON.parse(JSON.stringify(props)) as Record<
    string,
    unknown
  >;
  return rest;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The value as JSON with every GUID replaced: object ids, principal ids and names hashed from them. */
function maskGuids(v: unknown): string {
  return (JSON.stringify(v) ?? "undefined").replace(GUID, "<guid>");
}

export interface InputComparison {
  /** `<urn> <key>` compared and equal. */
  equal: string[];
  /** `<urn> <key>` that differ only in GUIDs the cloud assigns (the plan's placeholders vs. the stand-in's). */
  cloudDerived: string[];
  /** Everything else that differs: each a failure, with both values. */
  mismatches: string[];
}

/**
 * Compare every input property of every resource. A difference is tolerated only where the property's value came
 * from a resource the stand-in assigned cloud values to (per the request's propertyDependencies) and the two values
 * are the same once GUIDs are masked: the plan's deterministic placeholder GUIDs on one side, the stand-in's on the
 * other (Entra object ids, and role assignment names hashed from them). Everything else must be identical.
 */
export function compareInputs(
  plan: PlanJson,
  toEngine: ReadonlyMap<string, string>,
  registrations: readonly Registration[],
  computed: ReadonlyMap<string, Record<string, unknown>>,
): InputComparison {
  const result: InputComparison = { equal: [], cloudDerived: [], mismatches: [] };
  const real = new Map(registrations.map((r) => [r.urn, r]));
  for (const p of plan.resources) {
    const urn = toEngine.get(p.urn);
    const reg = urn === undefined ? undefined : real.get(urn);
    if (urn === undefined || reg === undefined) continue; // a missing resource is reported by the row comparison
    const realInputs = planFormInputs(reg);
    const { [DYNAMIC_PROVIDER_KEY]: _p, ...planInputs } = p.inputs;
    const keys = [...new Set([...Object.keys(planInputs), ...Object.keys(realInputs)])].sort();
    for (const key of keys) {
      const a = planInputs[key];
      const b = realInputs[key];
      if (isDeepStrictEqual(a, b)) {
        result.equal.push(`${urn} ${key}`);
        continue;
      }
      const deps = reg.propertyDependencies[key] ?? [];
      const fromCloud = deps.some((d) => Object.keys(computed.get(d) ?? {}).length > 0);
      if (fromCloud && maskGuids(a) === maskGuids(b)) result.cloudDerived.push(`${urn} ${key}`);
      else {
        const hint = fromCloud
          ? " (differs beyond cloud-assigned GUIDs: if it is another value the cloud assigns, add it to cloudAssigned in test/support/standInEngine.ts)"
          : "";
        result.mismatches.push(
          `${urn} ${key}: plan ${JSON.stringify(a)} vs runner ${JSON.stringify(b)}${hint}`,
        );
      }
    }
  }
  return result;
}
