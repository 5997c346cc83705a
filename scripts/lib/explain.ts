import type { Partner } from "../../infra/manifest/schema";
import { ICD_NORWAY } from "../../infra/naming";
import { partnerFacts, tokenExpectations } from "../../infra/partnerFacts";
import { MASKINPORTEN_ISSUERS, SKYPORTEN_ISSUERS, type Settings } from "../../infra/settings/schema";
import { AWS, ENTRA, errorLine } from "./cloudErrors";
import { entraTenantOf, explainGatewayToken } from "./explainGateway";
import { expiryCheck, fail, ok, type Check, type Cloud, type Exchange, type ExplainInput, type Explanation } from "./explainTypes";
import { algorithmProblem } from "./tokenAlgorithms";

/**
 * `explain`: why would (or wouldn't) a partner's Skyporten token be accepted by what this stack provisions?
 * Every expectation comes from PartnerFacts (infra/partnerFacts.ts), the same function the handover document
 * uses, so the diagnosis can never disagree with what is deployed. The raw token and its signature are never
 * printed: only the decoded header fields and claims (./explainFormat.ts). An Entra access token (what a partner
 * presents to the gateway) is judged by ./explainGateway.ts.
 */

export * from "./explainTypes";
export { formatExplanation, formatToken } from "./explainFormat";
export { decodeToken, extractToken, MAX_TOKEN_BYTES, UnreadableToken, type DecodedToken } from "./tokenDecode";
export { verifySignature, type SignatureResult, type VerifyOptions } from "./tokenVerify";

const CONSUMER_ID = new RegExp(`^${ICD_NORWAY}:(\\d{9})$`);
const SUBJECT = new RegExp(`^${ICD_NORWAY}:(\\d{9})(?:;(.*))?$`, "s");

/** Why the token's `iss` is not the stack's issuer, in the partner's terms; undefined when it is exactly right. */
export function issuerMismatch(
  settings: Pick<Settings, "environment" | "issuer">,
  iss: unknown,
): { reason: string; detail: string } | undefined {
  if (iss === settings.issuer) return undefined;
  if (typeof iss !== "string") return { reason: "missing", detail: "the token has no iss claim" };
  const shown = JSON.stringify(iss);
  if (iss === `${settings.issuer}/`) {
    return {
      reason: "trailing-slash",
      detail: `iss ${shown} has a trailing slash; this stack trusts "${settings.issuer}" exactly (Skyporten's issuer has none)`,
    };
  }
  if (/sky\.maskinporten\.dev/.test(iss))
    return {
      reason: "outdated-dev-issuer",
      detail: `iss ${shown} is the outdated Skyporten development issuer; this stack trusts "${settings.issuer}"`,
    };
  if (Object.values(MASKINPORTEN_ISSUERS).some((m) => iss === m || `${iss}/` === m)) {
    return {
      reason: "plain-maskinporten",
      detail: `iss ${shown} is plain Maskinporten, not Skyporten: the token was requested from the wrong token endpoint; this stack trusts "${settings.issuer}"`,
    };
  }
  const other = (Object.keys(SKYPORTEN_ISSUERS) as (keyof typeof SKYPORTEN_ISSUERS)[]).find(
    (e) => e !== settings.environment && iss.replace(/\/$/, "") === SKYPORTEN_ISSUERS[e],
  );
  if (other !== undefined) {
    return {
      reason: "other-environment",
      detail: `iss ${shown} is the Skyporten issuer of the ${other} environment; this stack (${settings.environment}) trusts "${settings.issuer}"`,
    };
  }
  if (iss.toLowerCase() === settings.issuer.toLowerCase())
    return {
      reason: "letter-case",
      detail: `iss ${shown} differs from "${settings.issuer}" in letter case; matching is exact`,
    };
  return { reason: "unknown-issuer", detail: `iss ${shown} is not this stack's issuer "${settings.issuer}"` };
}

const audiences = (aud: unknown): string[] | null =>
  typeof aud === "string"
    ? [aud]
    : Array.isArray(aud) && aud.every((a) => typeof a === "string")
      ? aud
      : null;

/**
 * The checks every exchange shares, for the token judged as organization `org`'s; each cloud then names its
 * own error for a failed one. `otherOrgFix` is the fix when `sub` names another organization.
 */
function sharedChecks(
  input: ExplainInput,
  org: string | null,
  partner: Partner | undefined,
  otherOrgFix: string,
): Check[] {
  const { settings, token, now } = input;
  const c = token.claims;
  const checks: Check[] = [];
  const expect = tokenExpectations(settings, org ?? "<orgno>");

  // The algorithm first: an unsigned or HMAC token is refused by every cloud whatever its claims say, and it is
  // the one forgery explain can see without --verify.
  const alg = algorithmProblem(token.header.alg);
  checks.push(
    alg === undefined
      ? ok("algorithm", `${String(token.header.alg)} is a signing algorithm the clouds accept`)
      : fail("algorithm", alg.reason, alg.detail, "use the token exactly as Skyporten issued it (Skyporten signs with RS256)"),
  );

  const iss = issuerMismatch({ environment: settings.environment, issuer: expect.issuer }, c.iss);
  checks.push(
    iss === undefined
      ? ok("issuer", `"${expect.issuer}" matches exactly`)
      : fail(
          "issuer",
          iss.reason,
          iss.detail,
          `request the token from Skyporten's token endpoint ${expect.tokenEndpoint}; its iss is then "${expect.issuer}"`,
        ),
  );

  // Subject: `0192:<orgno>;<scope>` with the one scope the platform owns (Skyporten appends the requested scope).
  const oneScopeFix = `request exactly one scope, "${expect.scope}", from ${expect.tokenEndpoint}: Skyporten then sets sub to "${expect.subject}"`;
  if (typeof c.sub !== "string")
    checks.push(fail("subject", "missing", "the token has no sub claim", oneScopeFix));
  else if (org !== null && c.sub === expect.subject)
    checks.push(
      ok(
        "subject",
        partner !== undefined && partner.status === "active"
          ? `"${c.sub}" is exactly the trusted subject`
          : `"${c.sub}" is the subject a trust for organization ${org} would need`,
      ),
    );
  else {
    const m = SUBJECT.exec(c.sub);
    const shown = JSON.stringify(c.sub);
    if (m === null)
      checks.push(
        fail("subject", "format", `sub ${shown} is not of the form "0192:<orgno>;<scope>"`, oneScopeFix),
      );
    else if (org === null)
      checks.push(
        fail(
          "subject",
          "no-organization",
          `sub ${shown} cannot be matched: the token names no organization`,
          oneScopeFix,
        ),
      );
    else if (m[1] !== org)
      checks.push(
        fail(
          "subject",
          "other-organization",
          `sub ${shown} names organization ${m[1]}; the trust of organization ${org} is for "${expect.subject}"`,
          otherOrgFix,
        ),
      );
    else if (m[2] === undefined) {
      checks.push(
        fail(
          "subject",
          "no-scope",
          `sub ${shown} has no scope (the outdated format, or several scopes were requested); the trust is for "${expect.subject}"`,
          oneScopeFix,
        ),
      );
    } else if (/\s/.test(m[2]))
      checks.push(
        fail(
          "subject",
          "several-scopes",
          `sub ${shown} carries several scopes; the trust is for exactly "${expect.subject}"`,
          oneScopeFix,
        ),
      );
    else
      checks.push(
        fail(
          "subject",
          "other-scope",
          `sub ${shown} carries scope "${m[2]}", not "${expect.scope}"`,
          oneScopeFix,
        ),
      );
  }

  const auds = audiences(c.aud);
  const audFix = `send resource "${expect.audience}" exactly in the JWT grant to ${expect.tokenEndpoint} (it becomes the token's aud)`;
  if (auds === null || auds.length === 0)
    checks.push(fail("audience", "missing", "the token has no aud claim (no resource was sent)", audFix));
  else if (auds.length === 1 && auds[0] === expect.audience)
    checks.push(ok("audience", `"${expect.audience}" matches exactly`));
  else if (auds.includes(expect.audience))
    checks.push(ok("audience", `"${expect.audience}" is one of ${auds.length} audiences`));
  else
    checks.push(
      fail("audience", "wrong-audience", `aud ${JSON.stringify(c.aud)} is not "${expect.audience}"`, audFix),
    );

  checks.push(
    expiryCheck(
      c,
      now,
      "fetch a new token immediately before the exchange (Skyporten tokens live for minutes); check that the clocks are synchronised",
    ),
  );

  const pr = `open a pull request, then pulumi up`;
  if (org === null)
    checks.push(
      fail(
        "partner",
        "not-onboarded",
        "the token names no organization",
        `request the token from ${expect.tokenEndpoint}`,
      ),
    );
  else if (partner === undefined) {
    checks.push(
      fail(
        "partner",
        "not-onboarded",
        `organization ${org} is not in ${input.manifestFile}: nothing on this stack trusts it`,
        `onboard it: add organization ${org} to ${input.manifestFile}, ${pr}`,
      ),
    );
  } else if (partner.status === "offboarded") {
    checks.push(
      fail(
        "partner",
        "offboarded",
        `organization ${org} is offboarded: nothing on this stack trusts it`,
        `to onboard it again, set status: active for ${org} in ${input.manifestFile}, ${pr}`,
      ),
    );
  } else if (partner.status === "suspended") {
    checks.push(
      fail(
        "partner",
        "suspended",
        `organization ${org} (${partner.name}) is suspended: its trust is removed`,
        `reinstate it: set status: active for ${org} in ${input.manifestFile}, ${pr}`,
      ),
    );
  } else checks.push(ok("partner", `organization ${org} (${partner.name}) is active`));

  const sig = input.signature;
  if (sig !== undefined) {
    checks.push(
      sig.ok
        ? ok("signature", sig.detail)
        : fail(
            "signature",
            sig.cause,
            sig.detail,
            sig.cause === "signature"
              ? "use the token exactly as Skyporten issued it"
              : "check the network or the --discovery-url, then run again",
          ),
    );
  }
  return checks;
}

/**
 * The error each cloud returns for a failed check (what the partner sees), from ./cloudErrors where every code and
 * its source are named. Entra answers a federated-credential mismatch with the code of the claim at fault:
 * AADSTS700211 issuer, AADSTS700212 audience, AADSTS700213 subject. The generic AADSTS70021 remains where Entra may
 * still answer with it: an identity without any federated credential (a suspended partner's).
 */
function cloudError(cloud: Cloud, check: Check, claims: Record<string, unknown>): string {
  if (check.name === "signature" && check.reason === "unverified") return "unknown: the signature could not be checked";
  const text = (v: unknown) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "(absent)"));
  if (cloud === "azure") {
    switch (check.name) {
      case "issuer":
        return errorLine(ENTRA.issuer(text(claims.iss)));
      case "audience":
        return errorLine(ENTRA.audience(text(claims.aud)));
      case "subject":
        return errorLine(ENTRA.subject(text(claims.sub)));
      case "expiry":
        return errorLine(ENTRA.expired);
      case "algorithm":
      case "signature":
        return errorLine(ENTRA.badSignature);
      case "partner":
        if (check.reason === "suspended") return `${errorLine(ENTRA.noRecord)} (the identity has no federated credential while suspended)`;
        return `${errorLine(ENTRA.unknownClient("<client id>"))} (no identity exists for this organization), or ${ENTRA.subject("").code} with another organization's client id`;
      default:
        return errorLine(ENTRA.noRecord);
    }
  }
  switch (check.name) {
    case "issuer":
      return errorLine(AWS.unknownProvider(typeof claims.iss === "string" ? claims.iss : "(no iss)"));
    case "audience":
      return errorLine(AWS.audience);
    case "expiry":
      return errorLine(AWS.expired);
    case "algorithm":
    case "signature":
      return errorLine(AWS.badSignature);
    default:
      return errorLine(AWS.denied);
  }
}

/** Diagnose a decoded token against the stack. Pure: the time and the signature verdict come in. */
export function explainToken(input: ExplainInput): Explanation {
  const { settings, manifest, token } = input;
  const c = token.claims;
  // An Entra access token is what a partner presents to the gateway after the exchange: judged as the gateway would.
  if (entraTenantOf(c.iss) !== undefined) return explainGatewayToken(input);
  const consumer =
    typeof c.consumer === "object" && c.consumer !== null
      ? (c.consumer as Record<string, unknown>).ID
      : undefined;
  const consumerOrg = typeof consumer === "string" ? CONSUMER_ID.exec(consumer)?.[1] : undefined;
  const subOrg = typeof c.sub === "string" ? SUBJECT.exec(c.sub)?.[1] : undefined;
  const tokenOrg = consumerOrg ?? subOrg ?? null;
  // With --org the token is judged against that organization's trust: "would this work for Entur?"
  const org = input.expectedOrg ?? tokenOrg;
  const find = (o: string | null) =>
    o === null ? undefined : manifest.partners.find((p) => p.orgNumber === o);
  const partner = find(org);
  const facts =
    partner !== undefined && partner.status !== "offboarded"
      ? partnerFacts(settings, partner, input.outputs?.[partner.orgNumber])
      : null;
  const tokenEndpoint = tokenExpectations(settings, org ?? "<orgno>").tokenEndpoint;

  const general: Check[] = [];
  if (tokenOrg === null) {
    general.push(
      fail(
        "partner",
        "no-organization",
        `neither consumer.ID nor sub names an organization (${ICD_NORWAY}:<9 digits>): this is not a Skyporten token`,
        `request the token from ${tokenEndpoint}`,
      ),
    );
  } else {
    general.push(
      ok(
        "partner",
        `the token belongs to organization ${tokenOrg} (from ${consumerOrg !== undefined ? "consumer.ID" : "sub; the token has no consumer.ID"})`,
      ),
    );
  }
  if (consumerOrg !== undefined && subOrg !== undefined && consumerOrg !== subOrg) {
    general.push(
      fail(
        "subject",
        "inconsistent",
        `sub names organization ${subOrg} but consumer.ID names ${consumerOrg}: Skyporten never issues that`,
        "use the token exactly as Skyporten issued it",
      ),
    );
  }
  let otherOrgFix = "use the token exactly as Skyporten issued it";
  if (input.expectedOrg !== undefined && tokenOrg !== null && tokenOrg !== input.expectedOrg) {
    const holder = find(tokenOrg);
    const fix = `organization ${input.expectedOrg} must get its token with its own Maskinporten client`;
    otherOrgFix = fix;
    general.push(
      fail(
        "partner",
        "other-organization",
        `the token belongs to organization ${tokenOrg}${holder === undefined ? "" : ` (${holder.name})`}, not ${input.expectedOrg}: it was obtained with another organization's Maskinporten client`,
        fix,
      ),
    );
  }

  const checks = sharedChecks(input, org, partner, otherOrgFix);
  const exchanges: Exchange[] = [];
  const notProvisioned: Cloud[] = [];
  // Which exchanges to judge: the clouds the partner has access on; for an organization with nothing on this
  // stack, every cloud the stack serves (all of them refuse it).
  const clouds: { cloud: Cloud; target: string }[] = [];
  if (facts !== null) {
    if (facts.azure !== null) {
      const id =
        facts.azure.clientId === null
          ? `identity ${facts.azure.identityName}`
          : `identity ${facts.azure.identityName} (client id ${facts.azure.clientId})`;
      clouds.push({ cloud: "azure", target: `${id} in tenant ${facts.azure.tenantId}` });
    } else notProvisioned.push("azure");
    if (facts.aws !== null) clouds.push({ cloud: "aws", target: `role ${facts.aws.roleArn}` });
    else notProvisioned.push("aws");
  } else {
    clouds.push({ cloud: "azure", target: `an identity in tenant ${settings.azure.tenantId}` });
    if (settings.aws.enabled)
      clouds.push({ cloud: "aws", target: `a role in account ${settings.aws.accountId}` });
  }
  const aud = audiences(c.aud);
  for (const { cloud, target } of clouds) {
    const cloudChecks = checks.map((ch) => (ch.ok ? ch : { ...ch, error: cloudError(cloud, ch, c) }));
    // AWS STS matches a single aud against the provider's client id list; Azure accepts a token whose aud list
    // contains the credential's audience (Digdir's multiple-audience test, felleslosninger/skyporten-examples).
    if (cloud === "aws" && aud !== null && aud.length > 1) {
      const i = cloudChecks.findIndex((ch) => ch.name === "audience");
      cloudChecks[i] = {
        ...fail(
          "audience",
          "several-audiences",
          `aud carries ${aud.length} audiences; AWS STS is not documented to accept a multi-valued aud`,
          `send only resource "${settings.audience}"`,
        ),
        error: errorLine(AWS.audience),
      };
    }
    exchanges.push({ cloud, target, ok: cloudChecks.every((ch) => ch.ok), checks: cloudChecks });
  }
  return {
    tokenKind: "skyporten",
    signatureChecked: input.signature?.ok === true,
    orgNumber: tokenOrg,
    judgedOrg: org,
    partner:
      partner === undefined
        ? null
        : { orgNumber: partner.orgNumber, name: partner.name, status: partner.status },
    general,
    exchanges,
    notProvisioned,
    ok: general.every((g) => g.ok) && exchanges.length > 0 && exchanges.every((e) => e.ok),
  };
}
