import { describe, expect, test } from "vitest";
import { SettingsSchema, type SettingsInput } from "../settings/schema";
import { manualScopeAccessInstructions, scopeAccessStep } from "./instructions";

const base: SettingsInput = {
  environment: "test",
  issuer: "https://test.sky.maskinporten.no",
  scope: "banenor:payloadmanager.storage",
  audience: "https://skyporten.test.banenor.example.no",
  azure: {
    tenantId: "00000000-0000-0000-0000-000000000000",
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroupName: "rg-skyporten-test",
    storageAccountName: "stskyportentest",
  },
  aws: { region: "eu-north-1", accountId: "000000000000" },
};
const testOff = SettingsSchema.parse(base);
const prodOff = SettingsSchema.parse({ ...base, environment: "prod", issuer: "https://sky.maskinporten.no" });
const testOn = SettingsSchema.parse({
  ...base,
  maskinporten: { manageScopeAccess: true, adminClientId: "admin", adminKeyId: "kid" },
});

describe("manual scope access (switch off, the default)", () => {
  test("grant: says it is manual, where (Samarbeidsportalen, environment, scope, org) and the exact API call", () => {
    expect(manualScopeAccessInstructions(testOff, "917422575")).toBe(
      "Maskinporten scope access is not managed by this stack (skyporten-onboarding:maskinporten.manageScopeAccess is false): grant it by hand. " +
        'In Samarbeidsportalen (https://samarbeid.digdir.no), Maskinporten self-service, test environment, open the API (scope) "banenor:payloadmanager.storage" ' +
        "and give organization 917422575 access. Or call Digdir's self-service API with an admin-client token holding idporten:scopes.write: " +
        "PUT https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage (no body). " +
        "Until then the partner cannot add the scope to its Maskinporten client and gets no Skyporten token.",
    );
  });

  test("revoke in prod points at the prod API and production environment", () => {
    expect(manualScopeAccessInstructions(prodOff, "991825827", "revoke")).toBe(
      "Maskinporten scope access is not managed by this stack (skyporten-onboarding:maskinporten.manageScopeAccess is false): revoke it by hand. " +
        'In Samarbeidsportalen (https://samarbeid.digdir.no), Maskinporten self-service, production environment, open the API (scope) "banenor:payloadmanager.storage" ' +
        "and remove organization 991825827's access. Or call Digdir's self-service API with an admin-client token holding idporten:scopes.write: " +
        "DELETE https://api.samarbeid.digdir.no/api/v1/scopes/access/991825827?scope=banenor%3Apayloadmanager.storage. " +
        "Until then the organization can still obtain Skyporten tokens for the scope (its storage access is removed regardless).",
    );
  });
});

describe("scopeAccessStep", () => {
  test.each([
    ["active", "grant", "PUT"],
    ["suspended", "revoke", "DELETE"],
    ["offboarded", "revoke", "DELETE"],
  ] as const)("%s partner with the switch off: manual %s", (status, action, method) => {
    const step = scopeAccessStep(testOff, "917422575", status);
    expect(step).toEqual({
      managed: false,
      action,
      orgNumber: "917422575",
      scope: "banenor:payloadmanager.storage",
      method,
      url: "https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage",
      text: manualScopeAccessInstructions(testOff, "917422575", action),
    });
  });

  test("switch on: the stack does it, and the text says so", () => {
    expect(scopeAccessStep(testOn, "917422575", "active")).toEqual({
      managed: true,
      action: "grant",
      orgNumber: "917422575",
      scope: "banenor:payloadmanager.storage",
      method: "PUT",
      url: "https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage",
      text:
        'Maskinporten scope access for organization 917422575 to "banenor:payloadmanager.storage" is granted by this stack ' +
        "(PUT https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage).",
    });
    expect(scopeAccessStep(testOn, "917422575", "suspended").text).toBe(
      'Maskinporten scope access for organization 917422575 to "banenor:payloadmanager.storage" is revoked by this stack ' +
        "(DELETE https://api.test.samarbeid.digdir.no/api/v1/scopes/access/917422575?scope=banenor%3Apayloadmanager.storage).",
    );
  });
});
