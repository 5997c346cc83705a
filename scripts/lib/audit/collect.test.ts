import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareAccess } from "../../../infra/audit";
import { expectedState } from "../../../infra/audit/expected";
import { FOREIGN } from "../../../infra/audit/plantTable";
import { deployed, sampleExpectation, sampleStack } from "../../../infra/audit/testing";
import type { AccessState, ObservedIdentity } from "../../../infra/audit/observed";
import { startFakeDigdir, type FakeDigdir } from "../../../infra/maskinporten/testing/fakeDigdir";
import { adminToken } from "../../../infra/maskinporten/provider";
import { testKey } from "../../../infra/maskinporten/testing/keys";
import type { Settings } from "../../../infra/settings";
import { collectLive } from "./collect";
import { graphPathOf } from "./collectAzure";
import { auditConnection } from "./collectMaskinporten";
import { armForbidden } from "./testing/armServer";
import { sourcesFor, startDoubles, stopDoubles, type Doubles } from "./testing/doubles";
import { error as graphError } from "./testing/graphServer";
import { iamError } from "./testing/iamServer";

const { settings, manifest } = sampleStack("test");
const expectation = sampleExpectation("test");
let doubles: Doubles | undefined;
let state: AccessState;

beforeEach(() => {
  state = deployed(expectation);
  // Things the audit must read past: an unrelated role of the account and an assignment above the account.
  state.aws!.roles.push({
    name: "ci-deploy",
    path: "/",
    arn: "arn:aws:iam::000000000000:role/ci-deploy",
    attachedPolicyArns: [],
    inlinePolicies: {},
    trustPolicy: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
    },
  });
  state.azure!.roleAssignments.push({
    scope: "/subscriptions/00000000-0000-0000-0000-000000000000",
    roleDefinitionId:
      "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
    principalId: FOREIGN,
  });
});

afterEach(async () => {
  await stopDoubles(doubles);
  doubles = undefined;
});

describe("collectLive against local doubles of ARM, Graph, DFS and IAM", () => {
  it("reads every source through every page, and a deployment as declared is clean", async () => {
    doubles = await startDoubles(settings, state);
    const { observed, unreadable } = await collectLive(
      "test",
      settings,
      manifest,
      sourcesFor(doubles, settings),
    );
    expect(unreadable).toEqual([]);
    expect(compareAccess(expectation, observed)).toEqual([]);
    // Paging was followed: later pages of each list were asked for.
    expect(doubles.arm.count(/userAssignedIdentities\?.*skiptoken=2/)).toBe(1);
    // Three containers (at and above each) and the account (at, above and below).
    expect(doubles.arm.count(/roleAssignments\?.*skiptoken=2/)).toBe(4);
    expect(doubles.graph.count(/\/v1\.0\/groups\?.*skiptoken=10/)).toBe(1);
    expect(
      doubles.iam.requests.filter((r) => /Action=ListRoles/.test(r.body) && /Marker=2/.test(r.body)),
    ).toHaveLength(1);
    // Read-only: nothing but reads reached the services.
    expect(doubles.arm.requests.every((r) => r.method === "GET")).toBe(true);
    expect(doubles.graph.requests.every((r) => r.method === "GET")).toBe(true);
    expect(doubles.dfs.requests.every((r) => r.method === "HEAD" && r.action === "getAccessControl")).toBe(
      true,
    );
    expect(new Set(doubles.iam.requests.map((r) => new URLSearchParams(r.body).get("Action")))).toEqual(
      new Set([
        "ListOpenIDConnectProviders",
        "GetOpenIDConnectProvider",
        "ListRoles",
        "ListRolePolicies",
        "GetRolePolicy",
        "ListAttachedRolePolicies",
      ]),
    );
    // Plain-http loopback doubles get no token.
    expect([...doubles.arm.requests, ...doubles.graph.requests].map((r) => r.authorization)).toEqual(
      [...doubles.arm.requests, ...doubles.graph.requests].map(() => undefined),
    );
    expect(observed.azure!.acls.find((a) => a.container === "outbound" && a.path === "/nordlys")).toEqual({
      container: "outbound",
      path: "/nordlys",
      access: expect.arrayContaining([
        "user::rwx",
        "group::r-x",
        "other::---",
        ...state.azure!.acls.find((a) => a.path === "/nordlys")!.access,
      ]) as unknown,
      default: state.azure!.acls.find((a) => a.path === "/nordlys")!.default,
      owner: "$superuser",
      owningGroup: "$superuser",
    });
  });

  it("finds what was planted in the clouds: a foreign group member, a portal role assignment, an ACL entry, a trusting role", async () => {
    state.azure!.groups.find((g) => g.name === "sg-skyporten-test-inbound-write")!.memberIds.push(FOREIGN);
    state.azure!.roleAssignments.push({
      scope: expectation.context.storageAccountScope,
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
      principalId: FOREIGN,
      principalType: "User",
    });
    state.azure!.acls.find((a) => a.path === "/nordlys")!.access.push(`group:${FOREIGN}:r-x`);
    state.aws!.roles.push({
      name: "shadow",
      path: "/",
      arn: "arn:aws:iam::000000000000:role/shadow",
      attachedPolicyArns: [],
      inlinePolicies: {},
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "test.sky.maskinporten.no:sub": "0192:910000004;banenor:payloadmanager.storage",
                "test.sky.maskinporten.no:aud": "https://skyporten.test.banenor.example.no",
              },
            },
          },
        ],
      },
    });
    doubles = await startDoubles(settings, state);
    const { observed, unreadable } = await collectLive(
      "test",
      settings,
      manifest,
      sourcesFor(doubles, settings),
    );
    expect(unreadable).toEqual([]);
    expect(
      compareAccess(expectation, observed).map((f) => [f.severity, f.kind, f.cloud, f.orgNumber, f.subject]),
    ).toEqual([
      ["critical", "unexpected", "aws", "910000004", "arn:aws:iam::000000000000:role/shadow"],
      ["critical", "unexpected", "azure", null, expectation.context.storageAccountScope],
      ["critical", "unexpected", "azure", null, "outbound:/nordlys"],
      ["critical", "unexpected", "azure", null, "sg-skyporten-test-inbound-write"],
    ]);
  });

  it("retries 429 (Retry-After) and 503 on every service, and the result is complete", async () => {
    doubles = await startDoubles(settings, state);
    const throttled = (code: string) => JSON.stringify({ error: { code, message: "throttled" } });
    doubles.arm.inject({
      when: /GET .*userAssignedIdentities\?/,
      status: 429,
      headers: { "retry-after": "1", "content-type": "application/json" },
      body: throttled("TooManyRequests"),
    });
    doubles.arm.inject({
      when: /GET .*roleAssignments/,
      status: 503,
      headers: { "content-type": "application/json" },
      body: throttled("ServiceUnavailable"),
    });
    doubles.graph.inject({
      when: /GET \/v1\.0\/groups\?/,
      status: 429,
      headers: { "retry-after": "0", "content-type": "application/json" },
      body: graphError(429, "TooManyRequests", "throttled").body,
    });
    doubles.graph.inject({
      when: /members/,
      status: 503,
      headers: { "retry-after": "0", "content-type": "application/json" },
      body: graphError(503, "serviceNotAvailable", "busy").body,
    });
    doubles.dfs.inject({
      when: (r) => r.action === "getAccessControl",
      times: 1,
      respond: { status: 429, code: "ServerBusy", headers: { "retry-after": "0" } },
    });
    doubles.dfs.inject({
      when: (r) => r.action === "getAccessControl",
      times: 1,
      respond: { status: 503, code: "ServerBusy" },
    });
    doubles.iam.inject({
      when: /POST/,
      status: 400,
      headers: { "content-type": "text/xml" },
      body: iamError(400, "Throttling", "Rate exceeded").body,
    });
    doubles.iam.inject({
      when: /POST/,
      status: 503,
      headers: { "content-type": "text/xml" },
      body: iamError(503, "ServiceUnavailable", "busy").body,
    });
    const { observed, unreadable } = await collectLive(
      "test",
      settings,
      manifest,
      sourcesFor(doubles, settings),
    );
    expect(unreadable).toEqual([]);
    expect(compareAccess(expectation, observed)).toEqual([]);
    expect(doubles.arm.count(/GET .*userAssignedIdentities\?api-version=[^& ]* $/)).toBe(2);
    expect(doubles.graph.count(/GET \/v1\.0\/groups\?(?!.*skiptoken)/)).toBe(2);
    expect(doubles.iam.requests.filter((r) => /Action=ListOpenIDConnectProviders/.test(r.body))).toHaveLength(
      3,
    );
  });

  it("a 403 leaves that source unreadable, naming the missing permission, while the others are read and judged", async () => {
    state.azure!.groups.find((g) => g.name === "sg-skyporten-test-inbound-write")!.memberIds.push(FOREIGN);
    doubles = await startDoubles(settings, state);
    const scope = expectation.context.storageAccountScope;
    doubles.arm.inject({
      when: /roleAssignments/,
      status: 403,
      headers: { "content-type": "application/json" },
      body: armForbidden("Microsoft.Authorization/roleAssignments/read", scope),
      times: 99,
    });
    doubles.iam.inject({
      when: /Action=ListRoles/,
      status: 403,
      headers: { "content-type": "text/xml" },
      body: iamError(
        403,
        "AccessDenied",
        "User: arn:aws:sts::000000000000:assumed-role/audit/x is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::000000000000:role/ because no identity-based policy allows the iam:ListRoles action",
      ).body,
      times: 99,
    });
    const { observed, unreadable } = await collectLive(
      "test",
      settings,
      manifest,
      sourcesFor(doubles, settings),
    );
    expect(unreadable.map((u) => u.source)).toEqual(["azure.roleAssignments", "aws.roles"]);
    expect(unreadable[0]!.reason).toBe(
      `access denied (HTTP 403 AuthorizationFailed The client 'aaaaaaaa-0000-4000-8000-000000000001' with object id 'aaaaaaaa-0000-4000-8000-000000000001' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/read' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.): the auditing principal needs Microsoft.Authorization/roleAssignments/read on the storage account (built-in role Reader on the storage account)`,
    );
    expect(unreadable[1]!.reason).toMatch(
      /^access denied \(HTTP 403 AccessDenied User: .* is not authorized to perform: iam:ListRoles .*\): the auditing principal needs iam:ListRoles, iam:ListRolePolicies, iam:GetRolePolicy and iam:ListAttachedRolePolicies/,
    );
    // What could not be read is not judged (no "missing" for every role assignment or role); the rest is.
    expect(
      compareAccess(
        expectation,
        observed,
        unreadable.map((u) => u.source),
      ).map((f) => [f.severity, f.subject]),
    ).toEqual([["critical", "sg-skyporten-test-inbound-write"]]);
    expect(observed.azure!.identities).toHaveLength(4);
  });

  it("app-registration identities are read from Graph: applications, their federated credentials, the service principal", async () => {
    const appSettings: Settings = {
      ...settings,
      azure: { ...settings.azure, identityKind: "app-registration" },
    };
    doubles = await startDoubles(appSettings, state);
    doubles.arm.identities = [];
    doubles.graph.applications = state.azure!.identities.map((i, n) => ({
      ...i,
      objectId: `${String(n).padStart(8, "0")}-1111-4111-8111-111111111111`,
    }));
    doubles.graph.applications[0]!.federatedCredentials.push({
      name: "extra",
      issuer: "https://test.sky.maskinporten.no",
      subject: "0192:910000004;banenor:payloadmanager.storage",
      audiences: ["https://skyporten.test.banenor.example.no"],
    });
    const { observed, unreadable } = await collectLive(
      "test",
      appSettings,
      manifest,
      sourcesFor(doubles, appSettings),
    );
    expect(unreadable).toEqual([]);
    expect(doubles.arm.count(/userAssignedIdentities/)).toBe(0);
    expect(
      compareAccess(expectation, observed).map((f) => [f.severity, f.kind, f.orgNumber, f.subject]),
    ).toEqual([["critical", "unexpected", "917422575", "id-skyporten-test-917422575/extra"]]);
  });

  it("a stack with nameKey dev reads only its own groups and applications from a tenant it shares with the test stack", async () => {
    const devSettings: Settings = {
      ...settings,
      nameKey: "dev",
      azure: { ...settings.azure, identityKind: "app-registration" },
    };
    const devExpectation = expectedState("dev", devSettings, manifest);
    const devState = deployed(devExpectation);
    doubles = await startDoubles(devSettings, devState);
    doubles.arm.identities = [];
    const apps = (identities: readonly ObservedIdentity[], tag: string) =>
      identities.map((i, n) => ({ ...i, objectId: `${String(n).padStart(8, "0")}-${tag}-4111-8111-111111111111` }));
    // The test stack's objects sit in the same tenant: same issuer, other names.
    doubles.graph.applications = [...apps(devState.azure!.identities, "1111"), ...apps(state.azure!.identities, "2222")];
    doubles.graph.groups = [...devState.azure!.groups, ...state.azure!.groups];
    const { observed, unreadable } = await collectLive("dev", devSettings, manifest, sourcesFor(doubles, devSettings));
    expect(unreadable).toEqual([]);
    const filters = doubles.graph.requests.flatMap((r) => {
      const f = new URL(r.url, "http://graph").searchParams.get("$filter");
      return f === null ? [] : [f];
    });
    expect(new Set(filters.filter((f) => f.startsWith("startswith")))).toEqual(
      new Set(["startswith(displayName,'sg-skyporten-dev-')", "startswith(displayName,'id-skyporten-dev-')"]),
    );
    expect(observed.azure!.groups.map((g) => g.name).sort()).toEqual(devState.azure!.groups.map((g) => g.name).sort());
    expect(observed.azure!.identities.map((i) => i.name).sort()).toEqual(
      devState.azure!.identities.map((i) => i.name).sort(),
    );
    expect(compareAccess(devExpectation, observed)).toEqual([]);
  });

  it("refuses a Graph nextLink to another host instead of sending the token there", () => {
    expect(
      graphPathOf("https://graph.microsoft.com", "https://graph.microsoft.com/v1.0/groups?$skiptoken=x"),
    ).toBe("/groups?$skiptoken=x");
    expect(() => graphPathOf("https://graph.microsoft.com", "https://evil.example/v1.0/groups")).toThrow(
      "Microsoft Graph answered with a nextLink to another host (https://evil.example); not followed",
    );
  });
});

describe("scope access list from Digdir (the stack's client code against the fake Digdir)", () => {
  const KEY = testKey();
  let fake: FakeDigdir | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("an APPROVED suspended organization is found; a 403 names idporten:scopes.write", async () => {
    fake = await startFakeDigdir({
      publicKey: KEY.publicKey,
      clientId: "admin",
      keyId: "kid",
      audience: "https://test.maskinporten.no/",
      scopes: [settings.scope],
      knownOrgs: ["917422575", "910000012", "934567811", "812345672"],
    });
    const managed: Settings = {
      ...settings,
      maskinporten: {
        ...settings.maskinporten,
        manageScopeAccess: true,
        adminClientId: "admin",
        adminKeyId: "kid",
        apiBaseUrl: fake.url,
        tokenEndpoint: fake.tokenEndpoint,
        tokenAudience: "https://test.maskinporten.no/",
      },
    };
    const conn = auditConnection(managed, { privateKey: KEY.pem, maxAttempts: 3, retryBaseDelayMs: 5 });
    for (const org of ["917422575", "910000012", "934567811", "812345672"]) {
      const res = await fetch(
        `${fake.url}/api/v1/scopes/access/${org}?scope=${encodeURIComponent(settings.scope)}`,
        { method: "PUT", headers: { authorization: `Bearer ${await adminToken(conn)}` } },
      );
      expect(res.status).toBe(200);
    }
    fake.failNext({ method: "GET", path: "/api/v1/scopes/access", status: 429, retryAfter: "0" });
    const { observed, unreadable } = await collectLive("test", managed, manifest, {
      azure: { unavailable: "not in this test" },
      iam: { unavailable: "not in this test" },
      maskinporten: conn,
    });
    expect(unreadable.map((u) => u.source)).toEqual([
      "azure.identities",
      "azure.groups",
      "azure.roleAssignments",
      "azure.acls",
      "aws.oidcProviders",
      "aws.roles",
      "aws.bucketPolicies",
    ]);
    const e = sampleExpectation("test");
    expect(
      compareAccess(
        e,
        observed,
        unreadable.map((u) => u.source),
      ),
    ).toEqual([
      {
        severity: "critical",
        kind: "unexpected",
        cloud: "maskinporten",
        orgNumber: "812345672",
        subject: "scope banenor:payloadmanager.storage",
        message:
          "organization 812345672 is still APPROVED for banenor:payloadmanager.storage although it is suspended: it can still get Skyporten tokens for the platform; revoke it (DELETE /api/v1/scopes/access/812345672?scope=...) or in Samarbeidsportalen",
      },
      {
        severity: "warning",
        kind: "missing",
        cloud: "maskinporten",
        orgNumber: "921345674",
        subject: "scope banenor:payloadmanager.storage",
        message:
          "organization 921345674 is active in the manifest but not APPROVED for banenor:payloadmanager.storage (no entry): it cannot get Skyporten tokens; grant the access",
      },
    ]);

    fake.failNext({
      method: "GET",
      path: "/api/v1/scopes/access",
      status: 403,
      body: '{"error":"forbidden"}',
    });
    const denied = await collectLive("test", managed, manifest, {
      azure: { unavailable: "x" },
      iam: { unavailable: "x" },
      maskinporten: conn,
    });
    expect(denied.unreadable.at(-1)).toEqual({
      source: "maskinporten.consumers",
      reason: expect.stringMatching(
        /^access denied \(HTTP 403 .*idporten:scopes\.write.*\): the auditing principal needs a Maskinporten token of the platform's admin client with scope idporten:scopes.write/,
      ) as unknown,
    });
    expect(denied.observed.maskinporten).toBeUndefined();
  });
});
