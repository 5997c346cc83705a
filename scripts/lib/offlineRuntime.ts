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
 *
 * The stack traces of errors the program throws are untouched: Error.stackTraceLimit is not changed.
 */
interface DebuggableModule {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
}

interface ResourceStatics {
  callsites: () => unknown[];
}

// runtime/debuggable.js is @internal (its .d.ts is empty); a namespace import would give a read-only copy under
// tsx and vitest, so the module object is taken from Node's own require cache, the one the SDK uses.
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi"));

/** The SDK internals this module replaces; offlineRuntime.test.ts fails when an SDK upgrade moves them. */
export function sdkInternals(): { debuggable: DebuggableModule; resource: ResourceStatics } {
  return {
    debuggable: sdkRequire("./runtime/debuggable") as DebuggableModule,
    resource: pulumi.Resource as unknown as ResourceStatics,
  };
}

/**
 * Turn off the runtime's per-registration debugging aids until the returned function is called. Aliases are
 * dropped by {@link withoutAliases}, registered on the stack inside the run (it needs the root stack resource).
 */
export function leanRuntime(): () => void {
  const { debuggable, resource } = sdkInternals();
  const debuggablePromise = debuggable.debuggablePromise;
  const callsites = resource.callsites;
  debuggable.debuggablePromise = (p) => p;
  resource.callsites = () => [];
  return () => {
    debuggable.debuggablePromise = debuggablePromise;
    resource.callsites = callsites;
  };
}

/** A stack transformation that registers every resource without aliases (see the module comment). */
export const withoutAliases: pulumi.ResourceTransformation = (args) =>
  args.opts.aliases === undefined
    ? undefined
    : { props: args.props, opts: { ...args.opts, aliases: undefined } };
