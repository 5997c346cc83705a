import type { AccessToken, TokenCredential } from "@azure/identity";
import type { AccessState } from "../../../../infra/audit/observed";
import { DfsTestServer } from "../../../../infra/azure/acl/dfsTestServer";
import type { Settings } from "../../../../infra/settings";
import { azureClients, iamClient, s3Client } from "../clients";
import type { LiveSources } from "../collect";
import { ArmServer } from "./armServer";
import { GraphServer } from "./graphServer";
import { IamServer } from "./iamServer";
import { S3Server } from "./s3Server";

/** Test support: the local doubles of ARM, Graph, DFS and IAM holding a deployed state, and the SDK clients
 * pointed at them. */

/** A credential that never leaves the process: the doubles are plain-http loopback servers, which get no token. */
const fakeCredential: TokenCredential = {
  getToken: (): Promise<AccessToken> =>
    Promise.resolve({ token: "fake-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};
const FAST = { maxRetries: 3, baseDelayMs: 5 };

export interface Doubles {
  arm: ArmServer;
  graph: GraphServer;
  dfs: DfsTestServer;
  iam: IamServer;
  s3: S3Server;
}

/** Start the doubles holding a deployed state: what the clouds would answer. */
export async function startDoubles(settings: Settings, state: AccessState): Promise<Doubles> {
  const arm = new ArmServer(settings.azure.subscriptionId, settings.azure.resourceGroupName);
  arm.identities = state.azure!.identities;
  arm.roleAssignments = state.azure!.roleAssignments;
  const graph = new GraphServer();
  graph.groups = state.azure!.groups;
  const dfs = new DfsTestServer(settings.azure.storageAccountName);
  for (const acl of state.azure!.acls) {
    const text = [...acl.access, ...acl.default, "user::rwx", "group::r-x", "other::---"].join(",");
    if (acl.path === "/") dfs.addFileSystem(acl.container, text);
    else dfs.addDirectory(acl.container, acl.path.slice(1), text);
    dfs.nodes.get(`${acl.container}/${acl.path.slice(1)}`)!.owner = "$superuser";
  }
  const iam = new IamServer();
  iam.providers = state.aws!.oidcProviders;
  iam.roles = state.aws!.roles;
  const s3 = new S3Server();
  s3.buckets = state.aws!.bucketPolicies ?? [];
  await Promise.all([arm.start(), graph.start(), dfs.start(), iam.start(), s3.start()]);
  return { arm, graph, dfs, iam, s3 };
}

export function sourcesFor(d: Doubles, settings: Settings): LiveSources {
  return {
    azure: azureClients({
      credential: fakeCredential,
      subscriptionId: settings.azure.subscriptionId,
      armEndpoint: d.arm.url,
      graphEndpoint: d.graph.url,
      dfsEndpoint: d.dfs.endpoint,
      retry: FAST,
    }),
    iam: iamClient({
      region: settings.aws.region,
      endpoint: d.iam.url,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
      retry: FAST,
    }),
    s3: s3Client({
      region: settings.aws.region,
      endpoint: d.s3.url,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" },
      retry: FAST,
    }),
  };
}

export async function stopDoubles(d: Doubles | undefined): Promise<void> {
  if (d !== undefined)
    await Promise.all([d.arm.stop(), d.graph.stop(), d.dfs.stop(), d.iam.stop(), d.s3.stop()]);
}
