import type { Check, Cloud, Explanation } from "./explainTypes";
import { printable, when } from "./terminalText";
import type { DecodedToken } from "./tokenDecode";

/**
 * `explain`'s report as text. Everything that came from the token or the files passes through printable(): a
 * claim with control characters, bidi overrides or line breaks is shown escaped, on its own line.
 */

const CLOUD_NAME: Record<Cloud, string> = { azure: "Azure", aws: "AWS", gateway: "Gateway" };

const shown = (v: unknown): string =>
  v === undefined ? "(absent)" : printable(typeof v === "string" ? v : (JSON.stringify(v) ?? "(absent)"));

/** The decoded token, without the raw token or its signature. */
export function formatToken(token: DecodedToken, now: Date): string {
  const c = token.claims;
  const h = token.header;
  const lines = [
    `Token: ${h.alg === undefined ? "no alg" : shown(h.alg)} JWT${h.kid === undefined ? "" : `, kid ${printable(JSON.stringify(h.kid) ?? "")}`} (raw token and signature not shown)`,
  ];
  const consumer =
    typeof c.consumer === "object" && c.consumer !== null ? (c.consumer as Record<string, unknown>).ID : undefined;
  const rows: [string, unknown][] = [
    ["iss", c.iss],
    ["sub", c.sub],
    ["aud", c.aud],
    ["scope", c.scope],
    ["consumer", consumer],
    ["client_id", c.client_id],
  ];
  // An Entra access token names its client in appid (v1) or azp (v2), its tenant in tid.
  for (const k of ["appid", "azp", "tid"] as const) if (c[k] !== undefined) rows.push([k, c[k]]);
  for (const [k, v] of rows) lines.push(`  ${k.padEnd(10)} ${shown(v)}`);
  for (const k of ["iat", "nbf", "exp"] as const) {
    const v = c[k];
    if (k === "nbf" && v === undefined) continue;
    lines.push(`  ${k.padEnd(10)} ${typeof v === "number" ? when(v, now) : shown(v)}`);
  }
  return lines.join("\n");
}

function formatCheck(ch: Check): string[] {
  const lines = [`  ${ch.ok ? "ok  " : "FAIL"}  ${ch.name.padEnd(9)} ${printable(ch.detail)}`];
  if (!ch.ok && ch.error !== undefined) lines.push(`        error: ${printable(ch.error)}`);
  if (!ch.ok && ch.fix !== undefined) lines.push(`        fix:   ${printable(ch.fix)}`);
  return lines;
}

/** The verdict line: it never vouches for a token whose signature was not checked without saying so. */
function resultLine(e: Explanation): string {
  const failed = e.exchanges.filter((x) => !x.ok).length;
  if (!e.ok) {
    if (e.exchanges.length === 0) return "Result: this organization is provisioned for no exchange on this stack";
    return `Result: ${failed} of ${e.exchanges.length} exchange(s) would fail${e.general.some((g) => !g.ok) ? " (and see the token problems above)" : ""}`;
  }
  const where = e.exchanges.map((x) => CLOUD_NAME[x.cloud]).join(", ");
  const what =
    e.tokenKind === "entra"
      ? `the gateway would accept this token (${where})`
      : `every exchange this organization is provisioned for would succeed (${where})`;
  return e.signatureChecked
    ? `Result: ${what}; the signature was verified`
    : `Result: the claims are right: ${what} IF the signature is genuine. The signature was NOT checked (${e.tokenKind === "entra" ? "explain verifies Skyporten tokens only; the gateway checks Entra's signature" : "run with --verify to check it against the issuer's published keys"})`;
}

export function formatExplanation(e: Explanation, stack: string, manifestFile: string): string {
  const lines: string[] = [];
  if (e.partner !== null)
    lines.push(
      `Judged as organization ${e.partner.orgNumber}: ${printable(e.partner.name)} (${e.partner.status}) in ${manifestFile}, stack ${stack}`,
    );
  else if (e.judgedOrg !== null) lines.push(`Judged as organization ${e.judgedOrg}: not in ${manifestFile} (stack ${stack})`);
  if (!e.signatureChecked) lines.push("Signature: NOT checked");
  for (const g of e.general) lines.push(...formatCheck(g));
  for (const x of e.exchanges) {
    const verb = x.cloud === "gateway" ? "presenting it to" : "exchange for";
    const outcome = x.cloud === "gateway" ? (x.ok ? "be accepted" : "be REFUSED") : x.ok ? "succeed" : "FAIL";
    lines.push("", `${CLOUD_NAME[x.cloud]}: ${verb} ${printable(x.target)} would ${outcome}`);
    for (const ch of x.checks) lines.push(...formatCheck(ch));
  }
  for (const cloud of e.notProvisioned)
    lines.push("", `${CLOUD_NAME[cloud]}: not provisioned for this organization (no grants): nothing to check`);
  lines.push("", resultLine(e));
  return lines.join("\n");
}
