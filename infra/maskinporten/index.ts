/**
 * Maskinporten scope access for partners through Digdir's self-service API (issue 9).
 * The entry point creates a ScopeAccess per active partner when settings.maskinporten.manageScopeAccess is on;
 * plan and handover print scopeAccessStep(...).text either way.
 */
export {
  ScopeAccess,
  SCOPE_ACCESS_TYPE,
  SCOPE_ACCESS_SECRET_INPUTS,
  scopeAccessArgsProblems,
  type ScopeAccessArgs,
} from "./scopeAccess";
export {
  manualScopeAccessInstructions,
  scopeAccessStep,
  SAMARBEIDSPORTALEN_URL,
  type ScopeAccessAction,
  type ScopeAccessSettings,
  type ScopeAccessStep,
} from "./instructions";
export { accessUrl, accessListUrl, redact, SCOPES_WRITE, type AccessState } from "./provider";
