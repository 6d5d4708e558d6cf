import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { ensureSchedules, guardAgainstWedgedWorkers, parseRoles, startWorkers, stopWorkers } from '../app/workers.ts';
import type { Worker } from 'bullmq';
import type { AdminServer } from '../admin/server.ts';
import { runUntilSignal, stopIfStartFails } from '../app/shutdown.ts';
import { warnIfEvicting } from '../redis/eviction.ts';
import { UsageError } from './usage.ts';

/** What `syncdesk worker` does (loaded when it runs; see worker-command.ts). */

export interface WorkerOptions {
  queues: string;
  concurrency: number;
  /** Unset: the worker's default (DEFAULT_LOCK_MS). */
  lockDuration?: number;
  /** Unset: the worker's default (DEFAULT_STALLED_INTERVAL_MS). */
  stalledInterval?: number;
  adminPort?: number;
}

export async function runWorkerCommand(opts: WorkerOptions): Promise<never> {
  let roles: ReturnType<typeof parseRoles>;
  try {
    roles = parseRoles(opts.queues);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = cliConfig({ overrides: { 'admin.port': opts.adminPort }, interactive: false });
  const logger = cliLogger(config, { interactive: false });
  const metrics = createMetrics();
  const runtime = await openRuntime(config, logger, metricsHooks(metrics));
  await warnIfEvicting(runtime.redis.client, logger);
  let workers: Worker[] = [];
  let admin: AdminServer | null = null;
  const stop = async (): Promise<void> => {
    await admin?.close();
    await stopWorkers(workers, runtime);
  };
  await stopIfStartFails(stop, async () => {
    workers = startWorkers(runtime, roles, {
      concurrency: opts.concurrency,
      lockDurationMs: opts.lockDuration,
      stalledIntervalMs: opts.stalledInterval,
    });
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await ensureSchedules(runtime, roles);
    admin = await startAdmin(runtime, metrics, { workers });
    guardAgainstWedgedWorkers(runtime, workers);
  });
  logger.info({ action: 'worker-ready', queues: roles, redis: runtime.redis.describe, pid: process.pid }, 'workers ready');
  return runUntilSignal(stop, config.shutdownTimeoutSeconds, logger);
}
