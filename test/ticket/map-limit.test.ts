import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../src/ticket/map-limit.ts';

describe('mapLimit', () => {
  it('keeps order and the concurrency cap', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
  });

  it('works every item before it rethrows the first failure, and nothing runs after it settled', async () => {
    const done: number[] = [];
    let running = 0;
    const err = await mapLimit([1, 2, 3, 4, 5, 6, 7, 8], 3, async (n) => {
      running++;
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (n === 2 || n === 5) throw new Error(`item ${n}`);
      done.push(n);
      return n;
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('item 2');
    expect(done.sort()).toEqual([1, 3, 4, 6, 7, 8]);
    expect(running).toBe(0);
  });
});
