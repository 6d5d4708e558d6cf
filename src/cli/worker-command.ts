import type { Command } from 'commander';
import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { ensureSchedules, parseRoles, startWorkers, stopWorkers } from '../app/workers.ts';
import { DEFAULT_LOCK_MS, DEFAULT_STALLED_INTERVAL_MS, onShutdownSignal } from '../app/run-worker.ts';

/**
 * `syncdesk worker [--queues poll,resolve,ticket]`: queue workers only, until SIGTERM or
 * SIGINT (running jobs finish first). Run several for more throughput; a worker that dies
 * leaves its job to the others after the lock runs out.
 */

interface WorkerOptions {
  queues?: string;
  concurrency?: string;
  lockDuration?: string;
  stalledInterval?: string;
  adminPort?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run queue workers until stopped (SIGTERM/SIGINT let running jobs finish)')
    .option('--queues <list>', 'comma-separated queues to work on: poll (the Graph poll schedule), resolve, ticket', 'poll,resolve,ticket')
    .option('--concurrency <n>', 'jobs per queue at once', '2')
    .option('--lock-duration <ms>', "how long a job's lock lives; a crashed worker's job is retried after it", String(DEFAULT_LOCK_MS))
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died', String(DEFAULT_STALLED_INTERVAL_MS))
    .option('--admin-port <port>', 'port of the admin server (metrics, health, dashboard); 0: off (default: ADMIN_PORT or 9464)')
    .action(async (opts: WorkerOptions) => {
      const config = cliConfig({ 'admin.port': opts.adminPort });
      const logger = cliLogger(config, false);
      const roles = parseRoles(opts.queues);
      const metrics = createMetrics();
      const runtime = await openRuntime(config, logger, metricsHooks(metrics));
      const workers = startWorkers(runtime, roles, {
        concurrency: Number(opts.concurrency),
        lockDurationMs: Number(opts.lockDuration),
        stalledIntervalMs: Number(opts.stalledInterval),
      });
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      await ensureSchedules(runtime, roles);
      const admin = await startAdmin(runtime, metrics, { workers });
      logger.info({ action: 'worker-ready', queues: roles, redis: runtime.redis.describe, pid: process.pid }, 'workers ready');
      await new Promise<void>(() => {
        onShutdownSignal(async () => {
          await admin?.close();
          await stopWorkers(workers, runtime);
        }, logger);
      });
    });
}
