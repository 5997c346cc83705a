import { GetBucketPolicyCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  GetOpenIDConnectProviderCommand,
  GetRolePolicyCommand,
  ListOpenIDConnectProvidersCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  paginateListRoles,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { trustsSkyporten } from "../../../infra/audit/compareAws";
import {
  policiesByName,
  type ObservedBucketPolicy,
  type ObservedOidcProvider,
  type ObservedRole,
} from "../../../infra/audit/observed";
import { awsRoleName } from "../../../infra/naming";
import type { Settings } from "../../../infra/settings";

/**
 * Read-only IAM collectors (query API; the SDK pages with Marker/IsTruncated and retries throttling). Policy
 * documents come URL-encoded (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html) and are decoded
 * to JSON here.
 */

/** Every OIDC provider of the account, with its URL (as https://<host>) and client ids. */
export async function collectOidcProviders(iam: IAMClient): Promise<ObservedOidcProvider[]> {
  const list = await iam.send(new ListOpenIDConnectProvidersCommand({}));
  const out: ObservedOidcProvider[] = [];
  for (const p of list.OpenIDConnectProviderList ?? []) {
    if (p.Arn === undefined) continue;
    const details = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.Arn }));
    const url = details.Url ?? "";
    // IAM answers the URL without its scheme (e.g. "test.sky.maskinporten.no").
    out.push({
      arn: p.Arn,
      url: /^https?:\/\//.test(url) ? url : `https://${url}`,
      clientIds: details.ClientIDList ?? [],
    });
  }
  return out;
}

export function decodePolicy(
  text: string | undefined,
  what: string,
): { Version?: string; Statement: unknown } {
  if (text === undefined) throw new Error(`${what}: IAM returned no policy document`);
  let doc: unknown;
  try {
    doc = JSON.parse(decodeURIComponent(text));
  } catch {
    throw new Error(`${what}: the policy document is not URL-encoded JSON`);
  }
  if (typeof doc !== "object" || doc === null)
    throw new Error(`${what}: the policy document is not a JSON object`);
  return doc as { Version?: string; Statement: unknown };
}

/**
 * Every role that trusts the stack's Skyporten provider (ours or not), and every role named like a partner
 * role, with its inline and attached policies.
 */
export async function collectRoles(iam: IAMClient, settings: Settings): Promise<ObservedRole[]> {
  const prefix = awsRoleName(settings.nameKey, "");
  const out: ObservedRole[] = [];
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const r of page.Roles ?? []) {
      const name = r.RoleName ?? "";
      const trustPolicy = decodePolicy(r.AssumeRolePolicyDocument, `role ${name}`);
      if (!trustsSkyporten({ trustPolicy }, settings.issuer) && !name.startsWith(prefix)) continue;
      // No prototype: an inline policy may be named __proto__ (observed.ts, policiesByName).
      const inlinePolicies = policiesByName([]);
      for await (const p of paginateListRolePolicies({ client: iam }, { RoleName: name })) {
        for (const policyName of p.PolicyNames ?? []) {
          const doc = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
          inlinePolicies[policyName] = decodePolicy(
            doc.PolicyDocument,
            `inline policy ${policyName} of role ${name}`,
          );
        }
      }
      const attachedPolicyArns: string[] = [];
      for await (const p of paginateListAttachedRolePolicies({ client: iam }, { RoleName: name })) {
        for (const a of p.AttachedPolicies ?? [])
          if (a.PolicyArn !== undefined) attachedPolicyArns.push(a.PolicyArn);
      }
      out.push({
        name,
        path: r.Path ?? "/",
        arn: r.Arn ?? "",
        trustPolicy,
        inlinePolicies,
        attachedPolicyArns,
      });
    }
  }
  return out;
}

/**
 * The policy of each manifest bucket (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html):
 * null when it has none (NoSuchBucketPolicy); a bucket that does not exist is left out (the stack creates it).
 */
export async function collectBucketPolicies(
  s3: S3Client,
  buckets: readonly string[],
): Promise<ObservedBucketPolicy[]> {
  const out: ObservedBucketPolicy[] = [];
  for (const name of buckets) {
    try {
      const res = await s3.send(new GetBucketPolicyCommand({ Bucket: name }));
      out.push({
        name,
        policy: decodePolicy(encodeURIComponent(res.Policy ?? ""), `bucket policy of ${name}`),
      });
    } catch (e) {
      const code = (e as { name?: string; Code?: string }).Code ?? (e as { name?: string }).name;
      if (code === "NoSuchBucketPolicy") out.push({ name, policy: null });
      else if (code !== "NoSuchBucket") throw e;
    }
  }
  return out;
}
