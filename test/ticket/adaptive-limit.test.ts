import { describe, expect, it } from 'vitest';
import { createAdaptiveLimit, type AdaptiveLimit } from '../../src/ticket/sinks/adaptive-limit.ts';

/**
 * A desk modelled in virtual time: it works `capacity` requests at once in `baseMs` each; more
 * requests queue inside the desk, so each answer takes longer. `throttleAbove`, when set, makes
 * it answer 429 at once to a request that finds more than that many in flight.
 */
async function drive(limit: AdaptiveLimit, desk: { capacity: number; baseMs: number; throttleAbove?: number }, requests: number, clients = 32): Promise<{ limits: number[]; throttled: number }> {
  let inDesk = 0;
  let throttled = 0;
  const limits: number[] = [];
  let next = 0;
  const client = async (): Promise<void> => {
    while (next++ < requests) {
      await limit.acquire();
      inDesk++;
      if (desk.throttleAbove !== undefined && inDesk > desk.throttleAbove) {
        inDesk--;
        throttled++;
        limit.release({ latencyMs: 1, pushedBack: true });
        limits.push(limit.limit());
        continue;
      }
      const latencyMs = desk.baseMs * Math.max(1, inDesk / desk.capacity);
      await new Promise((r) => setTimeout(r, latencyMs));
      inDesk--;
      limit.release({ latencyMs, pushedBack: false });
      limits.push(limit.limit());
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { limits, throttled };
}

describe('adaptive desk concurrency', () => {
  it('rises from its start while the desk answers as fast, and settles near what the desk can take', async () => {
    const limit = createAdaptiveLimit({ initial: 2, max: 32 });
    const { limits } = await drive(limit, { capacity: 8, baseMs: 4 }, 1_500);
    expect(Math.max(...limits)).toBeGreaterThanOrEqual(8);
    // past the desk's capacity answers slow down: it steps back instead of climbing to the ceiling
    expect(Math.max(...limits)).toBeLessThan(20);
    const settled = limits.slice(-300);
    expect(settled.reduce((a, b) => a + b, 0) / settled.length).toBeGreaterThan(6);
  });

  it('never passes the desk\'s ceiling', async () => {
    const limit = createAdaptiveLimit({ initial: 4, max: 6 });
    const { limits } = await drive(limit, { capacity: 100, baseMs: 2 }, 600);
    expect(Math.max(...limits)).toBe(6);
  });

  it('halves at each 429 and stays under the level where the desk throttles', async () => {
    const limit = createAdaptiveLimit({ initial: 8, max: 32 });
    const { limits, throttled } = await drive(limit, { capacity: 64, baseMs: 3, throttleAbove: 5 }, 1_000);
    expect(throttled).toBeGreaterThan(0);
    // after the first pushbacks it lives at or under the throttling level most of the time
    const late = limits.slice(-400);
    expect(late.filter((l) => l <= 5).length / late.length).toBeGreaterThan(0.7);
    expect(throttled).toBeLessThan(100);
  });

  it('holds when the rate-limit headers say the window is nearly spent', async () => {
    const limit = createAdaptiveLimit({ initial: 3, max: 32 });
    for (let round = 0; round < 20; round++) {
      await Promise.all([limit.acquire(), limit.acquire(), limit.acquire()]);
      for (let i = 0; i < 3; i++) limit.release({ latencyMs: 10, pushedBack: false, nearLimit: true });
    }
    expect(limit.limit()).toBe(3);
  });

  it('serves waiters first come, first served, and never has more in flight than its limit', async () => {
    const limit = createAdaptiveLimit({ initial: 2, max: 2 });
    const order: number[] = [];
    await limit.acquire();
    await limit.acquire();
    const waiters = [1, 2, 3].map((n) => limit.acquire().then(() => order.push(n)));
    expect(limit.active()).toBe(2);
    limit.release({ latencyMs: 5, pushedBack: false });
    limit.release({ latencyMs: 5, pushedBack: false });
    await new Promise((r) => setTimeout(r, 0));
    expect(order).toEqual([1, 2]);
    expect(limit.active()).toBe(2);
    limit.release({ latencyMs: 5, pushedBack: false });
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });
});
