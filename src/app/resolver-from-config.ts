import { graphPartlyConfigured, graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import type { DirectoryLookupFor } from '../resolve/directory-lookup.ts';
import { graphLookups, type GraphLookupsDeps } from '../resolve/graph-lookups.ts';
import { createResolver, type Resolver } from '../resolve/resolver.ts';
import { graphThenSnapshots, loadSnapshotDirectory } from '../resolve/snapshot/snapshot-store.ts';
import { tenantRoute } from '../resolve/tenant-client.ts';
import { loadConfiguredTenants, type TenantDirectory } from '../resolve/tenants.ts';

export interface ResolverFromConfigDeps extends GraphLookupsDeps {
  now?: () => Date;
  /**
   * The tenants file as loadConfiguredTenants read it (a runtime reads it once and hands it here).
   * @defaultValue the file GRAPH_TENANTS_FILE names, read now (none: every report is the GRAPH_* tenant's)
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
  const tenants = deps.tenants === undefined ? loadConfiguredTenants(config) : deps.tenants;
  const graph = { route: tenantRoute(config, tenants), lookupFor: deps.lookupFor ?? graphLookups(config, deps) };
  // tenants Graph is not configured for are answered from their newest directory snapshot
  const { route, lookupFor } = graphThenSnapshots(graph, loadSnapshotDirectory(config.graph.snapshotDir, deps.now, config.graph.snapshotMaxAgeDays));
  return createResolver({ route, lookupFor, logger: deps.logger, now: deps.now });
}
