import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ROLE_DEFINITION_IDS, STORAGE_BLOB_DATA_OWNER_ROLE_ID } from "../azure/model";
import { compareAccess } from "./compare";
import { trustsSkyporten } from "./compareAws";
import type { Finding } from "./findings";
import { parseAccessState, type AccessState } from "./observed";
import {
  aclOf,
  containerScopeOf,
  FOREIGN,
  groupOf,
  identityOf,
  plantEverything,
  roleOf,
  testStackExpectation,
} from "./plantTable";
import { deployed } from "./testing";

/**
 * A hostile reviewer's attacks on the comparison: access that really exists must never come out clean, and ids
 * written in another case (GUIDs and ARM ids are case-insensitive) must neither hide access nor invent it.
 * Entur 917422575 (entur-exchange read-write + S3), Nordlys 910000012 (outbound/nordlys read, inbound drop box),
 * Fjordkraft 921345674 (S3 only), Vestland 934567811 (outbound/vestland/reports read-write), Banemontasje 812345672
 * (suspended).
 */

const SUB = "/subscriptions/00000000-0000-0000-0000-000000000000";
const RG = `${SUB}/resourceGroups`;
const PROVIDER = "arn:aws:iam::000000000000:oidc-provider/test.sky.maskinporten.no";
const AUD = "https://skyporten.test.banenor.example.no";
const roleDefinition = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

const testExpectation = testStackExpectation;

const summary = (fs: Finding[]) => fs.map((f) => [f.severity, f.kind, f.cloud, f.orgNumber, f.subject]);
const critical = (fs: Finding[]) => summary(fs.filter((f) => f.severity === "critical"));

describe("audit attacks: Azure identities and groups", () => {
  const e = testExpectation();

  it("a second credential on a partner identity, same issuer and subject but another audience: critical", () => {
    const o = deployed(e);
    identityOf(o, "910000012").federatedCredentials.push({
      name: "skyporten-910000012-2",
      issuer: "https://test.sky.maskinporten.no",
      subject: "0192:910000012;banenor:payloadmanager.storage",
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "910000012", "id-skyporten-test-910000012/skyporten-910000012-2"],
    ]);
  });

  it("the expected credential name reused for another issuer (duplicate entry): critical", () => {
    const o = deployed(e);
    const i = identityOf(o, "910000012");
    i.federatedCredentials.push({ ...i.federatedCredentials[0]!, issuer: "https://sky.maskinporten.dev/" });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "changed", "azure", "910000012", "id-skyporten-test-910000012/skyporten-910000012"],
    ]);
  });

  it("partner A added to the traverse group of a container where only B has a path grant: critical", () => {
    const o = deployed(e);
    groupOf(o, "outbound", "traverse").memberIds.push(identityOf(o, "917422575").principalId);
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "917422575", "sg-skyporten-test-outbound-traverse"],
    ]);
  });

  it("partner B added to the read-write group of A's dedicated container, its id in upper case: critical", () => {
    const o = deployed(e);
    groupOf(o, "entur-exchange", "read-write").memberIds.push(
      identityOf(o, "910000012").principalId.toUpperCase(),
    );
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "910000012", "sg-skyporten-test-entur-exchange-read-write"],
    ]);
  });

  it("upper-case GUIDs everywhere (member, identity, group, ACL, role assignment ids) are the same objects: clean", () => {
    const o = deployed(e);
    const az = o.azure!;
    for (const i of az.identities) i.principalId = i.principalId.toUpperCase();
    for (const g of az.groups) g.memberIds = g.memberIds.map((m) => m.toUpperCase());
    for (const a of az.roleAssignments) {
      a.principalId = a.principalId.toUpperCase();
      a.scope = a.scope.toUpperCase();
      a.roleDefinitionId = a.roleDefinitionId.toUpperCase();
    }
    for (const acl of az.acls) {
      acl.access = acl.access.map((x) =>
        x
          .toUpperCase()
          .replace(/^(DEFAULT:)?(USER|GROUP|MASK|OTHER)/, (m) => m.toLowerCase())
          .replace(/:([RWX-]{3})$/, (m) => m.toLowerCase()),
      );
      acl.default = acl.default.map((x) =>
        x
          .toUpperCase()
          .replace(/^(DEFAULT:)?(USER|GROUP|MASK|OTHER)/, (m) => m.toLowerCase())
          .replace(/:([RWX-]{3})$/, (m) => m.toLowerCase()),
      );
    }
    expect(compareAccess(e, o)).toEqual([]);
  });

  it("an upper-case foreign member is still a foreign member: critical", () => {
    const o = deployed(e);
    groupOf(o, "inbound", "write").memberIds.push(FOREIGN.toUpperCase());
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, "sg-skyporten-test-inbound-write"],
    ]);
  });
});

describe("audit attacks: display names are not unique in Entra ID", () => {
  const e = testExpectation();

  it("a second identity named like a partner's (an app registration anyone may create) is critical, even without credentials", () => {
    const o = deployed(e);
    const twin = {
      name: "id-skyporten-test-910000012",
      clientId: FOREIGN,
      principalId: FOREIGN,
      federatedCredentials: [],
    };
    o.azure!.identities.push(twin);
    // Its principal would pass for the partner's wherever ids are matched by name: in the partner's own ACL entry.
    aclOf(o, "outbound", "/nordlys").access.push(`user:${FOREIGN}:r-x`);
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "910000012", "id-skyporten-test-910000012"],
    ]);
  });

  it("a second group named like a platform group: a warning naming both object ids", () => {
    const o = deployed(e);
    o.azure!.groups.push({ name: "sg-skyporten-test-inbound-write", objectId: FOREIGN, memberIds: [] });
    expect(summary(compareAccess(e, o))).toEqual([
      ["warning", "unexpected", "azure", null, "sg-skyporten-test-inbound-write"],
    ]);
  });
});

describe("audit attacks: ACLs", () => {
  const e = testExpectation();

  it("another partner's principal (upper case) in the default ACL of a partner's path: critical", () => {
    const o = deployed(e);
    const vestland = identityOf(o, "934567811").principalId.toUpperCase();
    aclOf(o, "outbound", "/nordlys").default.push(`default:user:${vestland}:r-x`);
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "934567811", "outbound:/nordlys"],
    ]);
  });

  it("a group entry for the container's read-write group on a partner's path: critical", () => {
    const o = deployed(e);
    aclOf(o, "outbound", "/nordlys").access.push(
      `group:${groupOf(o, "outbound", "read-write").objectId}:rwx`,
    );
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, "outbound:/nordlys"],
    ]);
  });

  it("default:other:: with permissions (children inherit it): critical", () => {
    const o = deployed(e);
    aclOf(o, "outbound", "/nordlys").default.push("default:other::r--");
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, "outbound:/nordlys"],
    ]);
  });
});

describe("audit attacks: role assignments", () => {
  const e = testExpectation();
  const rgScope = () => `${RG}/${e.context.storageAccountScope.split("/")[4]!}`;

  it("a blob data role on the resource group, scope in upper case: critical", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: rgScope().toUpperCase(),
      roleDefinitionId: roleDefinition(ROLE_DEFINITION_IDS.storageBlobDataReader),
      principalId: FOREIGN,
    });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, rgScope().toUpperCase()],
    ]);
  });

  it("Storage Blob Data Owner for a platform group on its own container: critical", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: containerScopeOf(e, "outbound"),
      roleDefinitionId: roleDefinition(STORAGE_BLOB_DATA_OWNER_ROLE_ID),
      principalId: groupOf(o, "outbound", "traverse").objectId,
    });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, containerScopeOf(e, "outbound")],
    ]);
  });

  it("any role (here Contributor, which can list the account keys) for a partner on the resource group: critical", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: rgScope(),
      roleDefinitionId: roleDefinition("b24988ac-6180-42a0-ab88-20f7382dd24c"),
      principalId: identityOf(o, "910000012").principalId,
    });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", "910000012", rgScope()],
    ]);
  });

  it("any role for a platform group on the subscription: critical", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: SUB,
      roleDefinitionId: roleDefinition("17d1049b-9a84-46fb-8f53-869881c3d3ab"),
      principalId: groupOf(o, "inbound", "write").objectId,
    });
    expect(critical(compareAccess(e, o))).toEqual([["critical", "unexpected", "azure", null, SUB]]);
  });

  it("a custom role on the storage account (wildcard data actions possible): critical", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: `${e.context.storageAccountScope}/`,
      roleDefinitionId: roleDefinition("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"),
      principalId: FOREIGN,
    });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "azure", null, e.context.storageAccountScope],
    ]);
  });
});

describe("audit attacks: IAM trust and permission policies", () => {
  const e = testExpectation();
  const ROLE = "skyporten-test-921345674";
  const SUBJECT = "0192:921345674;banenor:payloadmanager.storage";
  const trust = (statement: Record<string, unknown>) => ({ Version: "2012-10-17", Statement: [statement] });
  const base = {
    Effect: "Allow",
    Principal: { Federated: PROVIDER },
    Action: "sts:AssumeRoleWithWebIdentity",
  };

  it.each([
    [
      "StringLike on the subject",
      {
        StringLike: { "test.sky.maskinporten.no:sub": "0192:92134567*", "test.sky.maskinporten.no:aud": AUD },
      },
    ],
    [
      "ForAnyValue:StringLike on the subject",
      {
        "ForAnyValue:StringLike": { "test.sky.maskinporten.no:sub": "*" },
        StringEquals: { "test.sky.maskinporten.no:aud": AUD },
      },
    ],
    ["no audience condition", { StringEquals: { "test.sky.maskinporten.no:sub": SUBJECT } }],
    [
      "the subject condition on another host's key",
      { StringEquals: { "sky.maskinporten.no:sub": SUBJECT, "test.sky.maskinporten.no:aud": AUD } },
    ],
    [
      "StringNotEquals on the subject",
      {
        StringNotEquals: { "test.sky.maskinporten.no:sub": "0192:999999995;banenor:payloadmanager.storage" },
        StringEquals: { "test.sky.maskinporten.no:aud": AUD },
      },
    ],
  ])("%s: critical", (_name, condition) => {
    const o = deployed(e);
    roleOf(o, ROLE).trustPolicy = trust({ ...base, Condition: condition });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "changed", "aws", "921345674", roleOf(o, ROLE).arn],
    ]);
  });

  it.each([
    ['Principal "*"', { ...base, Principal: "*" }],
    [
      "another OIDC provider",
      {
        ...base,
        Principal: {
          Federated: "arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com",
        },
      },
    ],
    [
      "an AWS account principal",
      { ...base, Action: "sts:AssumeRole", Principal: { AWS: "arn:aws:iam::111111111111:root" } },
    ],
    ["Principal null (malformed)", { ...base, Principal: null }],
    ["Principal a number (malformed)", { ...base, Principal: 7 }],
    ["Condition a string (malformed)", { ...base, Condition: "StringEquals" }],
  ])("a second statement with %s: critical, no crash", (_name, statement) => {
    const o = deployed(e);
    (roleOf(o, ROLE).trustPolicy.Statement as unknown[]).push(statement);
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "changed", "aws", "921345674", roleOf(o, ROLE).arn],
    ]);
  });

  it.each([
    ['Principal "*"', "*"],
    ['Federated "*"', { Federated: "*" }],
  ])(
    "a role outside the stack whose trust admits %s for web identities is found as trusting Skyporten",
    (_name, principal) => {
      const o = deployed(e);
      const open = {
        name: "wide-open",
        path: "/",
        arn: "arn:aws:iam::000000000000:role/wide-open",
        trustPolicy: trust({
          Effect: "Allow",
          Principal: principal,
          Action: "sts:AssumeRoleWithWebIdentity",
        }),
        inlinePolicies: {},
        attachedPolicyArns: [],
      };
      o.aws!.roles.push(open);
      expect(trustsSkyporten(open, e.context.issuer)).toBe(true);
      expect(critical(compareAccess(e, o))).toEqual([["critical", "unexpected", "aws", null, open.arn]]);
    },
  );

  it("a role trusting only an AWS service is not the audit's business", () => {
    const role = {
      trustPolicy: trust({
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: "sts:AssumeRole",
      }),
    };
    expect(trustsSkyporten(role, e.context.issuer)).toBe(false);
    const star = { trustPolicy: trust({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }) };
    expect(trustsSkyporten(star, e.context.issuer)).toBe(false);
  });

  it("an inline policy granting s3:* on the bucket: critical", () => {
    const o = deployed(e);
    roleOf(o, ROLE).inlinePolicies["extra"] = {
      Version: "2012-10-17",
      Statement: {
        Effect: "Allow",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::banenor-payload-test", "arn:aws:s3:::banenor-payload-test/*"],
      },
    };
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "aws", "921345674", roleOf(o, ROLE).arn],
    ]);
  });
});

describe("audit attacks: S3 bucket policies", () => {
  const e = testExpectation();
  const BUCKET = "arn:aws:s3:::banenor-payload-test";

  it("the deployed TLS-only policy is clean; a statement granting a partner's role the whole bucket is critical", () => {
    const o = deployed(e);
    expect(compareAccess(e, o)).toEqual([]);
    (o.aws!.bucketPolicies![0]!.policy!.Statement as unknown[]).push({
      Effect: "Allow",
      Principal: { AWS: roleOf(o, "skyporten-test-921345674").arn },
      Action: "s3:GetObject",
      Resource: `${BUCKET}/*`,
    });
    expect(critical(compareAccess(e, o))).toEqual([["critical", "changed", "aws", null, BUCKET]]);
  });

  it("a policy replaced by a public read (Statement as one object): critical; a policy removed: warning", () => {
    const o = deployed(e);
    o.aws!.bucketPolicies![0]!.policy = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${BUCKET}/*` },
    };
    expect(critical(compareAccess(e, o))).toEqual([["critical", "changed", "aws", null, BUCKET]]);
    o.aws!.bucketPolicies![0]!.policy = null;
    expect(summary(compareAccess(e, o))).toEqual([["warning", "missing", "aws", null, BUCKET]]);
  });

  it("a document without bucketPolicies (not read) judges none", () => {
    const o = deployed(e);
    delete o.aws!.bucketPolicies;
    expect(compareAccess(e, o)).toEqual([]);
  });
});

describe("audit attacks: policy names that are JavaScript property names", () => {
  const e = testExpectation();
  const ROLE = "skyporten-test-921345674";

  it.each(["__proto__", "constructor", "toString"])(
    "an inline policy named %s granting s3:* (a valid IAM policy name) is read and judged: critical",
    (name) => {
      const doc = deployed(e);
      const role = roleOf(doc, ROLE);
      role.inlinePolicies["PLANTED-NAME"] = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
      };
      // Through the file format, as --observed reads it: JSON.parse keeps "__proto__" as an own key.
      const text = JSON.stringify(doc).replace('"PLANTED-NAME"', JSON.stringify(name));
      const o = parseAccessState(text, "observed.json");
      expect(Object.keys(roleOf(o, role.name).inlinePolicies)).toContain(name);
      expect(critical(compareAccess(e, o))).toEqual([
        ["critical", "unexpected", "aws", "921345674", role.arn],
      ]);
    },
  );

  it("a role definition id ending in a property name is not mistaken for a blob data role", () => {
    const o = deployed(e);
    o.azure!.roleAssignments.push({
      scope: SUB,
      roleDefinitionId: roleDefinition("constructor"),
      principalId: FOREIGN,
    });
    expect(compareAccess(e, o)).toEqual([]);
  });
});

describe("audit attacks: scope access", () => {
  const e = testExpectation();

  it("an unknown organization APPROVED, the state written in lower case: critical", () => {
    const o = deployed(e);
    o.maskinporten!.consumers.push({ orgno: "999999995", state: "approved" });
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "maskinporten", "999999995", "scope banenor:payloadmanager.storage"],
    ]);
  });

  it("duplicate entries for one organization (DENIED and APPROVED): APPROVED wins, critical", () => {
    const o = deployed(e);
    o.maskinporten!.consumers.push(
      { orgno: "812345672", state: "DENIED" },
      { orgno: "812345672", state: "APPROVED" },
    );
    expect(critical(compareAccess(e, o))).toEqual([
      ["critical", "unexpected", "maskinporten", "812345672", "scope banenor:payloadmanager.storage"],
    ]);
  });

  it("an active partner's own entry in lower case is APPROVED: no finding", () => {
    const o = deployed(e);
    for (const c of o.maskinporten!.consumers) c.state = c.state.toLowerCase();
    expect(compareAccess(e, o)).toEqual([]);
  });
});

describe("audit attacks: malformed observed documents", () => {
  it.each([
    ["a list", "[]"],
    ["null", "null"],
    [
      "an ACL entry with a space",
      JSON.stringify({
        stack: "test",
        azure: {
          identities: [],
          groups: [],
          roleAssignments: [],
          acls: [{ container: "c", path: "/", access: [" user::rwx"], default: [] }],
        },
      }),
    ],
    [
      "a number for memberIds",
      JSON.stringify({
        stack: "test",
        azure: {
          identities: [],
          groups: [{ name: "g", objectId: "x", memberIds: 5 }],
          roleAssignments: [],
          acls: [],
        },
      }),
    ],
  ])("%s is refused with a named problem", (_name, text) => {
    expect(() => parseAccessState(text, "observed.json")).toThrow(/^observed\.json: /);
  });

  it("a huge ACL (20,000 entries on one path) is judged quickly and every entry counted once", () => {
    const e = testExpectation();
    const o = deployed(e);
    const acl = aclOf(o, "outbound", "/nordlys");
    const ids = Array.from(
      { length: 20_000 },
      (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    );
    acl.access.push(...ids.map((id) => `user:${id}:r-x`));
    const findings = compareAccess(e, o);
    expect(
      findings.filter((f) => f.subject === "outbound:/nordlys" && f.severity === "critical"),
    ).toHaveLength(20_000);
  });

  it("the observed document must be a document, not the same lists in another shape", () => {
    const o: AccessState = { stack: "test" };
    expect(compareAccess(testExpectation(), o)).toEqual([]);
  });
});

describe("audit attacks: the case of object ids never shows", () => {
  it("any mix of upper- and lower-case object ids (members, principals, ACL entries, owners) gives the same findings (every plant at once)", () => {
    const e = testExpectation();
    const planted = deployed(e);
    plantEverything(planted, e);
    const reference = compareAccess(e, planted);
    expect(reference.filter((f) => f.severity === "critical").length).toBeGreaterThan(15);
    fc.assert(
      fc.property(fc.infiniteStream(fc.boolean()), (stream) => {
        const it = stream[Symbol.iterator]();
        const flip = (id: string) => ((it.next().value as boolean) ? id.toUpperCase() : id);
        const entry = (t: string) =>
          t.replace(
            /^((?:default:)?(?:user|group|mask|other):)([^:]*)(:.{3})$/,
            (_m, a: string, id: string, p: string) => `${a}${flip(id)}${p}`,
          );
        const d = structuredClone(planted);
        const az = d.azure!;
        for (const i of az.identities) i.principalId = flip(i.principalId);
        for (const g of az.groups) {
          g.objectId = flip(g.objectId);
          g.memberIds = g.memberIds.map(flip);
        }
        for (const a of az.roleAssignments) a.principalId = flip(a.principalId);
        for (const acl of az.acls) {
          acl.access = acl.access.map(entry);
          acl.default = acl.default.map(entry);
          if (acl.owner !== undefined) acl.owner = flip(acl.owner);
        }
        expect(compareAccess(e, d)).toEqual(reference);
      }),
      { numRuns: 40 },
    );
  });
});
