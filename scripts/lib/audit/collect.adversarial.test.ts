import { afterEach, describe, expect, it } from "vitest";
import { compareAccess } from "../../../infra/audit";
import { FOREIGN } from "../../../infra/audit/plantTable";
import { deployed, sampleExpectation, sampleStack } from "../../../infra/audit/testing";
import { ROLE_DEFINITION_IDS } from "../../../infra/azure/model";
import type { Settings } from "../../../infra/settings";
import { collectLive } from "./collect";
import { sourcesFor, startDoubles, stopDoubles, type Doubles } from "./testing/doubles";

/**
 * Live collection against access placed where the manifest does not look: a container of the stack's storage
 * account that the manifest does not declare (made in the portal, or dropped from the manifest while its data
 * stays: containers are never deleted by onboarding changes).
 */

const { settings, manifest } = sampleStack("test");
const expectation = sampleExpectation("test");
let doubles: Doubles | undefined;

/** Everything the doubles hold, collected as the audit does. */
const live = (s: Settings = settings) => collectLive("test", s, manifest, sourcesFor(doubles!, s));

afterEach(async () => {
  await stopDoubles(doubles);
  doubles = undefined;
});

describe("collectLive: role assignments below the account on containers the manifest does not declare", () => {
  it("a partner's and a foreign principal's data roles on an undeclared container are read and critical", async () => {
    const state = deployed(expectation);
    const archive = `${expectation.context.storageAccountScope}/blobServices/default/containers/archive`;
    const partner = state.azure!.identities.find(
      (i) => i.name === "id-skyporten-test-910000012",
    )!.principalId;
    const role = `/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/${ROLE_DEFINITION_IDS.storageBlobDataContributor}`;
    state.azure!.roleAssignments.push(
      { scope: archive, roleDefinitionId: role, principalId: partner },
      { scope: archive, roleDefinitionId: role, principalId: FOREIGN },
    );
    doubles = await startDoubles(settings, state);
    const { observed, unreadable } = await live();
    expect(unreadable).toEqual([]);
    expect(
      compareAccess(expectation, observed).map((f) => [f.severity, f.kind, f.orgNumber, f.subject]),
    ).toEqual([
      ["critical", "unexpected", null, archive],
      ["critical", "unexpected", "910000012", archive],
    ]);
  });
});

describe("collectLive: app-registration identities with a secret or a certificate", () => {
  it("a client secret on a partner's application and a certificate on its service principal are critical", async () => {
    const appSettings: Settings = {
      ...settings,
      azure: { ...settings.azure, identityKind: "app-registration" },
    };
    const state = deployed(expectation);
    doubles = await startDoubles(appSettings, state);
    doubles.arm.identities = [];
    doubles.graph.applications = state.azure!.identities.map((i, n) => ({
      ...i,
      objectId: `${String(n).padStart(8, "0")}-1111-4111-8111-111111111111`,
    }));
    const nordlys = doubles.graph.applications.find((a) => a.name === "id-skyporten-test-910000012")!;
    nordlys.passwordCredentials = [{ keyId: "5e3c0d1a-0000-4000-8000-00000000aaaa", displayName: "backup" }];
    nordlys.servicePrincipalKeyCredentials = [
      { keyId: "5e3c0d1a-0000-4000-8000-00000000bbbb", displayName: "CN=x" },
    ];
    const { observed, unreadable } = await live(appSettings);
    expect(unreadable).toEqual([]);
    expect(compareAccess(expectation, observed)).toEqual([
      {
        severity: "critical",
        kind: "unexpected",
        cloud: "azure",
        orgNumber: "910000012",
        subject: "id-skyporten-test-910000012/certificate 5e3c0d1a-0000-4000-8000-00000000bbbb",
        message:
          'identity id-skyporten-test-910000012 has a certificate (5e3c0d1a-0000-4000-8000-00000000bbbb, "CN=x"): whoever holds it can act as organization 910000012 (active in the manifest) without Skyporten; partners log in only with the federated credential: remove it and find out who added it',
      },
      {
        severity: "critical",
        kind: "unexpected",
        cloud: "azure",
        orgNumber: "910000012",
        subject: "id-skyporten-test-910000012/client secret 5e3c0d1a-0000-4000-8000-00000000aaaa",
        message:
          'identity id-skyporten-test-910000012 has a client secret (5e3c0d1a-0000-4000-8000-00000000aaaa, "backup"): whoever holds it can act as organization 910000012 (active in the manifest) without Skyporten; partners log in only with the federated credential: remove it and find out who added it',
      },
    ]);
  });
});

describe("collectLive: bucket policies of the manifest's buckets", () => {
  it("a statement added in the console for a partner's role on the whole bucket is read and critical; a bucket without a policy a warning", async () => {
    const state = deployed(expectation);
    const role = state.aws!.roles.find((r) => r.name === "skyporten-test-921345674")!.arn;
    (state.aws!.bucketPolicies![0]!.policy!.Statement as unknown[]).push({
      Sid: "console",
      Effect: "Allow",
      Principal: { AWS: role },
      Action: ["s3:GetObject", "s3:ListBucket"],
      Resource: ["arn:aws:s3:::banenor-payload-test", "arn:aws:s3:::banenor-payload-test/*"],
    });
    doubles = await startDoubles(settings, state);
    const { observed, unreadable } = await live();
    expect(unreadable).toEqual([]);
    expect(doubles.s3.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /banenor-payload-test/?policy=",
    ]);
    expect(compareAccess(expectation, observed).map((f) => [f.severity, f.kind, f.cloud, f.subject])).toEqual(
      [["critical", "changed", "aws", "arn:aws:s3:::banenor-payload-test"]],
    );
    doubles.s3.buckets[0]!.policy = null;
    const again = await live();
    expect(compareAccess(expectation, again.observed).map((f) => [f.severity, f.kind, f.subject])).toEqual([
      ["warning", "missing", "arn:aws:s3:::banenor-payload-test"],
    ]);
  });
});

describe("collectLive: a throttled ARM that asks to come back in an hour", () => {
  it("is not waited for: that source is reported unreadable at once (exit 2), the others are read", async () => {
    doubles = await startDoubles(settings, deployed(expectation));
    doubles.arm.inject({
      when: /GET .*roleAssignments/,
      status: 429,
      headers: { "retry-after": "3600", "content-type": "application/json" },
      body: JSON.stringify({ error: { code: "TooManyRequests", message: "throttled" } }),
    });
    const started = Date.now();
    const { observed, unreadable } = await live();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(unreadable).toEqual([
      { source: "azure.roleAssignments", reason: "could not be read: HTTP 429 TooManyRequests throttled" },
    ]);
    expect(observed.azure!.identities.length).toBeGreaterThan(0);
  }, 20_000);
});
