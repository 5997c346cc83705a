import * as pulumi from "@pulumi/pulumi";
import { aclEntryPrefix, type PlannedAclEntry } from "./plan";
import { createPathAclProvider, pathAclInputProblems, UNKNOWN } from "./provider";

/** Arguments of a PathAcl: the set of entries it owns on one path of one container. */
export interface PathAclArgs {
  /** Storage account name (HNS enabled). */
  accountName: pulumi.Input<string>;
  /** Container (file system) name. */
  fileSystem: pulumi.Input<string>;
  /** "/" for the container root, otherwise an absolute directory such as "/nordlys". */
  path: pulumi.Input<string>;
  /**
   * The entries this resource owns, as x-ms-acl strings with Entra OBJECT ids: "user:<oid>:r-x",
   * "default:user:<oid>:r-x", "group:<oid>:--x". Base entries (user::, group::, mask::, other::) are not allowed.
   */
  entries: pulumi.Input<pulumi.Input<string>[]>;
  /** Also apply to (and on removal, remove from) existing children. Default false. */
  recursive?: pulumi.Input<boolean>;
  /** Create the directory (and missing parents) when it does not exist; never deletes it. Default false. */
  createDirectory?: pulumi.Input<boolean>;
  /** DFS endpoint. Default `https://<accountName>.dfs.core.windows.net`; tests use a loopback http endpoint. */
  endpoint?: pulumi.Input<string>;
  /** Paths per recursive batch (1-2000). Default 2000, the service's maximum. */
  batchSize?: pulumi.Input<number>;
}

/**
 * One provider object for every PathAcl, so Pulumi serialises it once per program
 * (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).
 */
const pathAclProvider = createPathAclProvider();

/**
 * ACL entries on one ADLS Gen2 path, owned by this resource and by nothing else: create/update add or change only
 * them, delete removes only them, foreign entries are never touched (read-modify-write with If-Match). Type token
 * `pulumi-nodejs:dynamic/adls:PathAcl`. Data plane: the deploying principal needs Storage Blob Data Owner on the
 * account. `pulumi refresh` (or `pulumi preview --refresh`) reads the entries back, so drift shows in the preview.
 */
export class PathAcl extends pulumi.dynamic.Resource {
  declare public readonly accountName: pulumi.Output<string>;
  declare public readonly fileSystem: pulumi.Output<string>;
  declare public readonly path: pulumi.Output<string>;
  declare public readonly entries: pulumi.Output<string[]>;
  declare public readonly recursive: pulumi.Output<boolean>;
  declare public readonly createDirectory: pulumi.Output<boolean>;
  /** The owned entries as applied, or as found in effect by the last refresh (mask applied). */
  declare public readonly appliedEntries: pulumi.Output<string[]>;

  constructor(name: string, args: PathAclArgs, opts?: pulumi.CustomResourceOptions) {
    // Validate what is already known, synchronously, with the same rules as the provider's check.
    const known: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) {
      if (pulumi.Output.isInstance(v) || v instanceof Promise) known[k] = UNKNOWN;
      else if (Array.isArray(v))
        known[k] = v.map((x: unknown) => (pulumi.Output.isInstance(x) || x instanceof Promise ? UNKNOWN : x));
      else known[k] = v;
    }
    const problems = pathAclInputProblems(known);
    if (problems.length > 0) {
      throw new Error(`PathAcl "${name}": ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`);
    }
    const props = {
      ...args,
      recursive: args.recursive ?? false,
      createDirectory: args.createDirectory ?? false,
      appliedEntries: undefined,
    };
    super(pathAclProvider, name, props, opts, "adls", "PathAcl");
  }
}

/** An entry string as an Output, once the principal's object id (an Output) is known. */
export function aclEntryInput(entry: PlannedAclEntry, objectId: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`${aclEntryPrefix(entry)}${objectId}:${entry.perms}`;
}
