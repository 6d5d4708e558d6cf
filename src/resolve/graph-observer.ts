import type { Context } from '@microsoft/microsoft-graph-client';
import { ChainLink } from './graph-middleware.ts';

/**
 * Lets the process see its Graph traffic (for metrics) without touching the lookup code:
 * a middleware placed just before the HTTP handler of the Graph client, so it sees every
 * request that goes on the wire, including the SDK's own 429/503 retries. Token requests
 * do not pass through the Graph client and are not seen.
 */

export interface GraphExchange {
  /** HTTP status of the answer; 0 when no answer came (network error). */
  status: number;
  /** For a `$batch` answer: the status of each item in it (each is throttled on its own). */
  itemStatuses: number[];
  /** The answer's Retry-After header, where it has one. */
  retryAfter?: string;
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

export class ObserverMiddleware extends ChainLink {
  constructor(private readonly observe: GraphObserver) {
    super();
  }

  async execute(context: Context): Promise<void> {
    try {
      await this.next.execute(context);
    } catch (err) {
      this.report({ status: 0, itemStatuses: [] });
      throw err;
    }
    const response = context.response;
    if (!response) return;
    const isBatch = /\/\$batch(\?|$)/.test(requestUrl(context.request));
    const items = isBatch && response.ok ? await itemStatuses(response) : [];
    const retryAfter = response.headers.get('retry-after');
    this.report({ status: response.status, itemStatuses: items, ...(retryAfter !== null && { retryAfter }) });
  }

  /** An observer that throws must not fail the Graph request. */
  private report(exchange: GraphExchange): void {
    try {
      this.observe(exchange);
    } catch {
      // metrics are best effort
    }
  }
}
