import { describe, expect, it } from "vitest";
import { FIXTURE_TENANT, settingsFixture } from "./settings/testFixture";
import type { Partner } from "./manifest/schema";
import { PAYLOAD_MANAGER_RULES } from "./settings/gateway";
import { tokenRequestFor } from "./tokenRequest";
import {
  gatewayFacts,
  OutputsError,
  parseStackOutputs,
  partnerFacts,
  tokenExpectations,
  type PartnerOutputEntry,
} from "./partnerFacts";

const TENANT = FIXTURE_TENANT;

const settings = settingsFixture;

function partner(p: Partial<Partner> & { orgNumber: string }): Partner {
  return { name: "Partner AS", status: "active", azure: [], aws: [], ...p };
}

const both = partner({
  orgNumber: "917422575",
  name: "Entur AS",
  contact: "data@entur.example",
  azure: [
    { container: "exchange", access: "read-write" },
    { container: "outbound", access: "read", path: "entur/reports" },
  ],
  aws: [{ bucket: "payload", prefix: "entur/", access: "write" }],
});

describe("partnerFacts", () => {
  it("a stack with nameKey dev: names carry dev, the environment and issuer stay test", () => {
    const f = partnerFacts(settings({ nameKey: "dev" }), both);
    expect([f.environment, f.issuer]).toEqual(["test", "https://test.sky.maskinporten.no"]);
    expect(f.azure?.identityName).toBe("id-skyporten-dev-917422575");
    expect(f.aws?.roleName).toBe("skyporten-dev-917422575");
    expect(f.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/skyporten/skyporten-dev-917422575");
  });

  it("gives every value a partner with Azure and AWS grants needs, offline (no client id)", () => {
    expect(partnerFacts(settings(), both)).toEqual({
      environment: "test",
      orgNumber: "917422575",
      name: "Entur AS",
      status: "active",
      contact: "data@entur.example",
      consumerId: "0192:917422575",
      issuer: "https://test.sky.maskinporten.no",
      discoveryUrl: "https://test.sky.maskinporten.no/.well-known/openid-configuration",
      tokenEndpoint: "https://test.sky.maskinporten.no/token",
      scope: "banenor:payloadmanager.storage",
      audience: "https://skyporten.test.example.no",
      subject: "0192:917422575;banenor:payloadmanager.storage",
      tokenRequest: tokenRequestFor(settings()),
      azure: {
        exchangeEnabled: true,
        tenantId: TENANT,
        identityName: "id-skyporten-test-917422575",
        federatedCredentialName: "skyporten-917422575",
        clientId: null,
        storageAccount: "stsky",
        blobEndpoint: "https://stsky.blob.core.windows.net",
        dfsEndpoint: "https://stsky.dfs.core.windows.net",
        gateway: null,
        grants: [
          {
            container: "exchange",
            path: null,
            access: "read-write",
            url: "https://stsky.dfs.core.windows.net/exchange",
            gatewayUrl: null,
          },
          {
            container: "outbound",
            path: "entur/reports",
            access: "read",
            url: "https://stsky.dfs.core.windows.net/outbound/entur/reports",
            gatewayUrl: null,
          },
        ],
      },
      aws: {
        exchangeEnabled: true,
        roleName: "skyporten-test-917422575",
        roleArn: "arn:aws:iam::123456789012:role/skyporten/skyporten-test-917422575",
        providerArn: "arn:aws:iam::123456789012:oidc-provider/test.sky.maskinporten.no",
        region: "eu-north-1",
        maxSessionDurationSeconds: 3600,
        grants: [{ bucket: "payload", prefix: "entur/", access: "write", s3Uri: "s3://payload/entur/" }],
      },
      maskinporten: {
        scopeAccessManaged: false,
        text:
          "Maskinporten scope access is not managed by this stack (skyporten-onboarding:maskinporten.manageScopeAccess is false): grant it by hand. " +
          'In Samarbeidsportalen (https://samarbeid.digdir.no), Maskinporten self-service, test environment, open the API (scope) "banenor:payloadmanager.storage" ' +
          "and give organization 917422575 access. Or call Digdir's self-service API with an admin-client token holding idporten:scopes.write: " +
          "PUT https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage (no body). " +
          "Until then the partner cannot add the scope to its Maskinporten client and gets no Skyporten token.",
      },
      notices: [
        "the client id is assigned at deployment: pass the deployed stack's outputs (--outputs) to include it",
      ],
      mismatches: [],
    });
  });

  it("Azure-only: no AWS facts; AWS-only: no Azure facts and no client-id notice", () => {
    const az = partnerFacts(
      settings(),
      partner({ orgNumber: "910000012", azure: [{ container: "inbound", access: "write" }] }),
    );
    expect(az.aws).toBeNull();
    expect(az.azure?.identityName).toBe("id-skyporten-test-910000012");
    const aws = partnerFacts(
      settings(),
      partner({ orgNumber: "921345674", aws: [{ bucket: "payload", prefix: "fjord/", access: "read" }] }),
    );
    expect(aws.azure).toBeNull();
    expect(aws.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/skyporten/skyporten-test-921345674");
    expect(aws.notices).toEqual([]);
  });

  it("suspended: the identity and the role ARN are kept but no exchange is enabled; offboarded: nothing", () => {
    const suspended = partnerFacts(settings(), { ...both, status: "suspended" });
    expect(suspended.azure?.exchangeEnabled).toBe(false);
    expect(suspended.aws?.exchangeEnabled).toBe(false);
    expect(suspended.aws?.roleArn).toBe("arn:aws:iam::123456789012:role/skyporten/skyporten-test-917422575");
    expect(suspended.maskinporten.text).toMatch(
      /^Maskinporten scope access is not managed by this stack .*: revoke it by hand\./,
    );
    const offboarded = partnerFacts(settings(), { ...both, status: "offboarded" });
    expect([offboarded.azure, offboarded.aws]).toEqual([null, null]);
  });

  it("with the AWS variant off, AWS grants produce no facts but a notice", () => {
    const f = partnerFacts(
      settings({ aws: { enabled: false, region: "eu-north-1", accountId: "123456789012" } }),
      both,
    );
    expect(f.aws).toBeNull();
    expect(f.notices[0]).toBe(
      "organization 917422575 has AWS grants, but this stack's AWS variant is off (aws.enabled is false): nothing is deployed on AWS for it",
    );
  });

  it("uses an adopted OIDC provider ARN, a custom role path and the partition of the region", () => {
    const f = partnerFacts(
      settings({
        aws: {
          region: "cn-north-1",
          accountId: "123456789012",
          rolePath: "/partners/",
          oidcProviderArn: "arn:aws-cn:iam::123456789012:oidc-provider/test.sky.maskinporten.no",
        },
      }),
      both,
    );
    expect(f.aws?.roleArn).toBe("arn:aws-cn:iam::123456789012:role/partners/skyporten-test-917422575");
    expect(f.aws?.providerArn).toBe("arn:aws-cn:iam::123456789012:oidc-provider/test.sky.maskinporten.no");
  });

  it("says when the stack manages the scope access itself", () => {
    const f = partnerFacts(
      settings({ maskinporten: { manageScopeAccess: true, adminClientId: "admin", adminKeyId: "kid" } }),
      both,
    );
    expect(f.maskinporten).toEqual({
      scopeAccessManaged: true,
      text: 'Maskinporten scope access for organization 917422575 to "banenor:payloadmanager.storage" is granted by this stack (PUT https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage).',
    });
  });

  it("prod uses the prod issuer, names and endpoints", () => {
    const f = partnerFacts(settings({ environment: "prod", issuer: "https://sky.maskinporten.no" }), both);
    expect([f.issuer, f.tokenEndpoint, f.azure?.identityName, f.aws?.roleArn, f.aws?.providerArn]).toEqual([
      "https://sky.maskinporten.no",
      "https://sky.maskinporten.no/token",
      "id-skyporten-prod-917422575",
      "arn:aws:iam::123456789012:role/skyporten/skyporten-prod-917422575",
      "arn:aws:iam::123456789012:oidc-provider/sky.maskinporten.no",
    ]);
  });
});

describe("partnerFacts with deployed outputs", () => {
  const deployed = (): PartnerOutputEntry => ({
    name: "Entur AS",
    status: "active",
    issuer: "https://test.sky.maskinporten.no",
    subject: "0192:917422575;banenor:payloadmanager.storage",
    audience: "https://skyporten.test.example.no",
    azure: {
      clientId: "0a1b2c3d-0000-4000-8000-000000000001",
      principalId: "0a1b2c3d-0000-4000-8000-00000000000f",
      tenantId: TENANT,
      storageAccount: "stsky",
      blobEndpoint: "https://stsky.blob.core.windows.net",
      dfsEndpoint: "https://stsky.dfs.core.windows.net",
      grants: [
        { container: "outbound", access: "read", path: "entur/reports" },
        { container: "exchange", access: "read-write" },
      ],
    },
    aws: {
      roleArn: "arn:aws:iam::123456789012:role/skyporten/skyporten-test-917422575",
      providerArn: "arn:aws:iam::123456789012:oidc-provider/test.sky.maskinporten.no",
      region: "eu-north-1",
      grants: [{ bucket: "payload", prefix: "entur/", access: "write" }],
    },
  });

  it("takes the client id from the outputs and finds no mismatch when they match (grant order aside)", () => {
    const f = partnerFacts(settings(), both, deployed());
    expect(f.azure?.clientId).toBe("0a1b2c3d-0000-4000-8000-000000000001");
    expect(f.mismatches).toEqual([]);
    expect(f.notices).toEqual([]);
    // The object id never reaches the facts: partners log in with the client id.
    expect(JSON.stringify(f)).not.toContain("00000000000f");
  });

  it("names every difference between the deployed stack and the files", () => {
    const out = deployed();
    out.issuer = "https://test.sky.maskinporten.no/";
    out.status = "suspended";
    out.azure!.grants = [{ container: "exchange", access: "read" }];
    out.aws!.roleArn = "arn:aws:iam::123456789012:role/skyporten/other";
    expect(partnerFacts(settings(), both, out).mismatches).toEqual([
      'organization 917422575: status: deployed "suspended", the stack files say "active"',
      'organization 917422575: issuer: deployed "https://test.sky.maskinporten.no/", the stack files say "https://test.sky.maskinporten.no"',
      "organization 917422575: azure.grants: deployed [exchange/:read], the manifest says [exchange/:read-write, outbound/entur/reports:read]",
      'organization 917422575: aws.roleArn: deployed "arn:aws:iam::123456789012:role/skyporten/other", the stack files say "arn:aws:iam::123456789012:role/skyporten/skyporten-test-917422575"',
    ]);
  });

  it("a partner whose grants are not deployed yet is a mismatch; a suspended partner without a role is not", () => {
    const out = deployed();
    delete out.azure;
    delete out.aws;
    const f = partnerFacts(settings(), both, out);
    expect(f.mismatches).toEqual([
      "organization 917422575: azure: the manifest grants Azure access, but no Azure identity is deployed",
      "organization 917422575: aws: the manifest grants AWS access, but no role is deployed",
    ]);
    expect(f.notices).toEqual([
      "the stack outputs have no Azure identity for organization 917422575: deploy first (pulumi up), then export the outputs again",
    ]);
    const suspended = deployed();
    suspended.status = "suspended";
    delete suspended.aws;
    expect(partnerFacts(settings(), { ...both, status: "suspended" }, suspended).mismatches).toEqual([]);
  });
});

describe("tokenExpectations", () => {
  it("is defined for any organization, onboarded or not", () => {
    expect(tokenExpectations(settings(), "123456785")).toEqual({
      issuer: "https://test.sky.maskinporten.no",
      discoveryUrl: "https://test.sky.maskinporten.no/.well-known/openid-configuration",
      tokenEndpoint: "https://test.sky.maskinporten.no/token",
      scope: "banenor:payloadmanager.storage",
      audience: "https://skyporten.test.example.no",
      subject: "0192:123456785;banenor:payloadmanager.storage",
      consumerId: "0192:123456785",
    });
  });
});

describe("parseStackOutputs", () => {
  it("reads `pulumi stack output --json` and ignores other outputs and unknown fields", () => {
    const text = JSON.stringify({
      other: 1,
      partners: { "917422575": { name: "Entur AS", extra: true, azure: { clientId: "c", tenantId: "t" } } },
    });
    expect(parseStackOutputs(text, "out.json")).toEqual({
      "917422575": { name: "Entur AS", extra: true, azure: { clientId: "c", tenantId: "t" } },
    });
  });

  it("names the file, the field and the fix", () => {
    const fix = "pass the file written by `pulumi stack output --json > out.json`";
    expect(() => parseStackOutputs("not json", "out.json")).toThrow(
      new OutputsError(`out.json: not JSON; ${fix}`),
    );
    expect(() => parseStackOutputs("{}", "out.json")).toThrow(
      new OutputsError(`out.json: partners: the outputs have no \`partners\` object; ${fix}`),
    );
    expect(() =>
      parseStackOutputs(
        JSON.stringify({ partners: { "917422575": { azure: { clientId: 5, tenantId: "t" } } } }),
        "out.json",
      ),
    ).toThrow(
      new OutputsError(
        `out.json: partners.917422575.azure.clientId: Invalid input: expected string, received number; ${fix}`,
      ),
    );
  });
});

describe("gateway facts", () => {
  const GATEWAY = "https://test.api.apps.banenor.no/payload-manager/v1";
  const withGateway = () =>
    settings({
      azure: {
        tenantId: TENANT,
        subscriptionId: "99999999-8888-4777-8666-555555555555",
        resourceGroupName: "rg-sky",
        storageAccountName: "bnplmextnwesttest",
        gateway: { url: GATEWAY },
      },
    });

  it("carry the gateway URL, the token audience, the API version, the SDK's blob-name root and the rules", () => {
    expect(gatewayFacts(withGateway())).toEqual({
      url: GATEWAY,
      tokenAudience: "https://bnplmextnwesttest.blob.core.windows.net",
      blobApiVersion: "2025-01-05",
      sdkBlobNameRoot: "v1",
      retentionDays: 8,
      maxRequestMegabytes: 100,
      fileNameCharacters: "[a-zA-Z0-9.-]",
      allowedFileTypes: [...PAYLOAD_MANAGER_RULES.allowedFileTypes],
    });
    expect(PAYLOAD_MANAGER_RULES.allowedFileTypes.slice(0, 6)).toEqual(["txt", "csv", "log", "json", "xml", "md"]);
    expect(gatewayFacts(settings())).toBeNull();
  });

  it("grants name their URL through the gateway; a host-only gateway has no blob-name root", () => {
    const f = partnerFacts(withGateway(), both);
    expect(f.azure!.grants.map((g) => g.gatewayUrl)).toEqual([
      `${GATEWAY}/exchange`,
      `${GATEWAY}/outbound/entur/reports`,
    ]);
    const hostOnly = settings({
      azure: {
        tenantId: TENANT,
        subscriptionId: "99999999-8888-4777-8666-555555555555",
        resourceGroupName: "rg-sky",
        storageAccountName: "stsky",
        gateway: { url: "https://files.example.no" },
      },
    });
    expect(gatewayFacts(hostOnly)?.sdkBlobNameRoot).toBeNull();
  });
});
