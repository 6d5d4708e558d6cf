import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import type { Holder, Resolution } from '../../schemas/resolution.schema.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookup, LookupQuery } from './directory-lookup.ts';
import type { CredentialFactory } from './graph-credential.ts';
import { createGraphDirectoryLookup } from './graph-directory-lookup.ts';
import type { GraphObserver } from './graph-observer.ts';
import { createRedisLookupCache } from './lookup-cache.ts';
import { createLimiter } from './rate-limit.ts';
import { lookupsOf } from './resolution-actions.ts';
import { needsLookup, resolveError, type LookupOutcome } from './resolve-error.ts';
import { tenantGraphClient, tenantsFromConfig } from './tenant-client.ts';
import type { TenantDirectory, TenantEntry } from './tenants.ts';

/**
 * The resolve stage's composition: picks the report's tenant, looks every value of every
 * error up in one go (batched, cached, rate-limited per tenant), and turns each error into
 * a Resolution. Lookups that cannot happen (no Graph, unknown tenant, Graph refused) give
 * `unresolved` with the reason; transient Graph failures are thrown so the job retries.
 */

export interface Resolver {
  resolve(report: ReportRef, errors: SyncError[]): Promise<Map<string, Resolution>>;
  close(): Promise<void>;
}

export interface ResolverDeps {
  redis: Redis;
  logger: Logger;
  /** Builds the credential of a tenant (tests, or another credential type). */
  createCredential?: CredentialFactory;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  env?: Record<string, string | undefined>;
  /** Sees every Graph request (metrics). */
  observeGraph?: GraphObserver;
}

export function createResolverFromConfig(config: Config, deps: ResolverDeps): Resolver {
  const g = config.graph;
  const log = deps.logger;
  const now = deps.now ?? (() => new Date());
  const directory: TenantDirectory | null = tenantsFromConfig(config, deps.env);
  const cache = createRedisLookupCache(deps.redis, config.redis.prefix);
  const lookups = new Map<TenantEntry, DirectoryLookup>();

  function lookupFor(tenant: TenantEntry): DirectoryLookup {
    let lookup = lookups.get(tenant);
    if (!lookup) {
      lookup = createGraphDirectoryLookup({
        client: tenantGraphClient(tenant, g, deps.createCredential, deps.observeGraph),
        tenant: tenant.tenantId,
        logger: log.child({ tenant: tenant.name ?? tenant.tenantId }),
        cache,
        cacheTtlSeconds: g.cacheTtlSeconds,
        limiter: createLimiter({ concurrency: g.maxConcurrency, ratePerSecond: g.requestsPerSecond }),
        sleep: deps.sleep,
      });
      lookups.set(tenant, lookup);
    }
    return lookup;
  }

  /** The lookup outcome shared by every error of the report when nothing can be looked up. */
  function blocked(report: ReportRef): { note: string } | { tenant: TenantEntry } {
    if (!directory) {
      return { note: 'Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity; or GRAPH_TENANTS_FILE): holders were not looked up.' };
    }
    // One tenant from GRAPH_* variables: every report is that tenant's (no file to route by).
    if (!g.tenantsFile) return { tenant: directory.tenants[0]! };
    const m = directory.match(report);
    return m.ok ? { tenant: m.tenant } : { note: m.reason };
  }

  return {
    async resolve(report, errors) {
      const out = new Map<string, Resolution>();
      const toLook = errors.filter(needsLookup);
      const outcomes = new Map<string, LookupOutcome>();
      if (toLook.length > 0) {
        const target = blocked(report);
        if ('note' in target) {
          log.info({ action: 'resolve-skipped', reportId: report.reportId, tenant: report.tenantKey, reason: target.note }, 'holders not looked up');
          for (const e of toLook) outcomes.set(e.fingerprint, { status: 'unresolved', note: target.note });
        } else {
          const queries: LookupQuery[] = [];
          const owners: number[] = [];
          toLook.forEach((e, i) => {
            for (const l of lookupsOf(e)) {
              queries.push({ attribute: l.kind === 'upn' ? 'UserPrincipalName' : 'ProxyAddresses', value: l.kind === 'upn' ? l.value : `${l.addressType}:${l.value}` });
              owners.push(i);
            }
          });
          try {
            const found = await lookupFor(target.tenant).findHolders(queries);
            const holders: Holder[][] = toLook.map(() => []);
            const gaps: Array<Set<string>> = toLook.map(() => new Set());
            found.forEach((answer, q) => {
              holders[owners[q]!]!.push(...answer.holders);
              if (answer.gap) gaps[owners[q]!]!.add(answer.gap);
            });
            toLook.forEach((e, i) => outcomes.set(e.fingerprint, { status: 'found', holders: holders[i]!, gap: [...gaps[i]!].join(' ') || undefined }));
          } catch (err) {
            if (!(err instanceof PermanentError)) throw err; // transient: the job is retried later
            const note = `Graph refused the lookup (${err.code}): ${err.message}`;
            log.warn({ action: 'resolve-refused', reportId: report.reportId, tenant: report.tenantKey, code: err.code }, note);
            for (const e of toLook) outcomes.set(e.fingerprint, { status: 'unresolved', note });
          }
        }
      }
      const at = now();
      for (const e of errors) out.set(e.fingerprint, resolveError(e, outcomes.get(e.fingerprint) ?? null, at));
      return out;
    },
    async close() {
      lookups.clear();
    },
  };
}
