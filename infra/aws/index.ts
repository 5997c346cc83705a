/**
 * The AWS (S3) variant: one Skyporten OIDC provider per stack, one web-identity role per partner, and the
 * manifest's buckets. Pure decisions live in model/policies/validate; the components only create resources.
 */
export { AwsPlatform, platformTags, AWS_PLATFORM_TYPE, type AwsPlatformArgs } from "./platform";
export {
  PartnerAwsRole,
  PARTNER_AWS_ROLE_TYPE,
  S3_POLICY_NAME,
  type PartnerAwsRoleArgs,
} from "./partnerRole";
export {
  awsRoleArnFor,
  expectedProviderArn,
  needsAwsRole,
  providerArnFor,
  providerClientIds,
  providerPlan,
  providerUrl,
  type ProviderPlan,
} from "./model";
export {
  bucketTlsPolicyDocument,
  permissionPolicyDocument,
  policySize,
  ROLE_INLINE_POLICY_MAX_CHARS,
  TRUST_POLICY_MAX_CHARS,
  trustPolicyDocument,
  type PermissionPolicyArgs,
  type PolicyDocument,
  type PolicyStatement,
  type TrustPolicyArgs,
} from "./policies";
export {
  awsPlatformProblems,
  checkAwsPartner,
  validateAwsPartner,
  validateAwsPlatform,
  type AwsPartnerCheck,
} from "./validate";
export { awsPartnerOutputs, type AwsGrantOutput, type AwsPartnerOutputs } from "./outputs";
