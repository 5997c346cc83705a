import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The common part of the audit's local service doubles: an HTTP server on 127.0.0.1 (port 0), a log of the
 * requests it received and a queue of injected faults (status, headers, body) matched by method and path.
 */

export interface SeenRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  authorization: string | undefined;
  body: string;
}

export interface InjectedFault {
  /** Matched against "<METHOD> <path and query> <body>", e.g. /GET .*roleAssignments/ or /Action=ListRoles/. */
  when: RegExp;
  status: number;
  headers?: Record<string, string>;
  body: string;
  /** How many matching requests it answers. Default 1. */
  times?: number;
}

export type Handler = (
  req: SeenRequest,
  url: URL,
) => { status: number; headers?: Record<string, string>; body: string };

export class HttpDouble {
  readonly requests: SeenRequest[] = [];
  private readonly faults: InjectedFault[] = [];
  private server: http.Server | undefined;
  url = "";

  constructor(private readonly handler: Handler) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const seen: SeenRequest = {
          method: req.method ?? "GET",
          url: req.url ?? "/",
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(seen);
        const answer = this.takeFault(seen) ?? this.answer(seen);
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  inject(fault: InjectedFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  count(pattern: RegExp): number {
    return this.requests.filter((r) => pattern.test(`${r.method} ${r.url} ${r.body}`)).length;
  }

  private takeFault(
    r: SeenRequest,
  ): { status: number; headers?: Record<string, string>; body: string } | undefined {
    const i = this.faults.findIndex(
      (f) => f.when.test(`${r.method} ${r.url} ${r.body}`) && (f.times ?? 1) > 0,
    );
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    return { status: f.status, headers: f.headers, body: f.body };
  }

  private answer(r: SeenRequest): { status: number; headers?: Record<string, string>; body: string } {
    try {
      return this.handler(r, new URL(r.url, this.url));
    } catch (e) {
      return {
        status: 500,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          error: { code: "DoubleError", message: e instanceof Error ? e.message : String(e) },
        }),
      };
    }
  }
}

/** Items of page `token` (a stringified offset) and the offset of the next page, if any. */
export function page<T>(
  items: readonly T[],
  token: string | null,
  size: number,
): { items: T[]; next: number | undefined } {
  const start = token === null ? 0 : Number(token);
  const next = start + size < items.length ? start + size : undefined;
  return { items: items.slice(start, start + size), next };
}
