/**
 * A one-shot command (replay, demo, quarantine release) stops once its queues are drained:
 * a worker whose close never returns must not keep it from exiting (workers.ts, stopWorkers).
 */
import type { Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.ts';
import { stopWorkers } from '../../src/app/workers.ts';

function fakeRuntime() {
  const warnings: string[] = [];
  let closed = false;
  const runtime = { logger: { warn: (_: unknown, msg: string) => warnings.push(msg) }, redis: { client: { status: 'ready' } }, close: async () => void (closed = true) } as unknown as Runtime;
  return { runtime, warnings, closed: () => closed };
}

const hanging = { close: () => new Promise<void>(() => undefined) } as unknown as Worker;
const prompt = { close: async () => undefined } as unknown as Worker;

describe('stopWorkers', () => {
  it('with a grace, closes Redis and returns when a worker never finishes closing, and says so', async () => {
    const { runtime, warnings, closed } = fakeRuntime();
    const started = Date.now();
    await stopWorkers([prompt, hanging], runtime, { graceMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(closed()).toBe(true);
    expect(warnings).toEqual(['workers not closed after 200 ms; closing Redis anyway']);
  });

  it('with a grace and workers that close, says nothing', async () => {
    const { runtime, warnings, closed } = fakeRuntime();
    await stopWorkers([prompt], runtime, { graceMs: 200 });
    expect(closed()).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('without a grace (a daemon stopping: running jobs finish first), waits for the workers', async () => {
    const { runtime, closed } = fakeRuntime();
    const stopping = stopWorkers([hanging], runtime);
    await new Promise((r) => setTimeout(r, 300));
    expect(closed()).toBe(false);
    void stopping;
  });
});
