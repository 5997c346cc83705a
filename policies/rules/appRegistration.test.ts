import { describe, expect, it } from "vitest";
import { budgetViolations, computeBudgets } from "./budgets";
import { federatedCredentialViolations } from "./federatedCredential";
import {
  APPLICATION_RESOURCE_ID,
  appCredential,
  application,
  AUDIENCE,
  compliantAppRegistrationStack,
  ORG,
  SUBJECT,
  servicePrincipal,
  tagList,
  testContext,
} from "./fixtures";
import { evaluatePolicies } from "./index";
import { protectedIdentityViolations } from "./protectedIdentity";
import { requiredTagViolations } from "./requiredTags";
import { tagsOf, UNKNOWN, type PolicyContext } from "./types";

/**
 * The rules applied to the app-registration identity kind (settings azure.identityKind: app-registration): an
 * Entra application, its service principal and an application federated identity credential. One compliant
 * fixture, then one mutation per rule with the exact message.
 */

const prod: PolicyContext = { environment: "prod", nameKey: "prod", audience: AUDIENCE };
const PROD_ISSUER = "https://sky.maskinporten.no";
const prodTags = (status = "active") => tagList({ environment: "prod", "partner-status": status });

describe("the compliant app-registration stack", () => {
  it("has no violation in test", () => {
    expect(evaluatePolicies(compliantAppRegistrationStack(), testContext)).toEqual([]);
  });

  it("has no violation in prod with the application and service principal protected", () => {
    const stack = [
      application({ displayName: `id-skyporten-prod-${ORG}`, tags: prodTags() }, true),
      servicePrincipal({ tags: prodTags() }, true),
      appCredential({ issuer: PROD_ISSUER }),
    ];
    expect(evaluatePolicies(stack, prod)).toEqual([]);
  });
});

describe("skyporten-federated-credential on an application credential", () => {
  const check = (props: Record<string, unknown>, context: PolicyContext = testContext) =>
    federatedCredentialViolations(appCredential(props), context);

  it("accepts the credential the program registers", () => {
    expect(check({})).toEqual([]);
    expect(check({ issuer: PROD_ISSUER }, prod)).toEqual([]);
  });

  it.each([
    [
      "https://test.sky.maskinporten.no/",
      'issuer "https://test.sky.maskinporten.no/" has a trailing slash; Skyporten tokens carry iss "https://test.sky.maskinporten.no" exactly and Azure/AWS match it character by character (AADSTS70021 otherwise)',
    ],
    [
      PROD_ISSUER,
      'issuer "https://sky.maskinporten.no" is the Skyporten issuer of the prod environment; this stack\'s environment is test: use "https://test.sky.maskinporten.no"',
    ],
    [
      "https://test.maskinporten.no/",
      'issuer "https://test.maskinporten.no/" is a plain Maskinporten issuer, not Skyporten; use "https://test.sky.maskinporten.no" for the test environment',
    ],
  ])("refuses issuer %s", (issuer, message) => {
    expect(check({ issuer })).toEqual([message]);
  });

  it("refuses the outdated subject form", () => {
    expect(check({ subject: `0192:${ORG}` })).toEqual([
      `subject "0192:${ORG}" is not of the form "0192:<organization number>;banenor:payloadmanager.storage" (Skyporten puts the scope after a semicolon; the older "0192:<organization number>" form never matches)`,
    ]);
  });

  it("refuses a subject of another organization than the one the credential is named after", () => {
    const subject = "0192:991825827;banenor:payloadmanager.storage";
    expect(check({ subject })).toEqual([
      `subject "${subject}" is for organization 991825827 but the credential is named "skyporten-${ORG}" (expected "skyporten-991825827"): it may sit on another organization's application, and organization 991825827 could act as that identity`,
    ]);
  });

  it("refuses more than one audience, another audience, and no audiences", () => {
    expect(check({ audiences: [AUDIENCE, "https://other.example.no"] })).toEqual([
      `audiences has 2 values; a Skyporten credential takes exactly one, the stack's audience "${AUDIENCE}"`,
    ]);
    expect(check({ audiences: ["https://skyporten.example.no"] })).toEqual([
      `audience "https://skyporten.example.no" is not the stack's audience "${AUDIENCE}"`,
    ]);
    expect(check({ audiences: undefined })).toEqual([
      `audiences must be a list with exactly one value, the stack's audience "${AUDIENCE}"`,
    ]);
  });

  it("does not judge values unknown until deployment, but still checks the subject on its own", () => {
    expect(check({ issuer: UNKNOWN, subject: UNKNOWN, audiences: UNKNOWN, applicationId: UNKNOWN })).toEqual([]);
    expect(check({ displayName: UNKNOWN, subject: "0192:991825827;banenor:payloadmanager.storage" })).toEqual([]);
    expect(check({ displayName: UNKNOWN, subject: "0192:123456789;banenor:payloadmanager.storage" })).toEqual([
      'subject "0192:123456789;banenor:payloadmanager.storage" has an invalid organization number: "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ]);
  });

  it("is reported by evaluatePolicies under the credential rule", () => {
    const fic = appCredential({ subject: SUBJECT, audiences: [] });
    expect(evaluatePolicies([fic], testContext)).toEqual([
      {
        policy: "skyporten-federated-credential",
        level: "mandatory",
        urn: fic.urn,
        message: `audiences has 0 values; a Skyporten credential takes exactly one, the stack's audience "${AUDIENCE}"`,
      },
    ]);
  });
});

describe("skyporten-prod-identity-protected on an application and its service principal", () => {
  const unprotected = (name: string, status: string) =>
    `prod identity "${name}" (partner-status "${status}") is not protected: set protect so that removing the partner by mistake fails instead of deleting the identity whose client id the partner has configured; only offboarded partners may be unprotected`;

  it("accepts protected ones, unprotected offboarded ones, and anything in test", () => {
    expect(protectedIdentityViolations(application({ tags: prodTags() }, true), prod)).toEqual([]);
    expect(protectedIdentityViolations(servicePrincipal({ tags: prodTags("suspended") }, true), prod)).toEqual([]);
    expect(protectedIdentityViolations(application({ tags: prodTags("offboarded") }, false), prod)).toEqual([]);
    expect(protectedIdentityViolations(application({}, false), testContext)).toEqual([]);
  });

  it("refuses an unprotected prod application, named by its display name", () => {
    expect(
      protectedIdentityViolations(application({ displayName: `id-skyporten-prod-${ORG}`, tags: prodTags() }), prod),
    ).toEqual([unprotected(`id-skyporten-prod-${ORG}`, "active")]);
  });

  it("refuses an unprotected prod service principal, named by its logical name (it has no name input)", () => {
    expect(protectedIdentityViolations(servicePrincipal({ tags: prodTags("suspended") }), prod)).toEqual([
      unprotected(`partner-${ORG}-sp`, "suspended"),
    ]);
  });

  it("does not judge unknown tags", () => {
    expect(protectedIdentityViolations(application({ tags: UNKNOWN }), prod)).toEqual([]);
  });
});

describe("skyporten-required-tags on Entra tag lists", () => {
  it("accepts the tags the program writes, next to Entra's own tags", () => {
    expect(requiredTagViolations(application(), testContext)).toEqual([]);
    expect(requiredTagViolations(servicePrincipal({ tags: ["HideApp", ...tagList()] }), testContext)).toEqual([]);
  });

  it("names the list entry to add when a tag is missing", () => {
    expect(requiredTagViolations(application({ tags: tagList({ "managed-by": undefined }) }), testContext)).toEqual([
      'tag "managed-by" is missing; set it to "skyporten-onboarding" (as the list entry "managed-by:<value>")',
    ]);
  });

  it("reports every required tag of an application without tags", () => {
    expect(requiredTagViolations(application({ tags: undefined }), testContext)).toEqual([
      'tag "managed-by" is missing; set it to "skyporten-onboarding"',
      'tag "environment" is missing; set it to "test"',
      `tag "org-number" is missing; set it to the partner's 9-digit organization number`,
      'tag "partner-status" is missing; set it to active, suspended, offboarded',
    ]);
  });

  it.each([
    [{ environment: "prod" }, `tag "environment" is "prod"; it must be the stack's environment "test"`],
    [
      { "org-number": "123456789" },
      'tag "org-number" is invalid: "123456789" has a wrong MOD11 check digit (expected 5, got 9); check the number in the Central Coordinating Register (Enhetsregisteret)',
    ],
    [{ "partner-status": "paused" }, 'tag "partner-status" is "paused"; it must be one of active, suspended, offboarded'],
  ])("refuses %j on a service principal", (override, message) => {
    expect(requiredTagViolations(servicePrincipal({ tags: tagList(override) }), testContext)).toEqual([message]);
  });
});

describe("skyporten-stack-budgets per application", () => {
  const fics = (n: number, applicationId = APPLICATION_RESOURCE_ID, prefix = "fic") =>
    Array.from({ length: n }, (_, i) => appCredential({ applicationId }, `${prefix}-${i}`));

  it("reports usage by the application's resource id", () => {
    expect(computeBudgets(compliantAppRegistrationStack()).federatedCredentialsPerIdentity).toEqual({
      limit: 20,
      used: 1,
      at: APPLICATION_RESOURCE_ID,
    });
  });

  it("allows 20 credentials per application and refuses 21", () => {
    expect(budgetViolations([application(), ...fics(20)], testContext)).toEqual([]);
    expect(budgetViolations([application(), ...fics(21)], testContext)).toEqual([
      {
        urn: null,
        message: `identity "${APPLICATION_RESOURCE_ID}" has 21 federated identity credentials; Entra ID allows at most 20 per identity`,
      },
    ]);
  });

  it("does not add up credentials of different applications, nor count unknown application ids", () => {
    const other = fics(11, "/applications/00000000-0000-4000-8000-000000000002", "other");
    const pending = fics(30, UNKNOWN, "pending");
    expect(budgetViolations([...fics(11), ...other, ...pending], testContext)).toEqual([]);
  });
});

describe("tagsOf", () => {
  it("reads maps as they are and lists of key:value entries as maps", () => {
    expect(tagsOf({ a: "1" })).toEqual({ a: "1" });
    expect(tagsOf(["a:1", "b:x:y", "a:2", "HideApp", ":no-key", 7, UNKNOWN])).toEqual({ a: "1", b: "x:y" });
    expect(tagsOf("a:1")).toBeUndefined();
  });
});
