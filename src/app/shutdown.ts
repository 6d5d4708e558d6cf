import type { Logger } from '../logger.ts';

/** How a long-running process (start, worker, listen) stops: on a signal, within a deadline, and when its start fails half-way. */

const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * Runs `shutdown` once on SIGTERM/SIGINT/SIGHUP (workers close after their in-flight jobs
 * finish); a second signal exits at once. SIGHUP too: a closed terminal or a `kill -HUP` would
 * otherwise end the process at once, without a word, in the middle of a job. Returns a
 * function that removes the handlers.
 */
function onShutdownSignal(shutdown: (signal: string) => Promise<void>, logger: Logger): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ action: 'shutdown', signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ action: 'shutdown', signal }, 'stopping: letting running jobs finish');
    shutdown(signal).then(
      () => {
        logger.info({ action: 'shutdown', signal }, 'stopped');
        process.exit(0);
      },
      (err: Error) => {
        logger.error({ action: 'shutdown', err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, handler);
  };
}

/**
 * A long-running command stops on SIGTERM by letting running jobs finish, but a job that
 * hangs (a desk that never answers) must not keep the process, and the embedded Redis it
 * uses, alive until a supervisor's SIGKILL. Past `seconds` it gives up with a log line and
 * rejects, so the signal handler exits non-zero; a job cut short is retried by another
 * worker once its lock runs out.
 */
async function stopWithin(stop: () => Promise<void>, seconds: number, logger: Logger): Promise<void> {
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

/** Runs until SIGTERM, SIGINT or SIGHUP, then `stop` within `seconds`; the process exits from the signal handler. */
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
