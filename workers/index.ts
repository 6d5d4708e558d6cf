import { pathToFileURL } from 'node:url';
import type { Worker } from 'bullmq';
import { loadConfig } from '../src/config.ts';
import { configFilePath } from '../src/config-file.ts';
import { createLogger } from '../src/logger.ts';
import { openRuntime, type Runtime } from '../src/pipeline/runtime.ts';
import { QUEUE_NAMES, type QueueName } from '../src/queues.ts';
import { scheduleGraphPoll, startParseWorker } from './parse.worker.ts';
import { startResolveWorker } from './resolve.worker.ts';
import { startTicketWorker } from './ticket.worker.ts';
import { onShutdownSignal, type WorkerTuning } from './run-worker.ts';

/**
 * Starts workers for one or more roles (`parse`, `resolve`, `ticket`) on a runtime.
 * Run directly (`tsx workers/index.ts parse,resolve`) it is a worker process of its own;
 * `syncdesk worker` and `syncdesk start` call `startWorkers` in-process.
 */

export const ALL_ROLES = Object.keys(QUEUE_NAMES) as QueueName[];

export function parseRoles(list: string | undefined): QueueName[] {
  if (!list) return [...ALL_ROLES];
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ALL_ROLES as string[]).includes(r));
  if (unknown.length) throw new Error(`unknown queue(s) ${unknown.join(', ')}: choose from ${ALL_ROLES.join(', ')}`);
  return roles as QueueName[];
}

export function startWorkers(runtime: Runtime, roles: QueueName[], tuning: WorkerTuning = {}): Worker[] {
  const base = { connection: runtime.redis.client, prefix: runtime.redis.prefix, logger: runtime.logger, ...tuning };
  return roles.map((role) => {
    switch (role) {
      case 'parse':
        return startParseWorker({ ...base, parse: runtime.parseDeps(), pollGraph: runtime.pollGraph() });
      case 'resolve':
        return startResolveWorker({ ...base, resolver: runtime.resolver() });
      case 'ticket':
        return startTicketWorker({ ...base, stage: runtime.ticketStage() });
    }
  });
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

async function main(): Promise<void> {
  const config = loadConfig(process.env, {}, { file: configFilePath(process.env)?.path });
  const logger = createLogger({ level: config.logLevel });
  const runtime = await openRuntime(config, logger);
  const roles = parseRoles(process.argv[2]);
  const workers = startWorkers(runtime, roles);
  await ensureSchedules(runtime, roles);
  onShutdownSignal(() => stopWorkers(workers, runtime), logger);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`syncdesk worker: ${err.message}\n`);
    process.exit(1);
  });
}
