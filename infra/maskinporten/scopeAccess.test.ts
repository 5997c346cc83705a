import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import type { ScopeAccessInputs, ScopeAccessOutputs } from "./provider";
import { startFakeDigdir, type FakeDigdir } from "./testing/fakeDigdir";
import { keyFragments, testKey } from "./testing/keys";

/**
 * ScopeAccess under Pulumi mocks: the registration (type token, inputs, secret handling) and then the provider
 * exactly as the engine gets it: the serialised `__provider` text, loaded with Pulumi's own require-from-string
 * and `.handler()` as @pulumi/pulumi/cmd/dynamic-provider does, driving a create -> read -> delete run against a
 * local Digdir.
 */

const SCOPE = "banenor:payloadmanager.storage";
const ORG = "917422575";
const KEY = testKey();
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const promiseOf = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
interface RawRegistration {
  type: string;
  additionalSecretOutputs: string[];
  object: Record<string, unknown>;
}
const registrations: Registration[] = [];
const raw: RawRegistration[] = [];
let fake: FakeDigdir;
let mod: typeof import("./scopeAccess");

beforeAll(async () => {
  fake = await startFakeDigdir({
    publicKey: KEY.publicKey,
    clientId: "platform-admin-client",
    keyId: "kid-1",
    audience: "https://test.maskinporten.no/",
    scopes: [SCOPE],
    knownOrgs: [ORG],
  });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registrations.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
        });
        return {
          id: `${args.name}-id`,
          state: { ...(args.inputs as Record<string, unknown>), state: "APPROVED" },
        };
      },
      call: (args) => {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "skyporten-onboarding",
    "test",
    false,
  );
  // Record what the SDK sends to the engine: the secret marking and additionalSecretOutputs are only visible there.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (req: RegisterRequest, cb: unknown) => unknown;
  };
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    raw.push({
      type: req.getType(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      object: req.getObject().toJavaScript(),
    });
    return original(req, cb);
  };
  mod = await import("./scopeAccess.js");
});

afterAll(async () => {
  await fake.close();
});

interface RegisterRequest {
  getType(): string;
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> };
}

function args(
  over: Partial<import("./scopeAccess").ScopeAccessArgs> = {},
): import("./scopeAccess").ScopeAccessArgs {
  return {
    orgNumber: ORG,
    scope: SCOPE,
    apiBaseUrl: fake.url,
    tokenEndpoint: fake.tokenEndpoint,
    tokenAudience: "https://test.maskinporten.no/",
    adminClientId: "platform-admin-client",
    adminKeyId: "kid-1",
    adminPrivateKey: pulumi.secret(KEY.pem),
    timeoutMs: 2000,
    maxAttempts: 2,
    retryBaseDelayMs: 5,
    ...over,
  };
}

describe("ScopeAccess registration", () => {
  test("registers pulumi-nodejs:dynamic/maskinporten:ScopeAccess with exact inputs, the key secret and an additional secret output", async () => {
    const res = new mod.ScopeAccess("partner-917422575-scope-access", args());
    await promiseOf(pulumi.all([res.urn, res.state]));
    expect(mod.SCOPE_ACCESS_TYPE).toBe("pulumi-nodejs:dynamic/maskinporten:ScopeAccess");
    expect(registrations.map((r) => [r.type, r.name])).toEqual([
      ["pulumi-nodejs:dynamic/maskinporten:ScopeAccess", "partner-917422575-scope-access"],
    ]);
    const { __provider, ...inputs } = registrations[0]!.inputs;
    expect(inputs).toEqual({
      orgNumber: ORG,
      scope: SCOPE,
      apiBaseUrl: fake.url,
      tokenEndpoint: fake.tokenEndpoint,
      tokenAudience: "https://test.maskinporten.no/",
      adminClientId: "platform-admin-client",
      adminKeyId: "kid-1",
      // What Pulumi's mocks (and an offline plan built on them) see: the secret wrapper, never a bare string.
      adminPrivateKey: { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value: KEY.pem },
      timeoutMs: 2000,
      maxAttempts: 2,
      retryBaseDelayMs: 5,
    });
    expect(typeof __provider).toBe("string");
    expect(await promiseOf(res.state)).toBe("APPROVED");
    expect(await promiseOf(res.orgNumber)).toBe(ORG);

    const sent = raw.find((r) => r.type === mod.SCOPE_ACCESS_TYPE)!;
    expect(sent.additionalSecretOutputs).toEqual(["adminPrivateKey"]);
    expect(sent.object.adminPrivateKey).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: KEY.pem,
    });
    expect(sent.object.adminClientId).toBe("platform-admin-client");
    // The serialised provider captured no secret and no key material.
    expect(keyFragments(KEY.pem).some((f) => String(__provider).includes(f))).toBe(false);
  });

  test("a plain-string key is still sent as a secret", async () => {
    const before = raw.length;
    const res = new mod.ScopeAccess("plain-key", args({ adminPrivateKey: KEY.pem }));
    await promiseOf(res.urn);
    const sent = raw.slice(before).find((r) => r.type === mod.SCOPE_ACCESS_TYPE)!;
    expect(sent.object.adminPrivateKey).toEqual({
      [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
      value: KEY.pem,
    });
  });

  test("bad plain args fail synchronously, naming the field and the fix; Output values are left to check", () => {
    expect(
      () =>
        new mod.ScopeAccess(
          "bad",
          args({ orgNumber: "123456789", tokenAudience: "https://maskinporten.no" }),
        ),
    ).toThrow(
      'ScopeAccess "bad": tokenAudience "https://maskinporten.no" lacks the trailing slash: the plain Maskinporten issuer is "https://maskinporten.no/" ' +
        "(Skyporten's issuers have none, Maskinporten's do); orgNumber \"123456789\" has a wrong MOD11 check digit (expected 5, got 9); " +
        "check the number in the Central Coordinating Register (Enhetsregisteret)",
    );
    expect(
      mod.scopeAccessArgsProblems(
        args({ orgNumber: pulumi.output("not-checked-yet"), adminPrivateKey: pulumi.secret("[secret]") }),
      ),
    ).toEqual([]);
    expect(mod.scopeAccessArgsProblems({ ...args(), adminKeyId: undefined })).toEqual([
      "adminKeyId (the kid of the key registered on the admin client) or adminCertificateChain (x5c) is required: Maskinporten needs one of them in the JWT grant header",
    ]);
  });
});

describe("the serialised provider, as the engine runs it", () => {
  test("create -> read -> drift -> update -> delete against the local Digdir", async () => {
    const serialized = String(registrations[0]!.inputs.__provider);
    expect(serialized).toContain('require("jose")');
    // The very loader @pulumi/pulumi/cmd/dynamic-provider uses (require-from-string, resolved from the SDK).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK's own transitive loader, not a project dependency
    const requireFromString = require(
      require.resolve("require-from-string", { paths: [require.resolve("@pulumi/pulumi")] }),
    ) as (code: string) => {
      handler: () => Required<pulumi.dynamic.ResourceProvider<ScopeAccessInputs, ScopeAccessOutputs>>;
    };
    const provider = requireFromString(serialized).handler();

    // The engine unwraps secrets for the dynamic provider (it does not accept secrets) and re-marks the outputs.
    const { __provider: _p, adminPrivateKey: wrapped, ...rest } = registrations[0]!.inputs;
    const inputs = {
      ...rest,
      adminPrivateKey: (wrapped as { value: string }).value,
    } as unknown as ScopeAccessInputs;
    expect((await provider.check({} as ScopeAccessInputs, inputs)).failures).toBeUndefined();
    const created = await provider.create(inputs);
    expect(created.id).toBe(`${SCOPE}/${ORG}`);
    expect(created.outs?.state).toBe("APPROVED");
    const outs = created.outs!;

    const read = await provider.read(created.id, outs);
    expect(read.props?.state).toBe("APPROVED");
    expect((await provider.diff(created.id, read.props!, inputs)).changes).toBe(false);

    fake.setState(SCOPE, ORG, "DENIED");
    const drifted = await provider.read(created.id, outs);
    expect(drifted.props?.state).toBe("DENIED");
    expect(await provider.diff(created.id, drifted.props!, inputs)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await provider.update(created.id, drifted.props!, inputs)).outs?.state).toBe("APPROVED");

    await provider.delete(created.id, outs);
    expect(fake.entries(SCOPE).map((e) => [e.consumer_orgno, e.active])).toEqual([[ORG, false]]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /token",
      "PUT /api/v1/scopes/access/917422575",
      "GET /api/v1/scopes/access",
      "GET /api/v1/scopes/access",
      "PUT /api/v1/scopes/access/917422575",
      "DELETE /api/v1/scopes/access/917422575",
    ]);
  });
});
