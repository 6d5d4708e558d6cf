import { PermanentError, TransientError } from '../../errors.ts';
import { header, parseRetryAfter, type HeaderBag } from '../../http-headers.ts';

/**
 * Pure mapping from what a service desk answered to what the queue should do.
 * Kept free of axios and I/O so every rule is unit-tested on its own.
 */

/** Statuses where asking again later can succeed: timeouts, throttling, edit conflicts, server faults. */
const RETRYABLE_4XX = new Set([408, 409, 412, 425, 429]);

/** Codes where the request certainly never reached the desk, so even a create may be sent again. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * How long the desk asked us to wait, in ms, from `Retry-After` (seconds or HTTP date) or a
 * rate-limit reset header (`X-RateLimit-Reset`: epoch seconds on ServiceNow, ISO time on Jira;
 * `RateLimit-Reset`: delta seconds). Undefined when no header says so.
 */
export function retryAfterMs(headers: HeaderBag, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const reset = header(headers, 'x-ratelimit-reset') ?? header(headers, 'x-rate-limit-reset');
  if (reset !== undefined) {
    const trimmed = reset.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) {
      const n = Number(trimmed);
      // Big numbers are instants (epoch ms or s); small ones are a delay in seconds.
      if (n > 1e12) return Math.max(0, n - nowMs);
      if (n > 1e9) return Math.max(0, n * 1000 - nowMs);
      return Math.round(n * 1000);
    }
    const at = Date.parse(trimmed);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const delta = header(headers, 'ratelimit-reset');
  if (delta !== undefined && /^\d+$/.test(delta.trim())) return Number(delta.trim()) * 1000;
  // Zendesk's endpoint windows: the longest reset of a spent one
  const spent = zendeskWindows(headers).filter((w) => w.remaining === 0 && w.resets !== undefined);
  if (spent.length) return Math.max(...spent.map((w) => w.resets!)) * 1000;
  return undefined;
}

export interface RateWindow {
  total?: number;
  remaining?: number;
  /** Seconds until the window resets. */
  resets?: number;
}

/**
 * Zendesk's endpoint windows, beside the account's: `Zendesk-RateLimit-tickets-update:
 * total=100; remaining=99; resets=41` (also `-tickets-index`, and more endpoints to come),
 * https://developer.zendesk.com/api-reference/introduction/rate-limits/.
 */
export function zendeskWindows(headers: HeaderBag): RateWindow[] {
  if (!headers) return [];
  const windows: RateWindow[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.toLowerCase().startsWith('zendesk-ratelimit-') || value === undefined || value === null) continue;
    const w: RateWindow = {};
    for (const part of String(Array.isArray(value) ? value[0] : value).split(';')) {
      const m = /^\s*(total|remaining|resets)\s*=\s*(\d+)\s*$/i.exec(part);
      if (m) w[m[1]!.toLowerCase() as keyof RateWindow] = Number(m[2]);
    }
    windows.push(w);
  }
  return windows;
}

/** The first of `names` the headers carry, as a number. */
export function numberHeader(headers: HeaderBag, names: string[]): number | undefined {
  for (const name of names) {
    const v = header(headers, name);
    if (v !== undefined && /^\d+$/.test(v.trim())) return Number(v.trim());
  }
  return undefined;
}

/**
 * Whether the desk's rate-limit headers say a window is nearly spent (under a tenth left,
 * or under 5 requests when only the remainder is given): Jira and ServiceNow send
 * `X-RateLimit-Remaining`/`-Limit`, Zendesk `X-Rate-Limit-Remaining`/`X-Rate-Limit` and its
 * endpoint windows, the IETF draft `RateLimit-Remaining`/`-Limit`.
 */
export function rateLimitNearlySpent(headers: HeaderBag): boolean {
  const nearlySpent = (remaining: number | undefined, limit: number | undefined): boolean =>
    remaining !== undefined && (limit === undefined ? remaining < 5 : remaining < limit / 10);
  if (zendeskWindows(headers).some((w) => nearlySpent(w.remaining, w.total))) return true;
  return nearlySpent(
    numberHeader(headers, ['x-ratelimit-remaining', 'x-rate-limit-remaining', 'ratelimit-remaining']),
    numberHeader(headers, ['x-ratelimit-limit', 'x-rate-limit', 'x-rate-limit-limit', 'ratelimit-limit']),
  );
}

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_4XX.has(status);
}

/** True when the request cannot have reached the desk (safe to resend even a create). */
export function wasNeverSent(code: string | undefined): boolean {
  return code !== undefined && NOT_SENT_CODES.has(code);
}

function codeForStatus(status: number): string {
  if (status === 429) return 'desk_rate_limited';
  if (status === 401) return 'desk_unauthorized';
  if (status === 403) return 'desk_forbidden';
  if (status === 404) return 'desk_not_found';
  if (status === 409 || status === 412) return 'desk_conflict';
  if (status === 408 || status === 504) return 'desk_timeout';
  if (status >= 500) return 'desk_unavailable';
  return 'desk_rejected';
}

/** A short reason from a desk's error body (RT `message`, SN `error.message`, Jira `errorMessages`, Zendesk `error`/`description`). */
/** One entry of an `errors` list (`{ field, message }`, as Freshservice and many JSON APIs answer a refused field): the field with what was wrong. */
function errorItem(item: unknown): string {
  if (!item || typeof item !== 'object') return String(item);
  const e = item as Record<string, unknown>;
  const what = [e.message, e.detail, e.code].find((v) => typeof v === 'string');
  const field = [e.field, e.attribute, e.path].find((v) => typeof v === 'string');
  return what ? `${field ? `${field}: ` : ''}${what}` : JSON.stringify(item);
}

export function describeBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body === 'string') return body.slice(0, 300);
  if (Array.isArray(body)) return body.map(String).join('; ').slice(0, 300);
  if (typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const parts: string[] = [];
    if (typeof b.message === 'string') parts.push(b.message);
    const err = b.error;
    if (typeof err === 'string') parts.push(err);
    else if (err && typeof err === 'object') {
      const e = err as Record<string, unknown>;
      if (typeof e.message === 'string') parts.push(e.message);
      if (typeof e.detail === 'string') parts.push(e.detail);
    }
    if (typeof b.description === 'string') parts.push(b.description);
    if (Array.isArray(b.errorMessages)) parts.push(...b.errorMessages.map(String));
    if (Array.isArray(b.errors)) parts.push(...b.errors.map(errorItem));
    else if (b.errors && typeof b.errors === 'object') {
      parts.push(...Object.entries(b.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${JSON.stringify(v)}`));
    }
    if (b.details && typeof b.details === 'object') parts.push(JSON.stringify(b.details));
    if (parts.length) return parts.join('; ').slice(0, 300);
    return JSON.stringify(body).slice(0, 300);
  }
  return String(body).slice(0, 300);
}

export interface HttpFailure {
  desk: string;
  method: string;
  url: string;
  status?: number;
  headers?: HeaderBag;
  body?: unknown;
  /** Node/axios error code for failures without a response (ECONNREFUSED, ECONNABORTED…). */
  networkCode?: string;
  nowMs: number;
  cause?: unknown;
}

/**
 * A write that is not safe to send again (a create) failed after it may have reached the desk: a
 * 5xx, a timeout, a reset. It is retried like any TransientError, but the desk may have applied
 * it: an adapter whose search lags behind its writes looks for it before the error goes back.
 */
export class UnconfirmedError extends TransientError {
  constructor(failure: TransientError) {
    super(failure.message, failure.code, failure.retryAfterMs, { cause: failure });
    this.name = 'UnconfirmedError';
  }
}

/** The error the queue should see for one failed desk call. */
export function classifyHttpFailure(f: HttpFailure): TransientError | PermanentError {
  const where = `${f.desk} ${f.method.toUpperCase()} ${f.url}`;
  if (f.status === undefined) {
    const code = f.networkCode ?? 'unknown';
    const message = `${where}: no answer (${code})`;
    // An unknown network failure is retried: a dead desk is the common cause, not bad input.
    return new TransientError(message, code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'desk_timeout' : 'desk_network', undefined, {
      cause: f.cause,
    });
  }
  const reason = describeBody(f.body);
  const message = `${where}: HTTP ${f.status}${reason ? ` (${reason})` : ''}`;
  const code = codeForStatus(f.status);
  if (isRetryableStatus(f.status)) {
    return new TransientError(message, code, retryAfterMs(f.headers, f.nowMs), { cause: f.cause });
  }
  return new PermanentError(message, code, { cause: f.cause });
}

/**
 * A failure when a desk answered a status the caller accepts (2xx, or a 404 on a lookup) with
 * a body that is not JSON: an SSO login page, a hibernating developer instance, a proxy's
 * error page. Transient, because the desk did not say anything about the records; null when
 * the answer is JSON or empty.
 */
export function notJsonFailure(f: { desk: string; method: string; url: string; status: number; headers: HeaderBag; body: unknown }): TransientError | null {
  const empty = f.body === undefined || f.body === null || f.body === '';
  if (empty) return null;
  const type = header(f.headers, 'content-type') ?? '';
  if (/\bjson\b/i.test(type) && typeof f.body !== 'string') return null;
  const sample = typeof f.body === 'string' ? f.body.replace(/\s+/g, ' ').slice(0, 120) : '';
  return new TransientError(
    `${f.desk} ${f.method.toUpperCase()} ${f.url}: HTTP ${f.status} answered ${type || 'without a content type'}, not JSON${sample ? ` (${sample})` : ''}`,
    'desk_not_json',
  );
}
