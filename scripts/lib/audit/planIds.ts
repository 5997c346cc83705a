import type { ExpectedIds } from "../../../infra/audit";
import { groupDisplayName } from "../../../infra/azure/model";
import { identityName } from "../../../infra/naming";
import { PROJECT, type Settings } from "../../../infra/settings";
import { placeholderGuid, type RecordedResource } from "../offlineRun";

/**
 * The offline plan's placeholder ids (scripts/lib/offlineRun.ts placeholderGuid of the resource's URN), for
 * `audit --write-expected`: the expected document then carries exactly the ids the plan JSON shows, so a
 * reviewer can diff the two by eye.
 */
export function planIds(
  stack: string,
  settings: Pick<Settings, "nameKey">,
  resources: readonly RecordedResource[],
): ExpectedIds {
  // The mock engine derives placeholders from the URN it builds in newResource (type and name, no parent
  // chain), not from the engine URN the plan shows; audit.test.ts checks the ids against the plan's resources.
  const placeholder = (r: RecordedResource, property: string) =>
    placeholderGuid(`urn:pulumi:${stack}::${PROJECT}::${r.type}::${r.name}`, property);
  const identities = new Map<string, { clientId: string; principalId: string }>();
  const groups = new Map<string, string>();
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);

  for (const r of resources) {
    if (r.type === "azure-native:managedidentity:UserAssignedIdentity") {
      const name = str(r.inputs.resourceName);
      if (name !== undefined)
        identities.set(name, {
          clientId: placeholder(r, "clientId"),
          principalId: placeholder(r, "principalId"),
        });
    }
    if (r.type === "azuread:index/group:Group") {
      const name = str(r.inputs.displayName);
      if (name !== undefined) groups.set(name, placeholder(r, "objectId"));
    }
  }
  // App-registration identities: the application holds the client id, its service principal the object id.
  const spByClientId = new Map(
    resources
      .filter((r) => r.type === "azuread:index/servicePrincipal:ServicePrincipal")
      .map((r) => [str(r.inputs.clientId) ?? "", placeholder(r, "objectId")]),
  );
  for (const r of resources) {
    if (r.type !== "azuread:index/application:Application") continue;
    const name = str(r.inputs.displayName);
    const clientId = placeholder(r, "clientId");
    const principalId = spByClientId.get(clientId);
    if (name !== undefined && principalId !== undefined) identities.set(name, { clientId, principalId });
  }

  return {
    identity(orgNumber) {
      const name = identityName(settings.nameKey, orgNumber);
      const ids = identities.get(name);
      if (ids === undefined) throw new Error(`the offline plan has no identity ${name}`);
      return ids;
    },
    group(container, level) {
      const name = groupDisplayName(settings.nameKey, container, level);
      const id = groups.get(name);
      if (id === undefined) throw new Error(`the offline plan has no group ${name}`);
      return id;
    },
  };
}
