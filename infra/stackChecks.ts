import { awsManifestProblems } from "./aws/validate";
import { aclPlanProblems } from "./azure/acl/plan";
import { federatedTrustProblems, skyportenTrust } from "./azure/identity";
import type { FieldProblem } from "./manifest/load";
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
export function stackChecks(settings: Settings): (manifest: Manifest) => FieldProblem[] {
  return (manifest) => {
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
}
