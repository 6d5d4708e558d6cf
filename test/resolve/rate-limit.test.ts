import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/resolve/rate-limit.ts';

describe('per-tenant limiter', () => {
  it('never runs more than `concurrency` at once', async () => {
    const limiter = createLimiter({ concurrency: 2, ratePerSecond: 1000 });
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('spaces calls at the token-bucket rate after the burst', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = createLimiter({ concurrency: 10, ratePerSecond: 5, burst: 2, now: () => clock, sleep: async (ms) => { waits.push(ms); clock += ms; } });
    await Promise.all(Array.from({ length: 6 }, () => limiter.run(async () => undefined)));
    // 2 from the burst, then 4 more at 5/s: 800 ms of simulated waiting.
    expect(clock).toBe(800);
    expect(waits.every((w) => w === 200)).toBe(true);
  });
});
