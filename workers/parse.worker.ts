import type { Job, Worker } from 'bullmq';
import { ParseJobSchema } from '../schemas/jobs.schema.ts';
import type { ParsedReport } from '../schemas/report.schema.ts';
import type { Logger } from '../src/logger.ts';
import { enqueueReports, processParseJob, type ParseDeps } from '../src/pipeline/processors.ts';
import type { Queues } from '../src/queues.ts';
import type { RedisClient } from '../src/redis/connection.ts';
import { runWorker, type WorkerTuning } from './run-worker.ts';

/** parse: stored mail → parser → one ticket flow (ticket parent, resolve children) per report. */

/** Job name of the Graph poll schedule, carried on the parse queue. */
export const GRAPH_POLL_JOB = 'poll-graph';

export interface ParseWorkerDeps extends WorkerTuning {
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  parse: ParseDeps;
  /** Set when Graph is configured: the schedule's jobs call it and queue what it finds. */
  pollGraph?: () => Promise<ParsedReport[]>;
}

export function startParseWorker(deps: ParseWorkerDeps): Worker {
  const handlers: Record<string, (job: Job, log: Logger) => Promise<unknown>> = {};
  if (deps.pollGraph) {
    const poll = deps.pollGraph;
    handlers[GRAPH_POLL_JOB] = async (_job, log) => {
      const reports = await poll();
      const queued = await enqueueReports(reports, { mailId: null, receivedAt: new Date(), envelopeFrom: null, source: 'graph' }, deps.parse, log);
      return { reports: queued };
    };
  }
  return runWorker({
    ...deps,
    queue: 'parse',
    schema: ParseJobSchema,
    handler: (data, _job, log) => processParseJob(data, deps.parse, log.child({ mailId: data.mailId })),
    handlers,
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
