import { compareAcls } from "./compareAcl";
import { compareAws } from "./compareAws";
import { compareGroups, compareIdentities, compareRoleAssignments, type AzureSide } from "./compareAzure";
import type { Expectation } from "./expected";
import { normalizeFindings, parseGroupName, principalIndex, type Finding } from "./findings";
import type { AccessState } from "./observed";

/**
 * The audit's one decision: the access that exists (observed) held against what the manifest declares
 * (expected), as findings. Pure and order-blind: any permutation of the observed lists gives the same findings
 * (they come back deduplicated, in one stable order). A cloud absent from the observed document was not read
 * and is not judged; the CLI makes sure a source that could not be read is reported, never taken as clean.
 * `notRead` names the sources that could not be read ("azure.identities", "aws.roles", ...): nothing that
 * depends on them is judged, so an empty list read in place of a failed one never turns into findings. Ids are
 * resolved through the identities and groups, so without either no Azure comparison is made.
 */
export function compareAccess(
  expectation: Expectation,
  observed: AccessState,
  notRead: readonly string[] = [],
): Finding[] {
  const { state: expected, context: ctx } = expectation;
  const declared = [
    ...new Set(
      (expected.azure?.groups ?? [])
        .map((g) => parseGroupName(g.name, ctx.nameKey, [])?.container)
        .filter((c): c is string => c !== undefined),
    ),
  ];
  const read = (source: string) => !notRead.includes(source);
  const findings: Finding[] = [];
  if (observed.azure !== undefined && read("azure.identities") && read("azure.groups")) {
    const exp: AzureSide = { state: expected, index: principalIndex(expected, ctx, declared) };
    const obs: AzureSide = { state: observed, index: principalIndex(observed, ctx, declared) };
    findings.push(...compareIdentities(expected, observed, ctx), ...compareGroups(exp, obs, ctx));
    if (read("azure.roleAssignments")) findings.push(...compareRoleAssignments(exp, obs, ctx));
    if (read("azure.acls")) findings.push(...compareAcls(exp, obs, ctx));
  }
  findings.push(
    ...compareAws(expected, observed, ctx, {
      providers: read("aws.oidcProviders"),
      roles: read("aws.roles"),
      bucketPolicies: read("aws.bucketPolicies"),
    }),
  );
  findings.push(...compareScopeAccess(expectation, observed));
  return normalizeFindings(findings);
}

/**
 * Digdir's access list for the scope: every APPROVED organization must be an active partner; every active
 * partner must be APPROVED. Judged whenever the observed document carries the list.
 */
export function compareScopeAccess(expectation: Expectation, observed: AccessState): Finding[] {
  const mp = observed.maskinporten;
  if (mp === undefined) return [];
  const ctx = expectation.context;
  const findings: Finding[] = [];
  const subject = `scope ${ctx.scope}`;
  if (mp.scope !== ctx.scope) {
    return [
      {
        severity: "warning",
        kind: "changed",
        cloud: "maskinporten",
        orgNumber: null,
        subject,
        message: `the access list read is for scope ${mp.scope}, the stack's scope is ${ctx.scope}: read the stack's scope`,
      },
    ];
  }
  // Digdir writes states in upper case; a document written otherwise must not hide an APPROVED entry.
  const stateOf = (c: { state: string }) => c.state.trim().toUpperCase();
  const approved = new Set(mp.consumers.filter((c) => stateOf(c) === "APPROVED").map((c) => c.orgno.trim()));
  const states = new Map<string, string[]>();
  for (const c of mp.consumers)
    states.set(c.orgno.trim(), [...(states.get(c.orgno.trim()) ?? []), stateOf(c)]);
  for (const org of approved) {
    if (ctx.approvedOrgs.includes(org)) continue;
    const status = ctx.partners[org];
    findings.push({
      severity: "critical",
      kind: "unexpected",
      cloud: "maskinporten",
      orgNumber: org,
      subject,
      message: `organization ${org} is still APPROVED for ${ctx.scope} although it is ${status === undefined ? "not in the manifest" : status}: it can still get Skyporten tokens for the platform; revoke it (DELETE /api/v1/scopes/access/${org}?scope=...) or in Samarbeidsportalen`,
    });
  }
  for (const org of ctx.approvedOrgs) {
    if (approved.has(org)) continue;
    const seen = [...new Set(states.get(org) ?? [])].sort();
    findings.push({
      severity: "warning",
      kind: "missing",
      cloud: "maskinporten",
      orgNumber: org,
      subject,
      message: `organization ${org} is active in the manifest but not APPROVED for ${ctx.scope} (${seen.length === 0 ? "no entry" : `state ${seen.join(", ")}`}): it cannot get Skyporten tokens; grant the access`,
    });
  }
  return findings;
}
