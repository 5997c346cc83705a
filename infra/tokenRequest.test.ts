import { describe, expect, it } from "vitest";
import { stackSettings } from "./settings";
import { tokenRequestFor } from "./tokenRequest";

describe("tokenRequestFor", () => {
  it("the test stack: POST to Skyporten's token endpoint, the grant addressed to the issuer itself", () => {
    const t = tokenRequestFor(stackSettings("test"));
    expect([t.tokenEndpoint, t.method, t.contentType, t.grantAudience, t.scope, t.resource]).toEqual([
      "https://test.sky.maskinporten.no/token",
      "POST",
      "application/x-www-form-urlencoded",
      "https://test.sky.maskinporten.no",
      "banenor:payloadmanager.storage",
      "https://skyporten.test.banenor.example.no",
    ]);
    expect(t.fields.map((f) => `${f.part} ${f.name}=${f.value ?? "(yours)"}`)).toEqual([
      "header alg=RS256",
      "header kid=(yours)",
      "claim aud=https://test.sky.maskinporten.no",
      "claim iss=(yours)",
      "claim scope=banenor:payloadmanager.storage",
      "claim resource=https://skyporten.test.banenor.example.no",
      "claim iat=(yours)",
      "claim exp=(yours)",
      "claim jti=(yours)",
      "body grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer",
      "body assertion=(yours)",
    ]);
    expect(t.fields.find((f) => f.name === "exp")?.rule).toBe("iat + at most 120 s");
  });

  it("the prod stack: the prod issuer, without a trailing slash", () => {
    const t = tokenRequestFor(stackSettings("prod"));
    expect([t.tokenEndpoint, t.grantAudience, t.resource]).toEqual([
      "https://sky.maskinporten.no/token",
      "https://sky.maskinporten.no",
      "https://skyporten.banenor.example.no",
    ]);
  });
});
