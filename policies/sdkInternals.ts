import * as sdk from "@pulumi/policy";

/**
 * @pulumi/policy 1.21 exports these from its index at run time (index.js re-exports proxy.js) but strips their
 * types (they are @internal, so proxy.d.ts is empty). The adapter needs UnknownValueError to tell "unknown in
 * preview" from a real failure; tests need unknownCheckingProxy to hand props over exactly as the engine does.
 * pack.test.ts fails if a future SDK stops exporting them.
 */
interface PolicySdkInternals {
  UnknownValueError: abstract new (...args: never[]) => Error;
  unknownCheckingProxy: <T extends object>(toProxy: T) => T;
}

export const { UnknownValueError, unknownCheckingProxy } = sdk as unknown as PolicySdkInternals;
