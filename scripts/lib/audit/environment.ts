import * as fs from "node:fs";
import { DefaultAzureCredential } from "@azure/identity";
import type { Settings } from "../../../infra/settings";
import { azureClients, iamClient, s3Client } from "./clients";
import type { LiveSources } from "./collect";
import { auditConnection } from "./collectMaskinporten";

/**
 * Live sources from the environment, read-only:
 * - Azure: DefaultAzureCredential (in CI the `azure/login` OIDC session, or AZURE_CLIENT_ID, AZURE_TENANT_ID and
 *   AZURE_FEDERATED_TOKEN_FILE), for ARM, Microsoft Graph and the DFS endpoint;
 * - AWS: the SDK's default credential chain (in CI `aws-actions/configure-aws-credentials` with OIDC);
 * - Digdir (only when the stack manages scope access): the admin client's private key from
 *   MASKINPORTEN_ADMIN_PRIVATE_KEY (PEM text) or MASKINPORTEN_ADMIN_PRIVATE_KEY_FILE.
 */
export function liveSourcesFromEnvironment(
  settings: Settings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LiveSources> {
  const credential = new DefaultAzureCredential();
  const sources: LiveSources = {
    azure: azureClients({ credential, subscriptionId: settings.azure.subscriptionId }),
  };
  if (settings.aws.enabled) {
    sources.iam = iamClient({ region: settings.aws.region });
    sources.s3 = s3Client({ region: settings.aws.region });
  }
  if (settings.maskinporten.manageScopeAccess) {
    const file = env.MASKINPORTEN_ADMIN_PRIVATE_KEY_FILE;
    const key = env.MASKINPORTEN_ADMIN_PRIVATE_KEY ?? (file === undefined ? undefined : readKey(file));
    sources.maskinporten =
      key === undefined || key.trim() === ""
        ? {
            unavailable:
              "the stack manages scope access, but MASKINPORTEN_ADMIN_PRIVATE_KEY (or _FILE) is not set: the admin client's key is needed to read the access list",
          }
        : auditConnection(settings, { privateKey: key });
  }
  return Promise.resolve(sources);
}

function readKey(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
