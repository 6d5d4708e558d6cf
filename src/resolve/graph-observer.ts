import type { Context } from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import { TransientError } from '../errors.ts';
import { classifyThrown } from './graph-errors.ts';
import { ChainLink } from './graph-middleware.ts';

/**
 * Lets the process see its Graph traffic (for metrics) without touching the lookup code:
 * a middleware placed just before the HTTP handler of the Graph client, so it sees every
 * request that goes on the wire, including the SDK's own 429/503 retries. Token requests
 * do not pass through the Graph client: a failed sign-in is reported by `reportSignInFailures`.
 */

export interface GraphExchange {
  /** HTTP status of the answer; 0 when no answer came (network error). */
  status: number;
  /** For a `$batch` answer: the status of each item in it (each is throttled on its own). */
  itemStatuses: number[];
  /** The answer's Retry-After header, where it has one. */
  retryAfter?: string;
  /**
   * Set when no request went out because signing in failed (status 0): what the queue does
   * with it. A sign-in host down or refusing otherwise moves no Graph metric.
   */
  signInFailed?: 'transient' | 'permanent';
}

export type GraphObserver = (exchange: GraphExchange) => void;

function requestUrl(request: Context['request']): string {
  return typeof request === 'string' ? request : request.url;
}

async function itemStatuses(response: Response): Promise<number[]> {
  try {
    const body = (await response.clone().json()) as { responses?: Array<{ status?: unknown }> };
    return (body.responses ?? []).map((r) => (typeof r.status === 'number' ? r.status : 0));
  } catch {
    return [];
  }
}

/** `credential`, reporting each failed sign-in to `observe` (classified as the queue will). */
export function reportSignInFailures(credential: TokenCredential, observe: GraphObserver): TokenCredential {
  return {
    getToken: async (...args) => {
      try {
        return await credential.getToken(...args);
      } catch (err) {
        const signInFailed = classifyThrown(err) instanceof TransientError ? 'transient' : 'permanent';
        report(observe, { status: 0, itemStatuses: [], signInFailed });
        throw err;
      }
    },
  };
}

/** An observer that throws must not fail the Graph request. */
function report(observe: GraphObserver, exchange: GraphExchange): void {
  try {
    observe(exchange);
  } catch {
    // metrics are best effort
  }
}

export class ObserverMiddleware extends ChainLink {
  constructor(private readonly observe: GraphObserver) {
    super();
  }

  async execute(context: Context): Promise<void> {
    try {
      await this.next.execute(context);
    } catch (err) {
      report(this.observe, { status: 0, itemStatuses: [] });
      throw err;
    }
    const response = context.response;
    if (!response) return;
    const isBatch = /\/\$batch(\?|$)/.test(requestUrl(context.request));
    const items = isBatch && response.ok ? await itemStatuses(response) : [];
    const retryAfter = response.headers.get('retry-after');
    report(this.observe, { status: response.status, itemStatuses: items, ...(retryAfter !== null && { retryAfter }) });
  }
}
