import type { TokenCredential } from '@azure/identity';
import type { Config } from '../../schemas/config.schema.ts';
import { createGraphClient, createGraphCredential, graphEndpoints } from '../resolve/graph-credential.ts';
import { tenantsFromConfig } from '../resolve/tenant-client.ts';
import type { TenantEntry } from '../resolve/tenants.ts';
import { errorText, fail, pass, skip, withTimeout, type CheckResult } from './check.ts';

/**
 * Graph, per configured tenant: a token (the app's credentials), then one real query per
 * kind of directory object syncdesk looks up. A 403 on one names the application
 * permission that is missing.
 */

/** The queries and the application permission each needs. */
export const GRAPH_PROBES = [
  { path: '/users', permission: 'User.Read.All' },
  { path: '/groups', permission: 'Group.Read.All' },
  { path: '/contacts', permission: 'OrgContact.Read.All' },
] as const;

/** What the check needs of a tenant's Graph: a token, and a GET (`/users?$top=1&$select=id`). */
export interface GraphProbe {
  token(): Promise<void>;
  get(path: string): Promise<unknown>;
}

export type GraphProbeFactory = (tenant: TenantEntry, graph: Config['graph']) => GraphProbe;

export const realGraphProbe: GraphProbeFactory = (tenant, g) => {
  const endpoints = graphEndpoints(tenant.cloud ?? g.cloud, { baseUrl: tenant.baseUrl ?? g.baseUrl, authorityHost: tenant.authorityHost ?? g.authorityHost });
  let credential: TokenCredential | undefined;
  const cred = () => (credential ??= createGraphCredential(tenant, endpoints));
  return {
    async token() {
      const t = await cred().getToken(endpoints.scope);
      if (!t?.token) throw new Error('Entra ID returned no access token');
    },
    get: (path) => createGraphClient(cred(), endpoints).api(path).top(1).select('id').get() as Promise<unknown>,
  };
};

function tenantLabel(t: TenantEntry): string {
  return t.name ? `${t.name} (${t.tenantId})` : t.tenantId;
}

/** The AADSTS code of an Entra error, and what to do about the usual ones. */
export function tokenFix(err: unknown, fromFile: boolean): string {
  const text = String((err as Error)?.message ?? err);
  const where = fromFile ? 'the tenant entry in the tenants file' : 'GRAPH_CLIENT_SECRET (graph.clientSecret) or GRAPH_CERTIFICATE_PATH';
  if (/AADSTS7000215|AADSTS7000222|invalid_client|Invalid client secret|expired/i.test(text)) return `the client secret is wrong or expired: create a new one under the app registration's Certificates & secrets and put it in ${where}`;
  if (/AADSTS700016|application.*not found/i.test(text)) return 'no such application in that tenant: check GRAPH_CLIENT_ID (graph.clientId) and that the app is consented in the tenant';
  if (/AADSTS90002|AADSTS900023|tenant.*not found/i.test(text)) return 'no such tenant: check GRAPH_TENANT_ID (graph.tenantId)';
  if (/AADSTS700027|assertion|certificate/i.test(text)) return 'the certificate is not the one uploaded to the app registration: check GRAPH_CERTIFICATE_PATH (PEM with key and certificate)';
  return `check GRAPH_TENANT_ID, GRAPH_CLIENT_ID and ${where}, and that login.microsoftonline.com (or GRAPH_AUTHORITY_HOST) is reachable`;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; status?: number };
  return e?.statusCode ?? e?.status;
}

export async function checkGraphTenant(tenant: TenantEntry, config: Config, probe: GraphProbe, timeoutMs: number): Promise<CheckResult> {
  const name = `graph ${tenant.name ?? tenant.tenantId}`;
  const fromFile = Boolean(config.graph.tenantsFile);
  try {
    await withTimeout(probe.token(), timeoutMs, 'graph token');
  } catch (err) {
    return fail(name, `${tenantLabel(tenant)}: no token (${errorText(err)})`, tokenFix(err, fromFile));
  }
  const missing: string[] = [];
  for (const p of GRAPH_PROBES) {
    try {
      await withTimeout(probe.get(p.path), timeoutMs, `GET ${p.path}`);
    } catch (err) {
      const status = statusOf(err);
      if (status === 403) {
        missing.push(p.permission);
        continue;
      }
      return fail(name, `${tenantLabel(tenant)}: token ok, GET ${p.path}?$top=1&$select=id failed (${status ? `HTTP ${status}: ` : ''}${errorText(err)})`, 'check GRAPH_BASE_URL / GRAPH_CLOUD and that Graph is reachable');
    }
  }
  if (missing.length) {
    return fail(
      name,
      `${tenantLabel(tenant)}: token ok, but Graph answers 403 for ${missing.join(', ')}`,
      `grant the app the Microsoft Graph application permissions ${missing.join(', ')} (syncdesk needs User.Read.All, Group.Read.All, OrgContact.Read.All) and click "Grant admin consent"`,
    );
  }
  return pass(name, `${tenantLabel(tenant)}: token ok; users, groups and contacts readable`);
}

export async function checkGraph(
  config: Config,
  options: { timeoutMs?: number; probe?: GraphProbeFactory; env?: Record<string, string | undefined> } = {},
): Promise<CheckResult[]> {
  let tenants: TenantEntry[];
  try {
    tenants = tenantsFromConfig(config, options.env ?? process.env)?.tenants ?? [];
  } catch (err) {
    return [fail('graph', errorText(err, 400), 'correct the tenants file (GRAPH_TENANTS_FILE)')];
  }
  if (!tenants.length) {
    const partial = config.graph.tenantId || config.graph.clientId || config.graph.clientSecret;
    if (partial) {
      return [fail('graph', 'partly configured: GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity are all needed', 'set GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET_FILE (or GRAPH_CERTIFICATE_PATH), or unset them all')];
    }
    return [skip('graph', 'not configured: tickets carry the report data without directory lookups')];
  }
  const factory = options.probe ?? realGraphProbe;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const out: CheckResult[] = [];
  for (const tenant of tenants) out.push(await checkGraphTenant(tenant, config, factory(tenant, config.graph), timeoutMs));
  return out;
}
