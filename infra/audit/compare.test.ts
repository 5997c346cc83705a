import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareAccess } from "./compare";
import type { Finding } from "./findings";
import type { AccessState } from "./observed";
import {
  FOREIGN,
  PLANTS,
  PLATFORM,
  groupOf,
  identityOf,
  plantEverything,
  roleOf,
  testStackExpectation,
} from "./plantTable";
import { deployed, sampleExpectation } from "./testing";

const testExpectation = testStackExpectation;

/** Exactly the finding(s) each planted change must produce, and nothing else. */
const EXPECTED: Record<keyof typeof PLANTS, Finding[]> = {
  "extra federated credential": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "917422575",
      subject: "id-skyporten-test-917422575/backup-login",
      message:
        "federated credential backup-login on identity id-skyporten-test-917422575 is not in the manifest (issuer https://token.actions.githubusercontent.com, subject repo:someone/else:ref:refs/heads/main, audiences [api://AzureADTokenExchange]): whoever holds such a token can act as organization 917422575 (active in the manifest); delete the credential and find out who added it",
    },
  ],
  "federated credential admitting another subject": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "azure",
      orgNumber: "917422575",
      subject: "id-skyporten-test-917422575/skyporten-917422575",
      message:
        "federated credential skyporten-917422575 on identity id-skyporten-test-917422575 admits issuer https://test.sky.maskinporten.no, subject 0192:999999995;banenor:payloadmanager.storage, audiences [https://skyporten.test.banenor.example.no], the manifest says issuer https://test.sky.maskinporten.no, subject 0192:917422575;banenor:payloadmanager.storage, audiences [https://skyporten.test.banenor.example.no]: it admits tokens the manifest does not; run pulumi up to restore it",
    },
  ],
  "federated credential missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: "910000012",
      subject: "id-skyporten-test-910000012/skyporten-910000012",
      message:
        "federated credential skyporten-910000012 on identity id-skyporten-test-910000012 is missing: the partner cannot log in; run pulumi up",
    },
  ],
  "federated credential on a suspended partner's identity": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "812345672",
      subject: "id-skyporten-test-812345672/skyporten-812345672",
      message:
        "federated credential skyporten-812345672 on identity id-skyporten-test-812345672 is not in the manifest (issuer https://test.sky.maskinporten.no, subject 0192:812345672;banenor:payloadmanager.storage, audiences [https://skyporten.test.banenor.example.no]): whoever holds such a token can act as organization 812345672 (suspended in the manifest); delete the credential and find out who added it",
    },
  ],
  "identity missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: "812345672",
      subject: "id-skyporten-test-812345672",
      message:
        "identity id-skyporten-test-812345672 does not exist: run pulumi up (a re-created identity has a new client id: hand the partner the new one)",
    },
  ],
  "foreign identity trusting Skyporten": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "910000004",
      subject: "id-sandbox/sky",
      message:
        "federated credential sky on identity id-sandbox, which the manifest does not expect, admits issuer https://test.sky.maskinporten.no, subject 0192:910000004;banenor:payloadmanager.storage, audiences [https://skyporten.test.banenor.example.no] (organization 910000004, which the manifest does not name): delete the credential and find out who created the identity",
    },
  ],
  "foreign group member": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject: "sg-skyporten-test-inbound-write",
      message:
        "unknown principal 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d is a member of sg-skyporten-test-inbound-write, which the manifest does not grant (a foreign member): remove the member (pulumi up removes only members it manages)",
    },
  ],
  "suspended partner still a group member": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "812345672",
      subject: "sg-skyporten-test-inbound-write",
      message:
        "organization 812345672's identity id-skyporten-test-812345672 (c3e56135-bd71-50bc-b77c-6c5f39188901) is a member of sg-skyporten-test-inbound-write, which the manifest does not grant (the organization is suspended): remove the member (pulumi up removes only members it manages)",
    },
  ],
  "nested group as member": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject: "sg-skyporten-test-outbound-traverse",
      message:
        "group sg-skyporten-test-inbound-read (c9930d2f-bd0c-5f0c-8b2d-2ab131520679) is a member of sg-skyporten-test-outbound-traverse, which the manifest does not grant (a nested group: its members get the access): remove the member (pulumi up removes only members it manages)",
    },
  ],
  "group member missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: "910000012",
      subject: "sg-skyporten-test-inbound-write",
      message:
        "organization 910000012 is not a member of sg-skyporten-test-inbound-write, which its grant needs: run pulumi up",
    },
  ],
  "group missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest/blobServices/default/containers/outbound",
      message:
        "group sg-skyporten-test-outbound-read does not hold Storage Blob Data Reader on container outbound: the whole-container grants through it do not work; run pulumi up",
    },
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: null,
      subject: "sg-skyporten-test-outbound-read",
      message: "platform group sg-skyporten-test-outbound-read does not exist: run pulumi up",
    },
  ],
  "unknown ACL principal": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject: "outbound:/nordlys",
      message:
        "unknown principal 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d has r-x in the access ACL of path /nordlys of container outbound, which the manifest does not grant: remove the entry",
    },
  ],
  "unknown principal in a default ACL": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject: "outbound:/vestland/reports",
      message:
        "unknown principal 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d has rwx in the default ACL (inherited by new children) of path /vestland/reports of container outbound, which the manifest does not grant: remove the entry (and from the children that inherited it)",
    },
  ],
  "another partner's principal on a granted path": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "934567811",
      subject: "outbound:/nordlys",
      message:
        "organization 934567811's identity id-skyporten-test-934567811 (2a181509-2ef9-5e70-8038-07ed7750e13d) has r-x in the access ACL of path /nordlys of container outbound, which the manifest does not grant: remove the entry",
    },
  ],
  "ACL entry widened": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "azure",
      orgNumber: "910000012",
      subject: "outbound:/nordlys",
      message:
        "organization 910000012's identity id-skyporten-test-910000012 (b85740ee-1404-5878-a44a-05616fb2eeda) has rwx (effective, after the mask) in the access ACL of path /nordlys of container outbound, the manifest says r-x: more access than granted; run pulumi up and remove the extra permission",
    },
  ],
  "ACL entry narrowed by the mask": [
    {
      severity: "warning",
      kind: "changed",
      cloud: "azure",
      orgNumber: "910000012",
      subject: "outbound:/nordlys",
      message:
        "organization 910000012's identity id-skyporten-test-910000012 (b85740ee-1404-5878-a44a-05616fb2eeda) has r-- (effective, after the mask) in the access ACL of path /nordlys of container outbound, the manifest says r-x: less access than granted; run pulumi up (and check the mask)",
    },
  ],
  "ACL entry missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: null,
      subject: "outbound:/vestland",
      message:
        "group sg-skyporten-test-outbound-traverse has no entry in the access ACL of path /vestland of container outbound (the manifest says --x): run pulumi up",
    },
  ],
  "granted path missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: null,
      subject: "outbound:/vestland/reports",
      message:
        "path /vestland/reports of container outbound was not found, so its ACL entries (2) are missing: run pulumi up (it creates the directory)",
    },
  ],
  "other:: opens a path": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject: "inbound:/",
      message:
        "other::r-x in the access ACL of path / of container inbound opens it to every principal that reaches the account without a named entry; set other::---",
    },
  ],
  "partner owns a granted directory": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "910000012",
      subject: "outbound:/nordlys",
      message:
        "organization 910000012's identity id-skyporten-test-910000012 (b85740ee-1404-5878-a44a-05616fb2eeda) is the owning user of path /nordlys of container outbound and has rwx through user:: (an owner can also change the ACL); make a platform principal the owner (set-access-control with x-ms-owner / x-ms-group) or pass it with --platform-principal if it is one",
    },
  ],
  "portal role assignment on a container": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest/blobServices/default/containers/outbound",
      message:
        "unknown principal 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d holds Storage Blob Data Reader on container outbound, which the manifest does not grant (made outside the stack, e.g. in the portal); delete the role assignment",
    },
  ],
  "role assignment above the container on the account": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest",
      message:
        "unknown principal 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d holds Storage Blob Data Owner on the whole storage account, which the manifest does not grant (made outside the stack, e.g. in the portal); delete the role assignment",
    },
  ],
  "partner given a role directly": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: "910000012",
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest/blobServices/default/containers/outbound",
      message:
        "organization 910000012's identity id-skyporten-test-910000012 (b85740ee-1404-5878-a44a-05616fb2eeda) holds Storage Blob Data Reader on container outbound, which the manifest does not grant (made outside the stack, e.g. in the portal): partners get access through the platform groups only; delete the role assignment",
    },
  ],
  "group role widened": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest/blobServices/default/containers/outbound",
      message:
        "group sg-skyporten-test-outbound-read (d2162e7c-ebe4-5d37-86e8-ce6100971844) holds Storage Blob Data Contributor on container outbound, the manifest says Storage Blob Data Reader: more access than granted; run pulumi up and delete the Storage Blob Data Contributor assignment",
    },
  ],
  "role assignment missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest/blobServices/default/containers/entur-exchange",
      message:
        "group sg-skyporten-test-entur-exchange-read-write does not hold Storage Blob Data Contributor on container entur-exchange: the whole-container grants through it do not work; run pulumi up",
    },
  ],
  "platform principal on the account": [
    {
      severity: "notice",
      kind: "unexpected",
      cloud: "azure",
      orgNumber: null,
      subject:
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/bnplmextnwesttest",
      message:
        "platform principal 0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d holds Storage Blob Data Owner on the whole storage account (a platform principal given with --platform-principal); make sure it still needs it",
    },
  ],
  "IAM role outside the stack trusting the provider": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "aws",
      orgNumber: null,
      subject: "arn:aws:iam::000000000000:role/analytics-import",
      message:
        "role analytics-import trusts the Skyporten provider but is not one the stack expects; it admits any subject (no condition on test.sky.maskinporten.no:sub): delete the role, or onboard the organization in the manifest",
    },
  ],
  "trust policy admitting another subject": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "aws",
      orgNumber: "917422575",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575",
      message:
        "the trust policy of role skyporten-test-917422575 admits subjects matching StringLike 0192:*;banenor:payloadmanager.storage; the manifest admits only subject 0192:917422575;banenor:payloadmanager.storage with audience https://skyporten.test.banenor.example.no: run pulumi up to restore it and find out who changed it",
    },
  ],
  "trust policy without audience condition": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "aws",
      orgNumber: "921345674",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-921345674",
      message:
        "the trust policy of role skyporten-test-921345674 admits any audience the provider lists (no condition on test.sky.maskinporten.no:aud); the manifest admits only subject 0192:921345674;banenor:payloadmanager.storage with audience https://skyporten.test.banenor.example.no: run pulumi up to restore it and find out who changed it",
    },
  ],
  "inline policy widened": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "aws",
      orgNumber: "921345674",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-921345674",
      message:
        'inline policy skyporten-s3-access of role skyporten-test-921345674 has statements the manifest does not grant: {"Action":["s3:*"],"Effect":"Allow","Resource":["*"]}; run pulumi up',
    },
  ],
  "inline policy missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "aws",
      orgNumber: "921345674",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-921345674",
      message:
        "role skyporten-test-921345674 has no inline policy skyporten-s3-access: the partner cannot reach its S3 prefixes; run pulumi up",
    },
  ],
  "managed policy attached": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "aws",
      orgNumber: "917422575",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-917422575",
      message:
        "managed policy arn:aws:iam::aws:policy/AdministratorAccess is attached to role skyporten-test-917422575; the manifest grants only the inline S3 policy: detach it",
    },
  ],
  "role missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "aws",
      orgNumber: "921345674",
      subject: "arn:aws:iam::000000000000:role/skyporten/skyporten-test-921345674",
      message:
        "role skyporten-test-921345674 does not exist: the partner cannot reach its S3 prefixes; run pulumi up",
    },
  ],
  "provider accepts another audience": [
    {
      severity: "critical",
      kind: "changed",
      cloud: "aws",
      orgNumber: null,
      subject: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no",
      message:
        "the Skyporten OIDC provider accepts the audience(s) sts.amazonaws.com, which the stack does not use: roles without an aud condition admit such tokens; remove the client id(s)",
    },
  ],
  "provider missing": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "aws",
      orgNumber: null,
      subject: "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no",
      message:
        "the IAM OIDC provider for https://test.sky.maskinporten.no does not exist: no partner can assume its role; run pulumi up",
    },
  ],
  "suspended organization still APPROVED": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "maskinporten",
      orgNumber: "812345672",
      subject: "scope banenor:payloadmanager.storage",
      message:
        "organization 812345672 is still APPROVED for banenor:payloadmanager.storage although it is suspended: it can still get Skyporten tokens for the platform; revoke it (DELETE /api/v1/scopes/access/812345672?scope=...) or in Samarbeidsportalen",
    },
  ],
  "unknown organization APPROVED": [
    {
      severity: "critical",
      kind: "unexpected",
      cloud: "maskinporten",
      orgNumber: "910000004",
      subject: "scope banenor:payloadmanager.storage",
      message:
        "organization 910000004 is still APPROVED for banenor:payloadmanager.storage although it is not in the manifest: it can still get Skyporten tokens for the platform; revoke it (DELETE /api/v1/scopes/access/910000004?scope=...) or in Samarbeidsportalen",
    },
  ],
  "active partner not APPROVED": [
    {
      severity: "warning",
      kind: "missing",
      cloud: "maskinporten",
      orgNumber: "910000012",
      subject: "scope banenor:payloadmanager.storage",
      message:
        "organization 910000012 is active in the manifest but not APPROVED for banenor:payloadmanager.storage (state DENIED): it cannot get Skyporten tokens; grant the access",
    },
  ],
};

describe("compareAccess: planted changes on the test stack", () => {
  const e = testExpectation();

  it("a deployment exactly as declared (other ids, same names) gives no finding", () => {
    const observed = deployed(e);
    expect(observed.azure!.identities[0]!.principalId).not.toBe(e.state.azure!.identities[0]!.principalId);
    expect(compareAccess(e, observed)).toEqual([]);
  });

  it.each(Object.keys(PLANTS))("%s", (name) => {
    const observed = deployed(e);
    PLANTS[name]!(observed, e);
    expect(compareAccess(e, observed)).toEqual(EXPECTED[name]);
  });

  it("covers every kind in every cloud, and each plant yields at least one finding", () => {
    const all = Object.values(EXPECTED).flat();
    expect(Object.values(EXPECTED).every((f) => f.length > 0)).toBe(true);
    expect(new Set(all.map((f) => `${f.cloud}/${f.kind}/${f.severity}`))).toEqual(
      new Set([
        "azure/unexpected/critical",
        "azure/changed/critical",
        "azure/missing/warning",
        "azure/changed/warning",
        "azure/unexpected/notice",
        "aws/unexpected/critical",
        "aws/changed/critical",
        "aws/missing/warning",
        "maskinporten/unexpected/critical",
        "maskinporten/missing/warning",
      ]),
    );
  });
});

describe("compareAccess: what does not grant access is not reported", () => {
  const e = testExpectation();

  it("closed base entries, an owner that is $superuser or a platform principal, and --- entries", () => {
    const o = deployed(e);
    for (const acl of o.azure!.acls) {
      acl.access.push("user::rwx", "group::r-x", "mask::rwx", "other::---");
      acl.default.push("default:user::rwx", "default:group::r-x", "default:other::---");
      acl.owner = "$superuser";
      acl.owningGroup = "$superuser";
    }
    const root = o.azure!.acls.find((a) => a.container === "inbound" && a.path === "/")!;
    root.owner = PLATFORM;
    root.access.push(`user:${FOREIGN}:---`);
    expect(compareAccess(e, o)).toEqual([]);
  });

  it("a named entry cut to --- by the mask grants nothing", () => {
    const o = deployed(e);
    const nordlys = o.azure!.acls.find((a) => a.container === "outbound" && a.path === "/nordlys")!;
    nordlys.access.push(`group:${FOREIGN}:-wx`, "mask::r--");
    const found = compareAccess(e, o);
    expect(found.filter((f) => f.message.includes(FOREIGN))).toEqual([]);
    expect(found.map((f) => `${f.severity}/${f.kind}/${f.orgNumber}`)).toEqual(["warning/changed/910000012"]);
  });

  it("a non-data role above the account, and unrelated IAM roles and providers", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-skyporten-test",
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
      principalId: FOREIGN,
    });
    o.aws!.oidcProviders.push({
      arn: "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com",
      url: "https://token.actions.githubusercontent.com",
      clientIds: ["sts.amazonaws.com"],
    });
    o.aws!.roles.push({
      name: "ci-deploy",
      path: "/",
      arn: "arn:aws:iam::000000000000:role/ci-deploy",
      attachedPolicyArns: [],
      inlinePolicies: {},
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: {
              Federated: "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com",
            },
            Action: "sts:AssumeRoleWithWebIdentity",
          },
        ],
      },
    });
    o.azure!.identities.push({
      name: "id-ci",
      clientId: FOREIGN,
      principalId: FOREIGN,
      federatedCredentials: [
        {
          name: "gh",
          issuer: "https://token.actions.githubusercontent.com",
          subject: "repo:x/y:ref:refs/heads/main",
          audiences: ["api://AzureADTokenExchange"],
        },
      ],
    });
    expect(compareAccess(e, o)).toEqual([]);
  });

  it("a trust policy with the same meaning written differently (order, Sid, one-element lists)", () => {
    const o = deployed(e);
    const role = roleOf(o, "skyporten-test-917422575");
    role.trustPolicy = {
      Statement: {
        Condition: {
          StringEquals: {
            "test.sky.maskinporten.no:aud": ["https://skyporten.test.banenor.example.no"],
            "test.sky.maskinporten.no:sub": ["0192:917422575;banenor:payloadmanager.storage"],
          },
        },
        Action: ["sts:AssumeRoleWithWebIdentity"],
        Principal: { Federated: ["arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no"] },
        Effect: "Allow",
      },
      Version: "2012-10-17",
    };
    const policy = role.inlinePolicies["skyporten-s3-access"]!;
    policy.Statement = [...(policy.Statement as object[])].reverse().map((s) => ({ ...s, Sid: "Renamed" }));
    expect(compareAccess(e, o)).toEqual([]);
  });
});

describe("compareAccess: the prod stack", () => {
  const e = sampleExpectation("prod");

  it("is clean when deployed as declared", () => {
    expect(compareAccess(e, deployed(e))).toEqual([]);
  });

  it("names the prod objects in a planted change", () => {
    const o = deployed(e);
    o.azure!.groups.find((g) => g.name === "sg-skyporten-prod-inbound-write")!.memberIds.push(FOREIGN);
    expect(compareAccess(e, o)).toEqual([
      {
        severity: "critical",
        kind: "unexpected",
        cloud: "azure",
        orgNumber: null,
        subject: "sg-skyporten-prod-inbound-write",
        message: `unknown principal ${FOREIGN} is a member of sg-skyporten-prod-inbound-write, which the manifest does not grant (a foreign member): remove the member (pulumi up removes only members it manages)`,
      },
    ]);
  });
});

describe("compareAccess: role assignments above the account", () => {
  it("a blob data role on the subscription or a management group reaches every container: critical", () => {
    const e = testExpectation();
    const o = deployed(e);
    const reader = "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
    o.azure!.roleAssignments.push(
      {
        scope: "/providers/Microsoft.Management/managementGroups/banenor",
        roleDefinitionId: reader,
        principalId: FOREIGN,
      },
      {
        scope: "/subscriptions/00000000-0000-0000-0000-000000000000",
        roleDefinitionId: `/subscriptions/00000000-0000-0000-0000-000000000000${reader}`,
        principalId: FOREIGN,
      },
    );
    expect(compareAccess(e, o).map((f) => [f.severity, f.kind, f.subject, f.message])).toEqual([
      [
        "critical",
        "unexpected",
        "/providers/Microsoft.Management/managementGroups/banenor",
        `unknown principal ${FOREIGN} holds Storage Blob Data Reader on /providers/Microsoft.Management/managementGroups/banenor (above the storage account: every container), which the manifest does not grant (made outside the stack, e.g. in the portal); delete the role assignment`,
      ],
      [
        "critical",
        "unexpected",
        "/subscriptions/00000000-0000-0000-0000-000000000000",
        `unknown principal ${FOREIGN} holds Storage Blob Data Reader on /subscriptions/00000000-0000-0000-0000-000000000000 (above the storage account: every container), which the manifest does not grant (made outside the stack, e.g. in the portal); delete the role assignment`,
      ],
    ]);
  });
});

/** Every unordered list of a document, shuffled by the given permutation seeds. */
function shuffled(doc: AccessState, pick: (n: number) => number): AccessState {
  const shuffle = <T>(xs: T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = pick(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const d = structuredClone(doc);
  const az = d.azure!;
  az.identities = shuffle(az.identities).map((i) => ({
    ...i,
    federatedCredentials: shuffle(i.federatedCredentials),
  }));
  az.groups = shuffle(az.groups).map((g) => ({ ...g, memberIds: shuffle(g.memberIds) }));
  az.roleAssignments = shuffle(az.roleAssignments);
  az.acls = shuffle(az.acls).map((a) => ({ ...a, access: shuffle(a.access), default: shuffle(a.default) }));
  d.aws!.oidcProviders = shuffle(d.aws!.oidcProviders).map((p) => ({
    ...p,
    clientIds: shuffle(p.clientIds),
  }));
  d.aws!.roles = shuffle(d.aws!.roles).map((r) => ({
    ...r,
    attachedPolicyArns: shuffle(r.attachedPolicyArns),
    trustPolicy: {
      ...r.trustPolicy,
      Statement: Array.isArray(r.trustPolicy.Statement)
        ? shuffle(r.trustPolicy.Statement as unknown[])
        : r.trustPolicy.Statement,
    },
  }));
  d.maskinporten!.consumers = shuffle(d.maskinporten!.consumers);
  return d;
}

describe("compareAccess: order never matters", () => {
  it("any permutation of the observed lists gives the same findings (every plant at once)", () => {
    const e = testExpectation();
    const planted = deployed(e);
    plantEverything(planted, e);
    // A second role on one subject: which one counts as "changed" must not depend on the order.
    planted.azure!.roleAssignments.push({
      ...planted.azure!.roleAssignments.find(
        (a) => a.principalId === groupOf(planted, "outbound", "read").objectId,
      )!,
      roleDefinitionId:
        "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    });
    identityOf(planted, "910000012").federatedCredentials.push({
      name: "second",
      issuer: "https://test.sky.maskinporten.no",
      subject: "0192:910000012;banenor:payloadmanager.storage",
      audiences: ["a", "b"],
    });
    const reference = compareAccess(e, planted);
    expect(reference.length).toBeGreaterThan(25);
    fc.assert(
      fc.property(fc.infiniteStream(fc.nat()), (stream) => {
        const it = stream[Symbol.iterator]();
        const pick = (n: number) => (it.next().value as number) % n;
        expect(compareAccess(e, shuffled(planted, pick))).toEqual(reference);
      }),
      { numRuns: 60 },
    );
  });
});
