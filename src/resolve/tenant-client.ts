import type { Client } from '@microsoft/microsoft-graph-client';
import { graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import { createGraphClient, createGraphCredential, RenewableCredential, tenantEndpoints, type CredentialFactory } from './graph-credential.ts';
import type { TenantRoute } from './directory-lookup.ts';
import type { GraphObserver } from './graph-observer.ts';
import { createTenantDirectory, loadConfiguredTenants, signsInToGraph, tenantLabel, type TenantDirectory, type TenantEntry } from './tenants.ts';

/** The tenant from GRAPH_* variables, when there is no tenants file; null when Graph is not configured. */
export function singleTenant(g: Config['graph']): TenantEntry | null {
  if (graphSignInGaps(g).length) return null;
  return {
    name: null,
    tenantId: g.tenantId!,
    domains: [],
    forwarders: [],
    clientId: g.clientId,
    clientSecret: g.clientSecret,
    certificatePath: g.certificatePath,
    managedIdentity: g.managedIdentity,
  };
}

/** Every tenant syncdesk may query: the tenants file, else the GRAPH_* tenant, else none (null). */
export function tenantsFromConfig(config: Config, env: Record<string, string | undefined> = process.env): TenantDirectory | null {
  return withSingleTenant(config, loadConfiguredTenants(config, env));
}

function withSingleTenant(config: Config, tenantsFile: TenantDirectory | null): TenantDirectory | null {
  if (tenantsFile) return tenantsFile;
  const single = singleTenant(config.graph);
  return single ? createTenantDirectory([single]) : null;
}

/**
 * Routes a report to its configured tenant: with a tenants file (as loadConfiguredTenants read
 * it), the entry it matches; else with one tenant from GRAPH_* variables every report is that
 * tenant's (no file to route by).
 */
export function tenantRoute(config: Config, tenantsFile: TenantDirectory | null): TenantRoute {
  const directory = withSingleTenant(config, tenantsFile);
  if (!directory) {
    const note = 'Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity; or GRAPH_TENANTS_FILE): holders were not looked up.';
    return () => ({ note });
  }
  if (!tenantsFile) {
    const only = { tenant: directory.tenants[0]! };
    return () => only;
  }
  return (report) => {
    const m = directory.match(report);
    if (!m.ok) return { note: m.reason };
    // consent pending: the tenant's snapshot answers (graphThenSnapshots), or the note says why nothing did
    if (!signsInToGraph(m.tenant)) return { note: `tenant ${tenantLabel(m.tenant)} has no Graph sign-in in the tenants file` };
    return { tenant: m.tenant };
  };
}

/** A Graph client signed in as one tenant's app, in that tenant's cloud (per-tenant overrides first). */
export function tenantGraphClient(
  tenant: TenantEntry,
  g: Config['graph'],
  createCredential: CredentialFactory = createGraphCredential,
  observe?: GraphObserver,
): Client {
  const endpoints = tenantEndpoints(tenant, g);
  const timeoutMs = g.timeoutSeconds * 1000;
  return createGraphClient(new RenewableCredential(() => createCredential(tenant, endpoints, timeoutMs), timeoutMs), endpoints, observe, timeoutMs);
}
