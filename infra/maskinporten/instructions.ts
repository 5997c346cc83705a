import type { PartnerStatus } from "../manifest/schema";
import type { Settings } from "../settings/schema";
import { accessUrl } from "./provider";

/**
 * What the plan and the handover document say about a partner's Maskinporten scope access. Pure: the same text
 * whether or not Pulumi runs. With `maskinporten.manageScopeAccess` off (the default) somebody must grant or revoke
 * the access by hand, and the text says where: Samarbeidsportalen's self-service for Maskinporten, or Digdir's
 * self-service API (https://docs.digdir.no/docs/Maskinporten/maskinporten_sjolvbetjening_api).
 */

/** Digdir's collaboration portal, where the scope owner manages access by hand. */
export const SAMARBEIDSPORTALEN_URL = "https://samarbeid.digdir.no";

/** The settings these texts depend on (a full `Settings` fits). */
export interface ScopeAccessSettings {
  environment: Settings["environment"];
  scope: Settings["scope"];
  maskinporten: Pick<Settings["maskinporten"], "manageScopeAccess" | "apiBaseUrl">;
}

export type ScopeAccessAction = "grant" | "revoke";

export interface ScopeAccessStep {
  /** True when this stack grants/revokes the access itself (ScopeAccess resource); false when it is manual. */
  managed: boolean;
  /** `grant` for active partners, `revoke` for suspended and offboarded ones. */
  action: ScopeAccessAction;
  orgNumber: string;
  scope: string;
  method: "PUT" | "DELETE";
  /** The self-service API call that does it. */
  url: string;
  /** One paragraph for the plan and the handover document. */
  text: string;
}

const SWITCH = "skyporten-onboarding:maskinporten.manageScopeAccess";

function environmentName(settings: ScopeAccessSettings): string {
  return settings.environment === "prod" ? "production" : "test";
}

/** The manual step when the switch is off: where and how to grant (or revoke) the access by hand. */
export function manualScopeAccessInstructions(
  settings: ScopeAccessSettings,
  orgNumber: string,
  action: ScopeAccessAction = "grant",
): string {
  const url = accessUrl(settings.maskinporten.apiBaseUrl, orgNumber, settings.scope);
  const env = environmentName(settings);
  if (action === "grant") {
    return (
      `Maskinporten scope access is not managed by this stack (${SWITCH} is false): grant it by hand. ` +
      `In Samarbeidsportalen (${SAMARBEIDSPORTALEN_URL}), Maskinporten self-service, ${env} environment, open the API (scope) "${settings.scope}" ` +
      `and give organization ${orgNumber} access. Or call Digdir's self-service API with an admin-client token holding idporten:scopes.write: ` +
      `PUT ${url} (no body). Until then the partner cannot add the scope to its Maskinporten client and gets no Skyporten token.`
    );
  }
  return (
    `Maskinporten scope access is not managed by this stack (${SWITCH} is false): revoke it by hand. ` +
    `In Samarbeidsportalen (${SAMARBEIDSPORTALEN_URL}), Maskinporten self-service, ${env} environment, open the API (scope) "${settings.scope}" ` +
    `and remove organization ${orgNumber}'s access. Or call Digdir's self-service API with an admin-client token holding idporten:scopes.write: ` +
    `DELETE ${url}. Until then the organization can still obtain Skyporten tokens for the scope (its storage access is removed regardless).`
  );
}

/** The scope-access step for a partner in a given status, managed or manual. */
export function scopeAccessStep(
  settings: ScopeAccessSettings,
  orgNumber: string,
  status: PartnerStatus,
): ScopeAccessStep {
  const action: ScopeAccessAction = status === "active" ? "grant" : "revoke";
  const method = action === "grant" ? "PUT" : "DELETE";
  const url = accessUrl(settings.maskinporten.apiBaseUrl, orgNumber, settings.scope);
  const managed = settings.maskinporten.manageScopeAccess;
  const text = managed
    ? action === "grant"
      ? `Maskinporten scope access for organization ${orgNumber} to "${settings.scope}" is granted by this stack (${method} ${url}).`
      : `Maskinporten scope access for organization ${orgNumber} to "${settings.scope}" is revoked by this stack (${method} ${url}).`
    : manualScopeAccessInstructions(settings, orgNumber, action);
  return { managed, action, orgNumber, scope: settings.scope, method, url, text };
}
