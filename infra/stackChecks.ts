import { awsManifestProblems } from "./aws/validate";
import { aclPlanProblems } from "./azure/acl/plan";
import { federatedTrustProblems, skyportenTrust } from "./azure/identity";
import type { FieldProblem, ManifestChecks } from "./manifest/load";
import type { Manifest } from "./manifest/schema";
import { subjectFor } from "./naming";
import type { Settings } from "./settings/schema";

/**
 * Everything the program would refuse about a valid manifest under one stack's settings, found before any plan
 * runs and reported at a manifest field (so `validate --stack` and `plan` print `file:line:col`, never a
 * failure from inside the program): AWS grants on a stack without AWS, a KMS key of another region or
 * partition, a partner's IAM policy over IAM's size limits, federated credential limits, and, as a safety net,
 * any ACL plan problem the manifest rules did not already catch. Pass it as `checks` to the manifest loader.
 */
export function stackChecks(settings: Settings): ManifestChecks {
  const check = (manifest: Manifest): FieldProblem[] => {
    const out: FieldProblem[] = [...awsManifestProblems(settings, manifest)];
    manifest.partners.forEach((p, i) => {
      if (p.status !== "active") return;
      const trust = skyportenTrust(
        p.orgNumber,
        settings.issuer,
        subjectFor(p.orgNumber, settings.scope),
        settings.audience,
      );
      for (const message of federatedTrustProblems(p.orgNumber, [trust]))
        out.push({ path: ["partners", i], message });
    });
    for (const message of aclPlanProblems(manifest)) out.push({ path: ["containers"], message });
    return out;
  };
  // What the checks depend on: the settings alone, so equal settings check alike (the loader may reuse a load).
  // Keys sorted: settings read from a stack file and from Pulumi's config are equal but built in another order.
  // The manifest's own path is no input of the checks (a plan may name the file in another spelling).
  return Object.assign(check, { key: canonicalJson({ ...settings, manifest: undefined }) });
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
