import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AxiosInstance } from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDirectory } from '../fakes/graph/directory.ts';
import { deliver, fakeMailbox, findFolder, messagesIn, type FakeMailbox } from '../fakes/graph/mailbox.ts';
import { startFakeGraph, type FakeGraph } from '../fakes/graph/server.ts';
import { makeTlsMaterial, type TlsMaterial } from '../fakes/graph/tls.ts';
import { freePort } from '../helpers/ports.ts';
import { fakeGraphEnv } from './graph-env.ts';
import { baseEnv, daemon, drained, failedJobs, rtClient, rtEnv, rtSnapshot, rtTickets, syncdesk, unique, until, type Daemon } from './helpers.ts';
import { reportMail, type ReportRow } from './report-mail.ts';

/**
 * Issue #14 end to end: report mails placed in a mailbox of the HTTPS fake Graph,
 * `syncdesk start` with MAIL_SOURCE=graph as a child process (the real @azure/identity
 * and Graph client, the fake's CA in NODE_EXTRA_CA_CERTS), tickets in the real RT. Then
 * the three ways to get a duplicate: killing syncdesk (SIGKILL) mid-delta, an expired
 * delta token, and the same message twice; each leaves one ticket per problem. Then
 * `replay --graph`, and `doctor` naming a missing permission and an out-of-scope mailbox.
 *
 * RT is shared by every test file: tickets are counted by a marker in the tenant names.
 */

const id = unique();
const marker = `GM${id}`;
const MAILBOX = `reports-${id}@contoso.example`;
const TENANT_ID = '0e2e0e2e-0000-4000-8000-0000000000f4';
const APP = { clientId: 'f4f4f4f4-1111-4111-8111-111111111111', secret: `secret-${id}`, roles: ['Mail.ReadWrite', 'User.Read.All', 'Group.Read.All', 'OrgContact.Read.All'] };
const NO_MAIL_APP = { clientId: 'f5f5f5f5-1111-4111-8111-111111111111', secret: `secret2-${id}`, roles: ['User.Read.All'] };
const OUTSIDE_APP = { clientId: 'f6f6f6f6-1111-4111-8111-111111111111', secret: `secret3-${id}`, roles: ['Mail.ReadWrite'] };
const dir = mkdtempSync(join(tmpdir(), 'syncdesk-e2e-graph-mail-'));

/**
 * Report `i`: two problems of its own (so every report is two tickets). All cover the same
 * time: the configured tenant owns them all, and the ticket stage skips a report strictly
 * older than one already applied, which the parallel workers could otherwise produce.
 */
function report(i: number): Buffer {
  const rows: ReportRow[] = [
    { object: `u${i}a@${id}.example`, duplicates: [['UserPrincipalName', `u${i}a@${id}.example`]], onPremisesObjectId: 'dTFhLW9ucHJlbQ==' },
    { object: `u${i}b@${id}.example`, duplicates: [['ProxyAddresses', `SMTP:u${i}b@${id}.example`]], onPremisesObjectId: 'dTFiLW9ucHJlbQ==' },
  ];
  return reportMail({ tenant: `${marker} T${i}`, domain: `t${i}${id}.onmicrosoft.com`, coversAt: new Date(Date.UTC(2026, 10, 20, 6, 0)), quota: false, rows });
}

let tls: TlsMaterial;
let fake: FakeGraph;
let box: FakeMailbox;
let rt: AxiosInstance;
let env: Record<string, string>;
let start: Daemon | undefined;
const figures: Record<string, number | string> = {};

const inbox = () => messagesIn(box, findFolder(box, 'inbox')!.id);
const ticketCount = async () => (await rtTickets(rt, marker)).length;
const keysUnique = async () => {
  const tickets = await rtTickets(rt, marker);
  return new Set(tickets.map((t) => t.key)).size === tickets.length;
};

async function ticketsReach(n: number, what: string): Promise<void> {
  await until(`${n} tickets (${what})`, async () => (await ticketCount()) >= n, 90_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}\n${start?.log().slice(-6000) ?? ''}`);
  });
}

beforeAll(async () => {
  tls = makeTlsMaterial();
  box = fakeMailbox(MAILBOX, { scopedApps: [APP.clientId, NO_MAIL_APP.clientId] });
  fake = await startFakeGraph({ tls, tenants: { [TENANT_ID]: { apps: [APP, NO_MAIL_APP, OUTSIDE_APP], directory: emptyDirectory(), mailboxes: [box] } } });
  rt = rtClient();
  env = {
    ...baseEnv(dir, {
      MAIL_SOURCE: 'graph',
      GRAPH_MAILBOX: MAILBOX,
      GRAPH_MAIL_POLL_SECONDS: '1',
      GRAPH_MAIL_PAGE_SIZE: '2',
      ...fakeGraphEnv(fake, TENANT_ID, APP),
      NODE_EXTRA_CA_CERTS: tls.caPath,
    }),
    ...rtEnv(),
  };
});

afterAll(async () => {
  await start?.stop();
  await fake?.close();
  process.stdout.write(`graph-mail-to-rt figures: ${JSON.stringify(figures)}\n`);
});

describe('a report in a Graph mailbox becomes tickets in RT (syncdesk start, MAIL_SOURCE=graph)', () => {
  it('killed mid-delta (SIGKILL after the first page) and started again: every problem has exactly one ticket, every mail moved', async () => {
    for (let i = 1; i <= 6; i++) deliver(box, report(i));
    // slow mailbox: a round of 3 pages takes seconds, so the kill lands inside it
    fake.mail.latencyMs = 250;
    const t0 = Date.now();
    start = await daemon(['start'], env, 'syncdesk started');
    await until('the first page to be moved', () => fake.mail.stats.moves >= 2, 60_000, 20);
    start.child.kill('SIGKILL');
    await new Promise((r) => start!.child.once('exit', r));
    start = undefined;
    figures.leftInInboxAtKill = inbox().length;
    expect(inbox().length).toBeGreaterThan(0);
    fake.mail.latencyMs = 0;

    const adminPort = await freePort();
    start = await daemon(['start'], { ...env, ADMIN_PORT: String(adminPort) }, 'syncdesk started');
    await ticketsReach(12, '6 reports of 2 problems');
    // readiness names the mailbox by where it is read, not as an IMAP session
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json()) as { status: string };
    await until('readyz', async () => (await readyz()).status === 'ready', 10_000);
    expect(await readyz()).toEqual({ status: 'ready', checks: { redis: 'ok', 'graph-mailbox': 'ok' } });
    await until('the inbox to be empty', () => inbox().length === 0, 30_000);
    await drained(env.REDIS_PREFIX!);
    figures.killAndRestartToTicketsMs = Date.now() - t0;
    expect(await ticketCount()).toBe(12);
    expect(await keysUnique()).toBe(true);
    const processed = box.folders.find((f) => f.displayName === 'Processed')!;
    expect(messagesIn(box, processed.id)).toHaveLength(6);
    expect(await failedJobs(env.REDIS_PREFIX!)).toBe(0);
    // jobs the killed process held are taken up again once their locks lapse (BullMQ stalled-job check)
  }, 240_000);

  it('the same message arriving twice (two copies, and a copy of a handled one): no new ticket but its own', async () => {
    const before = await ticketCount();
    deliver(box, report(7));
    deliver(box, report(7));
    deliver(box, report(1));
    await ticketsReach(before + 2, 'report 7');
    await until('the inbox to be empty', () => inbox().length === 0, 30_000);
    await drained(env.REDIS_PREFIX!);
    await new Promise((r) => setTimeout(r, 2_000));
    await drained(env.REDIS_PREFIX!);
    expect(await ticketCount()).toBe(before + 2);
    expect(await keysUnique()).toBe(true);
  });

  it('an expired delta token: a full round through the ledger, the new report ticketed once, nothing else', async () => {
    const before = await ticketCount();
    fake.mail.expireDeltaTokens();
    deliver(box, report(8));
    await ticketsReach(before + 2, 'report 8');
    await until('the inbox to be empty', () => inbox().length === 0, 30_000);
    await drained(env.REDIS_PREFIX!);
    expect(await ticketCount()).toBe(before + 2);
    expect(await keysUnique()).toBe(true);
    expect(fake.mail.stats.log.some((e) => e.status === 410)).toBe(true);
    expect(start!.log()).toContain('delta state expired');
    expect(await start!.stop()).toBe(0);
    start = undefined;
  });

  it('replay --graph of the Processed folder by date goes through the ledger: RT unchanged', async () => {
    const before = rtSnapshot(await rtTickets(rt, marker));
    const today = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const r = await syncdesk(['replay', '--graph', '--mailbox', MAILBOX, '--folder', 'Processed', '--since', today], env);
    figures.replayGraphMs = r.ms;
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('replay: 10 mail(s): duplicate 10');
    expect(rtSnapshot(await rtTickets(rt, marker))).toEqual(before);
  });

  it('doctor names a missing mail permission and an out-of-scope mailbox, each with its fix', async () => {
    const noMail = await syncdesk(['doctor'], { ...env, GRAPH_CLIENT_ID: NO_MAIL_APP.clientId, GRAPH_CLIENT_SECRET: NO_MAIL_APP.secret });
    const plainA = noMail.stdout.replace(/\s+/g, ' ');
    expect(plainA).toContain(`graph mail ${MAILBOX} FAIL`);
    expect(plainA).toContain('no mail permission');
    expect(plainA).toContain('Mail.ReadWrite and grant admin consent');
    const outside = await syncdesk(['doctor'], { ...env, GRAPH_CLIENT_ID: OUTSIDE_APP.clientId, GRAPH_CLIENT_SECRET: OUTSIDE_APP.secret });
    const plainB = outside.stdout.replace(/\s+/g, ' ');
    expect(plainB).toContain('Exchange denies access');
    expect(plainB).toContain('New-ManagementRoleAssignment');
    expect(plainB).toContain('New-ApplicationAccessPolicy');
    const ok = await syncdesk(['doctor'], env);
    expect(ok.stdout.replace(/\s+/g, ' ')).toMatch(new RegExp(`graph mail ${MAILBOX.replace(/\./g, '\\.')} ok`));
  });
});
