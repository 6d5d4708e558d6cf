import type { Job, Worker } from 'bullmq';
import { ParseJobSchema, ResolveJobSchema, TicketJobSchema } from '../../schemas/jobs.schema.ts';
import type { Logger } from '../logger.ts';
import { QUEUE_NAMES, type QueueName, type Queues } from '../queues.ts';
import { enqueueReports, processParseJob, processResolveJob, processTicketJob } from './processors.ts';
import { runWorker, type WorkerTuning } from './run-worker.ts';
import type { TicketStageHandle } from '../ticket/ticket-stage.ts';
import type { Runtime } from './runtime.ts';

/**
 * The BullMQ workers of each role, built on a runtime:
 *
 *   parse    stored mail → parser → one ticket flow (ticket parent, resolve children) per report;
 *            also runs the Graph poll schedule when Graph is configured
 *   resolve  a chunk of one report's errors → directory lookups → ResolveResult[] for the parent
 *   ticket   a whole report, once its resolve children are done → create/note/resolve/reopen
 *
 * `workers/index.ts` (a worker process), `syncdesk worker` and `syncdesk start` call `startWorkers`.
 */

/** Job name of the Graph poll schedule, carried on the parse queue. */
export const GRAPH_POLL_JOB = 'poll-graph';

export const ALL_ROLES = Object.keys(QUEUE_NAMES) as QueueName[];

export function parseRoles(list: string | undefined): QueueName[] {
  if (!list) return [...ALL_ROLES];
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ALL_ROLES as string[]).includes(r));
  if (unknown.length) throw new Error(`unknown queue(s) ${unknown.join(', ')}: choose from ${ALL_ROLES.join(', ')}`);
  return roles as QueueName[];
}

function startParseWorker(runtime: Runtime, base: WorkerBase): Worker {
  const parse = runtime.parseDeps();
  const poll = runtime.pollGraph();
  const handlers: Record<string, (job: Job, log: Logger) => Promise<unknown>> = {};
  if (poll) {
    handlers[GRAPH_POLL_JOB] = async (_job, log) => {
      const reports = await poll();
      const queued = await enqueueReports(reports, { mailId: null, receivedAt: new Date(), envelopeFrom: null, source: 'graph' }, parse, log);
      return { reports: queued };
    };
  }
  return runWorker({
    ...base,
    queue: 'parse',
    schema: ParseJobSchema,
    handler: (data, _job, log) => processParseJob(data, parse, log.child({ mailId: data.mailId })),
    handlers,
  });
}

type WorkerBase = Pick<Parameters<typeof runWorker>[0], 'connection' | 'prefix' | 'logger'> & WorkerTuning;

/** The ticket worker on a stage of the caller's (tests put a desk with faults in). */
export function startTicketWorker(deps: WorkerBase & { stage: Pick<TicketStageHandle, 'applyReport'> }): Worker {
  const { stage, ...base } = deps;
  return runWorker({
    ...base,
    queue: 'ticket',
    schema: TicketJobSchema,
    handler: (data, job, log) => processTicketJob(job, data, stage, log.child({ reportId: data.report.reportId })),
  });
}

export function startWorkers(runtime: Runtime, roles: QueueName[], tuning: WorkerTuning = {}): Worker[] {
  const base: WorkerBase = { connection: runtime.redis.client, prefix: runtime.redis.prefix, logger: runtime.logger, ...tuning };
  return roles.map((role) => {
    switch (role) {
      case 'parse':
        return startParseWorker(runtime, base);
      case 'resolve': {
        const resolver = runtime.resolver();
        return runWorker({ ...base, queue: 'resolve', schema: ResolveJobSchema, handler: (data) => processResolveJob(data, resolver) });
      }
      case 'ticket':
        return startTicketWorker({ ...base, stage: runtime.ticketStage() });
    }
  });
}

/** Installs (or updates) the repeatable Graph poll; `everyMs` 0 removes it. */
export async function scheduleGraphPoll(queues: Queues, everyMs: number): Promise<void> {
  if (everyMs <= 0) {
    await queues.parse.removeJobScheduler(GRAPH_POLL_JOB);
    return;
  }
  await queues.parse.upsertJobScheduler(GRAPH_POLL_JOB, { every: everyMs }, { name: GRAPH_POLL_JOB, data: {} as never });
}

/**
 * Installs the schedules the roles need: with the parse role and Graph configured, the
 * repeating Graph poll (GRAPH_POLL_MINUTES; 0 removes it). Idempotent across processes.
 */
export async function ensureSchedules(runtime: Runtime, roles: QueueName[]): Promise<void> {
  if (!roles.includes('parse') || !runtime.pollGraph()) return;
  await scheduleGraphPoll(runtime.queues, runtime.config.graph.pollMinutes * 60_000);
}

/** Closes the workers (running jobs finish first), then the runtime. */
export async function stopWorkers(workers: Worker[], runtime: Runtime, options?: { keepEmbedded?: boolean }): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
  await runtime.close(options);
}
