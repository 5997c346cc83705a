/**
 * A local stand-in for the Pulumi engine's two gRPC services, as a Node.js program sees them under `pulumi up`:
 * the ResourceMonitor (resource registrations) and the Engine (logs, root resource). Both listen on 127.0.0.1 with a
 * port the kernel picks. The service definitions are the SDK's own generated stubs
 * (@pulumi/pulumi/proto/resource_grpc_pb.js, engine_grpc_pb.js), so the wire format is exactly what the runner speaks.
 *
 * It answers like the engine of an update (not a preview) on an empty stack: every registration is a create, custom
 * resources get an id and their inputs back as outputs plus a few values the cloud would assign (recorded in
 * `computed`, so a comparison can tell them apart from values the program decided). What it cannot do faithfully
 * (invokes, calls, reads, transforms, hooks, packages) it refuses with a message and records in `unexpected`, so a
 * program that starts needing one fails the test loudly instead of being half-simulated.
 */
import { createHash } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";
import * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";

/** What the program asked the monitor to register, as the request carried it. */
export interface Registration {
  type: string;
  name: string;
  /** The URN the stand-in assigned (engine rules, see engineUrn). */
  urn: string;
  parent: string | null;
  protect: boolean;
  custom: boolean;
  retainOnDelete: boolean;
  importId: string | null;
  provider: string | null;
  dependencies: string[];
  /** Input property -> URNs its value came from (the SDK fills this from the Outputs it awaited). */
  propertyDependencies: Record<string, string[]>;
  /** The registration's `object` as plain JS, still in the wire encoding (secrets, unknowns, resource refs). */
  rawInputs: Record<string, unknown>;
  /** The Struct itself, for pulumi.runtime.deserializeProperties. */
  inputStruct: Struct | undefined;
}

export interface EngineLog {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

export interface StandInOptions {
  project: string;
  stack: string;
  organization: string;
  dryRun: boolean;
  parallel: number;
  config: Record<string, string>;
  secretKeys: string[];
  /** The AWS account the deployment's credentials would belong to: the account in the ARNs AWS assigns. */
  awsAccountId: string;
}

/** The root resource type: the engine leaves it out of children's URNs. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The URN the engine gives a resource. From pulumi/pulumi pkg/resource/deploy/deployment.go, generateURN: "Skip empty
 * parents and don't use the root stack type; otherwise, use the full qualified type" of the parent, so a child's type
 * segment is `<parent's qualified type>$<type>` (the whole chain, not only the parent's own type).
 */
/** Engine URNs: the one implementation the offline plan uses too. */
import { engineUrn } from "../../scripts/lib/offlineRun";
export { engineUrn };

/** A GUID-shaped value derived from the URN: stable across runs, different per resource and property. */
function fakeGuid(urn: string, property: string): string {
  const h = createHash("sha256").update(`${urn}#${property}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);

/**
 * Values the cloud assigns on create, for the resource types this program reads outputs of. Anything not listed
 * comes back as its inputs only: if the program starts reading another output, the comparison shows a missing
 * property and this table gets a row.
 */
function cloudAssigned(
  type: string,
  urn: string,
  name: string,
  inputs: Record<string, unknown>,
  options: StandInOptions,
): { id: string; computed: Record<string, unknown> } {
  const guid = (p: string) => fakeGuid(urn, p);
  const account = options.awsAccountId;
  switch (type) {
    case "azure-native:managedidentity:UserAssignedIdentity":
      return {
        id: `/subscriptions/${str(options.config["azure-native:subscriptionId"], "sub")}/resourceGroups/${str(inputs.resourceGroupName, "rg")}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${str(inputs.resourceName, name)}`,
        computed: {
          name: str(inputs.resourceName, name),
          clientId: guid("clientId"),
          principalId: guid("principalId"),
          tenantId: guid("tenantId"),
        },
      };
    case "azuread:index/group:Group": {
      const objectId = guid("objectId");
      return { id: objectId, computed: { objectId } };
    }
    case "aws:iam/role:Role": {
      const roleName = str(inputs.name, name);
      return {
        id: roleName,
        computed: {
          name: roleName,
          arn: `arn:aws:iam::${account}:role${str(inputs.path, "/")}${roleName}`,
          uniqueId: `AROA${guid("uniqueId").replace(/-/g, "").slice(0, 17).toUpperCase()}`,
        },
      };
    }
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
      const arn = `arn:aws:iam::${account}:oidc-provider/${str(inputs.url, "").replace(/^https:\/\//, "")}`;
      return { id: arn, computed: { arn } };
    }
    case "aws:s3/bucket:Bucket": {
      const bucket = str(inputs.bucket, name);
      return { id: bucket, computed: { bucket, arn: `arn:aws:s3:::${bucket}` } };
    }
    default:
      return { id: `${name}-${guid("id").slice(0, 8)}`, computed: {} };
  }
}

const SEVERITY: Record<number, EngineLog["severity"]> = {
  [engproto.LogSeverity.DEBUG]: "debug",
  [engproto.LogSeverity.INFO]: "info",
  [engproto.LogSeverity.WARNING]: "warning",
  [engproto.LogSeverity.ERROR]: "error",
};

/**
 * Features a current engine advertises. Same set as the SDK's own MockMonitor (runtime/mocks.js) plus output values,
 * which the real engine supports and the mock leaves out on purpose.
 */
const FEATURES = [
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_DELETED_WITH,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_PARAMETERIZATION,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
  resproto.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS,
];
/** The legacy feature ids older SDK paths ask SupportsFeature about (runtime/settings.js legacyFeatureMapping). */
const LEGACY_FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "aliasSpecs",
  "deletedWith",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
]);

function unimplemented(what: string): Partial<grpc.StatusObject> {
  return {
    code: grpc.status.UNIMPLEMENTED,
    details: `the stand-in engine of test/support/standInEngine.ts does not implement ${what}; extend it before relying on it`,
  };
}

async function listen(server: grpc.Server): Promise<string> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return `127.0.0.1:${port}`;
}

async function shutdown(server: grpc.Server): Promise<void> {
  await new Promise<void>((resolve) => {
    // A client that never hangs up (a killed runner leaves half-open calls) must not keep the test alive.
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 2_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

export class StandInEngine {
  readonly registrations: Registration[] = [];
  readonly logs: EngineLog[] = [];
  /** URN -> the outputs the program registered for a component or the stack (RegisterResourceOutputs). */
  readonly registeredOutputs = new Map<string, Record<string, unknown>>();
  /** URN -> property -> value the stand-in made up as "assigned by the cloud". */
  readonly computed = new Map<string, Record<string, unknown>>();
  /** RPCs the program made that the stand-in refuses (each also failed the program's call). */
  readonly unexpected: string[] = [];
  /** Feature ids the SDK asked about through SupportsFeature, and whether it called GetDeploymentInfo. */
  readonly featureQueries: string[] = [];
  deploymentInfoCalls = 0;
  rootResource = "";
  shutdownSignalled = false;

  private readonly urns = new Set<string>();

  private readonly monitorServer = new grpc.Server();
  private readonly engineServer = new grpc.Server();
  private addresses: { monitor: string; engine: string } | undefined;

  private constructor(readonly options: StandInOptions) {
    // The engine and the monitor are separate endpoints in `pulumi up` (--engine and --monitor); keeping them apart
    // here means an RPC sent to the wrong one fails instead of passing by accident.
    this.monitorServer.addService(resrpc.ResourceMonitorService, {
      getDeploymentInfo: (_call, cb) => cb(null, this.deploymentInfo()),
      supportsFeature: (call, cb) => {
        const id = call.request.getId();
        this.featureQueries.push(id);
        cb(null, new resproto.SupportsFeatureResponse().setHassupport(LEGACY_FEATURES.has(id)));
      },
      invoke: (call, cb) => cb(this.refuse(`Invoke ${call.request.getTok()}`), null),
      call: (call, cb) => cb(this.refuse(`Call ${call.request.getTok()}`), null),
      readResource: (call, cb) =>
        cb(this.refuse(`ReadResource ${call.request.getType()}::${call.request.getName()}`), null),
      existsResource: (_call, cb) => cb(this.refuse("ExistsResource"), null),
      registerResource: (call, cb) => {
        try {
          cb(null, this.register(call.request));
        } catch (e) {
          cb(
            { code: grpc.status.INVALID_ARGUMENT, details: e instanceof Error ? e.message : String(e) },
            null,
          );
        }
      },
      registerResourceOutputs: (call, cb) => {
        this.registeredOutputs.set(call.request.getUrn(), call.request.getOutputs()?.toJavaScript() ?? {});
        cb(null, new Empty());
      },
      registerStackTransform: (_call, cb) =>
        cb(this.refuse("RegisterStackTransform (stack transforms would change what the plan shows)"), null),
      registerStackInvokeTransform: (_call, cb) => cb(this.refuse("RegisterStackInvokeTransform"), null),
      registerResourceHook: (_call, cb) => cb(this.refuse("RegisterResourceHook"), null),
      registerErrorHook: (_call, cb) => cb(this.refuse("RegisterErrorHook"), null),
      registerPackage: (call, cb) => cb(this.refuse(`RegisterPackage ${call.request.getName()}`), null),
      signalAndWaitForShutdown: (_call, cb) => {
        this.shutdownSignalled = true;
        cb(null, new Empty());
      },
    } satisfies resrpc.IResourceMonitorServer);
    this.engineServer.addService(engrpc.EngineService, {
      log: (call, cb) => {
        this.logs.push({
          severity: SEVERITY[call.request.getSeverity()] ?? "error",
          message: call.request.getMessage(),
          urn: call.request.getUrn(),
        });
        cb(null, new Empty());
      },
      getRootResource: (_call, cb) =>
        cb(null, new engproto.GetRootResourceResponse().setUrn(this.rootResource)),
      setRootResource: (call, cb) => {
        this.rootResource = call.request.getUrn();
        cb(null, new engproto.SetRootResourceResponse());
      },
      startDebugging: (_call, cb) => cb(this.refuse("StartDebugging"), null),
      requirePulumiVersion: (_call, cb) => cb(null, new engproto.RequirePulumiVersionResponse()),
    } satisfies engrpc.IEngineServer);
  }

  /** Start both services on 127.0.0.1; always pair with stop(). */
  static async start(options: StandInOptions): Promise<StandInEngine> {
    const engine = new StandInEngine(options);
    try {
      engine.addresses = {
        monitor: await listen(engine.monitorServer),
        engine: await listen(engine.engineServer),
      };
    } catch (e) {
      engine.monitorServer.forceShutdown();
      engine.engineServer.forceShutdown();
      throw e;
    }
    return engine;
  }

  /** `--monitor` of the runner. */
  get monitorAddress(): string {
    if (this.addresses === undefined) throw new Error("the stand-in engine is not listening");
    return this.addresses.monitor;
  }

  /** `--engine` of the runner. */
  get engineAddress(): string {
    if (this.addresses === undefined) throw new Error("the stand-in engine is not listening");
    return this.addresses.engine;
  }

  private stopped: Promise<void> | undefined;

  /** Stop both servers (idempotent); calls still open after 2 s are cut. */
  stop(): Promise<void> {
    this.stopped ??= Promise.all([shutdown(this.monitorServer), shutdown(this.engineServer)]).then(
      () => undefined,
    );
    return this.stopped;
  }

  private refuse(what: string): Partial<grpc.StatusObject> {
    this.unexpected.push(what);
    return unimplemented(what);
  }

  private deploymentInfo(): resproto.DeploymentInfo {
    this.deploymentInfoCalls++;
    const info = new resproto.DeploymentInfo()
      .setProject(this.options.project)
      .setStack(this.options.stack)
      .setOrganization(this.options.organization)
      .setDryrun(this.options.dryRun)
      .setParallel(this.options.parallel)
      .setConfigsecretkeysList(this.options.secretKeys)
      .setSupportedfeaturesList(FEATURES);
    for (const [k, v] of Object.entries(this.options.config)) info.getConfigMap().set(k, v);
    return info;
  }

  private register(req: resproto.RegisterResourceRequest): resproto.RegisterResourceResponse {
    const { stack, project } = this.options;
    const parent = req.getParent() === "" ? null : req.getParent();
    const type = req.getType();
    const name = req.getName();
    const urn = engineUrn(stack, project, parent, type, name);
    // The engine refuses a second registration of the same URN (GetDuplicateResourceURNError); the mock monitor does not.
    if (this.urns.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    this.urns.add(urn);

    const rawInputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      propertyDependencies[key] = deps.getUrnsList();
    });
    this.registrations.push({
      type,
      name,
      urn,
      parent,
      protect: req.getProtect() ?? false,
      custom: req.getCustom(),
      retainOnDelete: req.getRetainondelete() ?? false,
      importId: req.getImportid() === "" ? null : req.getImportid(),
      provider: req.getProvider() === "" ? null : req.getProvider(),
      dependencies: req.getDependenciesList(),
      propertyDependencies,
      rawInputs,
      inputStruct: req.getObject(),
    });

    const response = new resproto.RegisterResourceResponse().setUrn(urn);
    if (!req.getCustom()) {
      // Components and the stack have no id and no outputs until RegisterResourceOutputs.
      return response.setObject(Struct.fromJavaScript({}));
    }
    const { id, computed } = cloudAssigned(type, urn, name, rawInputs, this.options);
    this.computed.set(urn, computed);
    // Struct.fromJavaScript takes JSON-like values; the wire encoding of the inputs already is.
    return response
      .setId(id)
      .setObject(
        Struct.fromJavaScript({ ...rawInputs, ...computed } as Parameters<typeof Struct.fromJavaScript>[0]),
      );
  }
}
