import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueues, QUEUE_NAMES } from '../../src/queues.ts';
import { services } from '../helpers/services.ts';

/**
 * BullMQ keeps each queue's events in a Redis stream, 10,000 by default, each `completed`
 * event with the job's return value: a resolve chunk's lookups made that ~120 MB nobody
 * reads (blind37 L5). Our queues keep a few hundred.
 */
const client = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
afterAll(async () => {
  await client.quit();
});

describe("the queues' event streams", () => {
  it('stay a few hundred entries long, however many jobs complete with large results', async () => {
    const prefix = `ev${randomUUID().slice(0, 8)}:q`;
    const queues = createQueues(client, prefix);
    const result = 'x'.repeat(10_000);
    const worker = new Worker(QUEUE_NAMES.poll, async () => result, { connection: client.duplicate(), prefix, concurrency: 8 });
    try {
      const jobs = 400;
      let done = 0;
      const all = new Promise<void>((resolve) => worker.on('completed', () => ++done === jobs && resolve()));
      await queues.poll.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'poll-graph', data: {}, opts: { jobId: `j${i}` } })));
      await all;
      // added, waiting, active and completed for each job: 1,600 events without the cap
      const length = await client.xlen(`${prefix}:${QUEUE_NAMES.poll}:events`);
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThan(500);
    } finally {
      await worker.close();
      await queues.close();
    }
  }, 60_000);
});
