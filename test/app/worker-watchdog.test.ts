import type { Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { watchForWedgedWorkers } from '../../src/app/worker-watchdog.ts';
import { recordingLogger } from '../ingest/helpers.ts';

/**
 * A worker idle while its queue has jobs waiting is wedged (blind26 F6: after a Redis Cluster
 * node came back, BullMQ's loop hung with no sign): the process must say so and give way.
 */
const worker = (name: string) => ({ name, closing: undefined }) as unknown as Worker;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The watchdog's clock is ours: only the checks run on real timers, so a slow machine cannot age an idle spell. */
function watch(workers: Worker[], waiting: Record<string, number>, active: Map<Worker, number> = new Map(), clock = { t: 0 }) {
  const log = recordingLogger('warn');
  const wedged: string[] = [];
  const stop = watchForWedgedWorkers(workers, {
    logger: log.logger,
    waiting: async (queue) => waiting[queue] ?? 0,
    onWedged: (queue) => wedged.push(queue),
    active: (w) => active.get(w) ?? 0,
    everyMs: 10,
    patienceMs: 60_000,
    now: () => clock.t,
  });
  return { wedged, log, stop };
}

describe('the wedged-worker watchdog', () => {
  it('gives way once a worker has stayed idle past its patience while its queue waits, naming the queue', async () => {
    const resolve = worker('resolve');
    const ticket = worker('ticket');
    const clock = { t: 0 };
    const { wedged, log, stop } = watch([ticket, resolve], { resolve: 3 }, new Map(), clock);
    await sleep(50);
    clock.t = 59_000;
    await sleep(50);
    expect(wedged).toEqual([]);
    clock.t = 61_000;
    await sleep(50);
    stop();
    expect(wedged[0]).toBe('resolve');
    expect(log.entries[0]!.msg).toMatch(/^the resolve worker has taken no job for \d+ s while 3 waited: stopping so a fresh process takes over$/);
  });

  it('leaves alone a worker that is running a job, and one whose queue is empty', async () => {
    const busy = worker('ticket');
    const idle = worker('resolve');
    const clock = { t: 0 };
    const { wedged, stop } = watch([busy, idle], { ticket: 5, resolve: 0 }, new Map([[busy, 1]]), clock);
    await sleep(50);
    clock.t = 600_000;
    await sleep(50);
    stop();
    expect(wedged).toEqual([]);
  });

  it('starts counting again when the queue empties in between (a healthy worker that caught up)', async () => {
    const resolve = worker('resolve');
    const waiting = { resolve: 2 };
    const clock = { t: 0 };
    const { wedged, stop } = watch([resolve], waiting, new Map(), clock);
    for (let i = 0; i < 6; i++) {
      // 40 s of waiting, then a look at an empty queue: never 60 s in a row
      clock.t += 40_000;
      await sleep(40);
      waiting.resolve = waiting.resolve ? 0 : 2;
      await sleep(40);
    }
    stop();
    expect(wedged).toEqual([]);
  });
});
