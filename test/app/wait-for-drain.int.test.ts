import { FlowProducer, Queue, UnrecoverableError, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { unworkedLine, waitForDrain } from '../../src/app/queue-drain.ts';
import type { Queues } from '../../src/queues.ts';
import { scratchQueue } from '../helpers/scratch-queue.ts';

/**
 * `replay --wait`, `demo` and `quarantine release` wait for the queues to drain. A report's
 * close waits for its chunks; a chunk failed for good holds it back until `failed retry`:
 * the wait must then end (and the command say what failed), not run into its time limit.
 */

const scratch = scratchQueue('ticket', 'drain');

const queues = (): Queues => ({ names: ['ticket'], byName: () => scratch.queue }) as unknown as Queues;

describe('waitForDrain', () => {
  it('ends once nothing can run: a parent held back by a child failed for good is not waited for', async () => {
    const worker = new Worker(
      'ticket',
      async (job) => {
        if (job.name === 'chunk-bad') throw new UnrecoverableError('the desk refused it for good');
        await new Promise((r) => setTimeout(r, 300));
      },
      { connection: scratch.connection, prefix: scratch.prefix, concurrency: 2 },
    );
    const flows = new FlowProducer({ connection: scratch.connection, prefix: scratch.prefix });
    await flows.add({ name: 'close', queueName: 'ticket', children: [{ name: 'chunk-ok', queueName: 'ticket' }, { name: 'chunk-bad', queueName: 'ticket' }] });
    const started = Date.now();
    // while the good chunk runs the wait goes on; then it ends, long before its limit
    expect(await waitForDrain(queues(), { timeoutMs: 30_000 })).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await scratch.queue.getJobCounts('waiting-children', 'failed', 'completed')).toEqual({ 'waiting-children': 1, failed: 1, completed: 1 });
    await worker.close();
    await flows.close();
  }, 60_000);

  it('a parent held deeper down (its chunk\'s lookup failed for good) is not waited for; one whose child waits in a queue it does not watch (a forest\'s) is', async () => {
    const worker = new Worker(
      'ticket',
      async (job) => {
        if (job.name === 'lookup-bad') throw new UnrecoverableError('Graph refused it for good');
      },
      { connection: scratch.connection, prefix: scratch.prefix },
    );
    const flows = new FlowProducer({ connection: scratch.connection, prefix: scratch.prefix });
    const held = await flows.add({ name: 'close', queueName: 'ticket', children: [{ name: 'chunk', queueName: 'ticket', children: [{ name: 'lookup-bad', queueName: 'ticket' }] }] });
    expect(await waitForDrain(queues(), { timeoutMs: 30_000 })).toBe(true);
    expect(await held.job.getState()).toBe('waiting-children');
    // a lookup waiting for a forest's worker: nothing failed, it may still run
    await flows.add({ name: 'chunk-2', queueName: 'ticket', children: [{ name: 'onprem', queueName: 'onprem-contoso' }] });
    expect(await waitForDrain(queues(), { timeoutMs: 1_500 })).toBe(false);
    const forest = new Queue('onprem-contoso', { connection: scratch.connection, prefix: scratch.prefix });
    await forest.obliterate({ force: true });
    await forest.close();
    await worker.close();
    await flows.close();
  }, 60_000);

  it("says once which queue has jobs and no worker (an onprem worker not started), instead of waiting in silence", async () => {
    const forest = new Queue('onprem-contoso', { connection: scratch.connection, prefix: scratch.prefix });
    const both = { names: ['ticket', 'onprem-contoso'], byName: (n: string) => (n === 'ticket' ? scratch.queue : forest) } as unknown as Queues;
    await forest.add('onprem', {});
    const said: string[][] = [];
    expect(await waitForDrain(both, { timeoutMs: 3_000, onUnworked: (names) => said.push(names) })).toBe(false);
    expect(said).toEqual([['onprem-contoso']]);
    expect(unworkedLine('onprem-contoso')).toBe('Queue onprem-contoso: jobs waiting and no worker connected; their reports wait for `syncdesk worker --queues onprem` with ONPREM_FOREST=contoso');
    await forest.obliterate({ force: true });
    await forest.close();
  }, 60_000);
});
