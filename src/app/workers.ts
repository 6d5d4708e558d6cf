import { DelayedError, type Worker } from 'bullmq';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { OnPremJobSchema, PollJobSchema, ResolveJobSchema, TicketJobSchema } from '../../schemas/jobs.schema.ts';
import { isOnPremQueue, onPremQueueName, QUEUE_NAMES, type QueueName, type Queues } from '../queues.ts';
import { announceHost, forgetHost } from './hosts.ts';
import { collectOnPremSides, createOnPremDirectory, onPremReadable, processOnPremJob } from './onprem-processor.ts';
import { defaultForestQueued } from './onprem-routing.ts';
import { startOnPremWaitBound } from './onprem-wait.ts';
import { processResolveJob, processTicketJob } from './processors.ts';
import { watchForWedgedWorkers } from './worker-watchdog.ts';
import type { ReportOrder } from './report-order.ts';
import { activeJobs, isFinalFailure, runWorker, type WorkerTuning } from './run-worker.ts';
import type { TicketStageHandle } from '../ticket/ticket-stage.ts';
import type { Runtime } from './runtime.ts';

/**
 * The BullMQ workers of each role, built on a runtime:
 *
 *   poll     the repeating Graph poll (when Graph is configured): current sync errors → report flows
 *   resolve  a chunk of one report's errors → directory lookups → ResolveResult[] for the parent
 *   ticket   a chunk of a report once its resolve job is done → create/note/reopen; the report's
 *            close once all its chunks are → resolve what it no longer lists
 *   onprem   a resolve chunk read from on-premises AD (a child of its resolve job, ONPREM_URL set);
 *            started only where the AD account is configured: the host inside the customer's network.
 *            With ONPREM_FOREST it works that forest's queue, `onprem-<forest>` (onprem-routing.ts)
 *
 * Mails are parsed once, by the ingestor (`listen`, replays), which queues their flows.
 * `workers/index.ts` (a worker process), `syncdesk worker` and `syncdesk start` call `startWorkers`.
 */

/** Job name of the Graph poll schedule, the only job on the poll queue. */
export const GRAPH_POLL_JOB = 'poll-graph';

const ALL_ROLES = Object.keys(QUEUE_NAMES) as QueueName[];

/**
 * The roles in `--queues a,b`. `parse` is the old name of the queue that carried the Graph
 * poll, kept so existing units and compose files still start.
 */
export function parseRoles(list: string | undefined): QueueName[] {
  if (!list) return [...ALL_ROLES];
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean).map((r) => (r === 'parse' ? 'poll' : r));
  const unknown = roles.filter((r) => !(ALL_ROLES as string[]).includes(r));
  if (unknown.length) throw new Error(`unknown queue(s) ${unknown.join(', ')}: choose from ${ALL_ROLES.join(', ')}`);
  return [...new Set(roles)] as QueueName[];
}

function startPollWorker(poll: () => Promise<unknown>, base: WorkerBase): Worker {
  return runWorker({ ...base, queue: 'poll', schema: PollJobSchema, handler: async () => ({ reports: await poll() }) });
}

type WorkerBase = Pick<Parameters<typeof runWorker>[0], 'connection' | 'prefix' | 'logger'> & WorkerTuning;

/**
 * The ticket worker on a stage of the caller's (tests put a desk with faults in). With `order`,
 * a job whose report has an older one of its stream still on its way sleeps until it is
 * applied (report-order.ts); a report is out of the line once applied or failed for good.
 */
export function startTicketWorker(deps: WorkerBase & { stage: Pick<TicketStageHandle, 'applyReport' | 'applyProblems' | 'closeReport'>; order?: ReportOrder }): Worker {
  const { stage, order, ...base } = deps;
  const worker = runWorker({
    ...base,
    queue: 'ticket',
    schema: TicketJobSchema,
    handler: async (data, job, log, token) => {
      const sleepMs = order ? await order.waitFor(data.report) : 0;
      if (sleepMs) {
        // back to delayed, no attempt spent: BullMQ's way for a job to wait from inside its processor
        await job.moveToDelayed(Date.now() + sleepMs, token);
        throw new DelayedError();
      }
      const result = await processTicketJob(job, data, stage, log.child({ reportId: data.report.reportId }));
      if (data.kind !== 'chunk') await order?.done(data.report, job.id!);
      return result;
    },
  });
  if (order) {
    worker.on('failed', (job, err) => {
      // a report that will not be applied until `failed retry` holds no newer one back
      if (!job || !isFinalFailure(job, err)) return;
      const report = job.data.report as ReportRef;
      // unsaid, the tenant's newer reports would wait up to report-order's longest wait for no reason anyone could see
      void order.done(report, job.parent?.id ?? job.id!).catch((e: unknown) =>
        base.logger.warn({ action: 'report-order', reportId: report.reportId, err: e }, `could not take report ${report.reportId} out of its tenant's line: its newer reports wait until the line's timeout`),
      );
    });
  }
  return worker;
}

/** Resolve jobs a worker runs at once, per job of the other queues (`--concurrency`). */
const RESOLVE_FANOUT = 4;

/** Starts a worker per role; the poll role only where Graph is configured (it has nothing to do otherwise). */
export function startWorkers(runtime: Runtime, roles: QueueName[], tuning: WorkerTuning = {}): Worker[] {
  const base: WorkerBase = { connection: runtime.redis.client, prefix: runtime.redis.queuePrefix, logger: runtime.logger, ...tuning };
  // every part a worker needs is made before the first worker starts: one that cannot be made
  // (a desk not configured) fails the start with no worker left running to keep the process up
  const poll = runtime.pollGraph();
  const resolver = roles.includes('resolve') ? runtime.resolver() : null;
  const stage = roles.includes('ticket') ? runtime.ticketStage() : null;
  announce(runtime, roles);
  return roles.flatMap((role) => {
    switch (role) {
      case 'poll':
        return poll ? [startPollWorker(poll, base)] : [];
      case 'resolve': {
        // lookups wait on Graph, and each tenant's own limiter (GRAPH_MAX_CONCURRENCY) bounds what it
        // sends: more of them at once, so one tenant's slow or silent sign-in host does not hold
        // every other tenant's lookups behind it
        const concurrency = (base.concurrency ?? 1) * RESOLVE_FANOUT;
        const worker = runWorker({ ...base, concurrency, queue: 'resolve', schema: ResolveJobSchema, handler: async (data, job) => processResolveJob(data, resolver!, await collectOnPremSides(job, data.errors)) });
        boundOnPremWait(runtime, worker, base);
        return worker;
      }
      case 'onprem': {
        if (!onPremReadable(runtime.config)) {
          if (runtime.config.onprem.url) runtime.logger.warn({ action: 'onprem-skipped' }, 'onprem worker not started: this host has no AD account (ONPREM_BIND_DN, ONPREM_BIND_PASSWORD, ONPREM_BASE_DN)');
          return [];
        }
        const directory = createOnPremDirectory(runtime.config);
        const queue = onPremQueueName(runtime.config.onprem.forest);
        runtime.logger.info({ action: 'onprem-queue', queue, baseDn: runtime.config.onprem.baseDn }, `on-premises reads of queue ${queue} from ${runtime.config.onprem.baseDn}`);
        return runWorker({ ...base, queue, schema: OnPremJobSchema, handler: (data, job, log) => processOnPremJob(data, directory, log.child({ reportId: data.report.reportId }), { made: job.attemptsMade, max: job.opts.attempts ?? 1 }) });
      }
      case 'ticket':
        return startTicketWorker({ ...base, stage: stage!, order: runtime.reportOrder });
    }
  });
}

/**
 * Where reports wait for on-premises reads, the resolve worker also bounds that wait
 * (ONPREM_WAIT_SECONDS, onprem-wait.ts), stopping with it.
 */
function boundOnPremWait(runtime: Runtime, worker: Worker, base: WorkerBase): void {
  const onprem = runtime.queues.names.filter(isOnPremQueue);
  const waitSeconds = runtime.config.onprem.waitSeconds;
  // `onprem` is always listed; forests add their own: with neither in use, nothing ever waits
  if (!waitSeconds || !(defaultForestQueued(runtime.config) || onprem.length > 1)) return;
  const bound = startOnPremWaitBound({ queues: onprem.map((name) => runtime.queues.byName(name)), connection: base.connection, prefix: base.prefix, waitMs: waitSeconds * 1000, logger: runtime.logger });
  worker.on('closing', () => void bound.close());
}

/** Tells the hosts sharing this Redis what this process runs (`doctor` compares their settings); never fails the start. */
export function announce(runtime: Runtime, roles: string[]): void {
  announceHost(runtime.redis.client, runtime.redis.queuePrefix, runtime.config, roles).catch((err: Error) =>
    runtime.logger.warn({ action: 'announce-failed', err: err.message }, 'could not record this host in Redis (doctor will not see it)'),
  );
}

/** Installs (or updates) the repeatable Graph poll; `everyMs` 0 removes it. */
export async function scheduleGraphPoll(queues: Queues, everyMs: number): Promise<void> {
  if (everyMs <= 0) {
    await queues.poll.removeJobScheduler(GRAPH_POLL_JOB);
    return;
  }
  await queues.poll.upsertJobScheduler(GRAPH_POLL_JOB, { every: everyMs }, { name: GRAPH_POLL_JOB, data: {} as never });
}

/**
 * Installs the schedules the roles need: with the poll role and Graph configured, the
 * repeating Graph poll (GRAPH_POLL_MINUTES; 0 removes it). Idempotent across processes.
 */
export async function ensureSchedules(runtime: Runtime, roles: QueueName[]): Promise<void> {
  if (!roles.includes('poll') || !runtime.pollGraph()) return;
  await scheduleGraphPoll(runtime.queues, runtime.config.graph.pollMinutes * 60_000);
}

/**
 * Closes the workers (running jobs finish first), then the runtime. `graceMs` bounds the wait
 * for commands that stop once the queues are drained (replay, demo, quarantine release): a
 * worker whose blocking connection never reports its end (BullMQ awaits an 'end' event that an
 * ioredis Cluster client with no node left does not emit) must not keep the command from
 * exiting. A job still running then (the drain wait ran out) stalls and another worker
 * takes it up, as after a crash.
 */
export async function stopWorkers(workers: Worker[], runtime: Runtime, options: { keepEmbedded?: boolean; graceMs?: number } = {}): Promise<void> {
  // with Redis gone a running job cannot record its end anyway (it is retried once its lock
  // lapses), and waiting for it only held SIGTERM until the shutdown deadline
  const redisLost = runtime.redis.client.status !== 'ready';
  if (redisLost && workers.length) runtime.logger.warn({ action: 'stop-without-redis' }, 'Redis unreachable: stopping without waiting for running jobs (they run again once Redis is back)');
  // a worker with no job to wait for closes at once: a graceful close of one whose loop hangs
  // (after a Redis Cluster node came back) waited out the shutdown deadline for nothing
  const closed = Promise.all(workers.map((w) => w.close(redisLost || activeJobs(w) === 0)));
  if (options.graceMs === undefined) await closed;
  else {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), options.graceMs)));
    if ((await Promise.race([closed, late])) === 'late') runtime.logger.warn({ action: 'workers-close-late', graceMs: options.graceMs }, `workers not closed after ${options.graceMs} ms; closing Redis anyway`);
    clearTimeout(timer);
  }
  if (!redisLost && workers.length) await forgetHost(runtime.redis.client, runtime.redis.queuePrefix).catch(() => undefined);
  await runtime.close({ keepEmbedded: options.keepEmbedded });
}

/**
 * For `start` and `worker`: a worker idle while its queue waits ends the process with exit
 * code 1, for its supervisor to start a fresh one (worker-watchdog.ts says why).
 */
export function guardAgainstWedgedWorkers(runtime: Runtime, workers: Worker[]): () => void {
  return watchForWedgedWorkers(workers, {
    logger: runtime.logger,
    waiting: async (queue) => {
      const counts = await runtime.queues.byName(queue).getJobCounts('waiting', 'prioritized');
      return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    },
    onWedged: () => process.exit(1),
  });
}

/** How long a drained one-shot command waits for its workers to close (stopWorkers). */
export const DRAINED_CLOSE_GRACE_MS = 15_000;
