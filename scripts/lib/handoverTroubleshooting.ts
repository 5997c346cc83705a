import type { PartnerFacts } from "../../infra/partnerFacts";
import { AWS, ENTRA, errorLine, GATEWAY, SKYPORTEN } from "./cloudErrors";
import { code } from "./markdown";

/**
 * The handover's troubleshooting table: for each error a partner can meet, in the order the steps run (token
 * request, Entra exchange, gateway, storage, AWS), what it means and the fix with this partner's values. The
 * wording of every error comes from ./cloudErrors, the same source `explain` names them from.
 */
export function troubleshootingRows(facts: PartnerFacts): string[][] {
  const t = facts.tokenRequest;
  const rows: string[][] = [
    [
      errorLine(SKYPORTEN.audience),
      "The grant's aud is not the Skyporten issuer (a trailing slash, the token endpoint, or plain Maskinporten's issuer).",
      `Set the grant's aud to ${code(t.grantAudience)} exactly.`,
    ],
    [
      errorLine(SKYPORTEN.grant),
      "The grant itself was refused: exp more than 120 s after iat, iat more than 10 s off Skyporten's clock, a reused jti, or a kid / key that is not registered on your client.",
      "Sign a fresh grant for every request with the key registered on your Maskinporten client; keep the clock synchronised (NTP).",
    ],
    [
      errorLine(SKYPORTEN.scope),
      `Your client may not request ${code(facts.scope)}: it is not added to the client, or organization ${facts.orgNumber} has not been granted access yet.`,
      `Add ${code(facts.scope)} to your Maskinporten client; if it is already there, ask the platform team whether the scope access for ${facts.orgNumber} is granted.`,
    ],
  ];
  if (facts.azure !== null) {
    const az = facts.azure;
    const loginWith =
      az.clientId === null ? "the client id of the Azure section (not the object id)" : `client id ${code(az.clientId)}`;
    rows.push(
      [
        errorLine(ENTRA.issuer("...")),
        "The token's iss is not the Skyporten issuer the platform trusts (plain Maskinporten, a trailing slash, the other environment).",
        `Get the token from ${code(t.tokenEndpoint)}; its iss must be ${code(facts.issuer)}.`,
      ],
      [
        errorLine(ENTRA.audience("...")),
        "The token's aud is not the audience of the platform's trust: the grant's resource was wrong or missing.",
        `Send resource ${code(t.resource)} exactly in the grant.`,
      ],
      [
        errorLine(ENTRA.subject("...")),
        "The token's sub is not this organization's subject: several scopes were requested, or the token belongs to another organization's client.",
        `Request exactly one scope, ${code(facts.scope)}, with organization ${facts.orgNumber}'s own client; sub must be ${code(facts.subject)}.`,
      ],
      [
        errorLine(ENTRA.noRecord),
        "The older, generic form of the three above; also answered for a few minutes right after onboarding while Entra ID replicates the trust, and while access is suspended.",
        `Check iss ${code(facts.issuer)}, sub ${code(facts.subject)} and aud ${code(facts.audience)}; right after onboarding, wait a few minutes and retry.`,
      ],
      [
        errorLine(ENTRA.expired),
        "The Skyporten token has expired (it lives for minutes) or the machine's clock is off.",
        "Fetch a new token immediately before logging in; keep the clock synchronised (NTP).",
      ],
      [
        errorLine(ENTRA.unknownClient("...")),
        "The login used the identity's object (principal) id instead of its client id, or the wrong tenant.",
        `Log in with ${loginWith} and tenant ${code(az.tenantId)}.`,
      ],
      [
        errorLine(ENTRA.badSignature),
        "The token was altered after Skyporten issued it (e.g. copied with a line break).",
        `Pass the token file exactly as the token endpoint returned it (${code("access_token")}).`,
      ],
    );
    if (az.gateway !== null) {
      const gw = az.gateway;
      rows.push(
        [
          `${GATEWAY.unauthorized.code} ${GATEWAY.unauthorized.message}`,
          "The Entra token's audience is not the storage account the gateway routes to (e.g. https://storage.azure.com), it has expired, or the Authorization header is missing.",
          `Request the Entra token with ${code(`--resource ${gw.tokenAudience}`)} (.NET: BlobClientOptions.Audience) and send it as ${code("Authorization: Bearer <token>")}.`,
        ],
        [
          "Upload refused by the gateway",
          `The file breaks a gateway rule: name characters other than ${code(gw.fileNameCharacters)}, a file type outside the allow-list, or more than ${gw.maxRequestMegabytes} MB in one request.`,
          "Rename the file (e.g. kjorebok.xlsx, not kjørebok.xlsx), use an allowed type, and upload larger files in blocks (Put Block / Put Block List).",
        ],
      );
    }
    rows.push([
      "403 AuthorizationPermissionMismatch from storage",
      "Logged in, but the operation is outside the grants (e.g. listing with write-only access, or outside the granted path).",
      "Compare the operation with the grants table above; ask the platform team for a manifest change if you need more.",
    ]);
  }
  if (facts.aws !== null) {
    rows.push(
      [
        errorLine(AWS.audience),
        "The token's aud is not the audience the platform's OIDC provider accepts.",
        `Send resource ${code(t.resource)} exactly in the grant.`,
      ],
      [
        errorLine(AWS.unknownProvider("...")),
        "The token's issuer is not the Skyporten issuer the platform trusts (plain Maskinporten, trailing slash, other environment).",
        `Get the token from ${code(t.tokenEndpoint)}; its iss must be ${code(facts.issuer)}.`,
      ],
      [
        errorLine(AWS.denied),
        "The token's subject does not match the role's trust (another organization's client, or no scope in sub), or the role ARN is wrong.",
        `Use role ${code(facts.aws.roleArn)} with a token whose sub is ${code(facts.subject)} (request exactly one scope).`,
      ],
      [errorLine(AWS.expired), "The Skyporten token has expired.", "Fetch a new token immediately before assuming the role."],
    );
  }
  return rows;
}
