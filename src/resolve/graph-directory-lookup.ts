import type { Client } from '@microsoft/microsoft-graph-client';
import type { Holder } from '../../schemas/resolution.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookup, LookupQuery } from './directory-lookup.ts';
import { createBatchRunner, type BatchPoster, type SubOutcome } from './graph-batch.ts';
import { classifyGraphFailure, classifyThrown } from './graph-errors.ts';
import type { LookupCache } from './lookup-cache.ts';
import { normaliseLookup, type NormalisedLookup } from './lookup-key.ts';
import { deletedQueries, liveQueries, toHolder, type PlannedQuery } from './lookup-plan.ts';
import { createLimiter, sleep as realSleep, type Limiter } from './rate-limit.ts';

/**
 * DirectoryLookup over Microsoft Graph for one tenant: cache first, then every missing
 * value's user/group/contact searches in `$batch`es of 20, then the soft-deleted
 * fallback for values nobody live holds. Answers are cached per normalised value.
 */

export interface GraphDirectoryLookupOptions {
  client: Client;
  /** Cache namespace: the tenant id. */
  tenant: string;
  logger: Logger;
  cache?: LookupCache;
  /** @defaultValue 3600 */
  cacheTtlSeconds?: number;
  limiter?: Limiter;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
}

export interface GraphDirectoryLookup extends DirectoryLookup {
  /** Graph sub-requests sent (including retries and pages) since creation. */
  readonly stats: { subRequests: number; batches: number; cacheHits: number; cacheMisses: number };
}

export function createGraphDirectoryLookup(options: GraphDirectoryLookupOptions): GraphDirectoryLookup {
  const stats = { subRequests: 0, batches: 0, cacheHits: 0, cacheMisses: 0 };
  const post: BatchPoster = async (body) => {
    stats.batches++;
    stats.subRequests += body.requests.length;
    try {
      return await options.client.api('/$batch').post(body);
    } catch (err) {
      throw classifyThrown(err);
    }
  };
  const runner = createBatchRunner({
    post,
    limiter: options.limiter ?? createLimiter(),
    logger: options.logger,
    sleep: options.sleep ?? realSleep,
    maxAttempts: options.maxAttempts,
  });

  /** Runs planned queries for several lookups; holders per lookup, or throws the first failure. */
  async function search(lookups: NormalisedLookup[], plan: (l: NormalisedLookup) => PlannedQuery[]): Promise<Holder[][]> {
    const planned = lookups.map(plan);
    const flat = planned.flat();
    const outcomes = await runner.runAll(flat.map((q) => ({ url: q.url, headers: q.headers })));
    throwOnFailure(outcomes);
    let at = 0;
    return lookups.map((l, i) =>
      planned[i]!.flatMap((q) => {
        const outcome = outcomes[at++] as Extract<SubOutcome, { ok: true }>;
        return outcome.values.map((o) => toHolder(o, q.kind, q.deleted, l)).filter((h): h is Holder => h !== null);
      }),
    );
  }

  function throwOnFailure(outcomes: SubOutcome[]): void {
    const failures = outcomes.filter((o): o is Extract<SubOutcome, { ok: false }> => !o.ok);
    if (failures.length === 0) return;
    const classified = failures.map((f) => classifyGraphFailure(f));
    const permanent = classified.find((e) => e instanceof PermanentError);
    if (permanent) throw permanent;
    const waits = classified.map((e) => (e as TransientError).retryAfterMs ?? 0);
    const first = classified[0] as TransientError;
    throw new TransientError(`${failures.length} Graph lookups failed: ${first.message}`, first.code, Math.max(...waits) || undefined);
  }

  return {
    stats,
    async findHolders(queries: LookupQuery[]): Promise<Holder[][]> {
      const norms = queries.map(normaliseLookup);
      const unique = new Map<string, NormalisedLookup>();
      for (const n of norms) if (n && !unique.has(n.key)) unique.set(n.key, n);
      const keys = [...unique.keys()];
      const found = new Map<string, Holder[]>();
      if (options.cache && keys.length > 0) {
        const cached = await options.cache.getMany(options.tenant, keys);
        keys.forEach((k, i) => {
          const hit = cached[i];
          if (hit) found.set(k, hit);
        });
      }
      const misses = keys.filter((k) => !found.has(k)).map((k) => unique.get(k)!);
      stats.cacheHits += keys.length - misses.length;
      stats.cacheMisses += misses.length;
      if (misses.length > 0) {
        const live = await search(misses, liveQueries);
        const nobody = misses.filter((_, i) => live[i]!.length === 0);
        const deleted = nobody.length > 0 ? await search(nobody, deletedQueries) : [];
        misses.forEach((l, i) => found.set(l.key, live[i]!));
        nobody.forEach((l, i) => found.set(l.key, deleted[i]!));
        await options.cache?.setMany(
          options.tenant,
          misses.map((l) => [l.key, found.get(l.key)!]),
          options.cacheTtlSeconds ?? 3600,
        );
        options.logger.debug({ action: 'graph-lookup', values: misses.length, cached: keys.length - misses.length }, 'looked up values in Graph');
      }
      return norms.map((n) => (n ? (found.get(n.key) ?? []) : []));
    },
  };
}
