import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Worker } from 'bullmq';
import type { Runtime } from '../../src/app/runtime.ts';
import { waitForDrain } from '../../src/app/cli-support.ts';
import { jobIds } from '../../src/queues.ts';
import { startWorkers } from '../../src/app/workers.ts';
import { bigReport, fixture, readTickets, testRuntime } from './helpers.ts';
import { join } from 'node:path';

const run = promisify(execFile);

let runtime: Runtime | undefined;
let workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  if (runtime) {
    await runtime.queues.parse.obliterate({ force: true }).catch(() => undefined);
    await runtime.queues.resolve.obliterate({ force: true }).catch(() => undefined);
    await runtime.queues.ticket.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
  runtime = undefined;
});

/** Runs the CLI against the test's Redis prefix and folders. */
async function cli(args: string[], env: Record<string, string>): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run('node', ['bin/syncdesk.js', ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; code?: number };
    return { stdout: e.stdout ?? '', code: typeof e.code === 'number' ? e.code : 1 };
  }
}

describe('pipeline on a real Redis', () => {
  it('takes a report mail through parse → resolve → ticket exactly once', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['parse', 'resolve', 'ticket']);
    const ticketsDone: string[] = [];
    workers[2]!.on('completed', (job) => ticketsDone.push(String(job.id)));

    const result = await runtime.ingestor().ingest(fixture('aad-table-object-error-id.eml'), { origin: 'replay-file', receivedAt: new Date() });
    expect(result.status).toBe('queued');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);

    // five distinct problems in the report → five tickets, each key once
    const tickets = readTickets(join(t.dir, 'tickets'));
    expect(tickets).toHaveLength(5);
    expect(new Set(tickets.map((x) => x.key)).size).toBe(5);
    expect(tickets.every((x) => x.status === 'open')).toBe(true);
    expect(ticketsDone).toHaveLength(1);

    const counts = await runtime.queues.parse.getJobCounts('completed', 'failed');
    expect(counts).toMatchObject({ completed: 1, failed: 0 });
    expect((await runtime.queues.resolve.getJobCounts('completed')).completed).toBe(1);
    expect((await runtime.store.getRecord(result.mailId))?.status).toBe('parsed');
  });

  it('makes one set of tickets when the same mail arrives twice', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['parse', 'resolve', 'ticket']);
    const raw = fixture('fwd-gmail.eml');
    const first = await runtime.ingestor().ingest(raw, { origin: 'imap', receivedAt: new Date() });
    const second = await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() });
    expect(first.status).toBe('queued');
    expect(second.status).toBe('duplicate');
    // and a parse job added twice by hand (a replayed IMAP fetch racing the listener) is one job
    const job = { mailId: first.mailId, origin: 'imap' as const, receivedAt: new Date().toISOString(), envelopeFrom: null };
    expect((await runtime.queues.addParse(job)).added).toBe(false);
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    const once = readTickets(join(t.dir, 'tickets'));
    expect(once.length).toBeGreaterThan(0);

    // even a forced re-run of the same mail only notes the known tickets, never duplicates them
    const forced = await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date(), force: true });
    expect(forced.status).toBe('queued');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    const after = readTickets(join(t.dir, 'tickets'));
    expect(after.map((x) => x.id).sort()).toEqual(once.map((x) => x.id).sort());
    expect(new Set(after.map((x) => x.key)).size).toBe(after.length);
  });

  it('splits a large report into resolve jobs of at most 50 errors and still makes one ticket per problem', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['parse', 'resolve', 'ticket'], { concurrency: 4 });
    await runtime.ingestor().ingest(bigReport(120), { origin: 'replay-file', receivedAt: new Date() });
    expect(await waitForDrain(runtime.queues, { timeoutMs: 90_000 })).toBe(true);
    expect((await runtime.queues.resolve.getJobCounts('completed')).completed).toBe(3); // 50 + 50 + 20
    const tickets = readTickets(join(t.dir, 'tickets'));
    expect(tickets).toHaveLength(120);
  });

  it('fails a poison payload for good with its reason, and `failed retry` queues it again', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['parse', 'resolve', 'ticket']);

    // a payload no parse job can have: fails at once, no retries, the reason kept
    await runtime.queues.parse.add('parse', { mailId: 'not-a-mail-id' } as never, { jobId: 'poison-1' });
    // a well-formed job whose mail is not (yet) in the store: fails for good as mail-missing
    const raw = fixture('fwd-outlook-en.eml');
    const { mailIdOf } = await import('../../src/ingest/mail-store.ts');
    const mailId = mailIdOf(raw);
    await runtime.queues.addParse({ mailId, origin: 'replay-file', receivedAt: new Date().toISOString(), envelopeFrom: null });
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);

    const poison = await runtime.queues.parse.getJob('poison-1');
    expect(await poison!.getState()).toBe('failed');
    expect(poison!.attemptsMade).toBe(1);
    expect(poison!.failedReason).toMatch(/^\[bad-payload\] .*mailId/);
    const missing = await runtime.queues.parse.getJob(jobIds.parse(mailId));
    expect(await missing!.getState()).toBe('failed');
    expect(missing!.failedReason).toMatch(/^\[mail-missing\]/);

    const list = await cli(['failed', 'list'], t.env);
    expect(list.stdout).toContain('poison-1');
    expect(list.stdout).toContain('[bad-payload]');
    expect(list.stdout).toContain(jobIds.parse(mailId));

    // the admin puts the mail back, then retries: the job runs again and the tickets appear
    await runtime.store.put(raw, { origin: 'replay-file', receivedAt: new Date() });
    const retried = await cli(['failed', 'retry', jobIds.parse(mailId)], t.env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('re-queued 1 job');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    expect(await (await runtime.queues.parse.getJob(jobIds.parse(mailId)))!.getState()).toBe('completed');
    expect(readTickets(join(t.dir, 'tickets')).length).toBeGreaterThan(0);

    // retrying the poison job re-queues it too; it fails again for the same reason
    const again = await cli(['failed', 'retry', '--all'], t.env);
    expect(again.stdout).toContain('poison-1');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    const poisonAgain = await runtime.queues.parse.getJob('poison-1');
    expect(await poisonAgain!.getState()).toBe('failed');
    expect(poisonAgain!.finishedOn).toBeGreaterThan(poison!.finishedOn!);
  });
});
