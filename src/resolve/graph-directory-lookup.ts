import type { Client } from '@microsoft/microsoft-graph-client';
import type { Holder } from '../../schemas/resolution.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookup, LookupAnswer, LookupQuery } from './directory-lookup.ts';
import { createBatchRunner, type BatchPoster, type SubOutcome } from './graph-batch.ts';
import { classifyGraphFailure, classifyThrown } from './graph-errors.ts';
import type { LookupCache } from './lookup-cache.ts';
import { normaliseLookup, type NormalisedLookup } from './lookup-key.ts';
import { deletedQueries, liveQueries, narrowDeletedQueries, toHolder, type PlannedQuery } from './lookup-plan.ts';
import { createLimiter, sleep as realSleep, type Limiter } from './rate-limit.ts';

/**
 * DirectoryLookup over Microsoft Graph for one tenant: cache first, then every missing
 * value's user/group/contact searches in `$batch`es of 20, then the soft-deleted
 * fallback for values nobody live holds (an answer with a live holder says the recycle bin
 * went unsearched: searching it for every value would cost two more sub-requests each). Answers are cached per normalised value.
 * Graph may refuse the soft-deleted filters (endswith and proxyAddresses/any are shown
 * working nowhere on deletedItems): such a refusal never discards what the live search
 * found. The value is searched once more with `mail eq` alone; when that is refused too,
 * its answer says the recycle bin could not be searched, and is not cached.
 */

/** What the ticket says when the recycle bin could not be searched for a value. */
export const RECYCLE_BIN_GAP = 'The recycle bin (soft-deleted users and Microsoft 365 groups) could not be searched for this value: Graph refused the query';

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

  /** Runs planned queries for several lookups: per lookup its holders, or the permanent failure of one of its queries. Transient failures throw. */
  async function searchEach(lookups: NormalisedLookup[], plan: (l: NormalisedLookup) => PlannedQuery[]): Promise<Array<Holder[] | PermanentError>> {
    const planned = lookups.map(plan);
    const outcomes = await runner.runAll(planned.flat().map((q) => ({ url: q.url, headers: q.headers })));
    throwOnFailure(outcomes.filter((o) => !o.ok && !(classifyGraphFailure(o) instanceof PermanentError)));
    let at = 0;
    return lookups.map((l, i) => {
      const mine = planned[i]!.map((q) => ({ q, outcome: outcomes[at++]! }));
      const failed = mine.find((m) => !m.outcome.ok);
      if (failed && !failed.outcome.ok) return classifyGraphFailure(failed.outcome) as PermanentError;
      return mine.flatMap(({ q, outcome }) =>
        (outcome as Extract<SubOutcome, { ok: true }>).values.map((o) => toHolder(o, q.kind, q.deleted, l)).filter((h): h is Holder => h !== null),
      );
    });
  }

  /** Runs planned queries for several lookups; holders per lookup, or throws the first failure. */
  async function search(lookups: NormalisedLookup[], plan: (l: NormalisedLookup) => PlannedQuery[]): Promise<Holder[][]> {
    return (await searchEach(lookups, plan)).map((r) => {
      if (r instanceof PermanentError) throw r;
      return r;
    });
  }

  /** The soft-deleted search, narrowed once for the values Graph refused; a gap for those refused again. */
  async function searchDeleted(lookups: NormalisedLookup[]): Promise<LookupAnswer[]> {
    const full = await searchEach(lookups, deletedQueries);
    const refused = lookups.filter((_, i) => full[i] instanceof PermanentError);
    if (refused.length === 0) return full.map((h) => ({ holders: h as Holder[], gap: null }));
    const first = full.find((r) => r instanceof PermanentError) as PermanentError;
    options.logger.warn({ action: 'graph-deleted-refused', values: refused.length, code: first.code }, 'Graph refused the soft-deleted search; trying mail eq alone');
    const narrow = await searchEach(refused, narrowDeletedQueries);
    const retried = new Map(refused.map((l, i) => [l.key, narrow[i]!]));
    return lookups.map((l, i) => {
      const again = retried.get(l.key);
      if (again === undefined) return { holders: full[i] as Holder[], gap: null };
      if (again instanceof PermanentError) return { holders: [], gap: `${RECYCLE_BIN_GAP} (${again.code}).` };
      // mail eq covers a deleted user's or group's mail only; the UPN and proxy addresses went unsearched.
      const partial = narrowDeletedQueries(l).length ? 'only by mail; its UPN and proxy addresses were not' : 'at all';
      return { holders: again, gap: `The recycle bin was searched ${partial}: Graph refused the full query (${first.code}).` };
    });
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
    async findHolders(queries: LookupQuery[]): Promise<LookupAnswer[]> {
      const norms = queries.map(normaliseLookup);
      const unique = new Map<string, NormalisedLookup>();
      for (const n of norms) if (n && !unique.has(n.key)) unique.set(n.key, n);
      const keys = [...unique.keys()];
      const found = new Map<string, LookupAnswer>();
      if (options.cache && keys.length > 0) {
        const cached = await options.cache.getMany(options.tenant, keys);
        keys.forEach((k, i) => {
          const hit = cached[i];
          if (hit) found.set(k, { holders: hit, gap: null });
        });
      }
      const misses = keys.filter((k) => !found.has(k)).map((k) => unique.get(k)!);
      stats.cacheHits += keys.length - misses.length;
      stats.cacheMisses += misses.length;
      if (misses.length > 0) {
        const live = await search(misses, liveQueries);
        const nobody = misses.filter((_, i) => live[i]!.length === 0);
        const deleted = nobody.length > 0 ? await searchDeleted(nobody) : [];
        misses.forEach((l, i) => found.set(l.key, { holders: live[i]!, gap: null }));
        nobody.forEach((l, i) => found.set(l.key, deleted[i]!));
        // An answer with a gap is not cached: the next report searches the recycle bin again.
        const complete = misses.filter((l) => found.get(l.key)!.gap === null);
        await options.cache?.setMany(
          options.tenant,
          complete.map((l) => [l.key, found.get(l.key)!.holders]),
          options.cacheTtlSeconds ?? 3600,
        );
        options.logger.debug({ action: 'graph-lookup', values: misses.length, cached: keys.length - misses.length }, 'looked up values in Graph');
      }
      return norms.map((n) => {
        const answer = (n && found.get(n.key)) || { holders: [], gap: null };
        // a live holder found (now or when cached): the recycle bin was not searched for the value
        return answer.holders.some((h) => !h.deleted) ? { ...answer, recycleBinSkipped: true } : answer;
      });
    },
  };
}
