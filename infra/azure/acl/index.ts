/**
 * ADLS Gen2 ACLs: pure planning on symbolic principals, rendering once object ids are known, the PathAcl dynamic
 * resource that owns its entries and nothing else, and the plan's ACL budget.
 */
export {
  ACL_NAMED_ENTRY_LIMIT,
  ACL_TOTAL_ENTRY_LIMIT,
  aclBudget,
  aclEntryPrefix,
  aclPlanProblems,
  absolutePath,
  ancestorsOf,
  permsForAccess,
  planAcls,
  principalKey,
  renderAclEntries,
  renderAclEntry,
  rootAclPlan,
  type AclBudget,
  type AclOwner,
  type AclPerms,
  type AclPrincipal,
  type AclScope,
  type PathAclPlan,
  type PlannedAclEntry,
} from "./plan";
export { PathAcl, aclEntryInput, type PathAclArgs } from "./pathAcl";
