import type { Command } from 'commander';
import { cliConfig, cliLogger } from '../pipeline/cli-support.ts';
import { openRuntime } from '../pipeline/runtime.ts';
import { ensureSchedules, parseRoles, startWorkers, stopWorkers } from '../../workers/index.ts';
import { onShutdownSignal } from '../../workers/run-worker.ts';

/**
 * `syncdesk worker [--queues parse,resolve,ticket]`: queue workers only, until SIGTERM or
 * SIGINT (running jobs finish first). Run several for more throughput; a worker that dies
 * leaves its job to the others after the lock runs out.
 */

interface WorkerOptions {
  queues?: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run queue workers until stopped (SIGTERM/SIGINT let running jobs finish)')
    .option('--queues <list>', 'comma-separated queues to work on: parse,resolve,ticket', 'parse,resolve,ticket')
    .option('--concurrency <n>', 'jobs per queue at once', '2')
    .option('--lock-duration <ms>', "how long a job's lock lives; a crashed worker's job is retried after it", '30000')
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', '30000')
    .action(async (opts: WorkerOptions) => {
      const config = cliConfig();
      const logger = cliLogger(config, false);
      const roles = parseRoles(opts.queues);
      const runtime = await openRuntime(config, logger);
      const workers = startWorkers(runtime, roles, {
        concurrency: Number(opts.concurrency),
        lockDurationMs: Number(opts.lockDuration),
        stalledIntervalMs: Number(opts.stalledInterval),
      });
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      await ensureSchedules(runtime, roles);
      logger.info({ action: 'worker-ready', queues: roles, redis: runtime.redis.describe, pid: process.pid }, 'workers ready');
      await new Promise<void>(() => {
        onShutdownSignal(() => stopWorkers(workers, runtime), logger);
      });
    });
}
