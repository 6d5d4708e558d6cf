import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.ts';
import { startWorkers } from '../../src/app/workers.ts';
import { until } from '../prove/helpers.ts';
import { bigReport, readTickets, testRuntime } from './helpers.ts';

let runtime: Runtime | undefined;
let workers: Worker[] = [];
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  if (runtime) {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
  runtime = undefined;
});

describe('a worker process killed mid-job', () => {
  it('leaves its job to another worker, which finishes it without losing or duplicating tickets', async () => {
    const N = 1500;
    const t = await testRuntime();
    runtime = t.runtime;
    // resolve here; the ticket job goes to a separate `syncdesk worker` process
    workers = startWorkers(runtime, ['resolve'], { concurrency: 4 });

    child = spawn('node', ['bin/syncdesk.js', 'worker', '--queues', 'ticket', '--concurrency', '1', '--lock-duration', '2000', '--stalled-interval', '1000'], {
      env: { ...process.env, ...t.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childLog = '';
    child.stderr!.on('data', (d: Buffer) => (childLog += d.toString()));
    await until('the worker process to be ready', async () => childLog.includes('workers ready'), 30_000);

    const queued = await runtime.ingestor().ingest(bigReport(N), { origin: 'replay-file', receivedAt: new Date() });
    const report = queued.reports![0]!.ticketJobId;

    // the child is applying the report: a ticket job (a chunk of it) is active and tickets are appearing
    const ticketDir = join(t.dir, 'tickets');
    await until('the first tickets', async () => readTickets(ticketDir).length >= 20, 60_000);
    await until('a ticket job to be active in the child', async () => (await runtime!.queues.ticket.getActive()).length > 0, 60_000);
    child.kill('SIGKILL');
    await until('the child to exit', async () => child!.exitCode !== null || child!.signalCode !== null, 10_000);
    const atKill = readTickets(ticketDir).length;
    expect(atKill).toBeLessThan(N); // it really died mid-job
    // The job it held when it died: its lock outlives it for now, so the job still shows as
    // active. Read after the kill: a chunk takes a fraction of a second, so the job seen active
    // just before may be finished (and the next one taken) by the time the signal lands.
    const held = await runtime.queues.ticket.getActive();
    expect(held).toHaveLength(1);
    const active = held[0]!;

    // a second worker notices the stalled job once the lock runs out, and finishes it
    workers.push(...startWorkers(runtime, ['ticket'], { lockDurationMs: 2000, stalledIntervalMs: 1000 }));
    const done = async (id: string) => (await runtime!.queues.ticket.getJobState(id)) === 'completed';
    await until('the killed job and then its report to complete', async () => (await done(active.id!)) && done(report), 170_000);

    const job = (await runtime.queues.ticket.getJob(active.id!))!;
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
    const tickets = readTickets(ticketDir);
    expect(new Set(tickets.map((x) => x.key)).size).toBe(N);
    expect(tickets).toHaveLength(N);
    expect((await runtime.queues.ticket.getJobCounts('failed')).failed).toBe(0);
  }, 240_000);
});
