import type * as pulumi from "@pulumi/pulumi";

// The identity contract and Azure's rules for federated credentials, shared by both identity kinds
// (identity.ts, appRegistration.ts) and the sequential-credential helper: a leaf module, so those three
// import it instead of each other.

/**
 * What the rest of the program needs from a partner's Entra identity, whatever kind it is. Grants (group
 * memberships, ACL entries) use `principalId`; partners log in with `clientId`. Two kinds implement it: a
 * user-assigned managed identity (createManagedIdentity, the default) and an app registration with an
 * application federated credential (createAppRegistrationIdentity, the other variant in Digdir's Skyporten guide).
 */
export interface PartnerIdentity {
  readonly kind: "user-assigned-managed-identity" | "app-registration";
  /** Application (client) id: what the partner logs in with (an object id gives AADSTS700016). */
  readonly clientId: pulumi.Output<string>;
  /** Object (principal) id: what RBAC and ADLS ACL entries name (never the client id). */
  readonly principalId: pulumi.Output<string>;
  /** Tenant the identity lives in. */
  readonly tenantId: pulumi.Output<string>;
  /** Resource id: the managed identity's ARM id, or the application's `/applications/<object id>`. */
  readonly resourceId: pulumi.Output<string>;
}

/** One trust: a token with exactly this issuer, subject and audience may act as the identity. */
export interface FederatedTrust {
  /** Credential name: 3-120 chars of letters, digits, `-`, `_`, alphanumeric first; immutable. */
  name: string;
  issuer: string;
  subject: string;
  audience: string;
}

/** Federated credentials per identity (Azure limit). */
export const MAX_FEDERATED_CREDENTIALS_PER_IDENTITY = 20;

const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/;

/** Checks Azure's rules on a set of trusts for one identity; returns problems (empty when fine). */
export function federatedTrustProblems(orgNumber: string, trusts: readonly FederatedTrust[]): string[] {
  const problems: string[] = [];
  if (trusts.length > MAX_FEDERATED_CREDENTIALS_PER_IDENTITY) {
    problems.push(
      `organization ${orgNumber}: ${trusts.length} federated credentials, more than Azure's ${MAX_FEDERATED_CREDENTIALS_PER_IDENTITY} per identity`,
    );
  }
  const pairs = new Set<string>();
  const names = new Set<string>();
  for (const t of trusts) {
    if (!CREDENTIAL_NAME.test(t.name)) {
      problems.push(
        `organization ${orgNumber}: federated credential name "${t.name}" must be 3-120 letters, digits, "-" or "_", starting with a letter or digit`,
      );
    }
    if (names.has(t.name))
      problems.push(`organization ${orgNumber}: federated credential name "${t.name}" is used twice`);
    names.add(t.name);
    const pair = `${t.issuer}\n${t.subject}`;
    if (pairs.has(pair))
      problems.push(
        `organization ${orgNumber}: issuer+subject "${t.issuer}" / "${t.subject}" must be unique per identity`,
      );
    pairs.add(pair);
    if (/[*?]/.test(t.subject) || /[*?]/.test(t.issuer)) {
      problems.push(
        `organization ${orgNumber}: federated credentials match exactly; wildcards in issuer or subject never match`,
      );
    }
  }
  return problems;
}
