import type { Worker } from 'bullmq';
import type { Logger } from '../logger.ts';
import { activeJobs } from './run-worker.ts';

/**
 * A worker that stays idle while its queue has jobs waiting is wedged. BullMQ's loop was seen
 * to hang so after a Redis Cluster node came back (blind test 26, F6): no error, no log line,
 * `/readyz` ready, and the reports waited until someone restarted the process. Nothing in the
 * process unsticks that loop; a new process does. So a long-running command (`start`, `worker`)
 * says which queue and stops with exit code 1, and its supervisor (systemd's
 * Restart=on-failure, Docker's restart policy) starts a fresh one. Jobs this process held are
 * taken up again by the stalled-job check, as after any crash.
 */

export interface WatchdogOptions {
  logger: Logger;
  /** Jobs waiting to be taken in a queue (waiting and prioritized). */
  waiting: (queue: string) => Promise<number>;
  /** What to do with a wedged worker's process. */
  onWedged: (queue: string) => void;
  /** @defaultValue 15 s */
  everyMs?: number;
  /** How long a worker may stay idle with jobs waiting. @defaultValue 60 s: far above a healthy worker's milliseconds, and BullMQ's own reset of a stuck blocking call (~11 s) */
  patienceMs?: number;
  now?: () => number;
  /** Jobs a worker is running in this process. @defaultValue activeJobs */
  active?: (worker: Worker) => number;
}

/** Starts watching; returns the function that stops it. */
export function watchForWedgedWorkers(workers: Worker[], options: WatchdogOptions): () => void {
  const everyMs = options.everyMs ?? 15_000;
  const patienceMs = options.patienceMs ?? 60_000;
  const now = options.now ?? Date.now;
  const active = options.active ?? activeJobs;
  /** Since when each worker has been idle with jobs waiting. */
  const idleSince = new Map<Worker, number>();
  let checking = false;
  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    try {
      for (const worker of workers) {
        if (worker.closing || active(worker) > 0) {
          idleSince.delete(worker);
          continue;
        }
        // Redis down: no count, no verdict (the outage is said elsewhere, and may be all there is)
        const waiting = await options.waiting(worker.name).catch(() => 0);
        if (waiting === 0) {
          idleSince.delete(worker);
          continue;
        }
        const since = idleSince.get(worker) ?? now();
        idleSince.set(worker, since);
        if (now() - since < patienceMs) continue;
        options.logger.error(
          { action: 'worker-wedged', queue: worker.name, waiting, idleSeconds: Math.round((now() - since) / 1000) },
          `the ${worker.name} worker has taken no job for ${Math.round((now() - since) / 1000)} s while ${waiting} waited: stopping so a fresh process takes over`,
        );
        options.onWedged(worker.name);
        return;
      }
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
