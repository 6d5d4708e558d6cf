import type { Worker } from 'bullmq';
import { TicketJobSchema } from '../schemas/jobs.schema.ts';
import type { Logger } from '../src/logger.ts';
import { processTicketJob } from '../src/pipeline/processors.ts';
import type { TicketStage } from '../src/pipeline/stage-ports.ts';
import type { RedisClient } from '../src/redis/connection.ts';
import { runWorker, type WorkerTuning } from './run-worker.ts';

/** ticket: a whole report, once its resolve children are done → create/note/resolve/reopen tickets. */

export interface TicketWorkerDeps extends WorkerTuning {
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  stage: TicketStage;
}

export function startTicketWorker(deps: TicketWorkerDeps): Worker {
  return runWorker({
    ...deps,
    queue: 'ticket',
    schema: TicketJobSchema,
    handler: (data, job, log) => processTicketJob(job, data, deps.stage, log.child({ reportId: data.report.reportId })),
  });
}
