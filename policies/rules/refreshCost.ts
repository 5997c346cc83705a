/**
 * What one refresh costs, on paper. Pulumi.yaml sets `options: refresh: always`, so every `pulumi preview` and
 * `pulumi up` first reads every custom resource of the stack from its cloud (components are not read). This
 * module counts the API calls those reads make, per service, and the time they take at each service's documented
 * throttling limit. Pure: the plan's resources in, numbers out (docs/scaling.md explains the model).
 */

/** The services a refresh of this stack talks to. */
export type RefreshService = "arm" | "graph" | "dfs" | "iam" | "digdir";

export const REFRESH_SERVICES: readonly RefreshService[] = ["arm", "graph", "dfs", "iam", "digdir"];

/** A documented request limit as a token bucket: `burst` requests at once, then `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
  /** What the limit counts and for whom, as the source words it. */
  scope: string;
  source: string;
}

/**
 * Documented limits, or null where the service publishes none.
 * - ARM: subscription reads per security principal per region, token bucket 250, refilled 25/s (the 2024
 *   regional throttling): https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 * - Microsoft Graph, identity and access: per application and tenant, a large tenant (over 500 users, as Bane NOR's)
 *   gets 8,000 resource units per 10 s; reading a group's members costs 3 units, other identity reads 1:
 *   https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits
 * - ADLS Gen2 (DFS endpoint): 20,000 requests per second per standard storage account:
 *   https://learn.microsoft.com/azure/storage/common/scalability-targets-standard-account
 * - IAM: AWS throttles per account but publishes no rate ("Throttling: Rate exceeded"):
 *   https://repost.aws/knowledge-center/iam-sts-throttling-error
 * - Digdir's self-service API documents no rate limit: https://docs.digdir.no/docs/idporten/oidc/oidc_api_admin_maskinporten
 */
export const DOCUMENTED_LIMITS: Readonly<Record<RefreshService, RateLimit | null>> = {
  arm: {
    burst: 250,
    perSecond: 25,
    scope: "subscription reads per principal",
    source:
      "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling",
  },
  graph: {
    burst: 8000,
    perSecond: 800,
    scope: "resource units per app and tenant (large tenant)",
    source: "https://learn.microsoft.com/graph/throttling-limits#identity-and-access-service-limits",
  },
  dfs: {
    burst: 0,
    perSecond: 20000,
    scope: "requests per storage account",
    source: "https://learn.microsoft.com/azure/storage/common/scalability-targets-standard-account",
  },
  iam: null,
  digdir: null,
};

/** Microsoft Graph returns a group's members 100 to a page unless asked for more. */
export const GRAPH_MEMBERS_PAGE = 100;

/** One resource as the cost model needs it; `partner` is the partner component it belongs to, if any. */
export interface RefreshResource {
  type: string;
  custom: boolean;
  props: Record<string, unknown>;
  partner: string | null;
}

/** Calls (and, for Graph, resource units) per service. */
export type ServiceCalls = Record<RefreshService, number>;

export interface RefreshCost {
  /** Custom resources: each is read once per refresh. */
  resourcesRead: number;
  calls: ServiceCalls;
  /** Microsoft Graph resource units (what its limit counts). */
  graphUnits: number;
  /** Seconds each service needs at its documented limit; null where no limit is documented. */
  seconds: Record<RefreshService, number | null>;
  /** The slowest documented service: reads of different services run side by side. */
  estimateSeconds: number;
  boundBy: RefreshService | null;
  /** What one more partner like the largest one adds to every refresh. */
  perOnboarding: ServiceCalls;
  perOnboardingGraphUnits: number;
}

const zero = (): ServiceCalls => ({ arm: 0, graph: 0, dfs: 0, iam: 0, digdir: 0 });

/**
 * The read calls of one resource: `[service, calls, graph units]`. What each provider's read does:
 * - azure-native: one ARM GET per resource.
 * - azuread Group (terraform-provider-azuread groupResourceRead): the group and its owners, plus every page of its
 *   members (`members` is a computed attribute; the pages are added by {@link memberPages}); GroupMember: one
 *   filtered members query (groupGetMember). Application and ServicePrincipal (identityKind app-registration): the
 *   object and its owners; their federated credential: one GET.
 * - PathAcl (infra/azure/acl/provider.ts read): one getAccessControl on the DFS endpoint.
 * - ScopeAccess (infra/maskinporten/provider.ts read): one GET of the scope's access list (tokens are cached).
 * - aws Role (terraform-provider-aws resourceRoleRead): GetRole, ListRolePolicies, ListAttachedRolePolicies, plus
 *   a GetRolePolicy per inline policy (counted on the RolePolicy); RolePolicy: GetRolePolicy; OIDC provider: one Get.
 * Anything else (S3 bucket settings, per bucket, not per partner) is read but not counted here.
 */
const READS: Readonly<Record<string, [RefreshService, number, number]>> = {
  "azuread:index/group:Group": ["graph", 2, 2],
  "azuread:index/groupMember:GroupMember": ["graph", 1, 3],
  "azuread:index/application:Application": ["graph", 2, 2],
  "azuread:index/servicePrincipal:ServicePrincipal": ["graph", 2, 2],
  "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": [
    "graph",
    1,
    1,
  ],
  "pulumi-nodejs:dynamic/adls:PathAcl": ["dfs", 1, 0],
  "pulumi-nodejs:dynamic/maskinporten:ScopeAccess": ["digdir", 1, 0],
  "aws:iam/role:Role": ["iam", 3, 0],
  "aws:iam/rolePolicy:RolePolicy": ["iam", 2, 0],
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ["iam", 1, 0],
};

function readCalls(type: string): [RefreshService, number, number] | undefined {
  return type.startsWith("azure-native:") ? ["arm", 1, 0] : READS[type];
}

/**
 * Pages of members the group reads fetch: every group at least one, a group with m members ceil(m / 100). Members
 * are counted from the GroupMember resources by `groupObjectId`; they all name groups of this stack.
 */
export function memberPages(resources: readonly RefreshResource[]): number {
  const groups = resources.filter((r) => r.type === "azuread:index/group:Group").length;
  const members = new Map<unknown, number>();
  for (const r of resources)
    if (r.type === "azuread:index/groupMember:GroupMember")
      members.set(r.props.groupObjectId, (members.get(r.props.groupObjectId) ?? 0) + 1);
  let pages = Math.max(0, groups - members.size);
  for (const m of members.values()) pages += Math.ceil(m / GRAPH_MEMBERS_PAGE);
  return pages;
}

/** Seconds to make `units` requests through a token bucket that starts full. */
export function secondsAt(units: number, limit: RateLimit): number {
  return Math.max(0, units - limit.burst) / limit.perSecond;
}

/** The cost of one refresh of these resources. */
export function refreshCost(resources: readonly RefreshResource[]): RefreshCost {
  const pages = memberPages(resources);
  const calls = zero();
  calls.graph = pages;
  let graphUnits = 3 * pages;
  const byPartner = new Map<string, { calls: ServiceCalls; units: number; total: number }>();
  for (const r of resources) {
    if (!r.custom) continue;
    const read = readCalls(r.type);
    if (read === undefined) continue;
    const [service, n, units] = read;
    calls[service] += n;
    graphUnits += units;
    if (r.partner === null) continue;
    const p = byPartner.get(r.partner) ?? { calls: zero(), units: 0, total: 0 };
    p.calls[service] += n;
    p.units += units;
    p.total += n;
    byPartner.set(r.partner, p);
  }

  const seconds = {} as Record<RefreshService, number | null>;
  let estimateSeconds = 0;
  let boundBy: RefreshService | null = null;
  for (const s of REFRESH_SERVICES) {
    const limit = DOCUMENTED_LIMITS[s];
    seconds[s] = limit === null ? null : secondsAt(s === "graph" ? graphUnits : calls[s], limit);
    if (seconds[s] !== null && seconds[s] > estimateSeconds) {
      estimateSeconds = seconds[s];
      boundBy = s;
    }
  }
  const largest = [...byPartner.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .reduce<{ calls: ServiceCalls; units: number; total: number } | undefined>(
      (best, [, p]) => (best === undefined || p.total > best.total ? p : best),
      undefined,
    );
  return {
    resourcesRead: resources.filter((r) => r.custom).length,
    calls,
    graphUnits,
    seconds,
    estimateSeconds,
    boundBy,
    perOnboarding: largest?.calls ?? zero(),
    perOnboardingGraphUnits: largest?.units ?? 0,
  };
}

const LABEL: Record<RefreshService, string> = {
  arm: "ARM",
  graph: "Graph",
  dfs: "DFS",
  iam: "IAM",
  digdir: "Digdir",
};

function rateText(s: RefreshService): string {
  const l = DOCUMENTED_LIMITS[s];
  if (l === null) return `${LABEL[s]} none documented`;
  const unit = s === "graph" ? " units" : "";
  return l.burst === 0
    ? `${LABEL[s]} ${l.perSecond}${unit}/s`
    : `${LABEL[s]} ${l.perSecond}${unit}/s after ${l.burst}`;
}

function callsText(calls: ServiceCalls, graphUnits: number): string {
  return REFRESH_SERVICES.map(
    (s) => `${calls[s]} ${LABEL[s]}${s === "graph" ? ` (${graphUnits} units)` : ""}`,
  ).join(", ");
}

/** The refresh lines of the plan summary's budgets. */
export function formatRefreshCost(c: RefreshCost): string[] {
  // Naming the slowest service only means something once it takes a noticeable time.
  const bound = c.boundBy === null || c.estimateSeconds < 0.05 ? "" : `, bound by ${LABEL[c.boundBy]}`;
  return [
    "refresh (Pulumi.yaml refresh: always; every preview reads every resource):",
    `  ${c.resourcesRead} resources read: ${callsText(c.calls, c.graphUnits)} reads`,
    `  est. ${c.estimateSeconds.toFixed(1)} s at documented limits${bound} (${REFRESH_SERVICES.map(rateText).join("; ")})`,
    `  one onboarding adds ${callsText(c.perOnboarding, c.perOnboardingGraphUnits)} reads`,
  ];
}
