import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { queueCounts, waitForDrain } from '../../src/app/queue-drain.ts';
import type { Runtime } from '../../src/app/runtime.ts';
import { GRAPH_POLL_JOB } from '../../src/app/workers.ts';
import { readTickets, testRuntime } from './helpers.ts';

/**
 * A schedule's next run (the Graph poll, GRAPH_POLL_MINUTES) waits in `delayed` until its
 * time; "drained" must not wait for it, or `syncdesk replay` run after a worker installed
 * the poll would sit until the next poll and then say it did not finish.
 */

const run = promisify(execFile);
const report = fileURLToPath(new URL('../fixtures/reports/aad-table-object-error-id.eml', import.meta.url));

let runtime: Runtime | undefined;

/** The hourly Graph poll as it stands after a worker ran it: its next run delayed an hour. */
async function pollScheduled(rt: Runtime): Promise<void> {
  await rt.queues.poll.upsertJobScheduler(GRAPH_POLL_JOB, { every: 60 * 60_000, startDate: Date.now() + 60 * 60_000 }, { name: GRAPH_POLL_JOB, data: {} as never });
}

afterEach(async () => {
  if (runtime) {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
  runtime = undefined;
});

describe('drained, with the hourly Graph poll scheduled', () => {
  it('syncdesk replay processes the mail, finishes and exits 0 long before the next poll', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    await pollScheduled(runtime);
    expect((await queueCounts(runtime.queues)).poll.scheduled).toBe(1);

    const t0 = Date.now();
    const { stdout } = await run('node', ['bin/syncdesk.js', 'replay', report], { env: { ...process.env, ...t.env }, timeout: 60_000 });
    expect(stdout).toMatch(/tickets: create \d/);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(readTickets(join(t.dir, 'tickets')).length).toBeGreaterThan(0);
    // the schedule is still there, waiting for its time
    expect((await queueCounts(runtime.queues)).poll.scheduled).toBe(1);
  });

  it('a retry waiting in delayed is still waited for', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    await pollScheduled(runtime);
    await runtime.queues.ticket.add('ticket', {} as never, { delay: 60_000 });
    expect(await waitForDrain(runtime.queues, { timeoutMs: 1_000 })).toBe(false);
  });
});
