import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "./cli";
import { BRREG_API_URL, lookupOrganization } from "./onboardLookup";

interface Seen {
  method: string;
  url: string;
  accept: string | undefined;
}

const servers: http.Server[] = [];

/** A stand-in for data.brreg.no on 127.0.0.1: answers with `handler`, records every request. */
async function brreg(handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", accept: req.headers.accept });
    handler(req, res, seen.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/enhetsregisteret/api`, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

const ENTUR = { organisasjonsnummer: "917422575", navn: "ENTUR AS", organisasjonsform: { kode: "AS", beskrivelse: "Aksjeselskap" }, konkurs: false, underAvvikling: false };
const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

describe("lookupOrganization against a local Enhetsregisteret", () => {
  it("defaults to Brønnøysundregistrene's open API", () => {
    expect(BRREG_API_URL).toBe("https://data.brreg.no/enhetsregisteret/api");
  });

  it("GET <api>/enheter/<orgno> with Accept: application/json gives the legal name", async () => {
    const { base, seen } = await brreg((_req, res) => json(res, 200, ENTUR));
    await expect(lookupOrganization("917422575", { baseUrl: `${base}/` })).resolves.toEqual({ orgNumber: "917422575", name: "ENTUR AS", warnings: [] });
    expect(seen).toEqual([{ method: "GET", url: "/enhetsregisteret/api/enheter/917422575", accept: "application/json" }]);
  });

  it("404 and 410 are final answers with what to do", async () => {
    const { base, seen } = await brreg((req, res) => json(res, req.url?.endsWith("917422575") === true ? 404 : 410, { status: 404 }));
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow(
      new CliError("organization number 917422575 is not in the Central Coordinating Register (Enhetsregisteret answered 404); check the number with the partner"),
    );
    await expect(lookupOrganization("991825827", { baseUrl: base })).rejects.toThrow(
      new CliError("organization 991825827 has been removed from the Central Coordinating Register (Enhetsregisteret answered 410 Gone); a dissolved organization cannot be onboarded"),
    );
    expect(seen).toHaveLength(2);
  });

  it("429 with Retry-After is retried once, then answered", async () => {
    const { base, seen } = await brreg((_req, res, n) => (n === 1 ? json(res, 429, {}, { "retry-after": "0" }) : json(res, 200, ENTUR)));
    await expect(lookupOrganization("917422575", { baseUrl: base })).resolves.toMatchObject({ name: "ENTUR AS" });
    expect(seen).toHaveLength(2);
  });

  it("a 5xx that persists ends after the last attempt with a clear message", async () => {
    const { base, seen } = await brreg((_req, res) => json(res, 503, {}));
    await expect(lookupOrganization("917422575", { baseUrl: base, attempts: 3, maxRetryAfterMs: 10 })).rejects.toThrow(
      new CliError(`Brønnøysundregistrene answered HTTP 503 for ${base}/enheter/917422575; try again later, or pass the legal name with --name instead of --lookup`),
    );
    expect(seen).toHaveLength(3);
  });

  it("a server that does not answer times out", async () => {
    const { base } = await brreg(() => {
      // Never answer: the client's timeout must end the wait.
    });
    await expect(lookupOrganization("917422575", { baseUrl: base, timeoutMs: 200 })).rejects.toThrow(
      new CliError(`Brønnøysundregistrene (${base}/enheter/917422575) did not answer within 0.2 s; try again later, or pass the legal name with --name instead of --lookup`),
    );
  });

  it("offline (connection refused): says so and what to pass instead", async () => {
    const { base } = await brreg(() => undefined);
    const server = servers.pop()!;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow(
      new CliError(
        `cannot reach Brønnøysundregistrene at ${base}/enheter/917422575 (ECONNREFUSED): this machine seems to be offline or behind a proxy; pass the legal name with --name instead of --lookup`,
      ),
    );
  });

  it("warns about bankruptcy and liquidation, refuses a deleted unit and answers it cannot use", async () => {
    const bodies: unknown[] = [
      { ...ENTUR, konkurs: true, underAvvikling: true },
      { ...ENTUR, slettedato: "2024-05-02" },
      { ...ENTUR, organisasjonsnummer: "991825827" },
      { organisasjonsnummer: "917422575" },
    ];
    const { base } = await brreg((_req, res, n) => json(res, 200, bodies[n - 1]));
    await expect(lookupOrganization("917422575", { baseUrl: base })).resolves.toEqual({
      orgNumber: "917422575",
      name: "ENTUR AS",
      warnings: ["organization 917422575 (ENTUR AS) is registered as bankrupt (konkurs)", "organization 917422575 (ENTUR AS) is being wound up (under avvikling)"],
    });
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow(
      "organization 917422575 (ENTUR AS) was deleted from the Central Coordinating Register on 2024-05-02; a dissolved organization cannot be onboarded",
    );
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow("Brønnøysundregistrene answered for organization 991825827 when asked for 917422575");
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow(`Brønnøysundregistrene's answer for ${base}/enheter/917422575 has no name (navn)`);
  });

  it("an answer that is not JSON", async () => {
    const { base } = await brreg((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>maintenance</html>");
    });
    await expect(lookupOrganization("917422575", { baseUrl: base })).rejects.toThrow(`Brønnøysundregistrene's answer for ${base}/enheter/917422575 is not JSON`);
  });
});
