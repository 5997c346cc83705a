import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DfsTestServer } from "./dfsTestServer";
import type { PathAclInputs, PathAclOutputs } from "./provider";

const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

const TRAVERSE = "33333333-3333-4333-8333-333333333333";
const WRITE = "44444444-4444-4444-8444-444444444444";
const PARTNER = "11111111-1111-4111-8111-111111111111";

type Provider = pulumi.dynamic.ResourceProvider<PathAclInputs, PathAclOutputs>;

/** Load a serialised provider the way Pulumi's dynamic provider host does (requireFromString(text).handler()). */
function loadSerialized(text: string): Provider {
  const module = { exports: {} as { handler?: () => Provider } };
  const wrapper = vm.runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {\n${text}\n})`,
  ) as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  wrapper(
    module.exports,
    createRequire(path.join(process.cwd(), "package.json")),
    module,
    "__provider.js",
    process.cwd(),
  );
  return module.exports.handler!();
}

let acl: typeof import("./index.js");
let server: DfsTestServer;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        registered.push({ type: args.type, name: args.name, inputs });
        return { id: `${args.name}-id`, state: { ...inputs, appliedEntries: inputs.entries } };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "skyporten-onboarding",
    "test",
    false,
  );
  acl = await import("./index.js");
  server = await new DfsTestServer("stskyportentest").start();
});
afterAll(async () => {
  await server.stop();
});

describe("PathAcl resource", () => {
  it("registers as pulumi-nodejs:dynamic/adls:PathAcl with the rendered entries and defaults", async () => {
    const plan = acl.rootAclPlan("outbound");
    const traverseId = pulumi.output(TRAVERSE);
    const res = new acl.PathAcl("acl-outbound-root", {
      accountName: "stskyportentest",
      fileSystem: "outbound",
      path: "/",
      entries: [acl.aclEntryInput(plan.entries[0]!, traverseId), acl.aclEntryInput(plan.entries[1]!, WRITE)],
    });
    const [urn, applied] = await Promise.all([promiseOf(res.urn), promiseOf(res.appliedEntries)]);
    expect(urn).toBe(
      "urn:pulumi:test::skyporten-onboarding::pulumi-nodejs:dynamic/adls:PathAcl::acl-outbound-root",
    );
    expect(applied).toEqual([`group:${TRAVERSE}:--x`, `group:${WRITE}:-wx`]);
    const r = registered.find((x) => x.name === "acl-outbound-root")!;
    expect(r.type).toBe("pulumi-nodejs:dynamic/adls:PathAcl");
    const { __provider, ...inputs } = r.inputs;
    expect(inputs).toEqual({
      accountName: "stskyportentest",
      fileSystem: "outbound",
      path: "/",
      entries: [`group:${TRAVERSE}:--x`, `group:${WRITE}:-wx`],
      recursive: false,
      createDirectory: false,
    });
    expect(typeof __provider).toBe("string");
    expect(__provider as string).toMatch(/^exports\.handler = __f0;/);
    // The provider module is self-contained: its serialised text exports only the handler and drags in no module.
    expect((__provider as string).match(/exports\.\w+/g)).toEqual(["exports.handler"]);
    expect(__provider as string).not.toMatch(/__vite_ssr|require\("\.\//);
  });

  it("refuses bad plain inputs synchronously, naming the field and the fix", () => {
    expect(
      () =>
        new acl.PathAcl("acl-bad", {
          accountName: "stskyportentest",
          fileSystem: "outbound",
          path: "nordlys",
          entries: [`user:${PARTNER}:r-x`, "user:not-an-object-id:r-x"],
        }),
    ).toThrow(
      'PathAcl "acl-bad": path: path must be "/" (the container root) or an absolute directory like "/partner/reports" without a trailing "/" (got "nordlys"); entries[1]: ACL entry "user:not-an-object-id:r-x" must name an Entra OBJECT id (a GUID such as a managed identity\'s principalId), not "not-an-object-id"',
    );
  });

  it("the serialised provider of a registered PathAcl runs on its own against the DFS endpoint", async () => {
    const r = registered.find((x) => x.name === "acl-outbound-root")!;
    const provider = loadSerialized(r.inputs.__provider as string);
    server.addFileSystem("outbound");
    const news = {
      accountName: "stskyportentest",
      fileSystem: "outbound",
      path: "/",
      entries: [`group:${WRITE}:-wx`],
      endpoint: server.endpoint,
    };
    const checked = await provider.check!({} as PathAclInputs, news);
    expect(checked.failures).toEqual([]);
    const created = await provider.create(checked.inputs!);
    expect(created.outs?.appliedEntries).toEqual([`group:${WRITE}:-wx`]);
    expect(server.aclOf("outbound")).toBe(`user::rwx,group::r-x,group:${WRITE}:-wx,mask::rwx,other::---`);
  });

  it("the provider module compiled as CommonJS (as ts-node runs the program) serialises without capturing anything else", async () => {
    // Compile provider.ts the way the Pulumi program runs it, load it, serialise its provider exactly as
    // pulumi.dynamic.Resource does, then run the serialised copy against the local endpoint.
    const source = readFileSync(path.join(__dirname, "provider.ts"), "utf8");
    const compiled = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    }).outputText;
    const dir = mkdtempSync(path.join(os.tmpdir(), "pathacl-"));
    try {
      writeFileSync(path.join(dir, "provider.js"), compiled);
      const mod = createRequire(path.join(dir, "index.js"))("./provider.js") as typeof import("./provider");
      const original = mod.createPathAclProvider({ baseDelayMs: 1 });
      const serialized = await pulumi.runtime.serializeFunction(() => original, { allowSecrets: true });
      // Nothing but the handler is exported, and no module object (exports, require'd modules) was captured.
      expect(serialized.text.match(/exports\.\w+/g)).toEqual(["exports.handler"]);
      expect(serialized.text).not.toMatch(/__vite_ssr|require\("\.\//);
      const provider = loadSerialized(serialized.text);
      server.addFileSystem("inbound");
      server.addDirectory("inbound", "nordlys");
      server.addFile("inbound", "nordlys/a.csv");
      const created = await provider.create({
        accountName: "stskyportentest",
        fileSystem: "inbound",
        path: "/nordlys",
        entries: [`user:${PARTNER}:-wx`, `default:user:${PARTNER}:-wx`],
        recursive: true,
        endpoint: server.endpoint,
      });
      expect(server.aclOf("inbound", "nordlys/a.csv")).toBe(
        `user::rw-,user:${PARTNER}:-wx,group::r--,mask::rwx,other::---`,
      );
      await provider.delete!(created.id, created.outs!);
      expect(server.aclOf("inbound", "nordlys/a.csv")).toBe("user::rw-,group::r--,mask::rwx,other::---");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
