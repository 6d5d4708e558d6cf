import type { Logger } from '../logger.ts';
import { header, parseRetryAfter } from '../http-headers.ts';
import { WAIT_AND_RESEND_STATUSES } from './graph-errors.ts';
import { relativeFromNextLink } from './odata.ts';
import type { Limiter } from './rate-limit.ts';

/**
 * Runs many Graph GETs as `$batch` requests of at most 20. Graph throttles each
 * sub-request on its own and the client's RetryHandler only sees the outer POST, so
 * 429/502/503/504 sub-responses are collected and sent again in a new batch after the
 * longest Retry-After. `@odata.nextLink` pages are followed the same way.
 */

const BATCH_LIMIT = 20;

export interface SubRequest {
  url: string;
  headers?: Record<string, string>;
}

export type SubOutcome =
  | { ok: true; values: Record<string, unknown>[] }
  | { ok: false; status: number; code?: string; message?: string; retryAfter?: string };

interface BatchResponse {
  responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }>;
}

/** Posts one `{requests:[…]}` body to `/$batch` and returns the parsed answer. */
export type BatchPoster = (body: { requests: Array<{ id: string; method: 'GET'; url: string; headers?: Record<string, string> }> }) => Promise<BatchResponse>;

export interface BatchRunnerOptions {
  post: BatchPoster;
  limiter: Limiter;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  /** Rounds a throttled sub-request is retried before it counts as failed. @defaultValue 6 */
  maxAttempts?: number;
  /** Upper bound for one wait, whatever Retry-After says. @defaultValue 120000 */
  maxWaitMs?: number;
  random?: () => number;
}

interface Pending {
  index: number;
  url: string;
  headers?: Record<string, string>;
  attempt: number;
}

export function createBatchRunner(options: BatchRunnerOptions): { runAll(requests: SubRequest[]): Promise<SubOutcome[]> } {
  const maxAttempts = options.maxAttempts ?? 6;
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  const random = options.random ?? Math.random;

  return {
    async runAll(requests) {
      const values: Record<string, unknown>[][] = requests.map(() => []);
      const failures = new Map<number, SubOutcome>();
      let pending: Pending[] = requests.map((r, index) => ({ index, url: r.url, headers: r.headers, attempt: 1 }));
      while (pending.length > 0) {
        const chunks: Pending[][] = [];
        for (let i = 0; i < pending.length; i += BATCH_LIMIT) chunks.push(pending.slice(i, i + BATCH_LIMIT));
        const answers = await Promise.all(
          chunks.map((chunk) =>
            options.limiter.run(() =>
              options.post({
                requests: chunk.map((p, i) => ({ id: String(i + 1), method: 'GET' as const, url: p.url, ...(p.headers ? { headers: p.headers } : {}) })),
              }),
            ),
          ),
        );
        const next: Pending[] = [];
        const retry: Pending[] = [];
        let waitMs = 0;
        answers.forEach((answer, c) => {
          const chunk = chunks[c]!;
          const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
          chunk.forEach((p, i) => {
            const r = byId.get(String(i + 1));
            if (!r) {
              failures.set(p.index, { ok: false, status: 0, code: 'MissingBatchResponse', message: `no answer for sub-request ${i + 1}` });
              return;
            }
            const body = (r.body ?? {}) as { value?: unknown; '@odata.nextLink'?: unknown; error?: { code?: string; message?: string } };
            if (r.status >= 200 && r.status < 300) {
              if (Array.isArray(body.value)) values[p.index]!.push(...(body.value as Record<string, unknown>[]));
              const nextLink = body['@odata.nextLink'];
              if (typeof nextLink === 'string') next.push({ ...p, url: relativeFromNextLink(nextLink), attempt: 1 });
              return;
            }
            const retryAfter = header(r.headers, 'retry-after');
            if (WAIT_AND_RESEND_STATUSES.has(r.status) && p.attempt < maxAttempts) {
              retry.push({ ...p, attempt: p.attempt + 1 });
              // Without Retry-After: exponential backoff, as Graph's throttling guidance asks.
              waitMs = Math.max(waitMs, parseRetryAfter(retryAfter) ?? 1000 * 2 ** (p.attempt - 1));
              return;
            }
            failures.set(p.index, { ok: false, status: r.status, code: body.error?.code, message: body.error?.message, retryAfter });
          });
        });
        if (retry.length > 0) {
          const ms = Math.min(maxWaitMs, waitMs) + Math.floor(random() * 250);
          options.logger.debug({ action: 'graph-batch-retry', throttled: retry.length, waitMs: ms }, 'Graph throttled sub-requests; retrying in a new batch');
          await options.sleep(ms);
        }
        pending = [...next, ...retry];
      }
      return requests.map((_, i) => failures.get(i) ?? { ok: true, values: values[i]! });
    },
  };
}
