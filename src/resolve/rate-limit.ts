/**
 * A per-tenant limit on Graph calls: at most `concurrency` in flight and a token bucket of
 * `ratePerSecond` (bursts up to `burst`). Graph's directory limits are per app + tenant
 * (3,500 RU / 10 s for small tenants); staying well below them is cheaper than 429s.
 */
export interface Limiter {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export interface LimiterOptions {
  /** @defaultValue 4 */
  concurrency?: number;
  /** @defaultValue 10 */
  ratePerSecond?: number;
  /** @defaultValue ratePerSecond */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createLimiter(options: LimiterOptions = {}): Limiter {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const rate = Math.max(0.001, options.ratePerSecond ?? 10);
  const burst = Math.max(1, options.burst ?? rate);
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  let tokens = burst;
  let last = now();
  let active = 0;
  const queue: Array<() => void> = [];
  let chain: Promise<void> = Promise.resolve();

  /** Takes one token, waiting for the refill; serialised so waiters leave in order. */
  const takeToken = (): Promise<void> => {
    chain = chain.then(async () => {
      for (;;) {
        const t = now();
        tokens = Math.min(burst, tokens + ((t - last) / 1000) * rate);
        last = t;
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        await wait(Math.ceil(((1 - tokens) / rate) * 1000));
      }
    });
    return chain;
  };

  /** Hands the slot straight to the next waiter, so a newcomer can never slip in between. */
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };

  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      if (active < concurrency) active++;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        await takeToken();
        return await fn();
      } finally {
        release();
      }
    },
  };
}
