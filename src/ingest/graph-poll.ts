import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { ParsedReport, SyncError } from '../../schemas/report.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { fingerprintError } from '../parse/fingerprint.ts';
import { createBatchRunner, type SubOutcome } from '../resolve/graph-batch.ts';
import type { CredentialFactory } from '../resolve/graph-credential.ts';
import { classifyGraphFailure, classifyThrown } from '../resolve/graph-errors.ts';
import type { GraphObserver } from '../resolve/graph-observer.ts';
import { graphPath } from '../resolve/odata.ts';
import { createLimiter, sleep as realSleep } from '../resolve/rate-limit.ts';
import { tenantGraphClient, tenantsFromConfig } from '../resolve/tenant-client.ts';
import { signsInToGraph, type TenantEntry } from '../resolve/tenants.ts';

/**
 * An ingest source next to the mailbox. The second source of errors: Entra keeps each quarantined conflict on the object as
 * `onPremisesProvisioningErrors`, and the report mail names it only once. Polling users,
 * groups and contacts turns what is still open into the same records a mail gives, so
 * a lost mail does not lose the problem (fingerprints match the mail's).
 */

export interface PollGraphDeps {
  redis?: Redis;
  logger: Logger;
  createCredential?: CredentialFactory;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  env?: Record<string, string | undefined>;
  /** Sees every Graph request (metrics). */
  observeGraph?: GraphObserver;
}

const FILTER = "onPremisesProvisioningErrors/any(o:o/category eq 'PropertyConflict')";
const SOURCES = [
  { path: '/users', objectType: 'User', select: 'id,displayName,userPrincipalName,onPremisesUserPrincipalName,mail,onPremisesImmutableId,onPremisesProvisioningErrors' },
  { path: '/groups', objectType: 'Group', select: 'id,displayName,mail,onPremisesProvisioningErrors' },
  { path: '/contacts', objectType: 'Contact', select: 'id,displayName,mail,onPremisesProvisioningErrors' },
] as const;

interface ProvisioningError {
  category?: string;
  occurredDateTime?: string;
  propertyCausingError?: string;
  value?: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** One record per open conflict on one object, shaped like the parser's. */
function recordsFromObject(obj: Record<string, unknown>, objectType: string): SyncError[] {
  const list = Array.isArray(obj.onPremisesProvisioningErrors) ? (obj.onPremisesProvisioningErrors as ProvisioningError[]) : [];
  const out: SyncError[] = [];
  for (const p of list) {
    if (p.category !== 'PropertyConflict' || !p.value) continue;
    const upn = p.propertyCausingError?.toLowerCase() === 'userprincipalname';
    // Graph may give the address bare; the mail quotes it with its type, and the fingerprint compares the two.
    const value = upn || /^[a-z0-9]+:/i.test(p.value) ? p.value : `smtp:${p.value}`;
    const base = {
      category: 'DuplicateAttribute' as const,
      errorCode: null,
      // A quarantined UPN is replaced by a placeholder in the cloud; the on-premises UPN is the name the mail uses.
      identity: str(obj.onPremisesUserPrincipalName) ?? str(obj.userPrincipalName) ?? str(obj.mail) ?? str(obj.displayName),
      objectType,
      onPremisesObjectId: str(obj.onPremisesImmutableId),
      attributes: [{ name: upn ? 'UserPrincipalName' : 'ProxyAddresses', value }],
      message: `${p.category}: ${p.propertyCausingError ?? 'attribute'} value ${p.value} is already held by another object${p.occurredDateTime ? ` (since ${p.occurredDateTime})` : ''}. (Graph onPremisesProvisioningErrors)`,
    };
    out.push({ ...base, fingerprint: fingerprintError(base) });
  }
  return out;
}

async function pollTenant(tenant: TenantEntry, config: Config, deps: PollGraphDeps, log: Logger): Promise<ParsedReport> {
  const client = tenantGraphClient(tenant, config.graph, deps.createCredential, deps.observeGraph);
  const runner = createBatchRunner({
    post: async (body) => {
      try {
        return await client.api('/$batch').post(body);
      } catch (err) {
        throw classifyThrown(err);
      }
    },
    limiter: createLimiter({ concurrency: config.graph.maxConcurrency, ratePerSecond: config.graph.requestsPerSecond }),
    logger: log,
    sleep: deps.sleep ?? realSleep,
  });
  // the tenant's display name for its tickets, asked along when the configuration names none
  const requests = SOURCES.map((s) => ({ url: graphPath(s.path, { $filter: FILTER, $select: s.select, $top: 999 }) }));
  if (!tenant.name) requests.push({ url: graphPath('/organization', { $select: 'displayName' }) });
  const [users, groups, contacts, org] = await runner.runAll(requests);
  const outcomes = [users!, groups!, contacts!];
  const failed = outcomes.find((o): o is Extract<SubOutcome, { ok: false }> => !o.ok);
  if (failed) throw classifyGraphFailure(failed);
  const errors = outcomes.flatMap((o, i) => (o.ok ? o.values.flatMap((obj) => recordsFromObject(obj, SOURCES[i]!.objectType)) : []));
  // without Organization.Read.All the name stays unknown: the poll itself needs no more than it had
  const name = tenant.name ?? (org?.ok ? str(org.values[0]?.displayName) : null);
  const now = (deps.now ?? (() => new Date()))().toISOString();
  return {
    messageId: null,
    subject: `Entra ID provisioning errors (Graph poll of ${name ?? tenant.tenantId})`,
    from: null,
    sentAt: now,
    reportedAt: now,
    tenant: { name, domain: tenant.domains[0] ?? null, id: tenant.tenantId },
    trackingId: null,
    forwardedBy: null,
    recipient: null,
    errors,
    unparsed: [],
  };
}

/** One report per configured tenant with every open PropertyConflict. A tenant that fails is logged and skipped, unless all fail. */
export async function pollGraph(config: Config, deps: PollGraphDeps): Promise<ParsedReport[]> {
  const directory = tenantsFromConfig(config, deps.env);
  if (!directory) return [];
  const reports: ParsedReport[] = [];
  const failures: Array<TransientError | PermanentError> = [];
  // a tenant without Graph sign-in (consent pending) has nothing to poll
  for (const tenant of directory.tenants.filter(signsInToGraph)) {
    const log = deps.logger.child({ tenant: tenant.name ?? tenant.tenantId });
    try {
      const report = await pollTenant(tenant, config, deps, log);
      log.info({ action: 'graph-poll', errors: report.errors.length }, 'polled Graph for provisioning errors');
      reports.push(report);
    } catch (err) {
      const classified = classifyThrown(err);
      failures.push(classified);
      log.warn({ action: 'graph-poll-failed', code: classified.code, err: classified.message }, 'Graph poll failed for tenant');
    }
  }
  if (reports.length === 0 && failures.length > 0) throw failures.find((f) => f instanceof TransientError) ?? failures[0]!;
  return reports;
}
