import { ensureSchedules, guardAgainstWedgedWorkers, parseRoles, startWorkers } from '../app/workers.ts';
import { runService } from './service.ts';
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
  return runService(opts, async (runtime, adding) => {
    const workers = startWorkers(runtime, roles, { concurrency: opts.concurrency, lockDurationMs: opts.lockDuration, stalledIntervalMs: opts.stalledInterval });
    adding({ workers });
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    await ensureSchedules(runtime, roles);
    guardAgainstWedgedWorkers(runtime, workers);
    return { ready: () => runtime.logger.info({ action: 'worker-ready', queues: roles, redis: runtime.redis.describe, pid: process.pid }, 'workers ready') };
  });
}
