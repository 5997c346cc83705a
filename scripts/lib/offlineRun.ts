import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { v5 as uuidv5 } from "uuid";
import { PROJECT, readStackFile, parseSettings, settingsFromConfig, type Settings } from "../../infra/settings";
import { leanRuntime, withoutAliases } from "./offlineRuntime";

/** One resource as the program registered it: the plan JSON's `resources[]` entry (design.md). */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  parent: string | null;
  protect: boolean;
  retainOnDelete: boolean;
  /** Import id when the resource is adopted rather than created. */
  importId: string | null;
  dependsOn: string[];
  custom: boolean;
  inputs: Record<string, unknown>;
}

export interface OfflineRunOptions {
  stack: string;
  /** Manifest path overriding the stack's `manifest` setting. */
  manifest?: string;
  /** Stack settings file instead of Pulumi.<stack>.yaml (like `pulumi --config-file`). */
  configFile?: string;
  /** Project directory (Pulumi.yaml). Default: the current directory. */
  projectDir?: string;
  /** Extra config (`ns:key` -> string) laid over the stack file, e.g. for tests and benchmarks. */
  configOverrides?: Record<string, string>;
}

export interface OfflineRunResult {
  settings: Settings;
  resources: RecordedResource[];
  /** The program's exports (stack outputs), with placeholder values for what only deployment knows. */
  outputs: Record<string, unknown>;
}

/** Namespace for placeholder ids: deterministic, so two plans of the same manifest are identical. */
const PLACEHOLDER_NAMESPACE = "9b7a0c62-1d55-4f0e-a8f1-3c3f6f0c2b41";

/** A stable, GUID-shaped placeholder for a value Azure/Entra assigns at deployment. */
export function placeholderGuid(urn: string, property: string): string {
  return uuidv5(`${urn}#${property}`, PLACEHOLDER_NAMESPACE);
}

/**
 * Values the cloud would assign, for the mock engine: derived from the inputs and the URN only, so the plan is
 * deterministic. Where the real value is computable offline (ARNs from names, ARM ids), it is computed.
 */
function mockState(settings: Settings, type: string, urn: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
  const az = settings.azure;
  const rgId = `/subscriptions/${az.subscriptionId}/resourceGroups/${az.resourceGroupName}`;
  const str = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  switch (type) {
    case "azure-native:managedidentity:UserAssignedIdentity": {
      const resourceName = str(inputs.resourceName, name);
      const id = `${rgId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${resourceName}`;
      return {
        id,
        state: {
          ...inputs,
          name: resourceName,
          clientId: placeholderGuid(urn, "clientId"),
          principalId: placeholderGuid(urn, "principalId"),
          tenantId: az.tenantId,
        },
      };
    }
    case "azuread:index/application:Application": {
      // azuread v6 ids: `/applications/<object id>`; the client (application) id is a separate GUID.
      const objectId = placeholderGuid(urn, "objectId");
      return { id: `/applications/${objectId}`, state: { ...inputs, objectId, clientId: placeholderGuid(urn, "clientId") } };
    }
    case "azuread:index/servicePrincipal:ServicePrincipal": {
      const objectId = placeholderGuid(urn, "objectId");
      return { id: `/servicePrincipals/${objectId}`, state: { ...inputs, objectId, applicationTenantId: az.tenantId } };
    }
    case "azuread:index/group:Group": {
      const objectId = placeholderGuid(urn, "objectId");
      return { id: objectId, state: { ...inputs, objectId } };
    }
    case "aws:iam/role:Role": {
      const roleName = str(inputs.name, name);
      const arn = `arn:aws:iam::${settings.aws.accountId}:role${str(inputs.path, "/")}${roleName}`;
      return { id: roleName, state: { ...inputs, arn, name: roleName, uniqueId: `AROA${placeholderGuid(urn, "uniqueId").replace(/-/g, "").slice(0, 17).toUpperCase()}` } };
    }
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
      const arn = `arn:aws:iam::${settings.aws.accountId}:oidc-provider/${str(inputs.url, "").replace(/^https:\/\//, "")}`;
      return { id: arn, state: { ...inputs, arn } };
    }
    case "aws:s3/bucket:Bucket":
    case "aws:s3/bucketV2:BucketV2": {
      const bucket = str(inputs.bucket, name);
      return { id: bucket, state: { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` } };
    }
    default: {
      const resourceName = str(inputs.resourceName ?? inputs.containerName ?? inputs.name, name);
      return { id: type.startsWith("azure-native:") ? `${rgId}/${type}/${resourceName}` : `${name}-id`, state: { ...inputs, name: resourceName } };
    }
  }
}

/** Properties of the registration request the mock engine receives (a subset of RegisterResourceRequest). */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getRetainondelete?(): boolean;
  getImportid(): string;
  getDependenciesList(): string[];
  getCustom(): boolean;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, response?: RegisterResponse) => void;
interface MonitorLike {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
}

/**
 * Run the real program (infra/index.ts) under Pulumi's mock runtime, with the stack's config from
 * Pulumi.<stack>.yaml (secure values become placeholders), and record every registration.
 * Call once per process: Pulumi's runtime state is process-global.
 */
export async function runProgramOffline(options: OfflineRunOptions): Promise<OfflineRunResult> {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const stackFile = readStackFile(options.stack, projectDir, options.configFile);
  const config: Record<string, string> = { ...stackFile.config, ...options.configOverrides };
  if (options.manifest !== undefined) config[`${PROJECT}:manifest`] = path.relative(projectDir, path.resolve(options.manifest));
  // The same decoding the program uses at run time (infra/settings/pulumiConfig.ts).
  const settingsRaw = settingsFromConfig(config);
  const settings = parseSettings(settingsRaw, options.configFile ?? `Pulumi.${options.stack}.yaml`);

  const resources: RecordedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        const urn = `urn:pulumi:${options.stack}::${PROJECT}::${args.type}::${args.name}`;
        return mockState(settings, args.type, urn, args.name, inputs);
      },
      call: (args) => {
        // The program makes no invokes; an unexpected one would mean a data source that needs the cloud.
        throw new Error(`the offline plan does not support invoke ${args.token}`);
      },
    },
    PROJECT,
    options.stack,
    true,
  );
  pulumi.runtime.setAllConfig(config, stackFile.secretKeys);

  // Observe what the real registration request carries (parent, protect, dependencies), which the mocks'
  // newResource callback does not see.
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    return original(req, (err, response) => {
      if (err === null || err === undefined) {
        if (response !== undefined && req.getType() !== "pulumi:pulumi:Stack") {
          resources.push({
            type: req.getType(),
            name: req.getName(),
            urn: response.getUrn(),
            parent: req.getParent() === "" ? null : req.getParent(),
            protect: req.getProtect(),
            retainOnDelete: req.getRetainondelete?.() ?? false,
            importId: req.getImportid() === "" ? null : req.getImportid(),
            dependsOn: req.getDependenciesList(),
            custom: req.getCustom(),
            inputs: cleanInputs(pulumi.runtime.deserializeProperties(req.getObject())),
          });
        }
      }
      callback(err, response);
    });
  };

  const entry = path.join(projectDir, "infra", "index.ts");
  const restore = leanRuntime();
  let outputs: Record<string, unknown> | undefined;
  try {
    outputs = await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation(withoutAliases);
      // As Pulumi's runner does (cmd/run/run.js): an exported function is the program; call it and await it.
      const loaded = (await import(entry)) as { default?: unknown };
      const program = loaded.default ?? loaded;
      return (await (typeof program === "function" ? (program as () => unknown)() : program)) as Record<string, unknown>;
    });
    await pulumi.runtime.disconnect();
  } finally {
    restore();
  }
  const normalised = withEngineUrns(resources, options.stack);
  normalised.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { settings, resources: normalised, outputs: outputs ?? {} };
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * The URN the Pulumi engine gives a resource: the parent's whole qualified type chain joined with `$`, without
 * the root stack's type (pulumi/pulumi pkg/resource/deploy: NewURN with the parent's qualified type). The mock
 * monitor builds URNs differently (only the parent's last type, stack type included), so the plan rewrites
 * them; plan URNs then match `pulumi stack export` and `pulumi state unprotect <urn>`.
 */
export function engineUrn(stack: string, project: string, parentUrn: string | null, type: string, name: string): string {
  let qualified = type;
  if (parentUrn !== null && parentUrn !== "") {
    const parentQualified = parentUrn.split("::")[2];
    if (parentQualified === undefined) throw new Error(`malformed parent URN ${parentUrn}`);
    if (parentQualified.split("$").pop() !== ROOT_STACK_TYPE) qualified = `${parentQualified}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function withEngineUrns(resources: readonly RecordedResource[], stack: string): RecordedResource[] {
  const byMockUrn = new Map(resources.map((r) => [r.urn, r]));
  const engine = new Map<string, string>();
  const resolve = (mockUrn: string): string => {
    const known = engine.get(mockUrn);
    if (known !== undefined) return known;
    const r = byMockUrn.get(mockUrn);
    // The root stack (not recorded) keeps its URN, which is the same in both schemes.
    if (r === undefined) return mockUrn;
    const urn = engineUrn(stack, PROJECT, r.parent === null ? null : resolve(r.parent), r.type, r.name);
    engine.set(mockUrn, urn);
    return urn;
  };
  return resources.map((r) => ({
    ...r,
    urn: resolve(r.urn),
    parent: r.parent === null ? null : resolve(r.parent),
    dependsOn: r.dependsOn.map(resolve),
  }));
}

/** Pulumi's marker of a secret value in deserialised properties: `{ [SIG_KEY]: SECRET_SIG, value }` (runtime/rpc.js). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** What a secret input shows in the plan: never its value. */
export const REDACTED = "[secret]";

/**
 * Inputs as the plan shows them: the dynamic provider's serialised code dropped (an implementation detail),
 * and every secret value (e.g. the Maskinporten admin key) replaced by "[secret]".
 */
function cleanInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _provider, ...rest } = inputs;
  return redactSecrets(rest) as Record<string, unknown>;
}

function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) return REDACTED;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v)]));
}
