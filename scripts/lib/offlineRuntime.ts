import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";

/**
 * What Pulumi's Node.js runtime does for every registration that an offline plan has no use for, and that made the
 * plan cost three times the SDK's own floor (npm run bench). Only the offline plan turns these off, for the length
 * of one run; infra/ never imports this module, so `pulumi up` and `pulumi preview` run the SDK exactly as shipped,
 * with every stack trace in their bug reports.
 *
 * - `debuggablePromise` (runtime/debuggable.js) wraps every internal promise (about thirty per resource) in
 *   another one for the promise-leak report printed at exit, and formats `new Error().stack` for it eagerly. The
 *   offline plan waits for every registration before it reads a result, so it can leak nothing; the wrapper is
 *   replaced by the identity.
 * - `Resource.callsites()` formats a full, unbounded stack trace for every resource to send its source position
 *   to the engine; the plan does not show source positions.
 * - Provider SDKs give their resources `aliases` to old versioned type tokens (nine on a UserAssignedIdentity), which
 *   the SDK turns into URN Outputs eagerly (about five Outputs per alias). Aliases only match a resource with state
 *   recorded under an old type; an offline plan has no state, and the plan JSON does not show aliases.
 * - A dynamic provider's code is serialised (runtime/closure/serializeClosure.js) into the `__provider` input, which
 *   the plan JSON leaves out. Serialising loads the TypeScript compiler and opens an inspector session with the
 *   debugger enabled, which slows every script the process runs afterwards. The offline plan puts a placeholder
 *   text there instead; that the real providers serialise is tested under Pulumi's own runner
 *   (test/loadPath.test.ts: "exports.handler = " in every dynamic resource's code) and for each provider
 *   (infra/maskinporten/provider.serialize.test.ts, infra/azure/acl/pathAcl.test.ts).
 *
 * The stack traces of errors the program throws are untouched: Error.stackTraceLimit is not changed.
 */
interface DebuggableModule {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
}

interface ResourceStatics {
  callsites: () => unknown[];
}

/** What a dynamic provider's `__provider` input holds in the offline plan (the plan JSON leaves it out). */
export const NOT_SERIALIZED = { text: "(the offline plan does not serialise dynamic providers)", containsSecrets: false };

interface SerializeClosureModule {
  serializeFunction: (...args: unknown[]) => Promise<unknown>;
}

// runtime/debuggable.js is @internal (its .d.ts is empty); a namespace import would give a read-only copy under
// tsx and vitest, so the module object is taken from Node's own require cache, the one the SDK uses.
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));

/** The SDK internals this module replaces; offlineRuntime.test.ts fails when an SDK upgrade moves them. */
export function sdkInternals(): {
  debuggable: DebuggableModule;
  resource: ResourceStatics;
  closure: SerializeClosureModule;
} {
  return {
    debuggable: sdkRequire("./runtime/debuggable") as DebuggableModule,
    resource: pulumi.Resource as unknown as ResourceStatics,
    closure: sdkRequire("./runtime/closure/serializeClosure") as SerializeClosureModule,
  };
}

/**
 * Turn off the runtime's per-registration debugging aids and the serialisation of dynamic providers until the
 * returned function is called. Aliases are dropped by {@link withoutAliases}, registered on the stack inside the run
 * (it needs the root stack resource).
 */
export function leanRuntime(): () => void {
  const { debuggable, resource, closure } = sdkInternals();
  const debuggablePromise = debuggable.debuggablePromise;
  const callsites = resource.callsites;
  const serializeFunction = closure.serializeFunction;
  debuggable.debuggablePromise = (p) => p;
  resource.callsites = () => [];
  closure.serializeFunction = () => Promise.resolve(NOT_SERIALIZED);
  return () => {
    debuggable.debuggablePromise = debuggablePromise;
    resource.callsites = callsites;
    closure.serializeFunction = serializeFunction;
  };
}

/** A stack transformation that registers every resource without aliases (see the module comment). */
export const withoutAliases: pulumi.ResourceTransformation = (args) =>
  args.opts.aliases === undefined
    ? undefined
    : { props: args.props, opts: { ...args.opts, aliases: undefined } };

