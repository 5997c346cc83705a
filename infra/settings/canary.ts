import { z } from "zod";
import { orgNumberProblem } from "../manifest/orgNumber";

/**
 * The deploy canary (`npm run canary`): the platform onboards itself as a partner, with its own Maskinporten
 * client, and proves the trust chain end to end after every deploy. Its settings are optional: a stack without
 * `canary` has no canary (`npm run canary` exits 2).
 *
 * ```yaml
 *   skyporten-onboarding:canary:
 *     orgNumber: "917422575"        # the platform's own organization: a partner entry of the manifest
 *     clientId: 0a1b2c3d-...        # its Maskinporten client (the same client partners would create)
 *     keyId: canary-2026-12         # kid of the client's key registered at Digdir
 * ```
 * The private key is a Pulumi secret (`pulumi config set --secret skyporten-onboarding:canaryPrivateKey < key.pem`)
 * or, in CI, the environment variable CANARY_PRIVATE_KEY_ENV.
 */

/** Secret config key of the canary's private key (PKCS#8 PEM). */
export const CANARY_PRIVATE_KEY_SECRET = "canaryPrivateKey";
/** Environment variable that holds the canary's private key in CI (wins over the Pulumi secret). */
export const CANARY_PRIVATE_KEY_ENV = "SKYPORTEN_CANARY_PRIVATE_KEY";

const text = (key: string, what: string) =>
  z
    .string({ error: `${key} must be ${what} (text)` })
    .trim()
    .min(1, `${key} must not be empty`);

export const CanarySettingsSchema = z.strictObject(
  {
    /** The platform's own organization number: it must be an active partner entry of the stack's manifest. */
    orgNumber: z
      .string({
        error:
          'canary.orgNumber must be the platform\'s organization number as a quoted string, e.g. "917422575"',
      })
      .superRefine((v, ctx) => {
        const problem = orgNumberProblem(v);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: `canary.orgNumber ${problem}` });
      }),
    /** Client id of the platform's Maskinporten client used by the canary (the `iss` of its JWT grant). */
    clientId: text("canary.clientId", "the client id of the canary's Maskinporten client"),
    /** Key id (`kid`) of the client's key registered at Digdir. */
    keyId: text("canary.keyId", "the kid of the canary client's key registered at Digdir"),
  },
  {
    error: (issue: { code?: string }) =>
      issue.code === "invalid_type"
        ? "canary must be a mapping with orgNumber, clientId and keyId (remove it for no canary)"
        : undefined,
  },
);

export type CanarySettings = z.output<typeof CanarySettingsSchema>;
