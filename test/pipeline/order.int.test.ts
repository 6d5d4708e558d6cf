import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForDrain } from '../../src/app/queue-drain.ts';
import type { Runtime } from '../../src/app/runtime.ts';
import { startWorkers } from '../../src/app/workers.ts';
import type { StatusReport } from '../../src/cli/status.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';
import { closeTestRuntime, readTickets, testRuntime } from './helpers.ts';

/**
 * Reports that arrive out of order (a replay of last month's mails, a delayed forward)
 * never lose a problem: an older report creates what nothing has a ticket for, leaves
 * what a newer report decided alone, and says so in `syncdesk status`. Reports that name
 * no tenant are told apart by whom Microsoft sent them to, so one tenant's newer report
 * never makes another tenant's report "old".
 */

const run = promisify(execFile);
let runtime: Runtime | undefined;
let workers: Worker[] = [];

afterEach(async () => {
  await closeTestRuntime(runtime, workers);
  workers = [];
  runtime = undefined;
});

const day = (d: number) => new Date(Date.UTC(2026, 10, d, 6, 0, 0));
const row = (user: string, domain: string): ReportRow => ({ object: `${user}@${domain}`, duplicates: [['UserPrincipalName', `${user}@${domain}`]], onPremisesObjectId: Buffer.from(user).toString('base64') });

async function ingestInOrder(rt: Runtime, mails: Buffer[]): Promise<void> {
  for (const raw of mails) {
    expect((await rt.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
    expect(await waitForDrain(rt.queues, { timeoutMs: 60_000 })).toBe(true);
  }
}

describe('reports out of order', () => {
  it('an older report after a newer one: the problem only it lists gets its ticket, the newer decision stands, status shows the skip', async () => {
    const t = await testRuntime({ TICKET_RESOLVE_AFTER_MISSING: '1' });
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    const domain = `order${Date.now()}.onmicrosoft.com`;
    const spec = { tenant: `Order ${domain}`, domain };
    await ingestInOrder(runtime, [
      reportMail({ ...spec, coversAt: day(20), rows: [row('anna', domain)] }),
      // last month's report, replayed: anna (decided by the newer report) and bert (new to us)
      reportMail({ ...spec, coversAt: day(1), rows: [row('anna', domain), row('bert', domain)] }),
    ]);
    const tickets = readTickets(join(t.dir, 'tickets'));
    expect(tickets.map((x) => [x.summary.match(/(anna|bert)@/)?.[1], x.status]).sort()).toEqual([
      ['anna', 'open'],
      ['bert', 'open'],
    ]);
    const { stdout } = await run('node', ['bin/syncdesk.js', 'status'], { env: { ...process.env, ...t.env }, timeout: 60_000 });
    expect(stdout).toMatch(/Skipped as older than a report already applied: 1 problem\(s\) in 1 report\(s\)/);
    // the same facts for a script
    const json = await run('node', ['bin/syncdesk.js', 'status', '--json'], { env: { ...process.env, ...t.env }, timeout: 60_000 });
    const status = JSON.parse(json.stdout) as StatusReport;
    expect(status.mails).toMatchObject({ total: 2, byStatus: { queued: 2 } });
    expect(status.openProblems.total).toBe(2);
    expect(status.skippedAsOld.problems).toBe(1);
    // two reports, each a chunk and its close
    expect(status.queues.ticket).toMatchObject({ completed: 4, failed: 0 });
    expect(status.failed).toEqual([]);
  });

  it('two tenants whose reports name no tenant: each is its own stream, neither makes the other old nor resolves its tickets', async () => {
    const t = await testRuntime({ TICKET_RESOLVE_AFTER_MISSING: '1' });
    runtime = t.runtime;
    workers = startWorkers(runtime, ['resolve', 'ticket']);
    const a = `a${Date.now()}.example`;
    const b = `b${Date.now()}.example`;
    await ingestInOrder(runtime, [
      reportMail({ tenant: 'A', domain: a, noTenantLine: true, coversAt: day(20), rows: [row('anna', a)] }),
      // tenant B's report covers an older run: had it shared A's stream it would be skipped as old
      reportMail({ tenant: 'B', domain: b, noTenantLine: true, coversAt: day(10), rows: [row('bert', b)] }),
      // A's next report without anna resolves anna's ticket, and only that one
      reportMail({ tenant: 'A', domain: a, noTenantLine: true, coversAt: day(21), rows: [row('carl', a)] }),
    ]);
    const tickets = readTickets(join(t.dir, 'tickets'));
    const state = Object.fromEntries(tickets.map((x) => [x.summary.match(/(anna|bert|carl)@/)?.[1], x.status]));
    expect(state).toEqual({ anna: 'resolved', bert: 'open', carl: 'open' });
  });

  it('reports queued in order are applied in order, however many workers take them: none is old, the last one decides what is open (blind37 L1)', async () => {
    const t = await testRuntime({ TICKET_RESOLVE_AFTER_MISSING: '1' });
    runtime = t.runtime;
    const domain = `inorder${Date.now()}.onmicrosoft.com`;
    const spec = { tenant: `In Order ${domain}`, domain };
    // a month of daily reports, each its own set: day d lists user d and user d+1 (a problem lasts two runs)
    const days = 12;
    const users = (d: number) => [`u${d}`, `u${d + 1}`];
    // queued as a listener catching up after a stop, or an archive replayed to busy workers: all in the queue first
    for (let d = 1; d <= days; d++) {
      const raw = reportMail({ ...spec, coversAt: day(d), rows: users(d).map((u) => row(u, domain)) });
      expect((await runtime.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
    }
    // then four jobs at once in each of two workers, as `start` and a second host would take them
    workers = [...startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 }), ...startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 })];
    expect(await waitForDrain(runtime.queues, { timeoutMs: 120_000 })).toBe(true);
    const tickets = readTickets(join(t.dir, 'tickets'));
    const open = tickets.filter((x) => x.status === 'open').map((x) => x.summary.match(/(u\d+)@/)?.[1]).sort();
    expect(open).toEqual(users(days).sort());
    // one ticket per user, none made late from an older report ("it may be fixed already")
    expect(tickets).toHaveLength(days + 1);
    expect(tickets.filter((x) => JSON.stringify(x).includes('older than the newest one applied'))).toEqual([]);
    const { stdout } = await run('node', ['bin/syncdesk.js', 'status', '--json'], { env: { ...process.env, ...t.env }, timeout: 60_000 });
    expect((JSON.parse(stdout) as StatusReport).skippedAsOld.problems).toBe(0);
  }, 180_000);
});
