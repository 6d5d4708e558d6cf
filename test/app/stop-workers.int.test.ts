import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DelayedError } from 'bullmq';
import { activeJobs, runWorker } from '../../src/app/run-worker.ts';
import type { Runtime } from '../../src/app/runtime.ts';
import { stopWorkers } from '../../src/app/workers.ts';
import { scratchQueue } from '../helpers/scratch-queue.ts';

/**
 * SIGTERM on a daemon (`start`, `worker`): a job running finishes before its worker closes,
 * and a worker with nothing to finish closes at once. A graceful close waits for BullMQ's
 * loop, which after a Redis Cluster node came back was seen to hang for good (blind26 F6),
 * so an idle worker is closed by force: nothing of it is lost.
 */

const scratch = scratchQueue('ticket', 'stop');

function fakeRuntime(): { runtime: Runtime; closed: () => boolean } {
  let closed = false;
  const runtime = { logger: pino({ level: 'silent' }), redis: { client: scratch.connection }, close: async () => void (closed = true) } as unknown as Runtime;
  return { runtime, closed: () => closed };
}

/** A ticket worker on the scratch queue running `handler`. */
function ticketWorker(handler: Parameters<typeof runWorker<z.ZodType, string>>[0]['handler']) {
  return runWorker({ queue: 'ticket', connection: scratch.connection, prefix: scratch.prefix, logger: pino({ level: 'silent' }), schema: z.object({}).passthrough(), handler });
}

/** A worker whose jobs run until `release` is called; `forced` records each close's force flag. */
function latchedWorker() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let jobStarted!: () => void;
  const started = new Promise<void>((r) => (jobStarted = r));
  const worker = ticketWorker(async () => {
    jobStarted();
    await gate;
    return 'done';
  });
  const forced: boolean[] = [];
  const close = worker.close.bind(worker);
  worker.close = (force?: boolean) => {
    forced.push(force === true);
    return close(force);
  };
  return { worker, started, release, forced };
}

describe('stopWorkers on a daemon (no grace)', () => {
  it('lets a running job finish before the worker closes, then closes Redis', async () => {
    const { worker, started, release, forced } = latchedWorker();
    const job = await scratch.queue.add('chunk', {});
    await started;
    const { runtime, closed } = fakeRuntime();
    const stopping = stopWorkers([worker], runtime);
    await new Promise((r) => setTimeout(r, 400));
    // still waiting for the job: neither the worker nor Redis is closed under it
    expect(closed()).toBe(false);
    release();
    await stopping;
    expect(closed()).toBe(true);
    expect(forced).toEqual([false]);
    expect(await job.getState()).toBe('completed');
  });

  it('closes a worker that runs no job at once, by force', async () => {
    const { worker, forced } = latchedWorker();
    await worker.waitUntilReady();
    const { runtime, closed } = fakeRuntime();
    const t = Date.now();
    await stopWorkers([worker], runtime);
    expect(Date.now() - t).toBeLessThan(2_000);
    expect(closed()).toBe(true);
    expect(forced).toEqual([true]);
  });

  it('a job put back to delayed (a report waiting for an older one) is no running job: the worker closes at once', async () => {
    let turns = 0;
    let done!: () => void;
    const completed = new Promise<void>((r) => (done = r));
    const worker = ticketWorker(async (_data, job, _log, token) => {
      if (++turns <= 2) {
        await job.moveToDelayed(Date.now() + 50, token);
        throw new DelayedError();
      }
      return 'done';
    });
    worker.on('completed', () => done());
    await scratch.queue.add('chunk', {});
    await completed;
    expect(turns).toBe(3);
    // two turns put back, one completed: nothing is running (the shutdown need not wait, the watchdog sees it idle)
    expect(activeJobs(worker)).toBe(0);
    const { runtime } = fakeRuntime();
    await stopWorkers([worker], runtime);
  });
});
