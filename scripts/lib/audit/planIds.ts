import type { ExpectedIds } from "../../../infra/audit";
import { groupDisplayName } from "../../../infra/azure/model";
import { identityName } from "../../../infra/naming";
import type { Settings } from "../../../infra/settings";
import { placeholderGuid, type RecordedResource } from "../offlineRun";

/**
 * The offline plan's placeholder ids (scripts/lib/offlineRun.ts placeholderGuid of the resource's URN), for
 * `audit --write-expected`: the expected document then carries exactly the ids the plan JSON shows, so a
 * reviewer can diff the two by eye.
 */
export function planIds(settings: Pick<Settings, "environment">, resources: readonly RecordedResource[]): ExpectedIds {
  const identities = new Map<string, { clientId: string; principalId: string }>();
  const groups = new Map<string, string>();
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);

  for (const r of resources) {
    if (r.type === "azure-native:managedidentity:UserAssignedIdentity") {
      const name = str(r.inputs.resourceName);
      if (name !== undefined)
        identities.set(name, { clientId: placeholderGuid(r.urn, "clientId"), principalId: placeholderGuid(r.urn, "principalId") });
    }
    if (r.type === "azuread:index/group:Group") {
      const name = str(r.inputs.displayName);
      if (name !== undefined) groups.set(name, placeholderGuid(r.urn, "objectId"));
    }
  }
  // App-registration identities: the application holds the client id, its service principal the object id.
  const spByClientId = new Map(
    resources
      .filter((r) => r.type === "azuread:index/servicePrincipal:ServicePrincipal")
      .map((r) => [str(r.inputs.clientId) ?? "", placeholderGuid(r.urn, "objectId")]),
  );
  for (const r of resources) {
    if (r.type !== "azuread:index/application:Application") continue;
    const name = str(r.inputs.displayName);
    const clientId = placeholderGuid(r.urn, "clientId");
    const principalId = spByClientId.get(clientId);
    if (name !== undefined && principalId !== undefined) identities.set(name, { clientId, principalId });
  }

  return {
    identity(orgNumber) {
      const name = identityName(settings.environment, orgNumber);
      const ids = identities.get(name);
      if (ids === undefined) throw new Error(`the offline plan has no identity ${name}`);
      return ids;
    },
    group(container, level) {
      const name = groupDisplayName(settings.environment, container, level);
      const id = groups.get(name);
      if (id === undefined) throw new Error(`the offline plan has no group ${name}`);
      return id;
    },
  };
}
