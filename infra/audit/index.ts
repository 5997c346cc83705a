/**
 * The access audit's pure part: the expected access from the manifest (expectedState), the observed-access
 * document (parseAccessState), the comparison (compareAccess) and the review reminders (reviewNotices).
 * Collectors and report rendering live in scripts/lib/audit.
 */
export { compareAccess, compareScopeAccess } from "./compare";
export {
  auditedAclPaths,
  expectedState,
  namedPlaceholderIds,
  storageAccountScope,
  type AuditContext,
  type Expectation,
  type ExpectedIds,
} from "./expected";
export { normalizeFindings, type Cloud, type Finding, type FindingKind, type Severity } from "./findings";
export { AccessStateSchema, ObservedStateError, parseAccessState, type AccessState } from "./observed";
export { reviewNotices, type ReviewNotice } from "./reviews";
