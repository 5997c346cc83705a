import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { leanRuntime, NOT_SERIALIZED, sdkInternals, withoutAliases } from "./offlineRuntime";

describe("the offline plan's lean runtime", () => {
  it("finds the SDK internals it replaces (fails when an SDK upgrade moves them)", () => {
    const { debuggable, resource, closure } = sdkInternals();
    expect(typeof debuggable.debuggablePromise).toBe("function");
    expect(typeof resource.callsites).toBe("function");
    // The SDK's own versions do what the module comment says they cost: a wrapping promise, a full call stack.
    const p = Promise.resolve(1);
    expect(debuggable.debuggablePromise(p, "ctx")).not.toBe(p);
    expect(resource.callsites().length).toBeGreaterThan(3);
    expect(typeof closure.serializeFunction).toBe("function");
  });

  it("replaces them until restored, then puts the SDK's own back", async () => {
    const { debuggable, resource, closure } = sdkInternals();
    const original = {
      debuggablePromise: debuggable.debuggablePromise,
      callsites: resource.callsites,
      serializeFunction: closure.serializeFunction,
    };
    const restore = leanRuntime();
    try {
      const p = Promise.resolve(42);
      expect(debuggable.debuggablePromise(p, "ctx")).toBe(p);
      expect(await debuggable.debuggablePromise(p, "ctx")).toBe(42);
      expect(resource.callsites()).toEqual([]);
      // A dynamic provider's code is not serialised: the placeholder says so, and holds no secret.
      expect(await closure.serializeFunction(() => 1, { allowSecrets: true })).toBe(NOT_SERIALIZED);
      expect(NOT_SERIALIZED).toEqual({ text: "(the offline plan does not serialise dynamic providers)", containsSecrets: false });
    } finally {
      restore();
    }
    expect(debuggable.debuggablePromise).toBe(original.debuggablePromise);
    expect(resource.callsites).toBe(original.callsites);
    expect(closure.serializeFunction).toBe(original.serializeFunction);
  });

  it("leaves Error.stackTraceLimit alone, so errors of the program keep their stack traces", () => {
    const before = Error.stackTraceLimit;
    const restore = leanRuntime();
    try {
      expect(Error.stackTraceLimit).toBe(before);
      expect(new Error("boom").stack?.split("\n").length).toBeGreaterThan(1);
    } finally {
      restore();
    }
  });

  it("drops aliases and nothing else from a registration", () => {
    const props = { resourceName: "id-skyporten-test-917422575" };
    const opts: pulumi.CustomResourceOptions = {
      aliases: [{ type: "azure-native:managedidentity/v20230131:UserAssignedIdentity" }],
      protect: true,
      retainOnDelete: true,
      dependsOn: [],
      ignoreChanges: ["tags"],
    };
    const args = {
      resource: {} as pulumi.Resource,
      type: "azure-native:managedidentity:UserAssignedIdentity",
      name: "x",
      props,
      opts,
    };
    expect(withoutAliases(args)).toEqual({
      props,
      opts: {
        aliases: undefined,
        protect: true,
        retainOnDelete: true,
        dependsOn: [],
        ignoreChanges: ["tags"],
      },
    });
    expect(withoutAliases(args)?.props).toBe(props);
    expect(withoutAliases({ ...args, opts: { protect: true } })).toBeUndefined();
  });
});

