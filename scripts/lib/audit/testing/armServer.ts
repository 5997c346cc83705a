import type { ObservedIdentity, ObservedRoleAssignment } from "../../../../infra/audit/observed";
import { HttpDouble, page } from "./httpDouble";

/**
 * A stand-in for Azure Resource Manager on 127.0.0.1, for the two read operations the audit makes, in the
 * documented REST shapes:
 * - GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities
 *   and .../userAssignedIdentities/{name}/federatedIdentityCredentials
 *   (https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities/list-by-resource-group,
 *   .../federated-identity-credentials/list): `{ value: [{ id, name, type, properties }], nextLink }`;
 * - GET /{scope}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope() (assignments at or above
 *   the scope, https://learn.microsoft.com/rest/api/authorization/role-assignments/list-for-scope), and without a
 *   filter (at, above and below the scope: the az CLI's `--at-scope false`, Azure/azure-cli#31179).
 * Lists are paged (`pageSize` items, `nextLink` with `$skiptoken`). Errors are `{ error: { code, message } }`.
 */
export class ArmServer extends HttpDouble {
  identities: ObservedIdentity[] = [];
  roleAssignments: ObservedRoleAssignment[] = [];
  pageSize = 2;

  constructor(
    readonly subscriptionId: string,
    readonly resourceGroup: string,
  ) {
    super((_r, url) => this.route(url));
  }

  private list(
    url: URL,
    items: unknown[],
  ): { status: number; headers: Record<string, string>; body: string } {
    const { items: value, next } = page(items, url.searchParams.get("$skiptoken"), this.pageSize);
    const body: { value: unknown[]; nextLink?: string } = { value };
    if (next !== undefined) {
      const link = new URL(url.toString());
      link.searchParams.set("$skiptoken", String(next));
      body.nextLink = link.toString();
    }
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  }

  private route(url: URL) {
    // The SDK joins its host and "/{scope}" without collapsing slashes; ARM accepts either.
    const path = decodeURIComponent(url.pathname).replace(/\/{2,}/g, "/");
    if (url.searchParams.get("api-version") === null)
      return notFound(
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    const rg = `/subscriptions/${this.subscriptionId}/resourceGroups/${this.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
    if (path.toLowerCase() === rg.toLowerCase()) {
      return this.list(
        url,
        this.identities.map((i) => ({
          id: `${rg}/${i.name}`,
          name: i.name,
          type: "Microsoft.ManagedIdentity/userAssignedIdentities",
          location: "norwayeast",
          properties: {
            tenantId: "00000000-0000-0000-0000-000000000000",
            principalId: i.principalId,
            clientId: i.clientId,
          },
        })),
      );
    }
    const fic = new RegExp(`^${escape(rg)}/([^/]+)/federatedIdentityCredentials$`, "i").exec(path);
    if (fic !== null) {
      const identity = this.identities.find((i) => i.name === fic[1]);
      if (identity === undefined)
        return notFound(
          "ResourceNotFound",
          `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${fic[1]}' was not found.`,
        );
      return this.list(
        url,
        identity.federatedCredentials.map((f) => ({
          id: `${rg}/${identity.name}/federatedIdentityCredentials/${f.name}`,
          name: f.name,
          type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
          properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
        })),
      );
    }
    const ra = /^(\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments$/i.exec(path);
    if (ra !== null) {
      const filter = url.searchParams.get("$filter");
      if (filter !== null && filter !== "atScope()")
        return notFound("UnsupportedFilter", "this double answers only $filter=atScope() or no filter");
      const scope = ra[1]!.toLowerCase();
      const atOrAbove = this.roleAssignments.filter((a) => {
        const s = a.scope.toLowerCase();
        const below = filter === null && s.startsWith(`${scope}/`);
        return scope === s || scope.startsWith(`${s}/`) || s === "/" || below;
      });
      return this.list(
        url,
        atOrAbove.map((a, i) => ({
          id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`,
          name: `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`,
          type: "Microsoft.Authorization/roleAssignments",
          properties: {
            scope: a.scope,
            roleDefinitionId: a.roleDefinitionId,
            principalId: a.principalId,
            principalType: a.principalType ?? "ServicePrincipal",
          },
        })),
      );
    }
    return notFound("InvalidResourceType", `no route for ${path}`);
  }
}

function notFound(code: string, message: string) {
  return {
    status: 404,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { code, message } }),
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** ARM's 403 body: the message names the action and the scope. */
export function armForbidden(action: string, scope: string): string {
  return JSON.stringify({
    error: {
      code: "AuthorizationFailed",
      message: `The client 'aaaaaaaa-0000-4000-8000-000000000001' with object id 'aaaaaaaa-0000-4000-8000-000000000001' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    },
  });
}
