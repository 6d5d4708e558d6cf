import type { Worker } from 'bullmq';
import { ResolveJobSchema } from '../schemas/jobs.schema.ts';
import type { Logger } from '../src/logger.ts';
import { processResolveJob } from '../src/pipeline/processors.ts';
import type { Resolver } from '../src/pipeline/stage-ports.ts';
import type { RedisClient } from '../src/redis/connection.ts';
import { runWorker, type WorkerTuning } from './run-worker.ts';

/** resolve: a chunk of one report's errors → Graph lookups → ResolveResult[] for the parent ticket job. */

export interface ResolveWorkerDeps extends WorkerTuning {
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  resolver: Resolver;
}

export function startResolveWorker(deps: ResolveWorkerDeps): Worker {
  return runWorker({
    ...deps,
    queue: 'resolve',
    schema: ResolveJobSchema,
    handler: (data) => processResolveJob(data, deps.resolver),
  });
}
