import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startOnPremWaitBound } from '../../src/app/onprem-wait.ts';
import { services } from '../helpers/services.ts';

/**
 * The wait bound on real Redis: a read nobody takes fails past the bound, with its reason; a
 * read whose worker is there but busy, or still within the bound, is left alone.
 */

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ client: Redis; queue: Queue; prefix: string }> {
  const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
  const prefix = `wait${randomUUID().slice(0, 8)}:q`;
  const queue = new Queue('onprem-contoso', { connection: client, prefix });
  cleanups.push(() => client.disconnect(), () => queue.close());
  return { client, queue, prefix };
}

const silent = pino({ level: 'silent' });

describe('ONPREM_WAIT_SECONDS: a bound on waiting for an on-premises worker', () => {
  it('fails the reads nobody took within the bound, for good and with the reason, and leaves the younger ones waiting', async () => {
    const { client, queue, prefix } = await setup();
    await queue.add('onprem', { report: { reportId: 'r1' } }, { jobId: 'old', attempts: 4 });
    await new Promise((r) => setTimeout(r, 1_200));
    await queue.add('onprem', { report: { reportId: 'r2' } }, { jobId: 'young', attempts: 4 });
    const bound = startOnPremWaitBound({ queues: [queue], connection: client, prefix, waitMs: 1_000, logger: silent, everyMs: 3_600_000 });
    cleanups.push(() => bound.close());

    expect(await bound.sweep()).toBe(1);
    const old = await queue.getJob('old');
    expect(await old!.getState()).toBe('failed');
    expect(old!.failedReason).toBe('[onprem_no_worker] no on-premises worker took this lookup within 1 s (queue onprem-contoso): start `syncdesk worker --queues onprem` where the DC is reachable with ONPREM_FOREST=contoso, then `syncdesk failed retry`');
    expect(old!.attemptsMade).toBe(1); // for good: not retried four times
    expect(['waiting', 'delayed']).toContain(await queue.getJobState('young'));
    expect(await queue.getWorkersCount()).toBe(0); // the worker that took it is gone again
  });

  it('leaves a read alone while a worker is connected to its queue, however long it waits', async () => {
    const { client, queue, prefix } = await setup();
    // a worker busy with another job: the queue has a worker, the job only waits its turn
    let release!: () => void;
    const busy = new Promise<void>((r) => (release = r));
    const worker = new Worker('onprem-contoso', () => busy, { connection: client.duplicate(), prefix, concurrency: 1 });
    cleanups.push(async () => {
      release();
      await worker.close();
    });
    await queue.add('onprem', {}, { jobId: 'running' });
    await worker.waitUntilReady();
    for (let i = 0; i < 50 && (await queue.getJobState('running')) !== 'active'; i++) await new Promise((r) => setTimeout(r, 100));
    await queue.add('onprem', {}, { jobId: 'queued' });
    await new Promise((r) => setTimeout(r, 1_100));
    const bound = startOnPremWaitBound({ queues: [queue], connection: client, prefix, waitMs: 1_000, logger: silent, everyMs: 3_600_000 });
    cleanups.push(() => bound.close());
    expect(await bound.sweep()).toBe(0);
    expect(await queue.getJobState('queued')).toBe('waiting');
  });
});
