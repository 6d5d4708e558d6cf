import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { z } from 'zod';
import { PermanentError } from '../errors.ts';
import { REPEAT_WARNING_MS, throttle } from '../log-throttle.ts';
import type { Logger } from '../logger.ts';
import { backoffStrategy } from '../queues.ts';
import { jobAbout } from './job-about.ts';
import type { RedisClient } from '../redis/connection.ts';

/**
 * What every worker shares: the payload is zod-parsed on entry (a bad payload fails for
 * good, with the reason); a PermanentError becomes BullMQ's UnrecoverableError keeping its
 * code; a TransientError is retried with our backoff (honouring its retryAfterMs);
 * completed/failed are logged, at `error` only when no retry is left.
 */

export interface WorkerTuning {
  concurrency?: number;
  /** How long a job's lock lives without renewal (renewed every half of it); a crashed worker's job is retried after it. @defaultValue 8000 */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died. @defaultValue 2000 */
  stalledIntervalMs?: number;
}

/**
 * A crashed worker's job is back in the queue within lock + interval, 10 s. A lock that
 * runs out under a live worker (an event loop blocked for 8 s) only lets a second worker
 * run the same job: every stage is safe to run twice.
 */
export const DEFAULT_LOCK_MS = 8_000;
export const DEFAULT_STALLED_INTERVAL_MS = 2_000;
/**
 * A job whose worker died is retried however often that happens: a crash (OOM kill, a
 * host reboot, a deploy) only delays it. What is really wrong with a job fails it through
 * its error (PermanentError) or its attempts, with the reason; every stall is logged.
 */
const MAX_STALLS = 1_000_000_000;

export interface RunWorkerOptions<S extends z.ZodType, R> extends WorkerTuning {
  /** A role's queue (QUEUE_NAMES), or a forest's (`onprem-<forest>`). */
  queue: string;
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  /** Payload schema of the queue's jobs. */
  schema: S;
  /** `token`: the worker's lock on the job, for a handler that moves it (back to delayed, say). */
  handler: (data: z.infer<S>, job: Job, log: Logger, token?: string) => Promise<R>;
}

/**
 * A failed job's reason split into its code and message: `unrecoverable()` writes
 * `[code] message`; any other reason has no code and is the message as it is.
 */
export function splitFailure(failedReason: string | undefined): { code: string | null; message: string } {
  const reason = failedReason ?? '';
  const m = /^\[([\w.-]+)\] /.exec(reason);
  return m ? { code: m[1]!, message: reason.slice(m[0].length) } : { code: null, message: reason };
}

/** The code a failed job carries: `[code] message` in failedReason, so `failed list` can show it. */
export function failureCode(failedReason: string | undefined): string | null {
  return splitFailure(failedReason).code;
}

function unrecoverable(code: string, message: string): UnrecoverableError {
  const err = new UnrecoverableError(`[${code}] ${message}`);
  (err as UnrecoverableError & { code: string }).code = code;
  return err;
}

function describePayloadError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Jobs each worker of this process is running now (its 'active' events less its ends). */
const running = new WeakMap<Worker, number>();

function jobEnded(worker: Worker): void {
  running.set(worker, Math.max(0, activeJobs(worker) - 1));
}

/** How many jobs `worker` is running in this process: 0 means closing it can wait for nothing. */
export function activeJobs(worker: Worker): number {
  return running.get(worker) ?? 0;
}

/** Whether a job's failure is its last: unrecoverable, or its attempts spent (the `failed` event fires for retries too). */
export function isFinalFailure(job: Job, err: Error): boolean {
  return err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

export function runWorker<S extends z.ZodType, R>(options: RunWorkerOptions<S, R>): Worker {
  const { queue, logger } = options;
  const log = logger.child({ stage: queue });

  const processor = async (job: Job, token?: string): Promise<unknown> => {
    const jobLog = log.child({ job: job.id, attempt: job.attemptsMade + 1 });
    const parsed = options.schema.safeParse(job.data);
    if (!parsed.success) {
      throw unrecoverable('bad-payload', `invalid ${queue} job payload: ${describePayloadError(parsed.error)}`);
    }
    try {
      return await options.handler(parsed.data, job, jobLog, token);
    } catch (err) {
      if (err instanceof PermanentError) throw unrecoverable(err.code, err.message);
      // a job put back to delayed (report-order.ts) ends here: BullMQ says so with no event
      if (err instanceof DelayedError) jobEnded(worker);
      throw err;
    }
  };

  const worker = new Worker(queue, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_MS,
    stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    maxStalledCount: MAX_STALLS,
    settings: { backoffStrategy },
  });

  running.set(worker, 0);
  worker.on('active', () => running.set(worker, activeJobs(worker) + 1));
  worker.on('completed', () => jobEnded(worker));
  worker.on('failed', (job) => job && jobEnded(worker));
  worker.on('completed', (job) => {
    log.info({ action: 'completed', job: job.id, name: job.name, attempts: job.attemptsMade }, `${queue} job completed`);
  });
  worker.on('failed', (job, err) => {
    if (!job) {
      log.error({ action: 'failed', err: err.message }, `${queue} job failed`);
      return;
    }
    const isFinal = isFinalFailure(job, err);
    const about = jobAbout(job.data);
    const of = about ? ` (${about})` : '';
    log[isFinal ? 'error' : 'warn'](
      {
        action: isFinal ? 'failed' : 'retrying',
        job: job.id,
        name: job.name,
        ...(about && { about }),
        attempt: job.attemptsMade,
        attempts: job.opts.attempts ?? 1,
        code: failureCode(job.failedReason) ?? (err as { code?: string }).code,
        err: err.message,
      },
      // an admin watching a replay wait sees how long it may still wait
      isFinal ? `${queue} job failed for good${of}` : `${queue} job failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}), will retry${of}`,
    );
  });
  worker.on('stalled', (jobId) => log.warn({ action: 'stalled', job: jobId }, `${queue} job's worker died or hung: the job is back in the queue`));
  const warn = throttle(REPEAT_WARNING_MS);
  worker.on('error', (err) => warn((heldBack) => log.warn({ action: 'worker-error', err: err.message, heldBack }, `${queue} worker error`)));
  return worker;
}
