import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance } from 'axios';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseEnv,
  daemon,
  drained,
  failedJobs,
  flagsIn,
  imapAdmin,
  rtClient,
  rtEnv,
  rtTicketIds,
  rtSnapshot,
  rtTickets,
  syncdesk,
  unique,
  until,
  type Daemon,
} from './helpers.ts';
import type { ReplayReport } from '../../src/cli/replay.ts';
import { reportMail } from './report-mail.ts';

/**
 * `syncdesk listen` and `syncdesk worker` as separate processes against one Redis (two
 * workers, as on two machines): a mail appended becomes its RT tickets exactly once; SIGTERM
 * in the middle of a burst stops every process cleanly (exit 0), and what was not done yet
 * is done by the next workers: no job lost, none done twice. Like hosts, the workers have
 * working folders of their own: nothing but Redis is shared.
 */

const id = unique();
const marker = `Split ${id}`;
const mailbox = `e2e-split-${id}`;
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-split-'));
const env = { ...baseEnv(dir, { IMAP_MAILBOX: mailbox }), ...rtEnv() };

/** Report `n` of tenant `Split <id> T<n>`: two problems (a UPN and a proxy address conflict). */
function mail(n: number): Buffer {
  const tenant = `${marker} T${n}`;
  return reportMail({
    tenant,
    domain: `split${id}t${n}.onmicrosoft.com`,
    coversAt: new Date(Date.UTC(2026, 10, 1, 6, 0, 0)),
    rows: [
      { object: `anna${n}@${id}.example`, duplicates: [['UserPrincipalName', `anna${n}@${id}.example`]], onPremisesObjectId: `YW5uYS0${n}` },
      { object: `Sales ${n}`, duplicates: [['ProxyAddresses', `SMTP:sales${n}@${id}.example`]], onPremisesObjectId: `c2FsZXMt${n}` },
    ],
  });
}

/** The first report, kept: the replays at the end hand the admin the same bytes. */
const first = mail(0);

let imap: ImapFlow;
let rt: AxiosInstance;
const running: Daemon[] = [];

async function launch(args: string[], ready: string): Promise<Daemon> {
  const d = await daemon(args, args[0] === 'worker' ? workerEnv() : env, ready);
  running.push(d);
  return d;
}

/** A worker "host": the same Redis, IMAP and RT, its own mail store. */
const workerDirs: string[] = [];
function workerEnv(): Record<string, string> {
  const own = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-split-worker-'));
  workerDirs.push(own);
  return { ...env, MAIL_STORE_DIR: join(own, 'mail') };
}

const workerArgs = ['worker', '--queues', 'poll,resolve,ticket', '--concurrency', '2'];

beforeAll(async () => {
  imap = await imapAdmin();
  await imap.mailboxCreate(mailbox);
  rt = rtClient();
});

afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  await imap?.logout().catch(() => undefined);
});

describe('listener and workers as separate processes (one Redis)', () => {
  it('a mail appended becomes its tickets exactly once', async () => {
    const listener = await launch(['listen'], 'listening');
    const w1 = await launch(workerArgs, 'workers ready');
    const w2 = await launch(workerArgs, 'workers ready');

    const t0 = Date.now();
    await imap.append(mailbox, first);
    await until('2 tickets in RT', async () => (await rtTicketIds(rt, `${marker} T0`)).length >= 2, 60_000, 200);
    const ms = Date.now() - t0;
    await drained(env.REDIS_PREFIX!);
    await new Promise((r) => setTimeout(r, 1_000));
    const tickets = await rtTickets(rt, `${marker} T0`);
    expect(tickets).toHaveLength(2);
    expect(new Set(tickets.map((t) => t.key)).size).toBe(2);
    for (const t of tickets) expect(t.transactions.filter((x) => x.type === 'Create')).toHaveLength(1);
    await until('the mail to be marked handled', async () => (await flagsIn(imap, mailbox))[0]?.flags.includes('$SyncdeskHandled') ?? false, 10_000);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    process.stdout.write(`split processes: mail → 2 RT tickets in ${ms} ms\n`);

    // the listener parsed and queued, the workers worked: the work was split between processes
    expect(listener.log()).toContain('reports queued for resolve and ticket');
    expect(listener.log()).not.toContain('ticket action');
    expect(w1.log() + w2.log()).toContain('"action":"create"');
    // the mail is kept where the listener runs; no worker needed (or wrote) a mail file
    expect(readdirSync(env.MAIL_STORE_DIR!).some((n) => n.endsWith('.eml'))).toBe(true);
    for (const own of workerDirs) expect(existsSync(join(own, 'mail')) ? readdirSync(join(own, 'mail')) : []).toEqual([]);
  });

  it('SIGTERM during a burst stops every process with exit 0; the next workers finish the rest, nothing twice', async () => {
    const burst = 12;
    for (let n = 1; n <= burst; n++) await imap.append(mailbox, mail(n));
    // stop as soon as the first report of the burst is applied: most of the work is queued or running
    const applied = () => running.reduce((n, d) => n + (d.log().match(/"report-applied"/g)?.length ?? 0), 0);
    await until('the first report of the burst to be applied', () => applied() >= 2, 60_000, 20);
    const t0 = Date.now();
    const codes = await Promise.all(running.splice(0).map((d) => d.stop(30_000)));
    const stopMs = Date.now() - t0;
    expect(codes).toEqual([0, 0, 0]);
    const doneAtStop = (await rtTicketIds(rt, marker)).length - 2;
    expect(doneAtStop).toBeLessThan(2 * burst); // really stopped in the middle
    process.stdout.write(`split processes: SIGTERM stopped listener + 2 workers in ${stopMs} ms with ${doneAtStop}/${2 * burst} burst tickets done\n`);

    // the next shift: a listener for mails it may not have seen, workers for the queued jobs
    await launch(['listen'], 'listening');
    await launch(workerArgs, 'workers ready');
    await until(`${2 * (burst + 1)} tickets`, async () => (await rtTicketIds(rt, marker)).length >= 2 * (burst + 1), 90_000, 300);
    await drained(env.REDIS_PREFIX!);
    await new Promise((r) => setTimeout(r, 1_000));

    const tickets = await rtTickets(rt, marker);
    expect(tickets).toHaveLength(2 * (burst + 1));
    expect(new Set(tickets.map((t) => t.key)).size).toBe(2 * (burst + 1));
    for (let n = 0; n <= burst; n++) expect(tickets.filter((t) => t.subject.endsWith(`tenant ${marker} T${n}`)), `tenant T${n}`).toHaveLength(2);
    for (const t of tickets) expect(t.transactions.filter((x) => x.type === 'Create')).toHaveLength(1);
    const msgs = await flagsIn(imap, mailbox);
    expect(msgs).toHaveLength(burst + 1);
    expect(msgs.every((m) => m.flags.includes('$SyncdeskHandled'))).toBe(true);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);

    const codesAfter = await Promise.all(running.splice(0).map((d) => d.stop(30_000)));
    expect(codesAfter).toEqual([0, 0]);
  });

  it('a replay from a third host (a folder of its own), then a forced one, while the workers run elsewhere: nothing new in RT', async () => {
    await launch(workerArgs, 'workers ready');
    const before = rtSnapshot(await rtTickets(rt, marker));
    const file = join(dir, 'report-0.eml');
    writeFileSync(file, first);
    const admin = { ...workerEnv() }; // the admin's laptop: the same Redis, its own folders

    // the report's Message-ID is in the ledger since the listener took it: a duplicate
    const replay = await syncdesk(['replay', file, '--wait', '--json'], admin);
    expect(replay.code, replay.stderr).toBe(0);
    expect((JSON.parse(replay.stdout) as ReplayReport).mails.map((m) => m.outcome)).toEqual(['duplicate']);
    const forced = await syncdesk(['replay', file, '--force', '--wait', '--json'], admin);
    expect(forced.code, forced.stderr).toBe(0);
    expect((JSON.parse(forced.stdout) as ReplayReport).mails.map((m) => m.outcome)).toEqual(['forced']);
    await drained(env.REDIS_PREFIX!);

    expect(rtSnapshot(await rtTickets(rt, marker))).toEqual(before);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    await Promise.all(running.splice(0).map((d) => d.stop(30_000)));
  });
});
