import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../../infra/manifest/schema";
import { settingsFixture } from "../../../infra/settings/testFixture";
import { Secrets } from "./report";
import { requestSkyportenToken } from "./skyporten";
import { runStep, StepError, type StepContext } from "./steps";
import { canaryTarget } from "./target";

/**
 * A hostile reviewer's attacks on the canary: a cloud's error that echoes the signed grant or a token (whole or
 * cut short) must never reach what the canary prints or writes, and transient retries must end within a bound
 * for the whole run, not only per step.
 */

/** A Skyporten-like token endpoint (127.0.0.1, port 0) that echoes the grant it received in its error. */
let server: http.Server;
let tokenUrl = "";
let echo: (assertion: string) => string = (a) => a;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const assertion = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("assertion") ?? "";
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: "invalid_grant", error_description: `Invalid assertion ${echo(assertion)}` }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  tokenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function failureOf(): Promise<{ error: StepError; assertion: string }> {
  const { privateKey } = await generateKeyPair("RS256");
  let assertion = "";
  echo = (a) => {
    assertion = a;
    return echoed(a);
  };
  const e = await requestSkyportenToken(
    {
      issuer: "https://test.sky.maskinporten.no",
      clientId: "canary-client",
      scope: "banenor:payloadmanager.storage",
      resource: "https://skyporten.test.banenor.example.no",
      keyId: "canary-key-1",
      key: privateKey,
      tokenEndpoint: tokenUrl,
    },
    { timeoutMs: 3000 },
    () => new Date(),
  ).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(StepError);
  expect(assertion).toMatch(/^eyJ/);
  return { error: e as StepError, assertion };
}
let echoed: (a: string) => string = (a) => a;

describe("canary attacks: a token endpoint that echoes the signed grant", () => {
  it.each([
    ["whole", (a: string) => a],
    ["cut short in its signature", (a: string) => a.slice(0, a.length - 40)],
    ["only its first two parts", (a: string) => a.split(".").slice(0, 2).join(".")],
  ])("echoed %s: neither the grant nor a part of it is in the step's error or fix", async (_how, cut) => {
    echoed = cut;
    const { error, assertion } = await failureOf();
    const [header, payload, signature] = assertion.split(".");
    for (const text of [error.message, error.fix]) {
      expect(text).not.toContain(assertion);
      expect(text).not.toContain(payload!);
      expect(text).not.toContain(signature!.slice(0, 30));
      expect(text).not.toContain(header!);
    }
    expect(error.message).toMatch(
      /^Skyporten token endpoint: HTTP 400 invalid_grant: Invalid assertion \[redacted\]/,
    );
  });
});

describe("canary attacks: redaction of what was never registered", () => {
  it("a JWT-shaped string (a token the canary never saw whole, or cut short) is redacted", () => {
    const s = new Secrets();
    const token =
      "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiIwMTkyOjk5MTgyNTgyNztiYW5lbm9yIn0.c2lnbmF0dXJlLXBhcnQtdGhhdC1pcy1sb25n";
    expect(s.redact(`Bearer ${token} rejected`)).toBe("Bearer [redacted] rejected");
    expect(s.redact(`prefix ${token.slice(0, 60)}`)).toBe("prefix [redacted]");
    // Ordinary text with dots stays.
    expect(s.redact("HTTP 403 AuthorizationPermissionMismatch: this request is not authorized.")).toBe(
      "HTTP 403 AuthorizationPermissionMismatch: this request is not authorized.",
    );
  });

  it("a PEM private key block is redacted, even one the canary was never given", () => {
    const s = new Secrets();
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabc\n-----END RSA PRIVATE KEY-----";
    expect(s.redact(`key: ${pem} end`)).toBe("key: [redacted] end");
    expect(s.redact(`key: ${JSON.stringify(pem)}`)).toBe('key: "[redacted]"');
  });
});

describe("canary attacks: retries are bounded for the whole run", () => {
  it("after the run's deadline a transient failure is final at once", async () => {
    let clock = 0;
    const ctx: StepContext = {
      retry: { budgetMs: 10_000, baseDelayMs: 1000, maxDelayMs: 4000 },
      deadline: 2500,
      now: () => clock,
      sleep: (ms) => Promise.resolve(void (clock += ms)),
    };
    let calls = 0;
    const r = await runStep(ctx, "azure.write", "azure", "write", () => {
      calls++;
      clock += 100;
      return Promise.reject(new StepError("HTTP 503 ServerBusy", "wait", { status: 503 }));
    });
    // Attempts at 0.1 s and 1.2 s (delay 1 s); the next delay (2 s) would end past the run's deadline at 2.5 s.
    expect(calls).toBe(2);
    expect(r).toMatchObject({ status: "failed", attempts: 2 });
    expect(r.error).toBe(
      "HTTP 503 ServerBusy (still failing after 2 attempts over 1.2 s, the run's retry time is used up: HTTP 503: service unavailable)",
    );
  });
});

describe("canary attacks: deployed outputs that do not match the canary", () => {
  const manifest = {
    containers: [{ name: "outbound", adopt: false }],
    buckets: [],
    partners: [
      {
        orgNumber: "991825827",
        name: "Platform",
        status: "active",
        azure: [{ container: "outbound", path: "canary", access: "read-write" }],
        aws: [],
      },
    ],
  } as unknown as Manifest;
  const canary = { orgNumber: "991825827", clientId: "c", keyId: "k" };
  const input = {
    stack: "test",
    settings: settingsFixture({ aws: { ...settingsFixture().aws, enabled: false } }),
    canary,
    manifest,
    manifestFile: "m.yaml",
  };

  it.each([
    [
      "outputs of other organizations only",
      { "910000012": { azure: { clientId: "x", tenantId: "11111111-2222-4333-8444-555555555555" } } },
    ],
    ["no outputs at all (an empty stack)", {}],
  ])("%s: not configured, naming the organization and what to do", (_name, outputs) => {
    expect(canaryTarget({ ...input, outputs })).toEqual({
      ok: false,
      problems: [
        "the stack outputs have no Azure identity for the canary organization 991825827: deploy first (pulumi up), then export the outputs again",
      ],
    });
  });
});
