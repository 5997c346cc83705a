import type { PathAccessControlItem } from "@azure/storage-file-datalake";
import type {
  SecretCredential,
  ObservedAcl,
  ObservedGroup,
  ObservedIdentity,
  ObservedRoleAssignment,
} from "../../../infra/audit/observed";
import { containerScope } from "../../../infra/azure/model";
import { groupNamePrefix, identityName } from "../../../infra/naming";
import type { Settings } from "../../../infra/settings";
import type { AzureClients } from "./clients";
import { httpStatusOf, withRetries } from "./failures";

/**
 * Read-only Azure collectors, one per source of the observed document. Each pages through everything
 * (ARM `nextLink` through the SDKs' iterators, Graph `@odata.nextLink`), relies on the SDK's retries for 429/503
 * where it has them, and throws on anything else: the caller reports the source as unreadable.
 */

/** Every user-assigned identity of the resource group with its federated credentials (all of them: a foreign
 * identity trusting the Skyporten issuer is another way in). */
export async function collectIdentities(c: AzureClients, resourceGroup: string): Promise<ObservedIdentity[]> {
  const out: ObservedIdentity[] = [];
  for await (const identity of c.msi.userAssignedIdentities.listByResourceGroup(resourceGroup)) {
    const name = identity.name ?? "";
    const federatedCredentials: ObservedIdentity["federatedCredentials"] = [];
    for await (const f of c.msi.federatedIdentityCredentials.list(resourceGroup, name)) {
      federatedCredentials.push({
        name: f.name ?? "",
        issuer: f.issuer ?? "",
        subject: f.subject ?? "",
        audiences: f.audiences ?? [],
      });
    }
    out.push({
      name,
      clientId: identity.clientId ?? "",
      principalId: identity.principalId ?? "",
      federatedCredentials,
    });
  }
  return out;
}

interface GraphPage<T> {
  value?: T[];
  "@odata.nextLink"?: string;
}

/**
 * A nextLink as a path on the configured Graph base. A token must never go to another host, so a nextLink to
 * another origin is refused rather than followed.
 */
export function graphPathOf(base: string, nextLink: string): string {
  const next = new URL(nextLink);
  if (next.origin !== new URL(base).origin)
    throw new Error(
      `Microsoft Graph answered with a nextLink to another host (${next.origin}); not followed`,
    );
  return `${next.pathname.replace(/^\/v1\.0(?=\/)/, "")}${next.search}`;
}

async function graphAll<T>(c: AzureClients, first: string): Promise<T[]> {
  const out: T[] = [];
  for (let path: string | undefined = first; path !== undefined;) {
    const page = (await c.graph.api(path).get()) as GraphPage<T>;
    out.push(...(page.value ?? []));
    const next = page["@odata.nextLink"];
    path = next === undefined ? undefined : graphPathOf(c.graphBase, next);
  }
  return out;
}

/** The platform groups (display names `sg-skyporten-<name key>-...`) and their direct members (users, service
 * principals, nested groups alike). */
export async function collectGroups(
  c: AzureClients,
  nameKey: Settings["nameKey"],
): Promise<ObservedGroup[]> {
  const prefix = groupNamePrefix(nameKey);
  const groups = await graphAll<{ id?: string; displayName?: string }>(
    c,
    `/groups?$filter=${encodeURIComponent(`startswith(displayName,'${prefix}')`)}&$select=id,displayName&$top=999`,
  );
  const out: ObservedGroup[] = [];
  for (const g of groups) {
    if (g.id === undefined || !(g.displayName ?? "").startsWith(prefix)) continue;
    const members = await graphAll<{ id?: string }>(
      c,
      `/groups/${encodeURIComponent(g.id)}/members?$select=id&$top=999`,
    );
    out.push({
      name: g.displayName ?? "",
      objectId: g.id,
      memberIds: members.flatMap((m) => (m.id === undefined ? [] : [m.id])),
    });
  }
  return out;
}

/**
 * Identities of the app-registration kind (settings azure.identityKind): Entra applications named
 * `id-skyporten-<name key>-<orgno>` with their application federated credentials; the principal id is the service
 * principal's object id (what group memberships and ACL entries name).
 */
export async function collectApplications(c: AzureClients, settings: Settings): Promise<ObservedIdentity[]> {
  const prefix = identityName(settings.nameKey, "");
  const all = <T>(first: string) => graphAll<T>(c, first);
  type WithSecrets = { passwordCredentials?: GraphKey[]; keyCredentials?: GraphKey[] };
  const apps = await all<{ id?: string; appId?: string; displayName?: string } & WithSecrets>(
    `/applications?$filter=${encodeURIComponent(`startswith(displayName,'${prefix}')`)}&$select=id,appId,displayName,passwordCredentials,keyCredentials`,
  );
  const out: ObservedIdentity[] = [];
  for (const app of apps) {
    if (app.id === undefined || app.appId === undefined) continue;
    const creds = await all<{ name?: string; issuer?: string; subject?: string; audiences?: string[] }>(
      `/applications/${app.id}/federatedIdentityCredentials`,
    );
    const sps = await all<{ id?: string } & WithSecrets>(
      `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${app.appId}'`)}&$select=id,passwordCredentials,keyCredentials`,
    );
    out.push({
      name: app.displayName ?? "",
      clientId: app.appId,
      principalId: sps[0]?.id ?? "",
      federatedCredentials: creds.map((f) => ({
        name: f.name ?? "",
        issuer: f.issuer ?? "",
        subject: f.subject ?? "",
        audiences: f.audiences ?? [],
      })),
      // On the application and on its service principal alike: either lets its holder log in as the partner.
      secretCredentials: [app, ...sps].flatMap((o) => [
        ...(o.passwordCredentials ?? []).map((k) => secretOf("client secret", k)),
        ...(o.keyCredentials ?? []).map((k) => secretOf("certificate", k)),
      ]),
    });
  }
  return out;
}

/** A Graph passwordCredential / keyCredential (never holds the secret itself: Graph returns it only on creation). */
interface GraphKey {
  keyId?: string;
  displayName?: string | null;
}

function secretOf(kind: SecretCredential["kind"], k: GraphKey): SecretCredential {
  return { kind, keyId: k.keyId ?? "", ...(k.displayName == null ? {} : { displayName: k.displayName }) };
}

/**
 * Role assignments at every container scope and above it (`$filter=atScope()`: at or above the scope,
 * https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope), and everything at, above and
 * below the storage account (no filter: the az CLI's `--at-scope false`, "parent scopes and sub-scopes",
 * Azure/azure-cli#31179), so an assignment on a container the manifest does not declare is read too; deduplicated
 * by id.
 */
export async function collectRoleAssignments(
  c: AzureClients,
  settings: Settings,
  containers: readonly string[],
): Promise<ObservedRoleAssignment[]> {
  const az = settings.azure;
  const byId = new Map<string, ObservedRoleAssignment>();
  // The SDK's path is "/{scope}/providers/...": the scope goes without its leading slash.
  const account = `subscriptions/${az.subscriptionId}/resourceGroups/${az.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${az.storageAccountName}`;
  const listings: [string, { filter?: string }][] = [
    ...containers.map((container): [string, { filter?: string }] => [
      containerScope(az.subscriptionId, az.resourceGroupName, az.storageAccountName, container).slice(1),
      { filter: "atScope()" },
    ]),
    [account, {}],
  ];
  for (const [scope, options] of listings) {
    for await (const a of c.authorization.roleAssignments.listForScope(scope, options)) {
      const entry: ObservedRoleAssignment = {
        scope: a.scope ?? "",
        roleDefinitionId: a.roleDefinitionId ?? "",
        principalId: a.principalId ?? "",
      };
      if (a.principalType !== undefined) entry.principalType = a.principalType;
      byId.set(a.id ?? `${entry.scope}|${entry.roleDefinitionId}|${entry.principalId}`, entry);
    }
  }
  return [...byId.values()];
}

function entryText(i: PathAccessControlItem): string {
  const p = i.permissions;
  return `${i.defaultScope ? "default:" : ""}${i.accessControlType}:${(i.entityId ?? "").toLowerCase()}:${p.read ? "r" : "-"}${p.write ? "w" : "-"}${p.execute ? "x" : "-"}`;
}

/** The ACL, owner and owning group of each path; a path that does not exist is left out (404 is an answer). */
export async function collectAcls(
  c: AzureClients,
  account: string,
  paths: readonly { container: string; path: string }[],
): Promise<ObservedAcl[]> {
  const service = c.dfs(account);
  const out: ObservedAcl[] = [];
  for (const { container, path } of paths) {
    // The root directory is addressed as "/" (as the ACL provider does).
    const dir = service.getFileSystemClient(container).getDirectoryClient(path === "/" ? "/" : path.slice(1));
    let result;
    try {
      result = await withRetries(() => dir.getAccessControl(), c.retry.maxRetries, c.retry.baseDelayMs);
    } catch (e) {
      if (httpStatusOf(e) === 404) continue;
      throw e;
    }
    const entries = result.acl.map(entryText);
    out.push({
      container,
      path,
      access: entries.filter((e) => !e.startsWith("default:")),
      default: entries.filter((e) => e.startsWith("default:")),
      ...(result.owner === undefined ? {} : { owner: result.owner }),
      ...(result.group === undefined ? {} : { owningGroup: result.group }),
    });
  }
  return out;
}
