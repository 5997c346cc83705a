import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { aclEntryKey, formatAcl, parseAcl, sortAcl, type AclEntry } from "./provider";

/**
 * A test double of the ADLS Gen2 DFS endpoint, on 127.0.0.1, speaking the Path operations the SDK sends
 * (https://learn.microsoft.com/rest/api/storageservices/datalakestoragegen2/path):
 *  - HEAD  /{account}/{fs}/{path}?action=getAccessControl      x-ms-acl, x-ms-owner, x-ms-group, ETag
 *  - PATCH ...?action=setAccessControl  (x-ms-acl, If-Match)     replaces the ACL; 412 ConditionNotMet on a stale ETag
 *  - PATCH ...?action=setAccessControlRecursive&mode=modify|remove|set&maxRecords=N[&continuation=T]
 *            JSON {directoriesSuccessful, filesSuccessful, failureCount, failedEntries} + x-ms-continuation
 *  - PUT   ...?resource=directory (If-None-Match: *)             201, or 409 PathAlreadyExists
 * Errors carry x-ms-error-code and a JSON body {"error":{"code","message"}}, as the service's do.
 *
 * Semantics the double assumes, documented by Microsoft or inherited from HDFS (which ADLS Gen2 ACLs derive from):
 * recursive modify merges entries by (scope, type, id) and recursive remove deletes keys; default entries are
 * skipped on files (files have no default ACL); when a modify leaves named entries without an explicit mask the
 * mask is recomputed as the union of the group class (HDFS AclTransformation). Faults are injected per request.
 */

export interface FsNode {
  kind: "directory" | "file";
  acl: AclEntry[];
  owner: string;
  group: string;
  etag: number;
}

export interface RecordedRequest {
  method: string;
  /** "<fs>/<relative path>" ("<fs>/" for the root). */
  key: string;
  action: string | null;
  mode: string | null;
  resource: string | null;
  maxRecords: string | null;
  continuation: string | null;
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  acl: string | undefined;
  authorization: string | undefined;
  at: number;
}

export type FaultResponse =
  | { status: number; code: string; headers?: Record<string, string> }
  | { hang: true }
  | { run: (server: DfsTestServer) => void };

export interface Fault {
  when: (r: RecordedRequest) => boolean;
  /** How many matching requests it applies to. */
  times: number;
  respond: FaultResponse;
}

const BASE_DIR_ACL = "user::rwx,group::r-x,other::---";
const BASE_FILE_ACL = "user::rw-,group::r--,other::---";

export class DfsTestServer {
  readonly requests: RecordedRequest[] = [];
  readonly nodes = new Map<string, FsNode>();
  readonly fileSystems = new Set<string>();
  private readonly faults: Fault[] = [];
  private server: http.Server | undefined;
  private etagCounter = 1;
  endpoint = "";

  constructor(readonly account = "devstoreacct") {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    // IP-style URL: the SDK reads the account name from the first path segment (as for Azurite).
    this.endpoint = `http://127.0.0.1:${port}/${this.account}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  inject(fault: Fault): void {
    this.faults.push(fault);
  }

  /** A container with its root directory: user::rwx,group::r-x,other::--- plus any `rootAcl` entries. */
  addFileSystem(name: string, rootAcl = BASE_DIR_ACL, owner = "platform-deployer"): void {
    this.fileSystems.add(name);
    this.nodes.set(`${name}/`, {
      kind: "directory",
      acl: parseAcl(rootAcl),
      owner,
      group: "$superuser",
      etag: this.etagCounter++,
    });
  }

  addDirectory(fs: string, rel: string, acl = BASE_DIR_ACL): void {
    this.nodes.set(`${fs}/${rel}`, {
      kind: "directory",
      acl: parseAcl(acl),
      owner: "someone",
      group: "$superuser",
      etag: this.etagCounter++,
    });
  }

  addFile(fs: string, rel: string, acl = BASE_FILE_ACL): void {
    this.nodes.set(`${fs}/${rel}`, {
      kind: "file",
      acl: parseAcl(acl),
      owner: "someone",
      group: "$superuser",
      etag: this.etagCounter++,
    });
  }

  /** The ACL of a path as the service would return it. */
  aclOf(fs: string, rel = ""): string {
    const node = this.nodes.get(`${fs}/${rel}`);
    if (node === undefined) throw new Error(`no such path ${fs}/${rel}`);
    return formatAcl(sortAcl(node.acl));
  }

  /** Change a path's ACL as someone else would (a manual edit), bumping its ETag. */
  setAclOutOfBand(fs: string, rel: string, acl: string): void {
    const node = this.nodes.get(`${fs}/${rel}`)!;
    node.acl = parseAcl(acl);
    node.etag = this.etagCounter++;
  }

  count(predicate: (r: RecordedRequest) => boolean): number {
    return this.requests.filter(predicate).length;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const segments = url.pathname.split("/").slice(1); // [account, fs, ...path]
    const fs = decodeURIComponent(segments[1] ?? "");
    const rel = segments
      .slice(2)
      .filter((s) => s !== "")
      .map(decodeURIComponent)
      .join("/");
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const r: RecordedRequest = {
      method: req.method ?? "",
      key: `${fs}/${rel}`,
      action: url.searchParams.get("action"),
      mode: url.searchParams.get("mode"),
      resource: url.searchParams.get("resource"),
      maxRecords: url.searchParams.get("maxRecords"),
      continuation: url.searchParams.get("continuation"),
      ifMatch: header("if-match"),
      ifNoneMatch: header("if-none-match"),
      acl: header("x-ms-acl"),
      authorization: header("authorization"),
      at: Date.now(),
    };
    this.requests.push(r);
    req.resume();
    req.on("end", () => {
      const fault = this.faults.find((f) => f.times > 0 && f.when(r));
      if (fault !== undefined) {
        fault.times--;
        const respond = fault.respond;
        if ("hang" in respond) return; // never answers; the client's timeout must fire
        if ("run" in respond) respond.run(this);
        else return this.error(res, r, respond.status, respond.code, respond.headers);
      }
      try {
        this.route(res, r, fs, rel);
      } catch (e) {
        this.error(res, r, 400, "InvalidInput", { "x-ms-test-problem": (e as Error).message });
      }
    });
  }

  private error(
    res: http.ServerResponse,
    r: RecordedRequest,
    status: number,
    code: string,
    headers: Record<string, string> = {},
  ): void {
    const body =
      r.method === "HEAD" ? "" : JSON.stringify({ error: { code, message: `${code} (test double)` } });
    res.writeHead(status, {
      "x-ms-error-code": code,
      "content-type": "application/json",
      "x-ms-request-id": "test",
      ...headers,
    });
    res.end(body);
  }

  private route(res: http.ServerResponse, r: RecordedRequest, fs: string, rel: string): void {
    if (!this.fileSystems.has(fs)) return this.error(res, r, 404, "FilesystemNotFound");
    const node = this.nodes.get(r.key);
    const common = { "x-ms-request-id": "test", "x-ms-version": "2025-01-05" };

    if (r.method === "PUT" && r.resource === "directory") {
      if (node !== undefined) {
        if (r.ifNoneMatch === "*") return this.error(res, r, 409, "PathAlreadyExists");
      } else {
        const parentKey = rel.includes("/") ? `${fs}/${rel.slice(0, rel.lastIndexOf("/"))}` : `${fs}/`;
        if (!this.nodes.has(parentKey)) return this.error(res, r, 404, "ParentNotFound");
        this.nodes.set(r.key, {
          kind: "directory",
          acl: parseAcl(BASE_DIR_ACL),
          owner: "platform-deployer",
          group: "$superuser",
          etag: this.etagCounter++,
        });
      }
      res.writeHead(201, { ...common, etag: `"${this.nodes.get(r.key)!.etag}"` });
      return void res.end();
    }
    if (node === undefined) return this.error(res, r, 404, "PathNotFound");

    if (r.method === "HEAD" && r.action === "getAccessControl") {
      res.writeHead(200, {
        ...common,
        etag: `"${node.etag}"`,
        "last-modified": new Date(0).toUTCString(),
        "x-ms-owner": node.owner,
        "x-ms-group": node.group,
        "x-ms-permissions": node.acl.some((e) => e.id !== "") ? "rwxr-x---+" : "rwxr-x---",
        "x-ms-acl": formatAcl(sortAcl(node.acl)),
      });
      return void res.end();
    }

    if (r.method === "PATCH" && r.action === "setAccessControl") {
      if (r.ifMatch !== undefined && r.ifMatch !== `"${node.etag}"` && r.ifMatch !== "*")
        return this.error(res, r, 412, "ConditionNotMet");
      const problem = aclProblem(r.acl ?? "", node.kind);
      if (problem !== undefined)
        return this.error(res, r, 400, "InvalidAccessControlList", { "x-ms-test-problem": problem });
      node.acl = parseAcl(r.acl);
      node.etag = this.etagCounter++;
      res.writeHead(200, { ...common, etag: `"${node.etag}"` });
      return void res.end();
    }

    if (r.method === "PATCH" && r.action === "setAccessControlRecursive") {
      // Remove mode names entries without permissions ("[default:]type:id").
      const spec =
        r.mode === "remove" ? (r.acl ?? "").split(",").map((k) => parseAcl(`${k}:---`)[0]!) : parseAcl(r.acl);
      const keys = [...this.nodes.keys()]
        .filter((k) => k === r.key || k.startsWith(r.key.endsWith("/") ? r.key : `${r.key}/`))
        .sort();
      const start =
        r.continuation === null ? 0 : Number(Buffer.from(r.continuation, "base64").toString("utf8"));
      const max = r.maxRecords === null ? 2000 : Number(r.maxRecords);
      const slice = keys.slice(start, start + max);
      let directoriesSuccessful = 0;
      let filesSuccessful = 0;
      for (const k of slice) {
        const n = this.nodes.get(k)!;
        const applicable = spec.filter((e) => n.kind === "directory" || e.scope === "access");
        if (r.mode === "modify") n.acl = modifyAcl(n.acl, applicable);
        else if (r.mode === "remove") {
          const gone = new Set(applicable.map(aclEntryKey));
          n.acl = n.acl.filter((e) => !gone.has(aclEntryKey(e)));
        } else n.acl = applicable;
        n.etag = this.etagCounter++;
        if (n.kind === "directory") directoriesSuccessful++;
        else filesSuccessful++;
      }
      const next =
        start + max < keys.length ? Buffer.from(String(start + max), "utf8").toString("base64") : undefined;
      res.writeHead(200, {
        ...common,
        "content-type": "application/json",
        ...(next ? { "x-ms-continuation": next } : {}),
      });
      return void res.end(
        JSON.stringify({ directoriesSuccessful, filesSuccessful, failureCount: 0, failedEntries: [] }),
      );
    }

    this.error(res, r, 400, "UnsupportedByTestDouble");
  }
}

/** What the service would reject in a full ACL: missing base entries, named entries without a mask, duplicates, > 32 entries. */
function aclProblem(text: string, kind: FsNode["kind"]): string | undefined {
  let entries: AclEntry[];
  try {
    entries = parseAcl(text);
  } catch (e) {
    return (e as Error).message;
  }
  const keys = entries.map(aclEntryKey);
  if (new Set(keys).size !== keys.length) return "duplicate entries";
  for (const scope of ["access", "default"] as const) {
    const inScope = entries.filter((e) => e.scope === scope);
    if (inScope.length === 0) continue;
    if (scope === "default" && kind === "file") return "files have no default ACL";
    for (const t of ["user", "group", "other"])
      if (!inScope.some((e) => e.type === t && e.id === "")) return `${scope} ACL lacks ${t}::`;
    if (inScope.some((e) => e.id !== "") && !inScope.some((e) => e.type === "mask"))
      return `${scope} ACL has named entries but no mask`;
    if (inScope.length > 32) return `${scope} ACL has ${inScope.length} entries (max 32)`;
  }
  return undefined;
}

function modifyAcl(current: AclEntry[], spec: AclEntry[]): AclEntry[] {
  const byKey = new Map(current.map((e) => [aclEntryKey(e), { ...e }] as const));
  for (const e of spec) byKey.set(aclEntryKey(e), { ...e });
  const out = [...byKey.values()];
  for (const scope of ["access", "default"] as const) {
    const inScope = out.filter((e) => e.scope === scope);
    const named = inScope.filter((e) => e.id !== "" && (e.type === "user" || e.type === "group"));
    if (named.length === 0 || spec.some((e) => e.scope === scope && e.type === "mask")) continue;
    const groupClass = [...named, ...inScope.filter((e) => e.type === "group" && e.id === "")];
    const bits = groupClass.reduce(
      (b, e) =>
        b | (e.perms[0] === "r" ? 4 : 0) | (e.perms[1] === "w" ? 2 : 0) | (e.perms[2] === "x" ? 1 : 0),
      0,
    );
    const perms = `${bits & 4 ? "r" : "-"}${bits & 2 ? "w" : "-"}${bits & 1 ? "x" : "-"}`;
    const i = out.findIndex((e) => e.scope === scope && e.type === "mask");
    if (i >= 0) out[i] = { ...out[i]!, perms };
    else out.push({ scope, type: "mask", id: "", perms });
  }
  return sortAcl(out);
}
