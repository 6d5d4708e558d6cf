import type { TokenCredential } from '@azure/identity';
import { graphPartlyConfigured, graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import type { GraphCloud } from '../clouds.ts';
import { createGraphClient, createGraphCredential, tenantEndpoints } from '../resolve/graph-credential.ts';
import { normaliseLookup } from '../resolve/lookup-key.ts';
import { deletedQueries, liveQueries, narrowDeletedQueries, type PlannedQuery } from '../resolve/lookup-plan.ts';
import { tenantsFromConfig } from '../resolve/tenant-client.ts';
import type { SignInFailure } from '../resolve/sign-in-diagnosis.ts';
import { signsInToGraph, tenantLabel, type TenantEntry } from '../resolve/tenants.ts';
import { errorText, fail, pass, signInDeadline, skip, warn, withTimeout, type CheckResult } from './check.ts';

/**
 * Graph, per configured tenant: a token (the app's credentials), then one real query per
 * kind of directory object syncdesk looks up. A 403 on one names the application
 * permission that is missing. Then one lookup exactly as the resolver plans it, live and in
 * the recycle bin, for a value nobody holds: Graph may refuse the deleted-items filters,
 * which syncdesk survives (narrower `mail eq`, or a gap said in the ticket), but the operator
 * should know.
 */

/** A value no directory holds, looked up the way a report's UPN would be. */
export const PROBE_VALUE = 'syncdesk-doctor-probe@example.invalid';

/** The queries and the application permission each needs. */
const GRAPH_PROBES = [
  { path: '/users', permission: 'User.Read.All' },
  { path: '/groups', permission: 'Group.Read.All' },
  { path: '/contacts', permission: 'OrgContact.Read.All' },
] as const;

/** What the check needs of a tenant's Graph: a token, a GET (`/users?$top=1&$select=id`), and a planned query as the resolver sends it. */
export interface GraphProbe {
  token(): Promise<void>;
  get(path: string): Promise<unknown>;
  query(url: string, headers?: Record<string, string>): Promise<unknown>;
}

/** `timeoutMs`: each request's deadline, so that a host that never answers leaves no socket holding doctor open. */
export type GraphProbeFactory = (tenant: TenantEntry, graph: Config['graph'], timeoutMs: number) => GraphProbe;

const realGraphProbe: GraphProbeFactory = (tenant, g, timeoutMs) => {
  const endpoints = tenantEndpoints(tenant, g);
  let credential: TokenCredential | undefined;
  const cred = () => (credential ??= createGraphCredential(tenant, endpoints, signInDeadline(timeoutMs)));
  return {
    async token() {
      const t = await cred().getToken(endpoints.scope);
      if (!t?.token) throw new Error('Entra ID returned no access token');
    },
    get: (path) => createGraphClient(cred(), endpoints, undefined, timeoutMs).api(path).top(1).select('id').get() as Promise<unknown>,
    query: (url, headers = {}) => createGraphClient(cred(), endpoints, undefined, timeoutMs).api(url).headers(headers).get() as Promise<unknown>,
  };
};

/** A tenant with its id, for the detail of its rows. */
function labelWithId(t: TenantEntry): string {
  return t.name ? `${t.name} (${t.tenantId})` : t.tenantId;
}

/** Node's codes for a certificate chain it does not accept. */
const UNTRUSTED_CERTIFICATE = /SELF_SIGNED_CERT|UNABLE_TO_(?:VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)|CERT_(?:HAS_EXPIRED|NOT_YET_VALID|UNTRUSTED)|ERR_TLS_CERT_ALTNAME_INVALID/;

/** Where a failed sign-in was tried: the settings that name it, and the host and cloud they gave. */
export interface SignInPlace {
  /** The tenant comes from the tenants file (its entry holds the ids and secret), not GRAPH_* variables. */
  fromFile: boolean;
  /** The entry names its own sign-in host (`authorityHost`), which is then the one to check. */
  ownHost: boolean;
  authorityHost: string;
  cloud: GraphCloud;
}

/** The GRAPH_* app's sign-in (IMAP's OAuth2, the Graph mailbox, a single tenant). */
export function configuredSignIn(g: Config['graph']): SignInPlace {
  return { fromFile: false, ownHost: false, authorityHost: tenantEndpoints({}, g).authorityHost, cloud: g.cloud };
}

/**
 * The AADSTS code of an Entra error, and what to do about the usual ones, naming the host that
 * was tried and the settings that chose it (a GCC High sign-in that failed was
 * sent to fix login.microsoftonline.com, and a tenants-file entry to GRAPH_TENANT_ID).
 */
export function tokenFix(err: unknown, at: SignInPlace): string {
  const text = String((err as Error)?.message ?? err);
  const host = new URL(at.authorityHost).host;
  const cloudSetting = at.fromFile ? "the entry's cloud in the tenants file" : 'GRAPH_CLOUD';
  if ((err as { code?: string })?.code === ('SignInHostUnreachable' satisfies SignInFailure)) {
    // a certificate the host does not trust is a TLS-inspecting proxy as a rule, not a closed path
    if (UNTRUSTED_CERTIFICATE.test(text)) return "trust the certificate's issuer: the CA of a TLS-inspecting proxy in a PEM file named by NODE_EXTRA_CA_CERTS (read when the process starts), or the host's clock if the certificate is not yet or no longer valid";
    // the tenant's own authorityHost was wrong, and the fix named the global settings
    const where = at.ownHost ? "the tenant's authorityHost in the tenants file" : `${cloudSetting} / GRAPH_AUTHORITY_HOST`;
    return `let this host reach ${host} (firewall, proxy, DNS), or correct ${where}`;
  }
  const secret = at.fromFile ? 'the tenant entry in the tenants file' : 'GRAPH_CLIENT_SECRET (graph.clientSecret) or GRAPH_CERTIFICATE_PATH';
  const clientId = at.fromFile ? "the entry's clientId" : 'GRAPH_CLIENT_ID (graph.clientId)';
  const tenantId = at.fromFile ? "the entry's tenantId" : 'GRAPH_TENANT_ID (graph.tenantId)';
  if (/AADSTS7000215|AADSTS7000222|invalid_client|Invalid client secret|expired/i.test(text)) return `the client secret is wrong or expired: create a new one under the app registration's Certificates & secrets and put it in ${secret}`;
  // "Confidential Client is not supported in Cross Cloud request": the app and the tenant are in different clouds
  if (/AADSTS900382/.test(text)) return `the app is registered in another cloud than the tenant (signed in at ${host}, the ${at.cloud} cloud's): register it in the tenant's cloud, or correct ${cloudSetting}`;
  if (/AADSTS700016|application.*not found/i.test(text)) return `no such application in that tenant: check ${clientId}, that the app is consented in the tenant, and that it is registered in the tenant's cloud (${at.cloud})`;
  if (/AADSTS90002|AADSTS900023|tenant.*not found/i.test(text)) return `no such tenant at ${host}: check ${tenantId}, and ${cloudSetting} (${at.cloud}): a tenant is found only in its own cloud`;
  if (/AADSTS700027|assertion|certificate/i.test(text)) return 'the certificate is not the one uploaded to the app registration: check GRAPH_CERTIFICATE_PATH (PEM with key and certificate)';
  return `check ${tenantId}, ${clientId} and ${secret}, and that ${host} is reachable`;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; status?: number };
  return e?.statusCode ?? e?.status;
}

async function checkGraphTenant(tenant: TenantEntry, config: Config, probe: GraphProbe, timeoutMs: number): Promise<CheckResult> {
  const name = `graph ${tenantLabel(tenant)}`;
  const fromFile = Boolean(config.graph.tenantsFile);
  try {
    await withTimeout(probe.token(), timeoutMs, 'graph token');
  } catch (err) {
    const { authorityHost } = tenantEndpoints(tenant, config.graph);
    const at = { fromFile, ownHost: fromFile && !!tenant.authorityHost, authorityHost, cloud: tenant.cloud ?? config.graph.cloud };
    return fail(name, `${labelWithId(tenant)}: no token (${errorText(err)})`, tokenFix(err, at));
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
      return fail(name, `${labelWithId(tenant)}: token ok, GET ${p.path}?$top=1&$select=id failed (${status ? `HTTP ${status}: ` : ''}${errorText(err)})`, 'check GRAPH_BASE_URL / GRAPH_CLOUD and that Graph is reachable');
    }
  }
  if (missing.length) {
    return fail(
      name,
      `${labelWithId(tenant)}: token ok, but Graph answers 403 for ${missing.join(', ')}`,
      `grant the app the Microsoft Graph application permissions ${missing.join(', ')} (syncdesk needs User.Read.All, Group.Read.All, OrgContact.Read.All) and click "Grant admin consent"`,
    );
  }
  return pass(name, `${labelWithId(tenant)}: token ok; users, groups and contacts readable`);
}

async function attempt(probe: GraphProbe, q: PlannedQuery, timeoutMs: number): Promise<unknown> {
  try {
    await withTimeout(probe.query(q.url, q.headers), timeoutMs, `GET ${q.url.split('?')[0]}`);
    return null;
  } catch (err) {
    return err;
  }
}

const describeErr = (err: unknown) => `${statusOf(err) ? `HTTP ${statusOf(err)} ` : ''}${(err as { code?: string })?.code ?? ''} ${errorText(err, 160)}`.trim();

/** One planned live lookup and one planned deleted-items lookup, for a value nobody holds. */
async function checkGraphLookups(tenant: TenantEntry, probe: GraphProbe, timeoutMs: number): Promise<CheckResult> {
  const name = `graph ${tenantLabel(tenant)} lookups`;
  const lookup = normaliseLookup({ attribute: 'UserPrincipalName', value: PROBE_VALUE })!;
  const [liveUsers] = liveQueries(lookup);
  const liveErr = await attempt(probe, liveUsers!, timeoutMs);
  if (liveErr) {
    return fail(name, `${labelWithId(tenant)}: the planned user lookup was refused (${describeErr(liveErr)})`, statusOf(liveErr) === 403 ? 'grant the app User.Read.All (application) and click "Grant admin consent"' : 'check GRAPH_BASE_URL / GRAPH_CLOUD: this is the query every report needs');
  }
  const [deletedUsers] = deletedQueries(lookup);
  const fullErr = await attempt(probe, deletedUsers!, timeoutMs);
  if (!fullErr) return pass(name, `${labelWithId(tenant)}: live lookup and recycle-bin lookup (endswith, proxyAddresses/any) both accepted`);
  if (statusOf(fullErr) === 403) return fail(name, `${labelWithId(tenant)}: the recycle-bin lookup is forbidden (${describeErr(fullErr)})`, 'grant the app User.Read.All and Group.Read.All (application) and click "Grant admin consent"');
  const [narrow] = narrowDeletedQueries(lookup);
  const narrowErr = await attempt(probe, narrow!, timeoutMs);
  if (!narrowErr) {
    return warn(
      name,
      `${labelWithId(tenant)}: Graph refuses the full recycle-bin query (${describeErr(fullErr)}); syncdesk falls back to mail eq, so soft-deleted holders are matched by mail only`,
      'nothing to change for syncdesk to run: tickets say when the recycle bin was searched by mail only; check such values by hand with Get-MgDirectoryDeletedItemAsUser',
    );
  }
  return warn(
    name,
    `${labelWithId(tenant)}: Graph refuses every recycle-bin query (${describeErr(narrowErr)}); live holders are still found, and tickets say the recycle bin could not be searched`,
    'check GRAPH_BASE_URL / GRAPH_CLOUD (a national cloud or proxy may not serve /directory/deletedItems), and look soft-deleted holders up by hand with Get-MgDirectoryDeletedItemAsUser',
  );
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
    if (graphPartlyConfigured(config.graph)) {
      return [fail('graph', `partly configured: ${graphSignInGaps(config.graph).join(', ')} missing`, 'set GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET_FILE (or GRAPH_CERTIFICATE_PATH), or unset them all')];
    }
    return [skip('graph', 'not configured: tickets carry the report data without directory lookups')];
  }
  const factory = options.probe ?? realGraphProbe;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const out: CheckResult[] = [];
  for (const tenant of tenants) {
    if (!signsInToGraph(tenant)) {
      out.push(skip(`graph ${tenantLabel(tenant)}`, 'no Graph sign-in in the tenants file (consent pending): its values are looked up in its directory snapshot'));
      continue;
    }
    const probe = factory(tenant, config.graph, timeoutMs);
    const access = await checkGraphTenant(tenant, config, probe, timeoutMs);
    out.push(access);
    if (access.ok) out.push(await checkGraphLookups(tenant, probe, timeoutMs));
  }
  return out;
}
