import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { UnrecoverableError, Worker as BullWorker, type Worker } from 'bullmq';
import { ResolveJobSchema } from '../../schemas/jobs.schema.ts';
import { processResolveJob } from '../../src/app/processors.ts';
import { QUEUE_NAMES } from '../../src/queues.ts';
import { until } from '../prove/helpers.ts';
import type { Runtime } from '../../src/app/runtime.ts';
import { waitForDrain } from '../../src/app/queue-drain.ts';
import { startWorkers } from '../../src/app/workers.ts';
import { bigReport, closeTestRuntime, fixture, readTickets, testRuntime } from './helpers.ts';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const run = promisify(execFile);

let runtime: Runtime | undefined;
let workers: Worker[] = [];

afterEach(async () => {
  await closeTestRuntime(runtime, workers);
  workers = [];
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
  it('a ticket folder that cannot be written: `status` shows the retries and their error before they give up; fixed, the tickets come', async () => {
    const blocker = join(mkdtempSync(join(tmpdir(), 'syncdesk-blocked-')), 'not-a-folder');
    writeFileSync(blocker, 'a file where the ticket folder should be');
    const t = await testRuntime({ TICKET_DIR: join(blocker, 'tickets') });
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    expect((await runtime.ingestor().ingest(fixture('aad-table-object-error-id.eml'), { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
    await until('a ticket job waiting to retry', async () => (await runtime!.queues.ticket.getDelayed()).some((j) => j.attemptsMade > 0), 30_000);

    // a retry running at the instant `status` looks is not waiting: asked again until one waits
    let status = { stdout: '', code: 0 };
    await until('status to show the retry', async () => /Retrying after a failed attempt/.test((status = await cli(['status'], t.env)).stdout), 30_000);
    // which customer's report it is, for an MSP with fifty (blind58 M3)
    expect(status.stdout).toMatch(/ticket \S+ \(tenant \S+, report \S+\): attempt \d+ of 8 failed: .*ENOTDIR/);
    // the same in JSON
    let retrying: Array<{ queue: string; reason: string }> = [];
    await until('status --json to show the retry', async () => {
      retrying = (JSON.parse((await cli(['status', '--json'], t.env)).stdout) as { retrying: typeof retrying }).retrying;
      return retrying.length > 0;
    }, 30_000);
    expect(retrying[0]).toMatchObject({ queue: 'ticket', reason: expect.stringContaining('ENOTDIR'), about: expect.stringMatching(/^tenant \S+, report \S+$/) });

    rmSync(blocker);
    expect(await waitForDrain(runtime.queues, { timeoutMs: 90_000 })).toBe(true);
    expect(readTickets(join(blocker, 'tickets'))).toHaveLength(5);
    expect((await cli(['status'], t.env)).stdout).not.toMatch(/Retrying/);
  }, 120_000);

  it('takes a report mail through ingest (one parse) → resolve → ticket exactly once', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    const ticketsDone: string[] = [];
    workers[1]!.on('completed', (job) => ticketsDone.push(String(job.id)));

    const result = await runtime.ingestor().ingest(fixture('aad-table-object-error-id.eml'), { origin: 'replay-file', receivedAt: new Date() });
    expect(result.status).toBe('queued');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);

    // five distinct problems in the report → five tickets, each key once
    const tickets = readTickets(join(t.dir, 'tickets'));
    expect(tickets).toHaveLength(5);
    expect(new Set(tickets.map((x) => x.key)).size).toBe(5);
    expect(tickets.every((x) => x.status === 'open')).toBe(true);
    // one chunk (its 5 errors ticketed), then the report's close
    expect(ticketsDone).toHaveLength(2);

    const counts = await runtime.queues.ticket.getJobCounts('completed', 'failed');
    expect(counts).toMatchObject({ completed: 2, failed: 0 });
    expect((await runtime.queues.resolve.getJobCounts('completed')).completed).toBe(1);
    expect(result.reports).toMatchObject([{ errors: 5, added: true }]);
    // the worker never needed the mail store: the report travelled in the jobs
    const close = (await runtime.queues.ticket.getJob(result.reports![0]!.ticketJobId))!;
    expect(close.data).toMatchObject({ kind: 'close', errorCount: 5 });
    const chunks = await Promise.all(Object.keys(await close.getChildrenValues()).map((key) => runtime!.queues.ticket.getJob(key.split(':').pop()!)));
    expect(chunks.map((c) => c?.data.kind === 'chunk' && c.data.errors.length)).toEqual([5]);
  });

  it('tickets each chunk as soon as its lookups are done, and closes the report after the last', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['ticket']);
    const queued = await runtime.ingestor().ingest(bigReport(120), { origin: 'replay-file', receivedAt: new Date() });
    // the first resolve job (50 errors) worked by hand; the other two wait for a resolve worker
    const manual = new BullWorker(QUEUE_NAMES.resolve, null, { connection: runtime.redis.client, prefix: runtime.redis.queuePrefix });
    try {
      const job = (await manual.getNextJob('by-hand'))!;
      await job.moveToCompleted(await processResolveJob(ResolveJobSchema.parse(job.data), runtime.resolver()), 'by-hand', false);
    } finally {
      await manual.close();
    }
    await until('the first chunk\'s tickets', async () => readTickets(join(t.dir, 'tickets')).length === 50, 30_000);
    expect((await runtime.queues.resolve.getJobCounts('wait')).wait).toBe(2);
    const close = (await runtime.queues.ticket.getJob(queued.reports![0]!.ticketJobId))!;
    expect(await close.getState()).toBe('waiting-children');

    workers.push(...startWorkers(runtime, ['resolve']));
    expect(await waitForDrain(runtime.queues, { timeoutMs: 90_000 })).toBe(true);
    expect(readTickets(join(t.dir, 'tickets'))).toHaveLength(120);
    expect(await close.getState()).toBe('completed');
  });

  it('makes one set of tickets when the same mail arrives twice', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    const raw = fixture('fwd-gmail.eml');
    const first = await runtime.ingestor().ingest(raw, { origin: 'imap', receivedAt: new Date() });
    const second = await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() });
    expect(first.status).toBe('queued');
    expect(second.status).toBe('duplicate');
    // and its reports queued again (an ingestor on another host racing this one) are the same flows
    const { parseMail } = await import('../../src/parse/parse-mail.ts');
    const outcome = await parseMail(raw);
    if (!outcome.ok) throw new Error('fixture must parse');
    const again = await runtime.queueReports(outcome.reports, { mailId: first.mailId, receivedAt: new Date(), envelopeFrom: null });
    expect(again.map((r) => r.added)).toEqual(outcome.reports.map(() => false));
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
    workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 });
    await runtime.ingestor().ingest(bigReport(120), { origin: 'replay-file', receivedAt: new Date() });
    expect(await waitForDrain(runtime.queues, { timeoutMs: 90_000 })).toBe(true);
    expect((await runtime.queues.resolve.getJobCounts('completed')).completed).toBe(3); // 50 + 50 + 20
    const tickets = readTickets(join(t.dir, 'tickets'));
    expect(tickets).toHaveLength(120);
  });

  it('fails a poison payload for good with its reason, and `failed retry` queues it again', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);

    // a payload no stage writes: fails at once, no retries, the reason kept
    await runtime.queues.ticket.add('ticket', { report: { reportId: 42 } } as never, { jobId: 'poison-1' });
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    const poison = await runtime.queues.ticket.getJob('poison-1');
    expect(await poison!.getState()).toBe('failed');
    expect(poison!.attemptsMade).toBe(1);
    expect(poison!.failedReason).toMatch(/^\[bad-payload\] .*report/);

    const list = await cli(['failed', 'list'], t.env);
    expect(list.stdout).toContain('poison-1');
    expect(list.stdout).toContain('[bad-payload]');

    // retrying re-queues it; it fails again for the same reason
    const again = await cli(['failed', 'retry', '--all'], t.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('poison-1');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    const poisonAgain = await runtime.queues.ticket.getJob('poison-1');
    expect(await poisonAgain!.getState()).toBe('failed');
    expect(poisonAgain!.finishedOn).toBeGreaterThan(poison!.finishedOn!);
  });

  /** Ingests a 2-error report and fails its lookup for good by hand, as a Graph down past every retry would. */
  async function lookupFailedForGood(t: Awaited<ReturnType<typeof testRuntime>>): Promise<void> {
    await t.runtime.ingestor().ingest(bigReport(2), { origin: 'replay-file', receivedAt: new Date() });
    const manual = new BullWorker(QUEUE_NAMES.resolve, null, { connection: t.runtime.redis.client, prefix: t.runtime.redis.queuePrefix });
    try {
      const job = (await manual.getNextJob('by-hand'))!;
      await job.moveToFailed(new UnrecoverableError('Graph down for good'), 'by-hand', false);
    } finally {
      await manual.close();
    }
    // the report's tickets go out without the lookup
    await until('the tickets of the report', async () => readTickets(join(t.dir, 'tickets')).length > 0, 30_000);
    expect(await waitForDrain(t.runtime.queues, { timeoutMs: 30_000 })).toBe(true);
  }

  it('a lookup failed for good: `failed list` says the tickets went out without it, and `failed retry` brings them up to date', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(t.runtime, ['ticket']);
    await lookupFailedForGood(t);
    const before = readTickets(join(t.dir, 'tickets'));
    expect(before.map((x) => x.notes.length)).toEqual([0, 0]);

    const list = await cli(['failed', 'list'], t.env);
    expect(list.stdout).toMatch(/^resolve\tresolve-[0-9a-f]+\t.*Graph down for good/m);
    expect(list.stdout).toContain('its tickets went out with these errors not looked up; `failed retry` looks them up again and updates the tickets');

    workers.push(...startWorkers(t.runtime, ['resolve']));
    const retry = await cli(['failed', 'retry', '--all'], t.env);
    expect(retry.stdout).toContain('re-queued 1 job');
    expect(await waitForDrain(t.runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    // the same two tickets, each with one note: "not looked up" (no Graph here) instead of the failure
    const after = readTickets(join(t.dir, 'tickets'));
    expect(after.map((x) => [x.id, x.status, x.notes.length]).sort()).toEqual(before.map((x) => [x.id, x.status, 1]).sort());
    expect((await cli(['failed', 'list'], t.env)).stdout).toContain('no failed jobs');
  });

  it('in digest mode, `failed list` says a retry only runs the lookup again: the digest ticket changes with the next report', async () => {
    const t = await testRuntime({ TICKET_DIGEST: 'true' });
    runtime = t.runtime;
    workers = startWorkers(t.runtime, ['ticket']);
    await lookupFailedForGood(t);
    const before = readTickets(join(t.dir, 'tickets'));
    expect(before).toHaveLength(1);

    const list = await cli(['failed', 'list'], t.env);
    expect(list.stdout).toContain("its tickets went out with these errors not looked up; `failed retry` looks them up again, and the report's ticket changes with its next report");

    workers.push(...startWorkers(t.runtime, ['resolve']));
    expect((await cli(['failed', 'retry', '--all'], t.env)).stdout).toContain('re-queued 1 job');
    expect(await waitForDrain(t.runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    expect((await t.runtime.queues.resolve.getJobCounts('completed')).completed).toBe(1);
    expect(readTickets(join(t.dir, 'tickets'))).toEqual(before);
  });

  it('keeps a mail the parser cannot read, lists it under `failed list`, and `failed retry <mailId>` reads it again', async () => {
    const t = await testRuntime();
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    // a report the parser gives up on: a stand-in parser that times out the first time
    const { createIngestor } = await import('../../src/ingest/ingest-mail.ts');
    const raw = fixture('fwd-outlook-en.eml');
    const flaky = createIngestor({
      redis: runtime.redis.client as never,
      store: runtime.store,
      queueReports: runtime.queueReports,
      config: runtime.config,
      logger: runtime.logger,
      parse: async () => ({ ok: false, rejection: { reason: 'timeout', detail: 'parse took longer than 30000 ms' } }),
    });
    const first = await flaky.ingest(raw, { origin: 'imap', receivedAt: new Date() });
    expect(first).toMatchObject({ status: 'rejected', handled: true });

    const list = await cli(['failed', 'list'], t.env);
    expect(list.stdout).toContain(`mail\t${first.mailId}`);
    expect(list.stdout).toContain('timeout: parse took longer');
    const status = await cli(['status'], t.env);
    expect(status.stdout).toMatch(/Mails: 1 \(rejected 1\)/);

    // the CLI's own (real) parser reads it: its reports are queued and ticketed
    const retried = await cli(['failed', 'retry', first.mailId], t.env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain('re-queued 1');
    expect(await waitForDrain(runtime.queues, { timeoutMs: 60_000 })).toBe(true);
    expect(readTickets(join(t.dir, 'tickets')).length).toBeGreaterThan(0);
    expect((await cli(['failed', 'list'], t.env)).stdout).not.toContain(first.mailId);
  });
});
