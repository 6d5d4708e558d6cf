import { createHash } from 'node:crypto';
import { FlowProducer, Queue, type BackoffStrategy, type DefaultJobOptions, type FlowJob, type FlowJobNode } from 'bullmq';
import {
  QUEUE_NAMES,
  RESOLVE_CHUNK_SIZE,
  refreshFlags,
  type QueueName,
  type Refresh,
  type ReportErrors,
  type ReportRef,
  type ResolveJob,
  type TicketJob,
} from '../schemas/jobs.schema.ts';
import type { SyncError } from '../schemas/report.schema.ts';
import { TransientError } from './errors.ts';
import type { RedisClient } from './redis/connection.ts';

/**
 * The queues of the pipeline and how jobs enter them:
 *
 *   ticket  one flow per report, its root a `close` job (id = hash(reportId, its fingerprints))
 *           whose children are `chunk` ticket jobs of ≤50 errors (id = hash(reportId, chunk
 *           fingerprints)), each the parent of the resolve job of the same errors (and that
 *           job of its onprem job): a chunk is ticketed as soon as its lookup is done, the
 *           close runs once all chunks are. In digest mode the root is a `whole` job with the
 *           resolve jobs as its children. The ingestor (mails) and the Graph poll add these
 *           flows; a mail is parsed once.
 *   poll    the repeating Graph poll, a scheduled job and nothing else.
 *   onprem  the on-premises reads of the one forest of ONPREM_URL; `onprem-<forest>` those of
 *           one forest of several (an MSP's customers), each worked inside its own network.
 *
 * Ids come from content, so adding the same thing twice is a no-op (BullMQ ignores an add
 * whose job id exists). Ids never contain `:` (BullMQ's key separator).
 */

export { QUEUE_NAMES, type QueueName };

/** Name of our backoff: exponential with jitter, or exactly the server's Retry-After. */
const BACKOFF_TYPE = 'syncdesk';
const BASE_DELAY_MS = 2_000;
const MAX_DELAY_MS = 15 * 60_000;

const DEFAULT_JOB_OPTIONS = {
  // 8 attempts with a 2 s base: retries span roughly 4 minutes, enough to ride out a Redis, Graph or desk restart
  attempts: 8,
  backoff: { type: BACKOFF_TYPE, delay: BASE_DELAY_MS },
  removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
  // failed jobs stay until someone retries or removes them (`syncdesk failed`)
  removeOnFail: false,
} satisfies DefaultJobOptions;

/**
 * Workers pass this as `settings.backoffStrategy`. A TransientError that carries
 * `retryAfterMs` (a 429 with Retry-After) waits exactly that long; anything else waits
 * 2^(n-1) × base with ±50 % jitter, so workers that failed together do not retry together.
 */
export const backoffStrategy: BackoffStrategy = (attemptsMade, _type, err) => {
  if (err instanceof TransientError && err.retryAfterMs !== undefined && err.retryAfterMs >= 0) {
    return Math.min(err.retryAfterMs, MAX_DELAY_MS);
  }
  const max = Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attemptsMade - 1), MAX_DELAY_MS);
  return Math.round(max * (0.5 + Math.random() * 0.5));
};

/** What a re-run's job ids end with (`replay --force`, `failed retry` of a chunk): the first run's jobs are kept for days. */
function rerunSuffix(rerun: string | undefined): string {
  return rerun ? `-r${rerun}` : '';
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex').slice(0, 40);
}

export const jobIds = {
  /**
   * The report's root job (its close, or the digest's whole job), from the report and what it
   * says: the same report again is a no-op, a re-parse that finds more is not. (`ticket` in its
   * hash: the ids of jobs already queued stay the same.)
   */
  report: (reportId: string, fingerprints: string[]) => `report-${hash('ticket', reportId, ...[...fingerprints].sort())}`,
  chunk: (reportId: string, fingerprints: string[]) => `chunk-${hash('chunk', reportId, ...fingerprints)}`,
  resolve: (reportId: string, fingerprints: string[]) => `resolve-${hash('resolve', reportId, ...fingerprints)}`,
  onprem: (reportId: string, fingerprints: string[]) => `onprem-${hash('onprem', reportId, ...fingerprints)}`,
};

/** The queue of a forest's on-premises reads: `onprem` for the one forest of ONPREM_URL, `onprem-<forest>` for one of several. */
export function onPremQueueName(forest?: string | null): string {
  return forest ? `${QUEUE_NAMES.onprem}-${forest}` : QUEUE_NAMES.onprem;
}

/** A queue of on-premises reads: the default forest's, or one forest's of several. */
export function isOnPremQueue(name: string): boolean {
  return name === QUEUE_NAMES.onprem || onPremForestOf(name) !== null;
}

/** The forest whose queue this is (`onprem-contoso` → `contoso`), or null for any other queue. */
export function onPremForestOf(name: string): string | null {
  const prefix = `${QUEUE_NAMES.onprem}-`;
  return name.startsWith(prefix) ? name.slice(prefix.length) : null;
}

/** Attempts of an onprem job: an unreachable DC is retried for about 15 s, then the report's tickets go on without AD. */
const ONPREM_ATTEMPTS = 4;

/** Splits a report's errors into resolve chunks of at most RESOLVE_CHUNK_SIZE, in report order. */
export function chunkErrors(errors: SyncError[], size = RESOLVE_CHUNK_SIZE): SyncError[][] {
  const chunks: SyncError[][] = [];
  for (let i = 0; i < errors.length; i += size) chunks.push(errors.slice(i, i + size));
  return chunks;
}

/** The on-premises lookup of one resolve chunk: a few attempts, and never a reason for its parent to wait for good. */
function onPremChild(data: ResolveJob, again: string, queueName: string): FlowJobNode {
  return {
    name: 'onprem',
    queueName,
    data,
    opts: {
      jobId: jobIds.onprem(data.report.reportId, data.errors.map((e) => e.fingerprint)) + again,
      ...DEFAULT_JOB_OPTIONS,
      attempts: ONPREM_ATTEMPTS,
      // an unreachable DC or a refused bind: the resolve job goes on with the cloud side and says why
      ignoreDependencyOnFailure: true,
    },
  };
}

/** The lookup of one chunk (with its onprem child where its tenant's AD is read); `again` marks a re-run's ids. */
function resolveJob(data: ResolveJob, again: string, settings: QueueSettings): FlowJob {
  const onpremQueue = settings.onpremQueue?.(data.report) ?? null;
  return {
    name: 'resolve',
    queueName: QUEUE_NAMES.resolve,
    data,
    opts: {
      jobId: jobIds.resolve(data.report.reportId, data.errors.map((e) => e.fingerprint)) + again,
      ...DEFAULT_JOB_OPTIONS,
      // a lookup that failed for good must not hold the report's tickets back:
      // the ticket job goes on and records that error as unresolved
      ignoreDependencyOnFailure: true,
    },
    ...(onpremQueue ? { children: [onPremChild(data, again, onpremQueue)] } : {}),
  };
}

function ticketJob(data: TicketJob, id: string, children: FlowJob[]): FlowJob {
  return { name: data.kind, queueName: QUEUE_NAMES.ticket, data, opts: { jobId: id, ...DEFAULT_JOB_OPTIONS }, children };
}

/** The tickets of one chunk's problems, once its lookup is done. */
function chunkJob(data: ResolveJob, again: string, children: FlowJob[], refresh?: Refresh): FlowJob {
  const flags = refreshFlags(refresh);
  return ticketJob({ kind: 'chunk', ...data, ...flags }, jobIds.chunk(data.report.reportId, data.errors.map((e) => e.fingerprint)) + again, children);
}

export interface Queues {
  prefix: string;
  poll: Queue;
  resolve: Queue<ResolveJob>;
  ticket: Queue<TicketJob>;
  /** Every queue's name: the four of QUEUE_NAMES, then the forests' (status, metrics and `failed` read them all). */
  names: string[];
  byName(name: string): Queue;
  /** Adds the ticket flow of one report; a no-op when that report's ticket job exists. */
  addReportFlow(job: ReportErrors, options?: { rerun?: string }): Promise<{ jobId: string; added: boolean; resolveJobs: number }>;
  /**
   * Looks one chunk of a report up again and brings its tickets up to date: a `chunk` ticket
   * job (no close: the report's other problems are not touched) over a fresh lookup. For a
   * lookup that failed for good after its report was ticketed without it (`failed retry`).
   */
  addChunkRerun(data: ResolveJob, rerun: string): Promise<void>;
  close(): Promise<void>;
}

export interface QueueSettings {
  /**
   * The onprem queue a report's resolve jobs wait for (its tenant's forest), or null: no AD
   * side for it, and nothing waits for a worker that does not exist.
   */
  onpremQueue?: (report: ReportRef) => string | null;
  /** The forests' queues (`onprem-<forest>`), besides the four of QUEUE_NAMES. */
  forestQueues?: string[];
  /** One ticket per report (TICKET_DIGEST), so the report is ticketed at once. */
  digest?: boolean;
}

/**
 * Entries each queue's event stream keeps (BullMQ's default: 10,000). Each `completed` event
 * carries the job's return value, a resolve chunk's lookups (~130 KB): 10,000 of them held
 * ~120 MB of Redis that nothing reads. syncdesk reads no queue events (the flows
 * and job states say what it needs); a few hundred are kept for a person looking.
 */
const EVENTS_KEPT = 200;

export function createQueues(connection: RedisClient, prefix: string, settings: QueueSettings = {}): Queues {
  const opts = { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS, streams: { events: { maxLen: EVENTS_KEPT } } };
  const poll = new Queue(QUEUE_NAMES.poll, opts);
  const resolve = new Queue<ResolveJob>(QUEUE_NAMES.resolve, opts);
  const ticket = new Queue<TicketJob>(QUEUE_NAMES.ticket, opts);
  const onprem = new Queue<ResolveJob>(QUEUE_NAMES.onprem, opts);
  const flow = new FlowProducer({ connection, prefix });
  const all = new Map<string, Queue>([
    [QUEUE_NAMES.poll, poll],
    [QUEUE_NAMES.resolve, resolve],
    [QUEUE_NAMES.ticket, ticket],
    [QUEUE_NAMES.onprem, onprem],
  ]);
  for (const name of settings.forestQueues ?? []) if (!all.has(name)) all.set(name, new Queue(name, opts));
  // Connection errors surface on the shared client (logged there, src/redis/connection.ts);
  // without a listener here BullMQ would print each retry's raw error as well.
  for (const queue of all.values()) queue.on('error', () => undefined);
  flow.on('error', () => undefined);
  const flowOptions = { queuesOptions: Object.fromEntries([...all.keys()].map((q) => [q, { defaultJobOptions: DEFAULT_JOB_OPTIONS }])) };

  return {
    prefix,
    poll,
    resolve,
    ticket,
    names: [...all.keys()],
    byName(name) {
      const queue = all.get(name);
      if (!queue) throw new Error(`no queue ${name}`);
      return queue;
    },
    async addReportFlow(job, options = {}) {
      // a forced re-run (`replay --force`) gets ids of its own: the first run's jobs are kept for days
      const again = rerunSuffix(options.rerun);
      const jobId = jobIds.report(job.report.reportId, job.errors.map((e) => e.fingerprint)) + again;
      if (await ticket.getJob(jobId)) return { jobId, added: false, resolveJobs: 0 };
      const chunks = chunkErrors(job.errors);
      const lookup = (errors: SyncError[]) => resolveJob({ report: job.report, errors }, again, settings);
      // A chunk that failed for good holds its close back (BullMQ's default) until `failed retry`:
      // closing without it would count its problems as missing from the report.
      const tree = settings.digest
        ? ticketJob({ kind: 'whole', ...job }, jobId, chunks.map(lookup))
        : ticketJob(
            { kind: 'close', report: job.report, errorCount: job.errors.length },
            jobId,
            chunks.map((errors) => chunkJob({ report: job.report, errors }, again, [lookup(errors)], options.rerun ? 'forced' : undefined)),
          );
      await flow.add(tree, flowOptions);
      return { jobId, added: true, resolveJobs: chunks.length };
    },
    async addChunkRerun(data, rerun) {
      const again = rerunSuffix(rerun);
      await flow.add(chunkJob(data, again, [resolveJob(data, again, settings)], 'relookup'), flowOptions);
    },
    async close() {
      await Promise.all([...[...all.values()].map((q) => q.close()), flow.close()]);
    },
  };
}
