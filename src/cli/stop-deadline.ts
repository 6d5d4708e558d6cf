import { onShutdownSignal } from '../app/run-worker.ts';
import type { Logger } from '../logger.ts';

/**
 * A long-running command stops on SIGTERM by letting running jobs finish, but a job that
 * hangs (a desk that never answers) must not keep the process, and the embedded Redis it
 * uses, alive until a supervisor's SIGKILL. Past `seconds` it gives up with a log line and
 * rejects, so the signal handler exits non-zero; a job cut short is retried by another
 * worker once its lock runs out.
 */
export async function stopWithin(stop: () => Promise<void>, seconds: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      logger.error({ action: 'shutdown-deadline', seconds }, `shutdown did not finish within ${seconds} s (a job still running?): exiting now`);
      reject(new Error(`shutdown deadline of ${seconds} s passed (SHUTDOWN_TIMEOUT_SECONDS)`));
    }, seconds * 1000);
  });
  try {
    await Promise.race([stop(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs until SIGTERM/SIGINT, then `stop` within `seconds`; the process exits from the signal handler. */
export function runUntilSignal(stop: () => Promise<void>, seconds: number, logger: Logger): Promise<never> {
  return new Promise<never>(() => {
    onShutdownSignal(() => stopWithin(stop, seconds, logger), logger);
  });
}

/**
 * A long-running command's start: when a part fails to start (a desk not configured, an admin
 * host that does not resolve, no mailbox for `listen`), what had started is stopped before the
 * error leaves. Its open Redis connections and workers would keep the process running: no exit
 * code for systemd or Docker to act on, and the embedded Redis left behind.
 */
export async function stopIfStartFails(stop: () => Promise<void>, start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
