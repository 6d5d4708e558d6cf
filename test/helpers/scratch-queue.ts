import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { services } from './services.ts';

export interface ScratchQueue {
  /** A prefix of this file's own, so its jobs never meet another file's. */
  prefix: string;
  connection: Redis;
  queue: Queue;
}

/**
 * A BullMQ queue on the test Redis for one integration test file: opened before its tests,
 * emptied and closed after them. `connection` and `queue` exist once the file's tests run.
 */
export function scratchQueue(name: string, label: string): ScratchQueue {
  const scratch = { prefix: `${label}-${randomUUID().slice(0, 8)}` } as ScratchQueue;
  beforeAll(() => {
    scratch.connection = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
    scratch.queue = new Queue(name, { connection: scratch.connection, prefix: scratch.prefix });
  });
  afterAll(async () => {
    await scratch.queue.obliterate({ force: true });
    await scratch.queue.close();
    await scratch.connection.quit();
  });
  return scratch;
}
