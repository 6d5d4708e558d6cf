import { PermanentError, TransientError } from '../errors.ts';
import { parseRetryAfter } from '../http-headers.ts';
import { SIGN_IN_FAILURES, type SignInFailure } from './sign-in-diagnosis.ts';

/**
 * Pure mapping from what Graph answered to what the queue should do with the job.
 * Throttling and server faults are retried (honouring Retry-After); anything else
 * that is a 4xx is permanent: a missing permission or a bad query will not fix itself.
 */

/** Statuses Graph documents as "try again later" (throttling, service busy, gateway timeout). */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Of those, the ones a lookup waits out and sends again at once (throttling, a busy service or
 * gateway), saying so in the log; a 500 is a fault of Graph's own, which the job retries later.
 */
export const WAIT_AND_RESEND_STATUSES = new Set([429, 502, 503, 504]);

/** Graph error codes that are transient even when the status alone would not say so. */
const TRANSIENT_CODES = new Set([
  'serviceNotAvailable',
  'generalException',
  'timeout',
  'activityLimitReached',
  'TooManyRequests',
  'Request_ThrottledTemporarily',
  'UnknownError',
]);

/** Network failures: the request may not have reached Graph. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export interface GraphFailure {
  /** HTTP status, or undefined for a network failure. */
  status?: number;
  /** Graph's `error.code` (`Request_UnsupportedQuery`, `Authorization_RequestDenied`, …) or a Node error code. */
  code?: string;
  message?: string;
  /** The `Retry-After` header as sent (seconds or an HTTP date). */
  retryAfter?: string | null;
}

export function classifyGraphFailure(failure: GraphFailure, nowMs: number = Date.now()): TransientError | PermanentError {
  const { status, code } = failure;
  const text = `Graph ${status ?? 'network error'}${code ? ` ${code}` : ''}: ${failure.message ?? 'no message'}`;
  if (status === undefined || status === 0 || status === -1) {
    if (code && !NETWORK_CODES.has(code) && /^AADSTS/.test(code)) return new PermanentError(text, code);
    return new TransientError(text, code ?? 'GraphNetworkError', parseRetryAfter(failure.retryAfter, nowMs));
  }
  if (RETRYABLE_STATUSES.has(status) || (code && TRANSIENT_CODES.has(code))) {
    return new TransientError(text, code ?? `Graph${status}`, parseRetryAfter(failure.retryAfter, nowMs));
  }
  if (status === 401) return new PermanentError(text, code ?? 'GraphUnauthorized');
  if (status === 403) return new PermanentError(text, code ?? 'GraphForbidden');
  if (status === 404) return new PermanentError(text, code === 'Request_ResourceNotFound' ? 'ObjectNotFound' : code ?? 'GraphNotFound');
  return new PermanentError(text, code ?? `Graph${status}`);
}

/**
 * The same decision for a thrown error: a GraphError from the client (statusCode, code,
 * headers), an @azure/identity error (AADSTS code in the message), or a Node network error.
 */
export function classifyThrown(err: unknown, nowMs: number = Date.now()): TransientError | PermanentError {
  if (err instanceof TransientError || err instanceof PermanentError) return err;
  const e = err as {
    statusCode?: number;
    code?: string;
    message?: string;
    name?: string;
    headers?: { get?: (name: string) => string | null };
    cause?: { code?: string };
  };
  const message = e?.message ?? String(err);
  const aadsts = /AADSTS\d+/.exec(message)?.[0];
  if (aadsts) {
    // AADSTS codes name configuration faults (wrong secret, unknown app or tenant); a human must fix them.
    return new PermanentError(message.startsWith('Graph sign-in failed:') ? message : `Graph sign-in failed: ${message}`, aadsts);
  }
  // a failed sign-in sign-in-diagnosis.ts told apart, its name kept by the Graph client as the code
  const diagnosed = [e?.name, e?.code].find((c): c is SignInFailure => !!c && c in SIGN_IN_FAILURES);
  if (diagnosed) return SIGN_IN_FAILURES[diagnosed] === 'transient' ? new TransientError(message, diagnosed) : new PermanentError(message, diagnosed);
  if (e?.name === 'CredentialUnavailableError') {
    // Also what an unreachable or untrusted authority looks like (endpoints_resolution_error).
    return new TransientError(`Graph credential unavailable: ${message}`, 'CredentialUnavailable');
  }
  const status = typeof e?.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const retryAfter = typeof e?.headers?.get === 'function' ? e.headers.get('retry-after') : null;
  const code = e?.code && e.code !== 'Error' ? e.code : e?.cause?.code;
  return classifyGraphFailure({ status, code, message, retryAfter }, nowMs);
}
