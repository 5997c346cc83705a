import { describe, expect, it } from "vitest";
import { federatedCredentialViolations } from "./federatedCredential";
import { AUDIENCE, credential, ORG, SUBJECT, testContext } from "./fixtures";
import { UNKNOWN } from "./types";

const check = (props: Record<string, unknown>) =>
  federatedCredentialViolations(credential(props), testContext);

describe("skyporten-federated-credential", () => {
  it("accepts the credential the program registers", () => {
    expect(check({})).toEqual([]);
  });

  it("accepts the prod issuer and identity on a prod stack", () => {
    const prod = credential({
      issuer: "https://sky.maskinporten.no",
      resourceName: `id-skyporten-prod-${ORG}`,
    });
    expect(federatedCredentialViolations(prod, { environment: "prod", nameKey: "prod", audience: AUDIENCE })).toEqual([]);
  });

  it("on a stack with nameKey dev: accepts the dev identity, refuses the test stack's", () => {
    const dev = { environment: "test" as const, nameKey: "dev", audience: AUDIENCE };
    expect(federatedCredentialViolations(credential({ resourceName: `id-skyporten-dev-${ORG}` }), dev)).toEqual([]);
    expect(federatedCredentialViolations(credential({}), dev)).toEqual([
      `subject "${SUBJECT}" is for organization ${ORG} but the credential is attached to identity "id-skyporten-test-${ORG}" (expected "id-skyporten-dev-${ORG}"): organization ${ORG} could act as another identity`,
    ]);
    // And the test stack refuses a dev identity.
    expect(check({ resourceName: `id-skyporten-dev-${ORG}` })).toEqual([
      `subject "${SUBJECT}" is for organization ${ORG} but the credential is attached to identity "id-skyporten-dev-${ORG}" (expected "id-skyporten-test-${ORG}"): organization ${ORG} could act as another identity`,
    ]);
  });

  it.each([
    [
      "https://test.sky.maskinporten.no/",
      'issuer "https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
    ],
    [
      "https://sky.maskinporten.no",
      'issuer "https://sky.maskinporten.no" is the Skyporten issuer of the prod environment; this stack\'s environment is test: use "https://test.sky.maskinporten.no"',
    ],
    [
      "https://test.maskinporten.no/",
      'issuer "https://test.maskinporten.no/" is a plain Maskinporten issuer, not Skyporten; use "https://test.sky.maskinporten.no" for the test environment',
    ],
    [
      "https://sky.maskinporten.dev/",
      'issuer "https://sky.maskinporten.dev/" is the outdated Skyporten development issuer; use "https://test.sky.maskinporten.no" for the test environment',
    ],
  ])("refuses issuer %s", (issuer, message) => {
    expect(check({ issuer })).toEqual([message]);
  });

  it("refuses a missing issuer", () => {
    expect(check({ issuer: undefined })).toEqual([
      'issuer is not set; set it to "https://test.sky.maskinporten.no" (the Skyporten issuer of the test environment)',
    ]);
  });

  it.each([
    [
      `0192:${ORG}`,
      `subject "0192:${ORG}" is not of the form "0192:<organization number>;banenor:payloadmanager.storage" (Skyporten puts the scope after a semicolon; the older "0192:<organization number>" form never matches)`,
    ],
    [
      "0192:123456789;banenor:payloadmanager.storage",
      'subject "0192:123456789;banenor:payloadmanager.storage" has an invalid organization number: "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [
      `0192:${ORG};banenor:other.scope`,
      `subject "0192:${ORG};banenor:other.scope" names scope "banenor:other.scope"; it must be the platform scope "banenor:payloadmanager.storage"`,
    ],
    [
      "0192:991825827;banenor:payloadmanager.storage",
      `subject "0192:991825827;banenor:payloadmanager.storage" is for organization 991825827 but the credential is attached to identity "id-skyporten-test-${ORG}" (expected "id-skyporten-test-991825827"): organization 991825827 could act as another identity`,
    ],
  ])("refuses subject %s", (subject, message) => {
    expect(check({ subject })).toEqual([message]);
  });

  it("refuses a missing subject", () => {
    expect(check({ subject: undefined })).toEqual([
      'subject is not set; set it to "0192:<organization number>;banenor:payloadmanager.storage"',
    ]);
  });

  it("refuses more than one audience", () => {
    expect(check({ audiences: [AUDIENCE, "https://other.example.no"] })).toEqual([
      `audiences has 2 values; a Skyporten credential takes exactly one, the stack's audience "${AUDIENCE}"`,
    ]);
  });

  it("refuses an audience that is not the stack's", () => {
    expect(check({ audiences: ["https://skyporten.example.no"] })).toEqual([
      `audience "https://skyporten.example.no" is not the stack's audience "${AUDIENCE}"`,
    ]);
  });

  it("refuses missing audiences", () => {
    expect(check({ audiences: undefined })).toEqual([
      `audiences must be a list with exactly one value, the stack's audience "${AUDIENCE}"`,
    ]);
  });

  it("reports every wrong field of one credential", () => {
    expect(check({ issuer: "https://test.sky.maskinporten.no/", audiences: [] })).toHaveLength(2);
  });

  it("does not judge values unknown until deployment", () => {
    expect(check({ issuer: UNKNOWN, subject: UNKNOWN, audiences: UNKNOWN })).toEqual([]);
    expect(check({ audiences: [UNKNOWN] })).toEqual([]);
    // The identity's name is an output of a new identity in preview: the subject is still checked on its own.
    expect(check({ resourceName: UNKNOWN, subject: SUBJECT })).toEqual([]);
    expect(
      check({ resourceName: UNKNOWN, subject: "0192:123456785;banenor:payloadmanager.storage" }),
    ).toEqual([]);
  });
});
