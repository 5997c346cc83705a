import type { Manifest, Partner } from "../../infra/manifest/schema";
import type { PartnerOutputEntry } from "../../infra/partnerFacts";
import type { Settings } from "../../infra/settings/schema";
import { isRealTime, when } from "./terminalText";
import type { DecodedToken } from "./tokenDecode";
import type { SignatureResult } from "./tokenVerify";

/** The shapes of `explain`'s diagnosis, shared by the Skyporten-token and the gateway-token judgements. */

export type CheckName =
  | "algorithm"
  | "issuer"
  | "subject"
  | "audience"
  | "expiry"
  | "partner"
  | "signature"
  | "tenant"
  | "client";
/** Where a token is presented: the Entra exchange, the AWS exchange, or the partner gateway (an Entra token). */
export type Cloud = "azure" | "aws" | "gateway";

export interface Check {
  name: CheckName;
  ok: boolean;
  /** Why it failed, machine-readable (e.g. `trailing-slash`, `no-scope`, `expired`, `suspended`). */
  reason?: string;
  /** What was compared, in one line. */
  detail: string;
  /** The error the cloud returns when this check fails. */
  error?: string;
  fix?: string;
}

export interface Exchange {
  cloud: Cloud;
  /** What the token is exchanged for or presented to: the identity, the role ARN, or the gateway. */
  target: string;
  ok: boolean;
  checks: Check[];
}

export interface Explanation {
  /** A Skyporten token (exchanged with Entra/AWS) or an Entra access token (presented to the gateway). */
  tokenKind: "skyporten" | "entra";
  /** The organization the token belongs to (consumer.ID, else sub; for an Entra token its client id); null when unknown. */
  orgNumber: string | null;
  /** The organization whose trust the token was judged against: --org, else orgNumber. */
  judgedOrg: string | null;
  partner: Pick<Partner, "orgNumber" | "name" | "status"> | null;
  /** Checks that concern the token as a whole (which organization, consistency, the signature). */
  general: Check[];
  exchanges: Exchange[];
  /** Clouds the partner has no access on (nothing to check). */
  notProvisioned: Cloud[];
  /** Whether the signature was verified against the issuer's keys (--verify). Without it, "ok" covers the claims only. */
  signatureChecked: boolean;
  /** True when every exchange this partner is provisioned for would succeed (and there is at least one). */
  ok: boolean;
}

export interface ExplainInput {
  settings: Settings;
  manifest: Manifest;
  manifestFile: string;
  outputs?: Record<string, PartnerOutputEntry> | null;
  token: DecodedToken;
  now: Date;
  /** The organization the caller expects the token to belong to (--org). */
  expectedOrg?: string;
  /** Result of --verify; absent when the signature was not checked. */
  signature?: SignatureResult;
}

export const ok = (name: CheckName, detail: string): Check => ({ name, ok: true, detail });
export const fail = (name: CheckName, reason: string, detail: string, fix: string): Check => ({
  name,
  ok: false,
  reason,
  detail,
  fix,
});

/** Allowed clock difference for "issued in the future" (not for expiry: an expired token is refused at once). */
const CLOCK_SKEW_SECONDS = 60;

/**
 * The token's time claims at `now`: exp must be a real time in the future; nbf and iat not (much) in the future.
 * Values no token carries (not numbers, beyond any real time such as 1e20) fail with what they are, never throw.
 */
export function expiryCheck(claims: Record<string, unknown>, now: Date, fix: string): Check {
  const nowS = now.getTime() / 1000;
  const { exp, nbf, iat } = claims;
  for (const [name, v] of [["exp", exp], ["nbf", nbf], ["iat", iat]] as const) {
    if (v === undefined) continue;
    if (typeof v !== "number") return fail("expiry", "not-a-number", `${name} is ${JSON.stringify(v)}, not a number of seconds`, fix);
    if (!isRealTime(v)) return fail("expiry", "out-of-range", `${name} ${String(v)} is not a real time: no issuer writes it`, fix);
  }
  if (typeof exp !== "number") return fail("expiry", "missing", "the token has no exp claim", fix);
  if (exp <= nowS) return fail("expiry", "expired", `expired ${when(exp, now)}`, fix);
  if (typeof nbf === "number" && nbf > nowS + CLOCK_SKEW_SECONDS)
    return fail("expiry", "not-yet-valid", `not valid before ${when(nbf, now)}`, fix);
  if (typeof iat === "number" && iat > nowS + CLOCK_SKEW_SECONDS)
    return fail("expiry", "not-yet-valid", `issued in the future, ${when(iat, now)}: the clocks differ`, fix);
  return ok("expiry", `valid until ${when(exp, now)}`);
}
