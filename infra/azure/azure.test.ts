import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { placeholderGuid } from "../../scripts/lib/offlineRun";
import { planInChildProcess } from "../../scripts/lib/planChild";
import type { PlanJson } from "../../scripts/lib/plan";
import { roleAssignmentName } from "./platform";

/**
 * The Azure part of the real program (infra/index.ts), run offline under Pulumi's mock runtime in child
 * processes (one per manifest: Pulumi's runtime is process-global), asserting the exact registered inputs.
 */

type Res = PlanJson["resources"][number];
const SUB = "00000000-0000-0000-0000-000000000000";
const RG = { test: "rg-skyporten-test", prod: "rg-skyporten-prod" };
const ACCOUNT = { test: "bnplmextnwesttest", prod: "bnplmextnwestprod" };
const READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";
const CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
const SCOPE = "banenor:payloadmanager.storage";

const base = {
  containers: [{ name: "inbound", shared: true }, { name: "outbound" }, { name: "shared", shared: true }],
  partners: [
    { orgNumber: "917422575", name: "Entur AS", azure: [{ container: "shared", access: "read-write" }] },
    { orgNumber: "910000012", name: "Nordlys Logistikk AS", azure: [{ container: "outbound", access: "read", path: "nordlys" }, { container: "inbound", access: "write" }] },
    { orgNumber: "934567811", name: "Vestland AS", azure: [{ container: "shared", access: "read" }] },
    { orgNumber: "812345672", name: "Banemontasje Nord AS", status: "suspended", azure: [{ container: "inbound", access: "write" }] },
    { orgNumber: "921345674", name: "Gone AS", status: "offboarded", azure: [{ container: "inbound", access: "write" }] },
  ],
};

const plans: Record<string, PlanJson> = {};

async function planOf(key: string, stack: "test" | "prod", manifest: unknown): Promise<void> {
  const r = await planInChildProcess({ stack, manifestText: stringify(manifest) });
  if (r.plan === undefined) throw new Error(`plan ${key} failed (exit ${r.exitCode}): ${r.stderr}`);
  plans[key] = r.plan;
}

beforeAll(async () => {
  const renamedAndReordered = {
    ...base,
    partners: [...base.partners].reverse().map((p) => ({ ...p, name: `${p.name} (renamed)` })),
  };
  const withNewPartner = {
    ...base,
    partners: [...base.partners, { orgNumber: "991825827", name: "New AS", azure: [{ container: "inbound", access: "write" }, { container: "outbound", access: "read-write", path: "new" }] }],
  };
  await Promise.all([
    planOf("test", "test", base),
    planOf("prod", "prod", base),
    planOf("renamed", "test", renamedAndReordered),
    planOf("added", "test", withNewPartner),
  ]);
}, 120_000);

const of = (plan: PlanJson, type: string) => plan.resources.filter((r) => r.type === type);
const one = (plan: PlanJson, type: string, name: string): Res => {
  const found = plan.resources.filter((r) => r.type === type && r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0]!;
};
/** The principal id the offline run's mock engine assigns to a partner's identity (deterministic per URN). */
const principalOf = (org: string) =>
  placeholderGuid(`urn:pulumi:test::skyporten-onboarding::azure-native:managedidentity:UserAssignedIdentity::partner-${org}-identity`, "principalId");

describe("federated identity credential", () => {
  it.each([
    ["test", "https://test.sky.maskinporten.no", "https://skyporten.test.banenor.example.no"],
    ["prod", "https://sky.maskinporten.no", "https://skyporten.banenor.example.no"],
  ] as const)("on %s: exact issuer, subject, single audience, name", (stack, issuer, audience) => {
    const fic = one(plans[stack]!, "azure-native:managedidentity:FederatedIdentityCredential", "partner-917422575-fic-skyporten-917422575");
    expect(fic.inputs).toEqual({
      federatedIdentityCredentialResourceName: "skyporten-917422575",
      resourceName: `id-skyporten-${stack}-917422575`,
      resourceGroupName: RG[stack],
      issuer,
      subject: `0192:917422575;${SCOPE}`,
      audiences: [audience],
    });
    expect(String(fic.inputs.issuer).endsWith("/")).toBe(false);
  });

  it("exists once per active partner and never for suspended or offboarded ones", () => {
    const fics = of(plans.test!, "azure-native:managedidentity:FederatedIdentityCredential");
    expect(fics.map((f) => f.inputs.subject).sort()).toEqual([`0192:910000012;${SCOPE}`, `0192:917422575;${SCOPE}`, `0192:934567811;${SCOPE}`]);
  });
});

describe("managed identity", () => {
  it("is named from the org number only, tagged with display name, org number, environment and status", () => {
    const id = one(plans.test!, "azure-native:managedidentity:UserAssignedIdentity", "partner-917422575-identity");
    expect(id.inputs).toEqual({
      resourceName: "id-skyporten-test-917422575",
      resourceGroupName: "rg-skyporten-test",
      location: "norwaywest",
      tags: {
        "managed-by": "skyporten-onboarding",
        environment: "test",
        "org-number": "917422575",
        "partner-status": "active",
        "partner-name": "Entur AS",
      },
    });
    expect(id.parent).toBe("urn:pulumi:test::skyporten-onboarding::skyporten:partner:SkyportenPartner::partner-917422575");
  });

  it("is kept for a suspended partner (same name, so the same client id on reinstatement) and absent when offboarded", () => {
    const names = of(plans.test!, "azure-native:managedidentity:UserAssignedIdentity").map((r) => r.inputs.resourceName);
    expect(names.sort()).toEqual(["id-skyporten-test-812345672", "id-skyporten-test-910000012", "id-skyporten-test-917422575", "id-skyporten-test-934567811"]);
    expect(plans.test!.resources.filter((r) => r.name.includes("921345674"))).toEqual([]);
    expect(plans.test!.resources.filter((r) => r.name.startsWith("partner-812345672")).map((r) => r.type).sort()).toEqual([
      "azure-native:managedidentity:UserAssignedIdentity",
      "skyporten:partner:SkyportenPartner",
    ]);
  });

  it("is protected in prod and not in test", () => {
    expect(of(plans.prod!, "azure-native:managedidentity:UserAssignedIdentity").map((r) => r.protect)).toEqual([true, true, true, true]);
    expect(of(plans.test!, "azure-native:managedidentity:UserAssignedIdentity").map((r) => r.protect)).toEqual([false, false, false, false]);
  });
});

describe("platform groups and container RBAC", () => {
  it("creates four security groups per declared container, used or not", () => {
    const groups = of(plans.test!, "azuread:index/group:Group");
    expect(groups).toHaveLength(12);
    const g = one(plans.test!, "azuread:index/group:Group", "group-shared-read");
    expect(g.inputs).toEqual({
      displayName: "sg-skyporten-test-shared-read",
      description: 'Skyporten test: Storage Blob Data Reader on container "shared". Members are partner identities managed by skyporten-onboarding.',
      securityEnabled: true,
      mailEnabled: false,
      preventDuplicateNames: true,
      owners: [SUB],
    });
  });

  it("assigns only Reader and Contributor, on the container scope, to groups, with principalType set", () => {
    const ras = of(plans.test!, "azure-native:authorization:RoleAssignment");
    expect(ras).toHaveLength(6);
    for (const container of ["inbound", "outbound", "shared"]) {
      const scope = `/subscriptions/${SUB}/resourceGroups/rg-skyporten-test/providers/Microsoft.Storage/storageAccounts/${ACCOUNT.test}/blobServices/default/containers/${container}`;
      for (const [level, role] of [["read", READER], ["read-write", CONTRIBUTOR]] as const) {
        const ra = one(plans.test!, "azure-native:authorization:RoleAssignment", `ra-${container}-${level}`);
        const group = one(plans.test!, "azuread:index/group:Group", `group-${container}-${level}`);
        const roleDefinitionId = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
        expect(ra.inputs.scope).toBe(scope);
        expect(ra.inputs.roleDefinitionId).toBe(roleDefinitionId);
        expect(ra.inputs.principalType).toBe("Group");
        expect(typeof ra.inputs.principalId).toBe("string");
        expect(ra.inputs.roleAssignmentName).toBe(roleAssignmentName(scope, String(ra.inputs.principalId), roleDefinitionId));
        expect(group.name).toBe(`group-${container}-${level}`);
      }
    }
  });

  it("does not depend on the number of partners", () => {
    expect(of(plans.added!, "azure-native:authorization:RoleAssignment")).toHaveLength(6);
    expect(of(plans.added!, "azuread:index/group:Group")).toHaveLength(12);
  });

  it("protects containers and retains them on delete", () => {
    for (const c of of(plans.test!, "azure-native:storage:BlobContainer")) {
      expect(c.protect).toBe(true);
      expect(c.retainOnDelete).toBe(true);
      expect(c.inputs.publicAccess).toBe("None");
    }
  });
});

describe("group memberships and isolation", () => {
  const memberships = (plan: PlanJson, org: string) =>
    of(plan, "azuread:index/groupMember:GroupMember")
      .filter((m) => m.name.startsWith(`partner-${org}-`))
      .map((m) => m.name.slice(`partner-${org}-member-`.length))
      .sort();

  it("maps each grant kind to exactly the groups it needs", () => {
    expect(memberships(plans.test!, "917422575")).toEqual(["shared-read-write"]);
    expect(memberships(plans.test!, "934567811")).toEqual(["shared-read"]);
    // path grant: traverse only (never a container-wide data role); write-only: the write group only
    expect(memberships(plans.test!, "910000012")).toEqual(["inbound-write", "outbound-traverse"]);
    expect(memberships(plans.test!, "812345672")).toEqual([]);
  });

  it("never puts one partner's principal into another partner's membership", () => {
    const members = of(plans.test!, "azuread:index/groupMember:GroupMember");
    expect(members).toHaveLength(4);
    for (const m of members) {
      const org = /^partner-(\d{9})-/.exec(m.name)![1]!;
      expect(m.inputs.memberObjectId).toBe(principalOf(org));
      expect(m.parent).toBe(`urn:pulumi:test::skyporten-onboarding::skyporten:partner:SkyportenPartner::partner-${org}`);
    }
    const principals = ["917422575", "910000012", "934567811", "812345672"].map(principalOf);
    expect(new Set(principals).size).toBe(4);
  });
});

const key = (r: Res) => `${r.type}|${r.name}`;

describe("stability", () => {
  const withoutTags = (r: Res) => {
    const { tags: _tags, ...rest } = r.inputs;
    return { ...r, inputs: rest };
  };

  it("renaming partners and reordering the manifest changes nothing but tags", () => {
    const before = new Map(plans.test!.resources.map((r) => [key(r), withoutTags(r)]));
    const after = new Map(plans.renamed!.resources.map((r) => [key(r), withoutTags(r)]));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, r] of before) expect(after.get(k), k).toEqual(r);
    const tagsChanged = plans.renamed!.resources.filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(plans.test!.resources.find((x) => key(x) === key(r))!.inputs));
    expect(tagsChanged.every((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity")).toBe(true);
  });

  it("adding a partner changes no input of any existing resource", () => {
    const after = new Map(plans.added!.resources.map((r) => [key(r), r]));
    for (const r of plans.test!.resources) expect(after.get(key(r)), key(r)).toEqual(r);
    const added = plans.added!.resources.filter((r) => !plans.test!.resources.some((x) => key(x) === key(r)));
    expect(added.every((r) => r.name.startsWith("partner-991825827"))).toBe(true);
  });
});

describe("uniqueness at scale", () => {
  it("(type, name) pairs are unique across a manifest of 150 partners", async () => {
    const W = [3, 2, 7, 6, 5, 4, 3, 2];
    const orgs: string[] = [];
    for (let n = 91000000; orgs.length < 150; n++) {
      const s = String(n);
      const k = 11 - (W.reduce((a, w, i) => a + w * Number(s[i]), 0) % 11);
      if (k === 10) continue;
      orgs.push(`${s}${k === 11 ? 0 : k}`);
    }
    const manifest = {
      containers: [{ name: "inbound", shared: true }, { name: "outbound" }],
      partners: orgs.map((o, i) => ({
        orgNumber: o,
        name: `Partner ${i}`,
        azure: [{ container: "inbound", access: "write" }, { container: "outbound", access: "read", path: `p${o}` }],
      })),
    };
    const r = await planInChildProcess({ stack: "test", manifestText: stringify(manifest) });
    expect(r.exitCode, r.stderr).toBe(0);
    const keys = r.plan!.resources.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    const urns = r.plan!.resources.map((x) => x.urn);
    expect(new Set(urns).size).toBe(urns.length);
    expect(of(r.plan!, "azure-native:managedidentity:UserAssignedIdentity")).toHaveLength(150);
  }, 120_000);
});
