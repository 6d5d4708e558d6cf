import type { Context } from '@microsoft/microsoft-graph-client';
import { ChainLink } from './graph-middleware.ts';

/**
 * Gives up on a Graph request that was accepted but never answered: Node's fetch has no
 * deadline of its own, and a hung proxy or gateway held each attempt for about five minutes
 * (blind40 G7: eight attempts, some forty minutes before the tickets went out). Placed after
 * the RetryHandler, each attempt gets the whole time. The timeout is a network error
 * (`ETIMEDOUT`): the lookup is retried like any other, then its tickets say it failed.
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
      throw Object.assign(new Error(`Graph did not answer within ${this.ms / 1000} s`, { cause: err }), { code: 'ETIMEDOUT' });
    }
  }
}
