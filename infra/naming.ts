/**
 * Names and trust strings: the one source of truth for what the plan, the handover document and `explain`
 * say. Physical names derive from stable keys only (the stack's name key, organization number, container name),
 * never from display names, list positions or random values: renaming a partner replaces nothing. The name key
 * is the settings' `nameKey`, by default the environment (infra/settings/schema.ts NAME_KEY_PATTERN).
 */

/** ICD of the Norwegian business register, the only one Maskinporten supports. */
export const ICD_NORWAY = "0192";

/** The Skyporten token subject: `0192:<orgno>;<scope>` (Skyporten appends the one requested scope). */
export function subjectFor(orgNumber: string, scope: string): string {
  return `${ICD_NORWAY}:${orgNumber};${scope}`;
}

/** The consumer id Skyporten puts in `consumer.ID`. */
export function consumerIdFor(orgNumber: string): string {
  return `${ICD_NORWAY}:${orgNumber}`;
}

/** Issuer without scheme: the prefix of AWS condition keys (`test.sky.maskinporten.no:sub`). */
export function issuerHost(issuer: string): string {
  return issuer.replace(/^https:\/\//, "");
}

/** Skyporten's token endpoint for an issuer. */
export function tokenEndpointFor(issuer: string): string {
  return `${issuer}/token`;
}

/** Physical name of the partner's user-assigned managed identity. */
export function identityName(nameKey: string, orgNumber: string): string {
  return `id-skyporten-${nameKey}-${orgNumber}`;
}

/** Name of the federated identity credential (3-120 chars, alphanumeric start, immutable). */
export function federatedCredentialName(orgNumber: string): string {
  return `skyporten-${orgNumber}`;
}

/** Name of the partner's IAM role (64 chars max). */
export function awsRoleName(nameKey: string, orgNumber: string): string {
  return `skyporten-${nameKey}-${orgNumber}`;
}

/** Logical (Pulumi) name of a partner's component. */
export function partnerLogicalName(orgNumber: string): string {
  return `partner-${orgNumber}`;
}

/**
 * Access levels of the per-container platform groups (infra/azure/model.ts says what each grants). Listed here
 * because they are part of resource names.
 */
export const GROUP_LEVELS = ["read", "read-write", "write", "traverse"] as const;
export type GroupLevel = (typeof GROUP_LEVELS)[number];

/**
 * The part every per-container, per-level name shares: `<container>-<level>`. It is NOT injective over all
 * container names ("inbound" + "read-write" = "inbound-read" + "write"), so the manifest refuses two containers
 * whose keys meet (containerNameCollisions); over valid manifests every name built from it is unique.
 */
export function containerLevelKey(container: string, level: GroupLevel): string {
  return `${container}-${level}`;
}

/**
 * What every platform group's display name of a stack starts with: `sg-skyporten-<name key>-`. A name key holds
 * no "-", so one stack's prefix never matches another stack's groups in the same tenant.
 */
export function groupNamePrefix(nameKey: string): string {
  return `sg-skyporten-${nameKey}-`;
}

/** Display name of a platform group; stable, derived from name key, container and level only. */
export function groupDisplayName(nameKey: string, container: string, level: GroupLevel): string {
  return `${groupNamePrefix(nameKey)}${containerLevelKey(container, level)}`;
}

/** Logical (Pulumi) name of a platform group. */
export function groupLogicalName(container: string, level: GroupLevel): string {
  return `group-${containerLevelKey(container, level)}`;
}

/** Logical name of a platform group's role assignment on its container. */
export function roleAssignmentLogicalName(container: string, level: GroupLevel): string {
  return `ra-${containerLevelKey(container, level)}`;
}

/** Logical name of a partner's membership in a platform group (`partnerName` is partnerLogicalName). */
export function groupMemberLogicalName(partnerName: string, container: string, level: GroupLevel): string {
  return `${partnerName}-member-${containerLevelKey(container, level)}`;
}

/**
 * Pairs of declared containers whose per-level names would be the same resource name: for each, the later
 * container (by index), the earlier one it meets, and the shared key. Empty for every valid manifest.
 */
export function containerNameCollisions(
  containers: readonly string[],
): { index: number; other: number; key: string; levels: [GroupLevel, GroupLevel] }[] {
  const first = new Map<string, { index: number; level: GroupLevel }>();
  const out: { index: number; other: number; key: string; levels: [GroupLevel, GroupLevel] }[] = [];
  containers.forEach((container, index) => {
    let reported = false;
    for (const level of GROUP_LEVELS) {
      const key = containerLevelKey(container, level);
      const seen = first.get(key);
      if (seen !== undefined && containers[seen.index] !== container && !reported) {
        out.push({ index, other: seen.index, key, levels: [level, seen.level] });
        reported = true;
      } else if (seen === undefined) first.set(key, { index, level });
    }
  });
  return out;
}

/**
 * Logical name of a PathAcl: container and absolute path, unique per owner (`prefix` is "" for the platform,
 * `<partner logical name>-` for a partner). Container names hold no "/", and paths start with one, so the name
 * is injective over (owner, container, path).
 */
export function pathAclLogicalName(prefix: string, plan: { container: string; path: string }): string {
  return `${prefix}acl-${plan.container}${plan.path === "/" ? "/" : plan.path}`;
}
