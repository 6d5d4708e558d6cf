import { graphPartlyConfigured, graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import type { DirectoryLookupFor } from '../resolve/directory-lookup.ts';
import { graphLookups, type GraphLookupsDeps } from '../resolve/graph-lookups.ts';
import { createResolver, type Resolver } from '../resolve/resolver.ts';
import { graphThenSnapshots, loadSnapshotDirectory } from '../resolve/snapshot/snapshot-store.ts';
import { tenantRoute } from '../resolve/tenant-client.ts';
import type { TenantDirectory } from '../resolve/tenants.ts';

export interface ResolverFromConfigDeps extends GraphLookupsDeps {
  now?: () => Date;
  /**
   * The tenants file as loadConfiguredTenants read it (the process reads it once).
   * @defaultValue none: every report is the GRAPH_* tenant's. Required when GRAPH_TENANTS_FILE is set.
   */
  tenants?: TenantDirectory | null;
  /**
   * The directory of each tenant. @defaultValue Microsoft Graph (`graphLookups`).
   * Another lookup (a snapshot, on-premises AD) plugs in here, chosen per tenant, e.g.
   * `(tenant) => snapshots.has(tenant.tenantId) ? snapshotLookup(tenant) : graph(tenant)`.
   */
  lookupFor?: DirectoryLookupFor;
}

/** The resolve stage as the configuration describes it: tenants from config, Graph behind `DirectoryLookup`. */
export function createResolverFromConfig(config: Config, deps: ResolverFromConfigDeps): Resolver {
  if (graphPartlyConfigured(config.graph)) {
    // said where it bites, not only in doctor: every ticket would read "Graph is not configured"
    const missing = graphSignInGaps(config.graph).join(', ');
    deps.logger.warn({ action: 'graph-partly-configured', missing }, `Microsoft Graph is partly configured (${missing} missing): holders will not be looked up until it is complete`);
  }
  // said at once: without the file every report would be routed as if there were one tenant
  if (config.graph.tenantsFile && !deps.tenants) throw new Error(`GRAPH_TENANTS_FILE is set (${config.graph.tenantsFile}): pass the tenants it holds to createResolverFromConfig`);
  const graph = { route: tenantRoute(config, deps.tenants ?? null), lookupFor: deps.lookupFor ?? graphLookups(config, deps) };
  // tenants Graph is not configured for are answered from their newest directory snapshot
  const { route, lookupFor } = graphThenSnapshots(graph, loadSnapshotDirectory(config.graph.snapshotDir, deps.now));
  return createResolver({ route, lookupFor, logger: deps.logger, now: deps.now });
}
