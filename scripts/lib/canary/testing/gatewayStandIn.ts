import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import type { Access } from "../../../../infra/manifest/schema";
import type { TestCertificate } from "./azurite";
import type { ScriptedAnswer } from "./skyportenStandIn";

/**
 * Test stand-in for the partner gateway (an API Management proxy that speaks the Blob REST API under its base path,
 * Bane-NOR/platform-docs Payload-Manager guide): HTTPS on 127.0.0.1, `<base>/<container>/<blob>`. Like the real
 * gateway it validates the Entra token (signature, lifetime) and routes on its `aud` to a storage account (here
 * Azurite); like the platform's policy it enforces each principal's grant (container, directory, access), refusing
 * anything else with 403 AuthorizationPermissionMismatch before the request reaches storage.
 */

export const GATEWAY_BASE_PATH = "/payload-manager/v1";

export interface GatewayGrant {
  container: string;
  path: string | null;
  access: Access;
}

export interface GatewayStandIn {
  /** https://127.0.0.1:<port>/payload-manager/v1 */
  url: string;
  /** Token audience -> backend base URL (`https://127.0.0.1:<azurite>/devstoreaccount1`). */
  routes: Record<string, string>;
  /** Entra object id -> its grants. */
  grants: Record<string, GatewayGrant[]>;
  /** "enforce": grants as declared; "open": routes on aud only (a policy that forgot the grants); "deny": refuses all. */
  mode: "enforce" | "open" | "deny";
  script: ScriptedAnswer[];
  hang: boolean;
  /** Requests seen: method, path and the verdict. */
  log: string[];
  close(): Promise<void>;
}

const READ: ReadonlySet<Access> = new Set<Access>(["read", "read-write"]);
const WRITE: ReadonlySet<Access> = new Set<Access>(["write", "read-write"]);

function storageError(status: number, code: string, message: string): ScriptedAnswer {
  return {
    status,
    headers: { "content-type": "application/xml", "x-ms-error-code": code },
    body: `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:00000000-0000-0000-0000-000000000000\nTime:2026-12-02T07:00:00.0000000Z</Message></Error>`,
  };
}

/** Is the request inside one of the grants? `blobPath` is the blob name, or for a listing its prefix. */
export function allowedByGrant(grants: GatewayGrant[], method: string, container: string, blobPath: string): boolean {
  const needs = method === "GET" || method === "HEAD" ? READ : WRITE;
  return grants.some(
    (g) => g.container === container && needs.has(g.access) && (g.path === null || blobPath.startsWith(`${g.path}/`)),
  );
}

export async function startGatewayStandIn(cert: TestCertificate, entraJwks: JSONWebKeySet): Promise<GatewayStandIn> {
  const keys = createLocalJWKSet(entraJwks);
  const state: GatewayStandIn = {
    url: "",
    routes: {},
    grants: {},
    mode: "enforce",
    script: [],
    hang: false,
    log: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const send = (a: ScriptedAnswer) => {
          res.writeHead(a.status, { "content-type": "application/json", ...a.headers });
          res.end(typeof a.body === "string" ? a.body : JSON.stringify(a.body));
        };
        const url = new URL(req.url ?? "/", "https://gateway");
        const method = req.method ?? "GET";
        if (state.hang) return;
        const scripted = state.script.shift();
        if (scripted !== undefined) return send(scripted);
        if (!url.pathname.startsWith(`${GATEWAY_BASE_PATH}/`)) return send({ status: 404, body: { statusCode: 404, message: "Resource not found" } });
        const auth = req.headers.authorization ?? "";
        const unauthorized = { status: 401, body: { statusCode: 401, message: "Unauthorized. Access token is missing or invalid." } };
        if (!auth.startsWith("Bearer ")) return send(unauthorized);
        let claims: Record<string, unknown>;
        try {
          claims = (await jwtVerify(auth.slice(7), keys, { algorithms: ["RS256"] })).payload;
        } catch {
          return send(unauthorized);
        }
        const backend = typeof claims.aud === "string" ? state.routes[claims.aud] : undefined;
        if (backend === undefined) return send(unauthorized);
        const rest = url.pathname.slice(GATEWAY_BASE_PATH.length + 1);
        const slash = rest.indexOf("/");
        const container = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
        const isList = url.searchParams.get("comp") === "list";
        const blobPath = isList ? (url.searchParams.get("prefix") ?? "") : decodeURIComponent(slash < 0 ? "" : rest.slice(slash + 1));
        const grants = state.grants[String(claims.oid)] ?? [];
        const allowed = state.mode === "open" || (state.mode === "enforce" && allowedByGrant(grants, method, container, blobPath));
        state.log.push(`${method} ${container}/${blobPath} ${allowed ? "forwarded" : "refused"}`);
        if (!allowed) return send(storageError(403, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."));
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const h of ["authorization", "x-ms-version", "x-ms-blob-type", "content-type"]) {
          const v = req.headers[h];
          if (typeof v === "string") headers[h] = v;
        }
        headers["content-length"] = String(body.length);
        const up = https.request(`${backend}/${rest}${url.search}`, { method, headers, ca: cert.cert }, (upRes) => {
          const out: Buffer[] = [];
          upRes.on("data", (c: Buffer) => out.push(c));
          upRes.on("end", () => {
            const pass: Record<string, string> = {};
            for (const h of ["content-type", "x-ms-error-code", "etag"]) {
              const v = upRes.headers[h];
              if (typeof v === "string") pass[h] = v;
            }
            res.writeHead(upRes.statusCode ?? 502, pass);
            res.end(Buffer.concat(out));
          });
        });
        up.on("error", () => send({ status: 502, body: { statusCode: 502, message: "Bad gateway" } }));
        up.end(body);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${GATEWAY_BASE_PATH}`;
  return state;
}
