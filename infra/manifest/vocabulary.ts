/**
 * The manifest's small closed vocabularies, in a module of their own so the schema and the rules it runs
 * (isolation.ts) can share them without importing each other.
 */
export const ACCESS_LEVELS = ["read", "write", "read-write"] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

export const PARTNER_STATUSES = ["active", "suspended", "offboarded"] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];
