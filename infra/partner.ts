import * as pulumi from "@pulumi/pulumi";
import { GroupMember } from "@pulumi/azuread/groupMember";
import { needsAwsRole, PartnerAwsRole, validateAwsPartner, type AwsPlatform } from "./aws";
import { createPartnerIdentity, federatedTrustProblems, skyportenTrust, type PartnerIdentity } from "./azure/identity";
import { aclEntryInput, PathAcl, type PathAclPlan } from "./azure/acl";
import { membershipsFor } from "./azure/model";
import { pathAclLogicalName, type AzurePlatform } from "./azure/platform";
import { ScopeAccess, scopeAccessArgsProblems, type ScopeAccessArgs } from "./maskinporten";
import type { Bucket, Partner } from "./manifest/schema";
import { groupMemberLogicalName, subjectFor } from "./naming";
import { safeTagValue } from "./tags";
import type { Settings } from "./settings/schema";

/**
 * Tags on every partner resource that takes tags (identity, IAM role). The display name lives only here, made a
 * value both clouds accept (safeTagValue: "Hansen & Sønn (Bergen), AS" -> "Hansen + Sønn Bergen AS").
 */
export function partnerTags(settings: Settings, partner: Partner): Record<string, string> {
  return {
    "managed-by": "skyporten-onboarding",
    environment: settings.environment,
    "org-number": partner.orgNumber,
    "partner-status": partner.status,
    "partner-name": safeTagValue(partner.name),
  };
}

/** Does this partner need an Azure identity? Active and suspended partners keep one; offboarded do not. */
export function hasAzureIdentity(partner: Partner): boolean {
  return partner.status !== "offboarded" && partner.azure.length > 0;
}

/**
 * Checks that must pass before anything is created (style: validate first, synchronously). Throws one Error
 * naming the organization and the fix.
 */
export function validatePartner(settings: Settings, partner: Partner): void {
  const trusts = partner.status === "active" ? [skyportenTrust(partner.orgNumber, settings.issuer, subjectFor(partner.orgNumber, settings.scope), settings.audience)] : [];
  const problems = federatedTrustProblems(partner.orgNumber, trusts);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

const adminKeyMissing = "maskinporten.manageScopeAccess is on but the admin client id or the secret adminPrivateKey is not set";
const noOidcProvider = (orgNumber: string) =>
  `organization ${orgNumber} has AWS grants but the stack has no Skyporten OIDC provider; enable aws in the stack settings`;

/** The arguments of an active partner's ScopeAccess: the settings' Maskinporten section and the admin key. */
function scopeAccessArgs(settings: Settings, partner: Partner, adminClientId: string, adminPrivateKey: pulumi.Input<string>): ScopeAccessArgs {
  const mp = settings.maskinporten;
  return {
    orgNumber: partner.orgNumber,
    scope: settings.scope,
    apiBaseUrl: mp.apiBaseUrl,
    tokenEndpoint: mp.tokenEndpoint,
    tokenAudience: mp.tokenAudience,
    adminClientId,
    adminKeyId: mp.adminKeyId,
    adminPrivateKey,
  };
}

/** What {@link checkPartner} needs: the partner's arguments, with the stack's AWS side as facts, not resources. */
export interface PartnerCheckArgs extends Omit<SkyportenPartnerArgs, "azure" | "aws"> {
  /** The stack's AWS side when enabled: its buckets, and whether it creates or adopts the Skyporten OIDC provider. */
  aws?: { buckets: readonly Bucket[]; hasProvider: boolean };
}

/**
 * Every check the partner's component makes before it registers anything, without building anything: its trust,
 * that its ACL plans name only itself, when scope access is managed the Maskinporten admin key and ScopeAccess's
 * own checks of its arguments (the settings accept URLs of different Digdir environments, ScopeAccess does not),
 * and its AWS role (the OIDC provider, undeclared bucket, unsafe prefix, IAM size limits). The program runs it for every partner
 * before it builds anything (infra/program.ts builds partners one at a time, registrations going out in between);
 * the component runs it again. Throws one Error naming the organization and the fix.
 */
export function checkPartner(args: PartnerCheckArgs): void {
  const { settings, partner } = args;
  validatePartner(settings, partner);
  if (hasAzureIdentity(partner)) {
    for (const plan of args.acls) {
      if (plan.entries.some((e) => e.principal.kind !== "partner" || e.principal.orgNumber !== partner.orgNumber))
        throw new Error(`organization ${partner.orgNumber}: ACL plan for ${plan.container}${plan.path} names another principal`);
    }
  }
  if (partner.status === "active" && settings.maskinporten.manageScopeAccess) {
    if (args.maskinportenAdminKey === undefined || settings.maskinporten.adminClientId === undefined) throw new Error(adminKeyMissing);
    const problems = scopeAccessArgsProblems(scopeAccessArgs(settings, partner, settings.maskinporten.adminClientId, args.maskinportenAdminKey));
    if (problems.length > 0)
      throw new Error(`organization ${partner.orgNumber}: Maskinporten scope access cannot be granted: ${problems.join("; ")}`);
  }
  if (args.aws !== undefined && needsAwsRole(partner)) {
    if (!args.aws.hasProvider) throw new Error(noOidcProvider(partner.orgNumber));
    validateAwsPartner({ settings, partner, buckets: [...args.aws.buckets] });
  }
}

export interface SkyportenPartnerArgs {
  settings: Settings;
  partner: Partner;
  azure: AzurePlatform;
  /** This partner's own ACL plans (path grants), from planAcls(manifest); empty unless active. */
  acls: readonly PathAclPlan[];
  /** The admin client's private key, when the stack manages Maskinporten scope access. */
  maskinportenAdminKey?: pulumi.Input<string>;
  /** The stack's AWS platform, when the AWS variant is enabled. */
  aws?: { platform: AwsPlatform; buckets: readonly Bucket[] };
}

/**
 * Everything one partner organization gets, driven by its manifest entry. One identity per organization,
 * shared by the whole company, of the stack's kind (settings azure.identityKind). Status semantics
 * (design.md): `active` gets everything; `suspended` keeps only the identity (same client id when reinstated);
 * `offboarded` gets nothing (no component at all).
 */
export class SkyportenPartner extends pulumi.ComponentResource {
  readonly orgNumber: string;
  readonly identity?: PartnerIdentity;
  /** ARN of the partner's web-identity role (active partners with AWS grants). */
  readonly awsRoleArn?: pulumi.Output<string>;
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;

  constructor(name: string, args: SkyportenPartnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("skyporten:partner:SkyportenPartner", name, {}, opts);
    const { settings, partner } = args;
    checkPartner({
      ...args,
      aws: args.aws && { buckets: args.aws.buckets, hasProvider: args.aws.platform.providerArn !== undefined },
    });
    this.orgNumber = partner.orgNumber;
    this.issuer = settings.issuer;
    this.subject = subjectFor(partner.orgNumber, settings.scope);
    this.audience = settings.audience;
    const tags = partnerTags(settings, partner);
    const active = partner.status === "active";

    if (hasAzureIdentity(partner)) {
      const identity = createPartnerIdentity({
        kind: settings.azure.identityKind,
        owners: settings.azure.groupOwners,
        nameKey: settings.nameKey,
        namePrefix: name,
        orgNumber: partner.orgNumber,
        resourceGroupName: settings.azure.resourceGroupName,
        location: settings.azure.location,
        tenantId: settings.azure.tenantId,
        tags,
        trusts: active ? [skyportenTrust(partner.orgNumber, this.issuer, this.subject, this.audience)] : [],
        protect: settings.protectIdentities,
        parent: this,
      });
      this.identity = identity;

      for (const ref of membershipsFor(partner)) {
        new GroupMember(
          groupMemberLogicalName(name, ref.container, ref.level),
          { groupObjectId: args.azure.groupObjectId(ref.container, ref.level), memberObjectId: identity.principalId },
          { parent: this },
        );
      }

      for (const plan of args.acls) {
        // ACL entries name the Entra object (principal) id, never the client id (checkPartner: only this partner's).
        const entries = plan.entries.map((e) => aclEntryInput(e, identity.principalId));
        new PathAcl(
          pathAclLogicalName(`${name}-`, plan),
          {
            accountName: settings.azure.storageAccountName,
            fileSystem: plan.container,
            path: plan.path,
            entries,
            recursive: plan.recursive,
            createDirectory: plan.createDirectory,
          },
          { parent: this },
        );
      }
    }

    if (active && settings.maskinporten.manageScopeAccess) {
      const mp = settings.maskinporten;
      if (args.maskinportenAdminKey === undefined || mp.adminClientId === undefined) throw new Error(adminKeyMissing);
      new ScopeAccess(`${name}-scope-access`, scopeAccessArgs(settings, partner, mp.adminClientId, args.maskinportenAdminKey), { parent: this });
    }

    if (args.aws !== undefined && needsAwsRole(partner)) {
      const providerArn = args.aws.platform.providerArn;
      if (providerArn === undefined) throw new Error(noOidcProvider(partner.orgNumber));
      const role = new PartnerAwsRole(`${name}-aws`, { settings, partner, buckets: [...args.aws.buckets], providerArn, tags }, { parent: this });
      this.awsRoleArn = role.roleArn;
    }

    this.registerOutputs({});
  }
}
