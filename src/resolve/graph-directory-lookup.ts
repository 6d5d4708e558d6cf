import type { Client } from '@microsoft/microsoft-graph-client';
import type { Holder } from '../../schemas/resolution.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { DirectoryLookup, LookupAnswer, LookupQuery } from './directory-lookup.ts';
import { createBatchRunner, type BatchPoster, type SubOutcome } from './graph-batch.ts';
import { classifyGraphFailure, classifyThrown } from './graph-errors.ts';
import type { LookupCache } from './lookup-cache.ts';
import { normaliseLookup, type NormalisedLookup } from './lookup-key.ts';
import { anchorHolder, anchorQuery, deletedQueries, liveQueries, narrowDeletedQueries, toHolder, type ObjectKind, type PlannedQuery } from './lookup-plan.ts';
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

/** The users an anchor's search answered, or null when Graph refused it. */
function holdersOfAnchor(outcome: SubOutcome, anchor: string): Holder[] | null {
  return outcome.ok ? outcome.values.map((v) => anchorHolder(v, anchor)).filter((h): h is Holder => h !== null) : null;
}

/** The permission each kind of object needs to be read (application permissions). */
const PERMISSION: Record<ObjectKind, string> = { user: 'User.Read.All', group: 'Group.Read.All', contact: 'OrgContact.Read.All' };

/** What the ticket says when Graph would not let the app read some kinds of objects. */
function forbiddenGap(kinds: ObjectKind[]): string {
  const names = kinds.map((k) => `${k}s`).join(' and ');
  return `${names[0]!.toUpperCase()}${names.slice(1)} were not searched: Graph refused the app (403; it needs ${kinds.map((k) => PERMISSION[k]).join(' and ')}, with admin consent; syncdesk doctor names what is missing).`;
}

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

  /**
   * The live search of several lookups: per lookup its holders, and the kinds Graph would not let
   * the app read (403: an app granted User.Read.All alone). Users refused, or any other
   * refusal, fails the lookups as before: without users nothing can be said.
   */
  async function searchLive(lookups: NormalisedLookup[]): Promise<Array<{ holders: Holder[]; forbidden: ObjectKind[] }>> {
    const planned = lookups.map(liveQueries);
    const outcomes = await runner.runAll(planned.flat().map((q) => ({ url: q.url, headers: q.headers })));
    throwOnFailure(outcomes.filter((o) => !o.ok && !(classifyGraphFailure(o) instanceof PermanentError)));
    let at = 0;
    return lookups.map((l, i) => {
      const holders: Holder[] = [];
      const forbidden: ObjectKind[] = [];
      for (const q of planned[i]!) {
        const outcome = outcomes[at++]!;
        if (outcome.ok) holders.push(...outcome.values.map((o) => toHolder(o, q.kind, q.deleted, l)).filter((h): h is Holder => h !== null));
        else if (outcome.status === 403 && q.kind !== 'user') forbidden.push(q.kind);
        else throw classifyGraphFailure(outcome);
      }
      return { holders, forbidden };
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

  const ttlSeconds = options.cacheTtlSeconds ?? 3600;
  return {
    stats,
    async findByAnchor(anchors: string[]): Promise<Array<Holder[] | null>> {
      // cached beside the values (an anchor is case-sensitive base64: its key keeps its case)
      const keys = anchors.map((a) => `anchor:${a}`);
      const cached = options.cache ? await options.cache.getMany(options.tenant, keys) : anchors.map(() => null);
      const misses = anchors.filter((_, i) => !cached[i]);
      const outcomes = misses.length ? await runner.runAll(misses.map((a) => ({ url: anchorQuery(a).url }))) : [];
      // a busy Graph retries the job; a refused query leaves that anchor unanswered (the ticket
      // then offers what it would without it), it does not fail the report's lookups
      throwOnFailure(outcomes.filter((o) => !o.ok && !(classifyGraphFailure(o) instanceof PermanentError)));
      const found = new Map(misses.map((a, i) => [a, holdersOfAnchor(outcomes[i]!, a)]));
      const answered = misses.filter((a) => found.get(a) !== null);
      await options.cache?.setMany(options.tenant, answered.map((a) => [`anchor:${a}`, found.get(a)!]), ttlSeconds);
      return anchors.map((a, i) => cached[i] ?? found.get(a) ?? null);
    },
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
        const live = await searchLive(misses);
        const nobody = misses.filter((_, i) => live[i]!.holders.length === 0);
        const deleted = nobody.length > 0 ? await searchDeleted(nobody) : [];
        misses.forEach((l, i) => found.set(l.key, { holders: live[i]!.holders, gap: null }));
        nobody.forEach((l, i) => found.set(l.key, deleted[i]!));
        // kinds the app may not read: what was found stands (a value is unique), the rest is said
        misses.forEach((l, i) => {
          const { forbidden } = live[i]!;
          if (!forbidden.length) return;
          const answer = found.get(l.key)!;
          found.set(l.key, { ...answer, gap: [forbiddenGap(forbidden), answer.gap].filter(Boolean).join(' '), incomplete: true });
        });
        // An answer with a gap is not cached: the next report searches the recycle bin again.
        const complete = misses.filter((l) => found.get(l.key)!.gap === null);
        await options.cache?.setMany(
          options.tenant,
          complete.map((l) => [l.key, found.get(l.key)!.holders]),
          ttlSeconds,
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
