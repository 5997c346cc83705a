import type { IAMClient } from "@aws-sdk/client-iam";
import type { S3Client } from "@aws-sdk/client-s3";
import type { AccessState } from "../../../infra/audit/observed";
import type { Manifest } from "../../../infra/manifest/schema";
import type { Connection } from "../../../infra/maskinporten/provider";
import type { Settings } from "../../../infra/settings";
import { auditedAclPaths } from "../../../infra/audit/expected";
import type { AzureClients } from "./clients";
import {
  collectAcls,
  collectApplications,
  collectGroups,
  collectIdentities,
  collectRoleAssignments,
} from "./collectAzure";
import { collectBucketPolicies, collectOidcProviders, collectRoles } from "./collectAws";
import { collectConsumers } from "./collectMaskinporten";
import { unreadable } from "./failures";
import type { Unreadable } from "./report";

/**
 * Live collection: every source of the observed document read with the clouds' SDKs, each on its own, so one
 * unreadable source is reported (and the audit exits 2) while the others are still read and judged.
 */

export interface LiveSources {
  /** Azure SDK clients, or why there are none. */
  azure: AzureClients | { unavailable: string };
  /** IAM client, when the stack's AWS variant is on; or why there is none. */
  iam?: IAMClient | { unavailable: string };
  /** S3 client for the manifest buckets' policies, when the stack's AWS variant is on; or why there is none. */
  s3?: S3Client | { unavailable: string };
  /** Digdir connection, when the stack manages scope access; or why there is none. */
  maskinporten?: Connection | { unavailable: string };
}

export interface Collected {
  observed: AccessState;
  unreadable: Unreadable[];
}

const isUnavailable = (x: unknown): x is { unavailable: string } =>
  typeof x === "object" && x !== null && "unavailable" in x;

export async function collectLive(
  stack: string,
  settings: Settings,
  manifest: Manifest,
  sources: LiveSources,
): Promise<Collected> {
  const observed: AccessState = { stack };
  const problems: Unreadable[] = [];
  const read = async <T>(source: string, fallback: T, op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (e) {
      problems.push(unreadable(source, e));
      return fallback;
    }
  };

  const az = sources.azure;
  if (isUnavailable(az)) {
    for (const s of ["azure.identities", "azure.groups", "azure.roleAssignments", "azure.acls"])
      problems.push({ source: s, reason: az.unavailable });
  } else {
    const identities = await read("azure.identities", [], () =>
      settings.azure.identityKind === "app-registration"
        ? collectApplications(az, settings)
        : collectIdentities(az, settings.azure.resourceGroupName),
    );
    const groups = await read("azure.groups", [], () => collectGroups(az, settings.nameKey));
    const roleAssignments = await read("azure.roleAssignments", [], () =>
      collectRoleAssignments(
        az,
        settings,
        manifest.containers.map((c) => c.name),
      ),
    );
    const acls = await read("azure.acls", [], () =>
      collectAcls(az, settings.azure.storageAccountName, auditedAclPaths(manifest)),
    );
    observed.azure = { identities, groups, roleAssignments, acls };
  }

  if (settings.aws.enabled) {
    const iam = sources.iam;
    if (iam === undefined || isUnavailable(iam)) {
      const reason = iam?.unavailable ?? "no AWS client";
      problems.push({ source: "aws.oidcProviders", reason }, { source: "aws.roles", reason });
    } else {
      const oidcProviders = await read("aws.oidcProviders", [], () => collectOidcProviders(iam));
      const roles = await read("aws.roles", [], () => collectRoles(iam, settings));
      observed.aws = { oidcProviders, roles };
    }
    const s3 = sources.s3;
    if (s3 === undefined || isUnavailable(s3)) {
      problems.push({ source: "aws.bucketPolicies", reason: s3?.unavailable ?? "no S3 client" });
    } else if (observed.aws !== undefined) {
      observed.aws.bucketPolicies = await read("aws.bucketPolicies", [], () =>
        collectBucketPolicies(
          s3,
          manifest.buckets.map((b) => b.name),
        ),
      );
    }
  }

  if (settings.maskinporten.manageScopeAccess) {
    const mp = sources.maskinporten;
    if (mp === undefined || isUnavailable(mp)) {
      problems.push({ source: "maskinporten.consumers", reason: mp?.unavailable ?? "no Digdir connection" });
    } else {
      const consumers = await read("maskinporten.consumers", undefined, () =>
        collectConsumers(mp, settings.scope),
      );
      if (consumers !== undefined) observed.maskinporten = { scope: settings.scope, consumers };
    }
  }
  return { observed, unreadable: problems };
}
