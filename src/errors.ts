/**
 * Errors are named by what the queue should do with the job, not by where they came from.
 * Adapters map vendor errors to these at their edge; workers turn PermanentError into
 * BullMQ's UnrecoverableError and keep the code.
 */

/** Worth retrying: a network fault, a 429, a 5xx, a server restart. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly code: string = 'transient',
    /** The server said when to come back (Retry-After), in milliseconds. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Retrying cannot help: bad input, a 4xx, a missing permission. Kept with its reason. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly code: string = 'permanent',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * `err` with what it was about in front of its message (its class, code and retry time kept):
 * a job that works many items fails with the one that failed named.
 */
export function naming(err: unknown, about: string): unknown {
  if (err instanceof Error && !err.message.startsWith(about)) err.message = `${about}: ${err.message}`;
  return err;
}
