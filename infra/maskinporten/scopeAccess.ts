import * as pulumi from "@pulumi/pulumi";
import { orgNumberProblem } from "../manifest/orgNumber";
import { inputProblems, scopeAccessProvider, UNKNOWN_INPUT, type ScopeAccessInputs } from "./provider";

/** The Pulumi type token of ScopeAccess (fixed once shipped: changing it needs an alias). */
export const SCOPE_ACCESS_TYPE = "pulumi-nodejs:dynamic/maskinporten:ScopeAccess";

/** Inputs that are secrets: plan/handover tooling must redact them (they are also additionalSecretOutputs). */
export const SCOPE_ACCESS_SECRET_INPUTS = ["adminPrivateKey"] as const;

export interface ScopeAccessArgs {
  /** The partner's organization number: 9 digits, MOD11-valid. */
  orgNumber: pulumi.Input<string>;
  /** The platform's Maskinporten scope, e.g. `banenor:payloadmanager.storage`. */
  scope: pulumi.Input<string>;
  /** Digdir self-service API base URL (settings.maskinporten.apiBaseUrl), e.g. `https://api.test.samarbeid.digdir.no`. */
  apiBaseUrl: pulumi.Input<string>;
  /** Plain Maskinporten token endpoint (settings.maskinporten.tokenEndpoint), e.g. `https://test.maskinporten.no/token`. */
  tokenEndpoint: pulumi.Input<string>;
  /** `aud` of the JWT grant: the plain Maskinporten issuer WITH its trailing slash, e.g. `https://test.maskinporten.no/`. */
  tokenAudience: pulumi.Input<string>;
  /** Client id of the platform's admin client (it must hold `idporten:scopes.write`). */
  adminClientId: pulumi.Input<string>;
  /** `kid` of the key registered on the admin client. Required unless adminCertificateChain is given. */
  adminKeyId?: pulumi.Input<string>;
  /** PEM chain of the business certificate (leaf first), sent as `x5c` instead of `kid`. Default: none. */
  adminCertificateChain?: pulumi.Input<string>;
  /** The admin client's RSA private key (PEM or JWK JSON). Always stored as a secret. */
  adminPrivateKey: pulumi.Input<string>;
  /** Timeout of each HTTP attempt, ms. Default: 30000. */
  timeoutMs?: pulumi.Input<number>;
  /** Attempts per HTTP call (429, 5xx, network errors and timeouts are retried). Default: 5. */
  maxAttempts?: pulumi.Input<number>;
  /** First backoff delay, ms, doubled per attempt with jitter; Retry-After wins when sent. Default: 500. */
  retryBaseDelayMs?: pulumi.Input<number>;
}

const FIELDS = [
  "orgNumber",
  "scope",
  "apiBaseUrl",
  "tokenEndpoint",
  "tokenAudience",
  "adminClientId",
  "adminKeyId",
  "adminCertificateChain",
  "timeoutMs",
  "maxAttempts",
  "retryBaseDelayMs",
] as const;

/** Problems with the plain (already known) args; Output values are checked by the provider's `check` later. */
export function scopeAccessArgsProblems(args: ScopeAccessArgs): string[] {
  const plain: Partial<Record<keyof ScopeAccessInputs, unknown>> = {};
  for (const field of FIELDS) {
    const value: unknown = args[field];
    plain[field] =
      value === undefined || typeof value === "string" || typeof value === "number" ? value : UNKNOWN_INPUT;
  }
  // The key is never inspected here: it is an Output (requireSecret) and a placeholder in offline plans.
  plain.adminPrivateKey = args.adminPrivateKey === undefined ? undefined : UNKNOWN_INPUT;
  const problems = inputProblems(plain).map((p) => p.reason);
  if (typeof args.orgNumber === "string" && /^\d{9}$/.test(args.orgNumber)) {
    const problem = orgNumberProblem(args.orgNumber);
    if (problem !== undefined) problems.push(`orgNumber ${problem}`);
  }
  return problems;
}

/**
 * One organization's access to one Maskinporten scope, granted through Digdir's self-service API.
 * create = PUT, delete = DELETE (suspend/offboard), refresh = the scope's access list (drift such as access revoked
 * by hand shows as `state` other than APPROVED, and the next `up` grants it again).
 */
export class ScopeAccess extends pulumi.dynamic.Resource {
  // `declare`: with ES2022 class fields a plain field would overwrite the outputs the base constructor assigned.
  declare readonly orgNumber: pulumi.Output<string>;
  declare readonly scope: pulumi.Output<string>;
  /** Observed state: APPROVED after a successful run; REQUESTED, DENIED or ABSENT after a refresh that found drift. */
  declare readonly state: pulumi.Output<string>;
  declare readonly created: pulumi.Output<string | undefined>;
  declare readonly lastUpdated: pulumi.Output<string | undefined>;
  declare readonly ownerOrgno: pulumi.Output<string | undefined>;

  constructor(name: string, args: ScopeAccessArgs, opts?: pulumi.CustomResourceOptions) {
    const problems = scopeAccessArgsProblems(args);
    if (problems.length > 0) {
      throw new Error(`ScopeAccess "${name}": ${problems.join("; ")}`);
    }
    super(
      scopeAccessProvider,
      name,
      {
        orgNumber: args.orgNumber,
        scope: args.scope,
        apiBaseUrl: args.apiBaseUrl,
        tokenEndpoint: args.tokenEndpoint,
        tokenAudience: args.tokenAudience,
        adminClientId: args.adminClientId,
        adminKeyId: args.adminKeyId,
        adminCertificateChain: args.adminCertificateChain,
        // Secret even if the caller passed a plain string; the engine encrypts it in state.
        adminPrivateKey: pulumi.secret(args.adminPrivateKey),
        timeoutMs: args.timeoutMs,
        maxAttempts: args.maxAttempts,
        retryBaseDelayMs: args.retryBaseDelayMs,
        state: undefined,
        created: undefined,
        lastUpdated: undefined,
        ownerOrgno: undefined,
      },
      // The key must stay in state: `delete` receives only the stored outputs and needs it to authenticate.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: [...SCOPE_ACCESS_SECRET_INPUTS] }),
      "maskinporten",
      "ScopeAccess",
    );
  }
}
