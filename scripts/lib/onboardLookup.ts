/**
 * `onboard add --lookup`: the organization's legal name from Brønnøysundregistrene's open Enhetsregisteret API,
 * GET <api>/enheter/{organisasjonsnummer} (no authentication; 404 = no such unit, 410 = unit removed), described
 * in https://data.brreg.no/enhetsregisteret/api/docs/index.html and brreg's OpenAPI spec (github.com/brreg/openAPI).
 */
import { CliError } from "./cli";

/** Base URL of the API; the environment variable BRREG_API_URL overrides it (tests use a local server). */
export const BRREG_API_URL = "https://data.brreg.no/enhetsregisteret/api";

export interface RegisteredUnit {
  orgNumber: string;
  /** Legal name as registered (brreg writes most names in capitals, e.g. "ENTUR AS"). */
  name: string;
  /** Reasons to look twice before onboarding (bankruptcy, liquidation). */
  warnings: string[];
}

export interface LookupOptions {
  baseUrl?: string;
  /** Per request. Default: 5 s. */
  timeoutMs?: number;
  /** Attempts for 429 and 5xx answers. Default: 2. */
  attempts?: number;
  /** Longest Retry-After honoured, ms. Default: 5 s. */
  maxRetryAfterMs?: number;
}

const OFFLINE_HINT = "pass the legal name with --name instead of --lookup";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 section 10.2.3), capped. */
function retryAfterMs(header: string | null, cap: number): number {
  if (header === null) return Math.min(1000, cap);
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), cap);
  const at = Date.parse(header);
  return Number.isNaN(at) ? Math.min(1000, cap) : Math.min(Math.max(0, at - Date.now()), cap);
}

function causeCode(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : undefined;
}

/** Look up an organization in Enhetsregisteret. Throws a CliError whose message says what to do instead. */
export async function lookupOrganization(orgNumber: string, options: LookupOptions = {}): Promise<RegisteredUnit> {
  const base = (options.baseUrl ?? BRREG_API_URL).replace(/\/+$/, "");
  const url = `${base}/enheter/${encodeURIComponent(orgNumber)}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const attempts = options.attempts ?? 2;
  const cap = options.maxRetryAfterMs ?? 5000;

  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError")) {
        throw new CliError(`Brønnøysundregistrene (${url}) did not answer within ${timeoutMs / 1000} s; try again later, or ${OFFLINE_HINT}`);
      }
      const code = causeCode(e);
      throw new CliError(`cannot reach Brønnøysundregistrene at ${url}${code === undefined ? "" : ` (${code})`}: this machine seems to be offline or behind a proxy; ${OFFLINE_HINT}`);
    }
    if ((response.status === 429 || response.status >= 500) && attempt < attempts) {
      await response.body?.cancel();
      await delay(response.status === 429 ? retryAfterMs(response.headers.get("retry-after"), cap) : Math.min(500, cap));
      continue;
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw new CliError(`organization number ${orgNumber} is not in the Central Coordinating Register (Enhetsregisteret answered 404); check the number with the partner`);
    }
    if (response.status === 410) {
      await response.body?.cancel();
      throw new CliError(`organization ${orgNumber} has been removed from the Central Coordinating Register (Enhetsregisteret answered 410 Gone); a dissolved organization cannot be onboarded`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new CliError(`Brønnøysundregistrene answered HTTP ${response.status} for ${url}; try again later, or ${OFFLINE_HINT}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new CliError(`Brønnøysundregistrene's answer for ${url} is not JSON; ${OFFLINE_HINT}`);
    }
    return unitFrom(orgNumber, body, url);
  }
}

function unitFrom(orgNumber: string, body: unknown, url: string): RegisteredUnit {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.navn !== "string" || b.navn.trim() === "") {
    throw new CliError(`Brønnøysundregistrene's answer for ${url} has no name (navn); ${OFFLINE_HINT}`);
  }
  if (b.organisasjonsnummer !== orgNumber) {
    throw new CliError(`Brønnøysundregistrene answered for organization ${String(b.organisasjonsnummer)} when asked for ${orgNumber}; ${OFFLINE_HINT}`);
  }
  if (typeof b.slettedato === "string") {
    throw new CliError(`organization ${orgNumber} (${b.navn}) was deleted from the Central Coordinating Register on ${b.slettedato}; a dissolved organization cannot be onboarded`);
  }
  const warnings: string[] = [];
  if (b.konkurs === true) warnings.push(`organization ${orgNumber} (${b.navn}) is registered as bankrupt (konkurs)`);
  if (b.underAvvikling === true) warnings.push(`organization ${orgNumber} (${b.navn}) is being wound up (under avvikling)`);
  if (b.underTvangsavviklingEllerTvangsopplosning === true) {
    warnings.push(`organization ${orgNumber} (${b.navn}) is under compulsory liquidation or dissolution (tvangsavvikling/tvangsoppløsning)`);
  }
  return { orgNumber, name: b.navn.trim(), warnings };
}
