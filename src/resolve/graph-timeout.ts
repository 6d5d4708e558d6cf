import type { Context } from '@microsoft/microsoft-graph-client';
import { ChainLink } from './graph-middleware.ts';

/**
 * Gives up on a Graph request that was accepted but never answered: Node's fetch has no
 * deadline of its own, and a hung proxy or gateway held each attempt for about five minutes
 * (eight attempts, some forty minutes before the tickets went out). Placed after
 * the RetryHandler, each attempt gets the whole time. An answer that never came has no status:
 * the lookup takes it for a network error and retries it like any other (the Graph client
 * hands on only the message), then its tickets say it failed.
 */
export class TimeoutMiddleware extends ChainLink {
  constructor(private readonly ms: number) {
    super();
  }

  async execute(context: Context): Promise<void> {
    const deadline = AbortSignal.timeout(this.ms);
    const own = context.options?.signal;
    context.options = { ...context.options, signal: own ? AbortSignal.any([own, deadline]) : deadline };
    try {
      await this.next.execute(context);
    } catch (err) {
      if (!deadline.aborted) throw err;
      throw new Error(`Graph did not answer within ${this.ms / 1000} s`, { cause: err });
    }
  }
}
