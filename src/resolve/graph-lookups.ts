import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookupFor } from './directory-lookup.ts';
import type { CredentialFactory } from './graph-credential.ts';
import { createGraphDirectoryLookup } from './graph-directory-lookup.ts';
import { WAIT_AND_RESEND_STATUSES } from './graph-errors.ts';
import type { GraphObserver } from './graph-observer.ts';
import { REPEAT_WARNING_MS, throttle } from '../log-throttle.ts';
import { createRedisLookupCache } from './lookup-cache.ts';
import { createLimiter } from './rate-limit.ts';
import { tenantGraphClient } from './tenant-client.ts';
import { tenantLabel } from './tenants.ts';

/** What the Graph lookups of every tenant share: the Redis answer cache, logging, metrics. */
export interface GraphLookupsDeps {
  redis: Redis;
  logger: Logger;
  /** Builds the credential of a tenant (tests, or another credential type). */
  createCredential?: CredentialFactory;
  sleep?: (ms: number) => Promise<void>;
  /** Sees every Graph request (metrics). */
  observeGraph?: GraphObserver;
}

/**
 * The Graph `DirectoryLookup` of each tenant: signed in as the tenant's app, cached in
 * Redis under the tenant id, rate-limited per tenant (GRAPH_MAX_CONCURRENCY, GRAPH_RPS).
 */
export function graphLookups(config: Config, deps: GraphLookupsDeps): DirectoryLookupFor {
  const g = config.graph;
  const cache = createRedisLookupCache(deps.redis, config.redis.prefix);
  return (tenant) => {
    const logger = deps.logger.child({ tenant: tenantLabel(tenant) });
    return createGraphDirectoryLookup({
      client: tenantGraphClient(tenant, g, deps.createCredential, withThrottleLog(logger, deps.observeGraph)),
      tenant: tenant.tenantId,
      logger,
      cache,
      cacheTtlSeconds: g.cacheTtlSeconds,
      limiter: createLimiter({ concurrency: g.maxConcurrency, ratePerSecond: g.requestsPerSecond }),
      sleep: deps.sleep,
    });
  };
}


function withThrottleLog(logger: Logger, observe?: GraphObserver): GraphObserver {
  const say = throttle(REPEAT_WARNING_MS);
  return (exchange) => {
    observe?.(exchange);
    // said in the log, one line per 30 s at most (a replay hung for minutes with no word why)
    const waited = [exchange.status, ...exchange.itemStatuses].filter((s) => WAIT_AND_RESEND_STATUSES.has(s));
    if (!waited.length) return;
    say((heldBack) =>
      logger.info(
        { action: 'graph-throttled', status: waited[0], retryAfter: exchange.retryAfter ?? null, ...(heldBack && { heldBack }) },
        `Graph answered ${waited[0]}${exchange.retryAfter ? ` (Retry-After ${exchange.retryAfter} s)` : ''}: the lookups wait as it asks, then send those requests again`,
      ),
    );
  };
}
