import { describe, expect, it } from "vitest";
import { fileNameAllowed, PAYLOAD_MANAGER_RULES } from "../../../infra/settings/gateway";
import type { Manifest } from "../../../infra/manifest/schema";
import { settingsFixture } from "../../../infra/settings/testFixture";
import { entraFix, blobUrl, storageError } from "./azure";
import { formatReport, Secrets, type CanaryReport } from "./report";
import { nextDelay, retryAfterMs, transientCause, type RetryPolicy } from "./retry";
import { canaryFileName } from "./run";
import { grantClaims } from "./skyporten";
import { runStep, StepError, type StepContext } from "./steps";
import { canaryTarget } from "./target";

/** The canary's pure decisions: retries, the JWT grant, names, targets, the report and its redaction. */

describe("retry policy: only documented transients", () => {
  it.each([
    [{ message: "AADSTS70021: No matching federated identity record found" }, "AADSTS70021: the federated credential may not have replicated in Entra ID yet"],
    [{ code: "AADSTS700213" }, "AADSTS700213: the federated credential's subject may not have replicated in Entra ID yet"],
    [{ status: 429 }, "HTTP 429: throttled"],
    [{ status: 503 }, "HTTP 503: service unavailable"],
    [{ message: "AADSTS700211: issuer" }, undefined],
    [{ message: "AADSTS700212: audience" }, undefined],
    [{ message: "AADSTS700024: expired" }, undefined],
    [{ status: 500 }, undefined],
    [{ status: 403, code: "AuthorizationPermissionMismatch" }, undefined],
    [{ status: 400, code: "InvalidIdentityToken" }, undefined],
  ])("%j -> %s", (failure, cause) => {
    expect(transientCause(failure)).toBe(cause);
  });

  const policy: RetryPolicy = { budgetMs: 10_000, baseDelayMs: 1000, maxDelayMs: 4000 };
  it("backs off exponentially up to the largest delay, honours Retry-After, and stops at the budget", () => {
    expect([1, 2, 3, 4, 5].map((n) => nextDelay(policy, n, 0))).toEqual([1000, 2000, 4000, 4000, 4000]);
    expect(nextDelay(policy, 1, 0, 3000)).toBe(3000);
    expect(nextDelay(policy, 3, 6000)).toBe(4000);
    expect(nextDelay(policy, 3, 6001)).toBeNull();
    expect(nextDelay(policy, 1, 0, 60_000)).toBeNull();
    const now = new Date("2026-12-02T07:00:00Z");
    expect(retryAfterMs("7", now)).toBe(7000);
    expect(retryAfterMs("Wed, 02 Dec 2026 07:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("runStep retries a transient until the budget, then reports the cloud's error, the attempts and the fix", async () => {
    let clock = 0;
    const ctx: StepContext = { retry: policy, now: () => clock, sleep: (ms) => Promise.resolve(void (clock += ms)) };
    let calls = 0;
    const r = await runStep(ctx, "azure.token", "azure", "exchange", () => {
      calls++;
      clock += 100;
      return Promise.reject(new StepError("Entra ID: AADSTS700213: No matching federated identity record", "the fix", { code: "AADSTS700213" }));
    });
    // Attempts at 0.1, 1.2, 3.3 and 7.4 s (delays 1, 2, 4 s); a fifth would end past the 10 s budget.
    expect(calls).toBe(4);
    expect(r).toMatchObject({ step: "azure.token", status: "failed", attempts: 4, durationMs: 7400, fix: "the fix" });
    expect(r.error).toBe(
      "Entra ID: AADSTS700213: No matching federated identity record (still failing after 4 attempts over 7.4 s: AADSTS700213: the federated credential's subject may not have replicated in Entra ID yet)",
    );
    const final = await runStep(ctx, "azure.write", "azure", "write", () => Promise.reject(new StepError("HTTP 403 X", "fix", { status: 403 })));
    expect(final).toMatchObject({ status: "failed", attempts: 1, error: "HTTP 403 X" });
    const bug = await runStep(ctx, "aws.put", "aws", "put", () => Promise.reject(new TypeError("x is undefined")));
    expect(bug.error).toBe("unexpected error: x is undefined");
  });
});

describe("the JWT grant and names", () => {
  it("addresses Skyporten exactly: aud the issuer without a slash, resource the audience, 120 s", () => {
    expect(grantClaims({ issuer: "https://test.sky.maskinporten.no", clientId: "c", scope: "banenor:payloadmanager.storage", resource: "https://aud" }, 1000, "j")).toEqual({
      aud: "https://test.sky.maskinporten.no",
      iss: "c",
      scope: "banenor:payloadmanager.storage",
      resource: "https://aud",
      iat: 1000,
      exp: 1120,
      jti: "j",
    });
  });

  it("names the canary's file uniquely, within the gateway's file-name rules and file types", () => {
    const name = canaryFileName(new Date("2026-12-02T07:05:09.123Z"), "0a1b2c3d4e5f");
    expect(name).toBe("skyporten-canary-20261202T070509Z-0a1b2c3d4e5f.txt");
    expect(fileNameAllowed({ fileNameCharacters: PAYLOAD_MANAGER_RULES.fileNameCharacters }, name)).toBe(true);
    expect(PAYLOAD_MANAGER_RULES.allowedFileTypes).toContain("txt");
    expect(blobUrl("https://gw/v1", "outbound", "a/b c", name)).toBe(`https://gw/v1/outbound/a/b%20c/${name}`);
    expect(blobUrl("https://gw/v1", "inbound", null, "p.txt")).toBe("https://gw/v1/inbound/p.txt");
  });
});

describe("Azure errors and fixes", () => {
  it("reads Azure Storage's error code and first message line", () => {
    const body = Buffer.from("<?xml version=\"1.0\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>Not authorized.\nRequestId:1</Message></Error>");
    expect(storageError({ status: 403, headers: {}, body })).toEqual({ code: "AuthorizationPermissionMismatch", text: "HTTP 403 AuthorizationPermissionMismatch: Not authorized." });
    expect(storageError({ status: 404, headers: { "x-ms-error-code": "BlobNotFound" }, body: Buffer.alloc(0) }).text).toBe("HTTP 404 BlobNotFound");
  });

  it("turns each AADSTS code into the fix explain would give once the token itself is right", () => {
    const target = { clientId: "cid", tenantId: "tid" } as Parameters<typeof entraFix>[1]["target"];
    expect(entraFix("AADSTS700212", { stack: "test", target })).toBe(
      "explain's checks found the token right for the stack files, so the deployed federated credential's audience differs from them: run npm run audit -- --stack test to see the difference, then pulumi up",
    );
    expect(entraFix("AADSTS700016", { stack: "prod", target })).toBe(
      "client id cid (from the stack outputs) is not an application in tenant tid: export the outputs again (pulumi stack output --stack prod --json) and check azure.tenantId",
    );
  });
});

describe("canaryTarget", () => {
  const manifest = {
    containers: [{ name: "outbound", adopt: false }, { name: "inbound", adopt: false }],
    buckets: [{ name: "b1", adopt: false }],
    partners: [
      { orgNumber: "991825827", name: "Platform", status: "active", azure: [{ container: "outbound", path: "canary", access: "write" }], aws: [{ bucket: "b1", prefix: "canary/", access: "read-write" }] },
      { orgNumber: "910000012", name: "Nordlys", status: "active", azure: [{ container: "outbound", path: "canary/inner", access: "read" }], aws: [] },
      { orgNumber: "921345674", name: "Fjordkraft", status: "offboarded", azure: [{ container: "outbound", path: "fjord", access: "read" }], aws: [] },
    ],
  } as Manifest;
  const canary = { orgNumber: "991825827", clientId: "c", keyId: "k" };
  const outputs = {
    "991825827": {
      azure: { clientId: "az-client", tenantId: "11111111-2222-4333-8444-555555555555" },
      aws: {
        roleArn: "arn:aws:iam::123456789012:role/skyporten/skyporten-test-991825827",
        providerArn: "arn:aws:iam::123456789012:oidc-provider/test.sky.maskinporten.no",
        region: "eu-north-1",
        grants: [{ bucket: "b1", prefix: "canary/", access: "read-write" as const }],
      },
    },
  };

  it("the storage account without a gateway; write-only expectations; probes only where a directory exists; no S3 delete", () => {
    const r = canaryTarget({ stack: "test", settings: settingsFixture(), canary, manifest, manifestFile: "m.yaml", outputs });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const t = r.target;
    expect(t.skyporten).toEqual({
      issuer: "https://test.sky.maskinporten.no",
      tokenEndpoint: "https://test.sky.maskinporten.no/token",
      discoveryUrl: "https://test.sky.maskinporten.no/.well-known/openid-configuration",
      scope: "banenor:payloadmanager.storage",
      resource: "https://skyporten.test.example.no",
      clientId: "c",
      keyId: "k",
    });
    expect(t.azure).toMatchObject({ via: "storage account", baseUrl: "https://stsky.blob.core.windows.net", tokenAudience: "https://stsky.blob.core.windows.net", clientId: "az-client", read: "refused", delete: "allowed" });
    // Nested inside the canary's own path and offboarded partners are no siblings.
    expect(t.azure.outside).toEqual([{ kind: "container", container: "inbound", path: null, where: "inbound/", why: "another container" }]);
    expect(t.notices).toEqual(['no other partner\'s directory in container outbound: the "sibling path" refusal is not probed (it needs a directory that exists)']);
    expect(t.aws).toMatchObject({ roleArn: "arn:aws:iam::123456789012:role/skyporten/skyporten-test-991825827", read: "allowed", delete: "refused" });
    expect(t.aws!.outside).toEqual([{ kind: "prefix", bucket: "b1", prefix: "canary-outside/", where: "b1/canary-outside/", why: "a sibling prefix" }]);
  });

  it("through the gateway, with its token audience", () => {
    const settings = settingsFixture({ azure: { ...settingsFixture().azure, gateway: { url: "https://gw.example.no/payload-manager/v1" } } });
    const r = canaryTarget({ stack: "test", settings, canary, manifest, manifestFile: "m.yaml", outputs });
    expect(r.ok && r.target.azure).toMatchObject({ via: "gateway", baseUrl: "https://gw.example.no/payload-manager/v1", tokenAudience: "https://stsky.blob.core.windows.net" });
  });

  it("needs the deployed client id", () => {
    expect(canaryTarget({ stack: "test", settings: settingsFixture(), canary, manifest, manifestFile: "m.yaml", outputs: null })).toEqual({
      ok: false,
      problems: ["the canary identity's client id comes from the deployed stack: pass --outputs (pulumi stack output --stack test --json > outputs.json)"],
    });
  });
});

describe("report", () => {
  it("redacts every secret and its parts, whatever the text", () => {
    const secrets = new Secrets();
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMTkyOjk5MTgyNTgyNyJ9.c2lnbmF0dXJlLXBhcnQtdGhhdC1pcy1sb25n";
    secrets.add(jwt);
    secrets.add("short");
    expect(secrets.redact(`a ${jwt} b`)).toBe("a [redacted] b");
    expect(secrets.redact("sig c2lnbmF0dXJlLXBhcnQtdGhhdC1pcy1sb25n only")).toBe("sig [redacted] only");
    expect(secrets.redact("short stays")).toBe("short stays");
  });

  it("prints each step with its duration, the error and fix of a failure, and the result", () => {
    const report: CanaryReport = {
      stack: "test",
      orgNumber: "991825827",
      partnerName: "Platform",
      azureVia: "gateway https://gw/v1",
      startedAt: "2026-12-02T07:00:00.000Z",
      durationMs: 1234,
      ok: false,
      failedSteps: ["azure.write"],
      steps: [
        { step: "azure.token", cloud: "azure", status: "proven", durationMs: 120, attempts: 1, detail: "token" },
        { step: "azure.write", cloud: "azure", status: "failed", durationMs: 30, attempts: 1, detail: "write", error: "HTTP 403 X", fix: "grant it" },
        { step: "azure.read", cloud: "azure", status: "not-run", durationMs: 0, attempts: 0, detail: "read", error: "not run: azure.write failed" },
      ],
      notices: ["cleanup: none needed"],
    };
    expect(formatReport(report).split("\n")).toEqual([
      "Deploy canary, stack test: organization 991825827 (Platform); Azure through the gateway https://gw/v1",
      "  ok    azure.token               0.12 s  token",
      "  FAIL  azure.write               0.03 s  write",
      "        error: HTTP 403 X",
      "        fix:   grant it",
      "  --    azure.read                        read",
      "        error: not run: azure.write failed",
      "  note: cleanup: none needed",
      "Result: FAILED at azure.write (1 of 3 steps proven, 1.23 s)",
    ]);
  });
});
