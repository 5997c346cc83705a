import type { ObservedGroup, ObservedIdentity } from "../../../../infra/audit/observed";
import { HttpDouble, page } from "./httpDouble";

/**
 * A stand-in for Microsoft Graph v1.0 on 127.0.0.1, for the reads the audit makes, in the documented shapes
 * (https://learn.microsoft.com/graph/api/group-list, group-list-members, application-list,
 * application-list-federatedidentitycredentials, serviceprincipal-list; paging
 * https://learn.microsoft.com/graph/paging): `{ "@odata.context", value, "@odata.nextLink" }`, `$filter` with
 * `startswith(displayName,'...')` and `appId eq '...'`, `$select`, `$top`, `$skiptoken`.
 * Errors are `{ error: { code, message, innerError } }` (e.g. 403 Authorization_RequestDenied).
 */

export interface GraphMember {
  id: string;
  /** "#microsoft.graph.servicePrincipal", "#microsoft.graph.group", "#microsoft.graph.user". */
  type: string;
}

export class GraphServer extends HttpDouble {
  groups: ObservedGroup[] = [];
  /** Member types by id; an id not listed is a service principal. */
  memberTypes = new Map<string, string>();
  /** App-registration identities: applications by display name, with their service principal's object id. */
  applications: (ObservedIdentity & {
    objectId: string;
    /** Client secrets / certificates on the application (`passwordCredentials`, `keyCredentials`). */
    passwordCredentials?: { keyId: string; displayName?: string }[];
    keyCredentials?: { keyId: string; displayName?: string }[];
    /** The same on its service principal. */
    servicePrincipalPasswordCredentials?: { keyId: string; displayName?: string }[];
    servicePrincipalKeyCredentials?: { keyId: string; displayName?: string }[];
  })[] = [];
  pageSize = 2;

  constructor() {
    super((_r, url) => this.route(url));
  }

  private list(url: URL, items: unknown[]) {
    const top = Number(url.searchParams.get("$top") ?? "100");
    const { items: value, next } = page(
      items,
      url.searchParams.get("$skiptoken"),
      Math.min(top, this.pageSize),
    );
    const body: Record<string, unknown> = { "@odata.context": `${this.url}/v1.0/$metadata`, value };
    if (next !== undefined) {
      const link = new URL(url.toString());
      link.searchParams.set("$skiptoken", String(next));
      body["@odata.nextLink"] = link.toString();
    }
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  }

  private route(url: URL) {
    const path = url.pathname;
    const filter = url.searchParams.get("$filter");
    if (path === "/v1.0/groups") {
      const prefix = startsWith(filter);
      return this.list(
        url,
        this.groups
          .filter((g) => g.name.startsWith(prefix))
          .map((g) => ({ id: g.objectId, displayName: g.name })),
      );
    }
    const members = /^\/v1\.0\/groups\/([^/]+)\/members$/.exec(path);
    if (members !== null) {
      const group = this.groups.find((g) => g.objectId === decodeURIComponent(members[1]!));
      if (group === undefined)
        return error(
          404,
          "Request_ResourceNotFound",
          `Resource '${members[1]}' does not exist or one of its queried reference-property objects are not present.`,
        );
      return this.list(
        url,
        group.memberIds.map((id) => ({
          "@odata.type": this.memberTypes.get(id) ?? "#microsoft.graph.servicePrincipal",
          id,
        })),
      );
    }
    if (path === "/v1.0/applications") {
      const prefix = startsWith(filter);
      return this.list(
        url,
        this.applications
          .filter((a) => a.name.startsWith(prefix))
          .map((a) => ({
            id: a.objectId,
            appId: a.clientId,
            displayName: a.name,
            passwordCredentials: a.passwordCredentials ?? [],
            keyCredentials: a.keyCredentials ?? [],
          })),
      );
    }
    const fics = /^\/v1\.0\/applications\/([^/]+)\/federatedIdentityCredentials$/.exec(path);
    if (fics !== null) {
      const app = this.applications.find((a) => a.objectId === fics[1]);
      if (app === undefined)
        return error(404, "Request_ResourceNotFound", `Resource '${fics[1]}' does not exist.`);
      return this.list(
        url,
        app.federatedCredentials.map((f) => ({
          id: `${f.name}-id`,
          name: f.name,
          issuer: f.issuer,
          subject: f.subject,
          audiences: f.audiences,
        })),
      );
    }
    if (path === "/v1.0/servicePrincipals") {
      const appId = /^appId eq '([^']+)'$/.exec(filter ?? "")?.[1];
      if (appId === undefined)
        return error(400, "Request_UnsupportedQuery", "this double answers only $filter=appId eq '...'");
      return this.list(
        url,
        this.applications
          .filter((a) => a.clientId === appId)
          .map((a) => ({
            id: a.principalId,
            appId,
            passwordCredentials: a.servicePrincipalPasswordCredentials ?? [],
            keyCredentials: a.servicePrincipalKeyCredentials ?? [],
          })),
      );
    }
    return error(400, "BadRequest", `Resource not found for the segment '${path}'.`);
  }
}

/** The prefix of `startswith(displayName,'<prefix>')`; anything else is a 400, as an unsupported query is. */
function startsWith(filter: string | null): string {
  const m = /^startswith\(displayName,'([^']*)'\)$/.exec(filter ?? "");
  if (m === null) throw new Error(`unsupported $filter ${filter}`);
  return m[1]!;
}

export function error(status: number, code: string, message: string) {
  return {
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      error: {
        code,
        message,
        innerError: { date: "2026-12-02T00:00:00", "request-id": "00000000-0000-4000-8000-000000000000" },
      },
    }),
  };
}
