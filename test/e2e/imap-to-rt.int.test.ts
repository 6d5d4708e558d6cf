import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance } from 'axios';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { toReportRef } from '../../src/parse/report-ref.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import {
  baseEnv,
  daemon,
  drained,
  failedJobs,
  flagsIn,
  imapAdmin,
  rtClient,
  rtEnv,
  rtSnapshot,
  rtTickets,
  syncdesk,
  unique,
  until,
  type Daemon,
  type RtTicketView,
} from './helpers.ts';
import { DUPLICATE_TEXT, reportMail, type ReportMailSpec, type ReportRow } from './report-mail.ts';

/**
 * Issues #3 and #5, end to end as a user runs them: a report mail in a real Dovecot
 * mailbox, `syncdesk start` (TICKET_SINK=rt) as a child process, tickets in a real RT 5.
 * Then everything that must change nothing in RT (the same mail again, replays of a file
 * and of the IMAP folder, forced replay, dry run), and the lifecycle a newer report drives:
 * a problem gone is resolved (TICKET_RESOLVE_AFTER_MISSING=1), back again is reopened.
 *
 * The tenant name is unique to this run: RT is shared by every test file, so tickets are
 * counted by it (it is in every subject).
 */

const id = unique();
const tenant = `E2E Tenant ${id}`;
const domain = `e2e${id}.onmicrosoft.com`;
const mailbox = `e2e-rt-${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-rt-'));
const env = { ...baseEnv(dir, { IMAP_MAILBOX: mailbox, TICKET_RESOLVE_AFTER_MISSING: '1' }), ...rtEnv() };

const john: ReportRow = { object: `john@${id}.example`, duplicates: [['UserPrincipalName', `john@${id}.example`]], onPremisesObjectId: 'am9obi1vbnByZW0=' };
const bob: ReportRow = {
  object: `bob@${id}.example`,
  duplicates: [['UserPrincipalName', `bob@${id}.example`], ['ProxyAddresses', `SMTP:bob@${id}.example`]],
  onPremisesObjectId: 'Ym9iLW9ucHJlbQ==',
};
const finance: ReportRow = {
  object: 'Finance Team',
  duplicates: [['ProxyAddresses', `SMTP:finance@${id}.example`], ['ProxyAddresses', `smtp:fin@${id}.example`]],
  onPremisesObjectId: '6f1c2e0a-8b3d-4c5e-9f70-1a2b3c4d5e6f',
};

const day = (n: number) => new Date(Date.UTC(2026, 10, 20 + n, 6, 0, 0));
const spec = (n: number, rows: ReportRow[]): ReportMailSpec => ({ tenant, domain, coversAt: day(n), quota: true, rows });
// day 0: quota, john, bob, finance, and john's row twice (Microsoft lists an object once per error)
const reportA = reportMail(spec(0, [john, bob, finance, john]));
// day 1: bob's conflict is gone
const reportB = reportMail(spec(1, [john, finance]));
// day 2: bob's conflict is back
const reportC = reportMail(spec(2, [john, bob, finance]));
// the day before A: only john (and the quota error)
const reportOld = reportMail(spec(-1, [john]));
const fileA = join(dir, 'report-a.eml');
const fileOld = join(dir, 'report-old.eml');
writeFileSync(fileOld, reportOld);
const fileB = join(dir, 'report-b.eml');
writeFileSync(fileA, reportA);
writeFileSync(fileB, reportB);

let imap: ImapFlow;
let rt: AxiosInstance;
let start: Daemon | undefined;
/** The keys syncdesk must put on the tickets: tenant + the parser's fingerprint. */
let expectedKeys: Map<string, string>;
let tickets: RtTicketView[];
const timings: Record<string, number> = {};

async function keysOf(raw: Buffer): Promise<Map<string, string>> {
  const outcome = await parseMail(raw);
  if (!outcome.ok) throw new Error('the generated report does not parse');
  const [report] = outcome.reports;
  const ref = toReportRef(report!, { mailId: null, receivedAt: new Date(), envelopeFrom: null });
  const out = new Map<string, string>();
  for (const e of report!.errors) out.set(correlationKey(ref.tenantKey, e), e.identity ?? e.category);
  return out;
}

const byKey = (list: RtTicketView[]) => new Map(list.map((t) => [t.key!, t]));
const ticketFor = (list: RtTicketView[], who: string) => list.find((t) => t.subject.includes(who))!;

async function startSyncdesk(): Promise<Daemon> {
  return daemon(['start'], env, 'syncdesk started');
}

beforeAll(async () => {
  imap = await imapAdmin();
  await imap.mailboxCreate(mailbox);
  rt = rtClient();
  expectedKeys = await keysOf(reportA);
});

afterAll(async () => {
  await start?.stop();
  await imap?.logout().catch(() => undefined);
  process.stdout.write(`imap-to-rt timings (ms): ${JSON.stringify(timings)}\n`);
});

describe('a report mail in a real mailbox becomes correct tickets in a real RT (syncdesk start)', () => {
  it('creates exactly one ticket per distinct problem, keyed, readable, new; the mail is marked handled', async () => {
    expect(expectedKeys.size).toBe(4); // quota, john (twice in the mail), bob, finance
    start = await startSyncdesk();
    const t0 = Date.now();
    await imap.append(mailbox, reportA);
    await until('4 tickets in RT', async () => (await rtTickets(rt, tenant)).length >= 4, 60_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}\n${start!.log().slice(-6000)}`);
    });
    timings.mailToTickets = Date.now() - t0;
    await drained(env.REDIS_PREFIX!);
    tickets = await rtTickets(rt, tenant);
    expect(tickets).toHaveLength(4);

    // one per key, and exactly the keys of the report's problems
    expect(new Set(tickets.map((t) => t.key))).toEqual(new Set(expectedKeys.keys()));

    for (const t of tickets) {
      expect(t.key).toMatch(/^aadsync-[0-9a-f]{40}$/);
      expect(['new', 'open']).toContain(t.status);
      expect(t.subject).toContain(`tenant ${tenant}`);
      expect(t.body).toContain('Recommended steps');
      // notes are comments, never correspondence (which would mail the requestor)
      expect(t.transactions.map((x) => x.type)).not.toContain('Correspond');
    }
    const j = ticketFor(tickets, `[Duplicate UserPrincipalName] john@${id}.example`);
    const b = ticketFor(tickets, `[Duplicate UserPrincipalName] bob@${id}.example`);
    const f = ticketFor(tickets, `[Duplicate ProxyAddresses] SMTP:finance@${id}.example on Finance Team`);
    const q = ticketFor(tickets, '[Quota exceeded]');
    for (const t of [j, b, f, q]) expect(t).toBeDefined();
    expect(j.body).toContain(DUPLICATE_TEXT);
    expect(j.body).toContain('am9obi1vbnByZW0='); // the on-premises object id
    expect(b.body).toContain(`SMTP:bob@${id}.example`);
    expect(f.body).toContain(`smtp:fin@${id}.example`);
    expect(q.body).toContain('exceeded the number of objects that can be synchronized');
    expect(q.body).toContain('Get-MgDomain');

    // marked handled on the server with the keyword, never by \Seen
    await until('the mail to carry $SyncdeskHandled', async () => (await flagsIn(imap, mailbox))[0]?.flags.includes('$SyncdeskHandled') ?? false, 15_000);
    const [msg] = await flagsIn(imap, mailbox);
    expect(msg!.flags).not.toContain('\\Seen');
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
  });

  it('(a) the same mail appended again changes nothing in RT', async () => {
    const before = rtSnapshot(await rtTickets(rt, tenant));
    await imap.append(mailbox, reportA);
    await until('the second copy to be marked handled', async () => {
      const msgs = await flagsIn(imap, mailbox);
      return msgs.length === 2 && msgs.every((m) => m.flags.includes('$SyncdeskHandled'));
    }, 30_000);
    await drained(env.REDIS_PREFIX!);
    // give a wrongly queued job the time to reach RT before comparing
    await new Promise((r) => setTimeout(r, 2_000));
    await drained(env.REDIS_PREFIX!);
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(before);

    expect(await start!.stop()).toBe(0);
    start = undefined;
  });

  it('(b) replaying the report from a file, from the IMAP folder, and forced, changes nothing in RT', async () => {
    const before = rtSnapshot(await rtTickets(rt, tenant));

    const file = await syncdesk(['replay', fileA], env);
    timings.replayFile = file.ms;
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout).toContain('replay: 1 mail(s): duplicate 1');
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(before);

    const today = new Date().toISOString().slice(0, 10);
    const folder = await syncdesk(['replay', '--imap', '--mailbox', mailbox, '--since', today], env);
    timings.replayImap = folder.ms;
    expect(folder.code, folder.stderr).toBe(0);
    expect(folder.stdout).toContain('replay: 2 mail(s): duplicate 2');
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(before);

    // --force runs the mail through parse, resolve and ticket again: the desk is read, nothing written
    const forced = await syncdesk(['replay', '--force', fileA], env);
    timings.replayForced = forced.ms;
    expect(forced.code, forced.stderr + forced.stdout).toBe(0);
    expect(forced.stdout).toContain('replay: 1 mail(s): queued 1');
    expect(forced.stdout).toMatch(/tickets: .*unchanged 4/);
    expect(forced.stdout).not.toMatch(/create|note|resolve|reopen/);
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(before);
  });

  it('(c) --dry-run prints the planned actions and changes nothing', async () => {
    const before = rtSnapshot(await rtTickets(rt, tenant));
    tickets = await rtTickets(rt, tenant);
    const b = ticketFor(tickets, `bob@${id}.example`);

    // the mail is in the ledger: a dry run says what a real replay would, a duplicate
    const same = await syncdesk(['replay', '--dry-run', fileA], env);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/: duplicate /);
    expect(same.stdout).toMatch(/nothing was changed/);
    // forced, it would run again: its 5 errors, the 4 problems unchanged
    const forced = await syncdesk(['replay', '--dry-run', '--force', fileA], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('5 error(s)');
    expect(forced.stdout).toMatch(/planned: unchanged 4; nothing was changed/);

    const newer = await syncdesk(['replay', '--dry-run', fileB], env);
    expect(newer.code, newer.stderr).toBe(0);
    expect(newer.stdout).toContain(`=> resolve #${b.id}: [Duplicate UserPrincipalName] bob@${id}.example`);
    expect(newer.stdout).toContain('nothing was changed');
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(before);

    // and the dry run did not use up the mail: the real replay below still queues it
    expect(newer.stdout).not.toContain('duplicate');
  });

  it('(d) a newer report without a problem resolves its ticket (others get no note); the problem back reopens it', async () => {
    const before = byKey(await rtTickets(rt, tenant));
    const bobBefore = ticketFor([...before.values()], `bob@${id}.example`);

    const replayB = await syncdesk(['replay', fileB], env);
    expect(replayB.code, replayB.stderr + replayB.stdout).toBe(0);
    expect(replayB.stdout).toContain('replay: 1 mail(s): queued 1');
    let after = await rtTickets(rt, tenant);
    expect(after).toHaveLength(4);
    const bobResolved = ticketFor(after, `bob@${id}.example`);
    expect(bobResolved.id).toBe(bobBefore.id);
    expect(bobResolved.status).toBe('resolved');
    const added = bobResolved.transactions.slice(bobBefore.transactions.length).map((x) => x.type);
    expect(added).toContain('Comment');
    expect(added).toContain('Status');
    for (const t of after) {
      if (t.id === bobResolved.id) continue;
      expect(t.transactions, `ticket ${t.id} (${t.subject}) got a transaction`).toEqual(before.get(t.key!)!.transactions);
      expect(t.status).toBe(before.get(t.key!)!.status);
    }

    // the problem is back in a later report, arriving by mail
    start = await startSyncdesk();
    const t0 = Date.now();
    await imap.append(mailbox, reportC);
    await until('bob to be reopened', async () => ['open', 'new'].includes(ticketFor(await rtTickets(rt, tenant), `bob@${id}.example`).status), 60_000, 500);
    timings.reopen = Date.now() - t0;
    await drained(env.REDIS_PREFIX!);
    const beforeC = byKey(after);
    after = await rtTickets(rt, tenant);
    expect(after).toHaveLength(4); // reopened, not a new ticket
    const bobBack = ticketFor(after, `bob@${id}.example`);
    expect(bobBack.id).toBe(bobBefore.id);
    expect(bobBack.transactions.slice(bobResolved.transactions.length).map((x) => x.type)).toContain('Comment');
    for (const t of after) {
      if (t.id === bobBack.id) continue;
      expect(t.transactions, `ticket ${t.id} (${t.subject}) got a transaction`).toEqual(beforeC.get(t.key!)!.transactions);
    }
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    // a report older than all of these, replayed now, never resolves (bob and finance are
    // missing from it) and never changes anything
    const stable = rtSnapshot(after);
    expect(await start!.stop()).toBe(0);
    start = undefined;
    const old = await syncdesk(['replay', fileOld], env);
    expect(old.code, old.stderr + old.stdout).toBe(0);
    expect(old.stdout).toContain('replay: 1 mail(s): queued 1');
    expect(old.stdout).toMatch(/tickets: skip-old 2$/m); // quota and john: their last report is newer
    expect(rtSnapshot(await rtTickets(rt, tenant))).toEqual(stable);
  });
});
