import * as http from "node:http";
import * as https from "node:https";

/**
 * The one HTTP client of the canary's own requests (Skyporten token endpoint, Blob REST): node:http(s) with a
 * timeout per request and, for tests, an extra trusted CA (the local servers' self-signed certificate). Plain
 * http only to this machine.
 */

export interface HttpOptions {
  timeoutMs: number;
  /** Extra CA to trust (PEM): tests only; a real run uses the system's CAs. */
  ca?: string;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The request did not complete: no answer in time, or the server could not be reached. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly kind: "timeout" | "unreachable",
  ) {
    super(message);
    this.name = "HttpFailure";
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function httpRequest(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Buffer },
  opts: HttpOptions,
): Promise<HttpResponse> {
  const target = new URL(url);
  if (target.protocol !== "https:" && !(target.protocol === "http:" && LOOPBACK.has(target.hostname)))
    return Promise.reject(new HttpFailure(`${target.origin} must be https (plain http only to 127.0.0.1)`, "unreachable"));
  const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
  const headers = { ...init.headers, ...(body === undefined ? {} : { "content-length": String(body.length) }) };
  const where = `${init.method} ${target.origin}${target.pathname}`;
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { method: init.method, headers, ...(opts.ca === undefined ? {} : { ca: opts.ca }) };
    const req = (target.protocol === "https:" ? https : http).request(target, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", () => reject(new HttpFailure(`${where}: the connection broke while reading the answer`, "unreachable")));
    });
    req.setTimeout(opts.timeoutMs, () => {
      req.destroy();
      reject(new HttpFailure(`${where}: no answer within ${opts.timeoutMs} ms`, "timeout"));
    });
    req.on("error", (e: NodeJS.ErrnoException) => {
      reject(new HttpFailure(`${where}: not reachable (${e.code ?? e.message})`, "unreachable"));
    });
    req.end(body);
  });
}

/** A header's value as one string ("" when absent). */
export function header(res: HttpResponse, name: string): string {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : (v ?? "");
}
