import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { Logger } from '../../logger.ts';
import { PermanentError, TransientError } from '../../errors.ts';
import { createAdaptiveLimit, type RequestOutcome } from './adaptive-limit.ts';
import { classifyHttpFailure, isRetryableStatus, notJsonFailure, rateLimitNearlySpent, retryAfterMs, UnconfirmedError, wasNeverSent } from './http-errors.ts';
import { endpointOf, throttleScope } from './throttle-scope.ts';

/**
 * Shared axios plumbing for every service desk: one instance per desk with auth, a timeout,
 * a concurrency cap that adapts to the desk (adaptive-limit.ts), and retries that honour Retry-After / rate-limit headers. A create
 * (non-idempotent POST) is never sent twice after an ambiguous failure: the error goes to
 * the use case, which searches the desk by key before it creates again.
 */

export interface DeskHttpOptions {
  /** Desk name for messages and logs (`rt`, `servicenow`, …). */
  desk: string;
  baseURL: string;
  headers?: Record<string, string>;
  auth?: { username: string; password: string };
  /** @defaultValue 15000 */
  timeoutMs?: number;
  /** Requests in flight at once against this desk to begin with; it adapts to the desk (adaptive-limit.ts). @defaultValue 4 */
  maxConcurrent?: number;
  /** The most requests in flight however well the desk keeps up. @defaultValue 16, or maxConcurrent when higher */
  maxConcurrentCeiling?: number;
  /** Retries after the first attempt. @defaultValue 3 */
  maxRetries?: number;
  /** First backoff step; doubles per retry, with jitter. @defaultValue 500 */
  baseDelayMs?: number;
  /** Longest wait we sit out in-process; a longer Retry-After goes back to the queue as TransientError.retryAfterMs. @defaultValue 30000 */
  maxWaitMs?: number;
  /**
   * The part of a path that names one ticket (`/rest/api/3/issue/KEY`, `/api/v2/tickets/7`),
   * for the desks whose limits may count per ticket (throttle-scope.ts).
   */
  ticketPath?: RegExp;
  logger?: Logger;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

export interface DeskRequest extends AxiosRequestConfig {
  /**
   * Safe to send again after an ambiguous failure (timeout, reset, 5xx).
   * @defaultValue true for GET, HEAD, OPTIONS, PUT and DELETE; false otherwise
   */
  idempotent?: boolean;
  /** Statuses handed back to the caller instead of thrown (e.g. 404 on a lookup). */
  acceptStatus?: number[];
}

export interface DeskHttp {
  readonly desk: string;
  readonly axios: AxiosInstance;
  request<T = unknown>(req: DeskRequest): Promise<AxiosResponse<T>>;
  /** Requests currently in flight (for tests and metrics). */
  inFlight(): number;
}

const IDEMPOTENT_METHODS = new Set(['get', 'head', 'options', 'put', 'delete']);

export function createDeskHttp(options: DeskHttpOptions): DeskHttp {
  const instance = axios.create({
    baseURL: options.baseURL,
    headers: { Accept: 'application/json', ...options.headers },
    auth: options.auth,
    timeout: options.timeoutMs ?? 15_000,
    validateStatus: () => true,
    // Redirects on a desk API usually mean a login page: fail instead of following.
    maxRedirects: 0,
  });
  const initial = Math.max(1, options.maxConcurrent ?? 4);
  const limiter = createAdaptiveLimit({ initial, max: Math.max(initial, options.maxConcurrentCeiling ?? 16) });
  const maxRetries = options.maxRetries ?? 3;
  const baseDelay = options.baseDelayMs ?? 500;
  const maxWait = options.maxWaitMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const log = options.logger;
  // Until when a 429 holds back the requests of its scope ('desk', an endpoint or a ticket's path).
  const heldUntil = new Map<string, number>();

  function scopesOf(method: string, url: string): string[] {
    const ticket = options.ticketPath?.exec(url)?.[0];
    return ticket ? ['desk', endpointOf(method, url), ticket] : ['desk', endpointOf(method, url)];
  }

  function hold(method: string, url: string, headers: Record<string, unknown>, ms: number): void {
    const at = now();
    for (const [scope, until] of heldUntil) if (until <= at) heldUntil.delete(scope);
    const scope = throttleScope(headers);
    const ticket = options.ticketPath?.exec(url)?.[0];
    const key = scope === 'desk' ? 'desk' : scope === 'resource' && ticket ? ticket : endpointOf(method, url);
    heldUntil.set(key, Math.max(heldUntil.get(key) ?? 0, at + ms));
  }

  /** How long this request must still wait for an earlier 429 of its scope. */
  function heldFor(method: string, url: string): number {
    let until = 0;
    for (const scope of scopesOf(method, url)) until = Math.max(until, heldUntil.get(scope) ?? 0);
    return until - now();
  }

  function backoff(attempt: number): number {
    const cap = baseDelay * 2 ** attempt;
    return Math.round(cap / 2 + random() * (cap / 2));
  }

  async function once<T>(req: DeskRequest): Promise<AxiosResponse<T> | { networkError: AxiosError | Error }> {
    await limiter.acquire();
    const started = now();
    let outcome: RequestOutcome = { latencyMs: 0, pushedBack: false };
    try {
      const { idempotent: _i, acceptStatus: _a, ...config } = req;
      const res = await instance.request<T>(config);
      const headers = res.headers as Record<string, unknown>;
      outcome = { latencyMs: now() - started, pushedBack: res.status === 429 || res.status === 503, nearLimit: rateLimitNearlySpent(headers) };
      return res;
    } catch (err) {
      const code = (err as AxiosError).code;
      outcome = { latencyMs: now() - started, pushedBack: code === 'ECONNABORTED' || code === 'ETIMEDOUT' };
      return { networkError: err as AxiosError | Error };
    } finally {
      limiter.release(outcome);
    }
  }

  async function request<T>(req: DeskRequest): Promise<AxiosResponse<T>> {
    const method = (req.method ?? 'get').toLowerCase();
    const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(method);
    const url = req.url ?? '';
    for (let attempt = 0; ; attempt++) {
      const held = heldFor(method, url);
      // past the longest in-process wait, the job goes back to the queue: the worker takes other jobs meanwhile
      if (held > maxWait) {
        throw new TransientError(`${options.desk} ${method.toUpperCase()} ${url}: held back ${Math.ceil(held / 1000)} s by the desk's rate limit`, 'desk_rate_limited', held);
      }
      if (held > 0) await sleep(held);
      const res = await once<T>(req);
      let failure: TransientError | PermanentError;
      let resend: boolean;
      if ('networkError' in res) {
        const err = res.networkError;
        const code = (err as AxiosError).code;
        failure = classifyHttpFailure({ desk: options.desk, method, url, networkCode: code, nowMs: now(), cause: err });
        resend = idempotent || wasNeverSent(code);
      } else {
        const ok = (res.status >= 200 && res.status < 300) || (req.acceptStatus ?? []).includes(res.status);
        const headers = res.headers as Record<string, unknown>;
        // A hibernating instance or an SSO page answers 200 with HTML: never read that as "no records".
        const notJson = ok ? notJsonFailure({ desk: options.desk, method, url, status: res.status, headers, body: res.data }) : null;
        if (ok && !notJson) return res;
        failure = notJson ?? classifyHttpFailure({ desk: options.desk, method, url, status: res.status, headers, body: res.data, nowMs: now() });
        // A 429 means the desk refused before doing anything, so even a create may be resent.
        resend = notJson ? idempotent : isRetryableStatus(res.status) && (idempotent || res.status === 429);
        if (res.status === 429) {
          const after = retryAfterMs(headers, now());
          if (after !== undefined) hold(method, url, headers, after);
        }
      }
      // a create not sent again because it may have been applied: the caller is told so
      if (!resend && !idempotent && failure instanceof TransientError) throw new UnconfirmedError(failure);
      if (failure instanceof PermanentError || !resend || attempt >= maxRetries) throw failure;
      const wait = failure.retryAfterMs ?? backoff(attempt);
      if (wait > maxWait) throw failure;
      log?.debug({ method, url, attempt: attempt + 1, waitMs: wait, code: failure.code }, 'desk call retried'); // the logger names the desk
      await sleep(wait);
    }
  }

  return { desk: options.desk, axios: instance, request, inFlight: limiter.active };
}
