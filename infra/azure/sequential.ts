import type * as pulumi from "@pulumi/pulumi";
import type { FederatedTrust } from "./trust";

/**
 * Create one credential per trust, each depending on the identity and on the previous credential: Azure
 * rejects concurrent writes to the federated credentials of one identity (409 Conflict) and the providers do
 * not serialise them
 * (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#concurrent-updates-arent-supported-user-assigned-managed-identities).
 */
export function createSequentially<T extends pulumi.Resource>(
  owner: pulumi.Resource,
  trusts: readonly FederatedTrust[],
  create: (trust: FederatedTrust, dependsOn: pulumi.Resource[]) => T,
): T[] {
  const created: T[] = [];
  for (const trust of trusts) {
    const previous = created[created.length - 1];
    created.push(create(trust, previous === undefined ? [owner] : [owner, previous]));
  }
  return created;
}
