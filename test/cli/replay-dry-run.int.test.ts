import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../src/cli/replay.ts';
import { syncdesk, type CliResult } from '../e2e/helpers.ts';
import { reportMail, type ReportRow } from '../e2e/report-mail.ts';
import { plainMail } from '../ingest/helpers.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { uid } from '../prove/helpers.ts';
import { replayEnv } from './replay-env.ts';

/**
 * `replay --dry-run` predicts: over new, duplicate, not-a-report, too-large, quarantined,
 * forced and changed mails, a dry run says of each mail what the real run then does (and,
 * for the mails whose reports are queued, the same ticket actions on the file desk), and
 * changes nothing. Both runs print `--json`, which is all their stdout holds.
 */

let redis: Redis;
let dir: string;
let env: Record<string, string>;
const id = uid();

let drop: () => Promise<void>;

beforeAll(() => {
  // files are vouched for by the admin; --verify-senders judges them, and nothing unsigned passes
  ({ redis, dir, env, drop } = replayEnv(`d${id}`, { TRUST_POLICY: 'strict', MAX_MAIL_BYTES: '60000' }));
});
afterAll(() => drop());

const row = (name: string, objectId: string): ReportRow => ({
  object: `${name}@dry${id}.example`,
  duplicates: [['UserPrincipalName', `${name}@dry${id}.example`]],
  onPremisesObjectId: objectId,
});
const tenant = { tenant: `Dry ${id}`, domain: `dry${id}.example` };

function file(name: string, content: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function parsed(r: CliResult, code = 0): ReplayReport {
  expect(r.code, r.stderr).toBe(code);
  // one JSON document and nothing else: logs and the progress bar are on stderr
  return JSON.parse(r.stdout) as ReplayReport;
}

/** What must agree between a dry run and the real run: each mail's outcome, its reports and their ticket actions. */
const comparable = (report: ReplayReport) =>
  report.mails.map((m) => ({ source: m.source, outcome: m.outcome, status: m.status, reports: m.reports.map((r) => ({ reportId: r.reportId, errors: r.errors, tickets: r.tickets })) }));

/** What a dry run must leave alone: the ledger, the quarantine, the ticket state and the desk. */
async function written(): Promise<unknown> {
  // the stages' keys, and the queues' (under `:q:`) but for what BullMQ writes on connecting and its workers' expiring marks
  const kept = (k: string) => k.startsWith(`d${id}:ingest:`) || k.startsWith(`d${id}:ticket:`) || (k.startsWith(`d${id}:q:`) && !/:(meta|stalled-check)$/.test(k));
  const keys = (await redis.keys(`d${id}:*`)).filter(kept).sort();
  const values = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, (await redis.type(k)) === 'string' ? await redis.get(k) : await redis.dump(k)])));
  const tickets = readTickets(env.TICKET_DIR!).sort((x, y) => x.id.localeCompare(y.id));
  return { values, tickets };
}

/** Dry run, then the real run, over the same mails: the same outcome for each. */
async function dryThenReal(args: string[], code = 0): Promise<{ dry: ReplayReport; real: ReplayReport }> {
  const before = await written();
  const dry = parsed(await syncdesk(['replay', '--json', '--dry-run', ...args], env), code);
  expect(await written(), 'the dry run changed something').toEqual(before);
  const real = parsed(await syncdesk(['replay', '--json', '--wait', ...args], env), code);
  expect(dry.dryRun).toBe(true);
  expect(real).toMatchObject({ dryRun: false, worked: 'here', failed: [] });
  expect(comparable(dry)).toEqual(comparable(real));
  expect(dry.totals).toEqual(real.totals);
  return { dry, real };
}

const outcomes = (r: ReplayReport) => r.mails.map((m) => m.outcome);

/** An admin's Outlook inline forward of an HTML report: a Message-ID of its own, the report's headers as a block over its body. */
function inlineForward(report: Buffer): Buffer {
  const text = report.toString('utf8');
  const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(head)![1]!.trim();
  const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const block = ['From', 'Sent', 'To', 'Subject'].map((n) => `<b>${n}:</b> ${escape(header(n === 'Sent' ? 'Date' : n))}`).join('<br>\r\n');
  return Buffer.from(
    [
      `From: Erik Admin <erik@dry${id}.example>`,
      `To: syncdesk@dry${id}.example`,
      `Subject: FW: ${header('Subject')}`,
      'Date: Tue, 05 May 2026 09:00:00 +0000',
      `Message-ID: <fw-${uid()}@dry${id}.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset="utf-8"',
      '',
      `<html><body><p>FYI</p><hr><div>${block}</div>${body.replace(/^[\s\S]*?<body>|<\/body>[\s\S]*$/g, '')}</body></html>`,
    ].join('\r\n'),
  );
}

describe('replay --dry-run predicts the real run', () => {
  const day1 = new Date('2026-05-04T06:00:00Z');
  const day2 = new Date('2026-05-05T06:00:00Z');
  let a: string;

  it('new, a copy of a new mail in the same run, not a report, too large', async () => {
    const raw = reportMail({ ...tenant, coversAt: day1, rows: [row('ann', 'a1'), row('bob', 'b1'), row('cid', 'c1')], messageId: `<dry-a-${id}@microsoftonline.com>` });
    a = file('a.eml', raw);
    const copy = file('a-copy.eml', raw);
    const notReport = file('lunch.eml', plainMail(`lunch-${id}`));
    const big = file('big.eml', reportMail({ ...tenant, coversAt: day1, rows: Array.from({ length: 150 }, (_, i) => row(`big${i}`, `x${i}`)) }));
    expect(readFileSync(big).length).toBeGreaterThan(60_000);

    // the mail kept but not read makes both exit 1, as any rejected input does
    const { real } = await dryThenReal([a, copy, notReport, big], 1);
    expect(outcomes(real)).toEqual(['new', 'duplicate', 'not-a-report', 'too-large']);
    expect(real.mails[0]!.reports).toEqual([expect.objectContaining({ errors: 3, tickets: { create: 3 } })]);
    expect(real.mails[0]!.reason).toMatch(/^replayed by an admin from .*a\.eml$/);
    expect(real.mails[3]!.status).toBe('rejected');
    expect(real.totals).toMatchObject({ mails: 4, reports: 1, tickets: { create: 3 } });
    expect(readTickets(env.TICKET_DIR!)).toHaveLength(3);
  }, 120_000);

  it('a mail kept unread by an earlier run is still unread when replayed again: said, and exit 1 (blind31 R7)', async () => {
    const big = join(dir, 'big.eml');
    const { real } = await dryThenReal([big], 1);
    expect(real.mails).toEqual([expect.objectContaining({ outcome: 'duplicate', status: 'duplicate', keptUnread: true })]);
    const text = await syncdesk(['replay', '--wait', big], env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('still unreadable: 1 duplicate(s) of mails kept unread before; see `syncdesk failed list`');
  }, 120_000);

  it('duplicates (the same bytes, the same report forwarded in other bytes) and a changed report', async () => {
    const forwarded = file('a-forwarded.eml', Buffer.concat([Buffer.from(`Received: from relay.dry${id}.example\r\n`), readFileSync(a)]));
    // the next day: bob's problem is gone (resolved after one report without it), dan's is new
    const b = file('b.eml', reportMail({ ...tenant, coversAt: day2, rows: [row('ann', 'a1'), row('cid', 'c1'), row('dan', 'd1')], messageId: `<dry-b-${id}@microsoftonline.com>` }));

    // an admin's inline forward: the report's Message-ID is gone, its run and errors are the same (blind31 R5)
    const inline = file('a-inline.eml', inlineForward(readFileSync(a)));

    const { real } = await dryThenReal([a, forwarded, inline, b]);
    expect(outcomes(real)).toEqual(['duplicate', 'duplicate', 'duplicate', 'new']);
    expect(real.mails[1]!.reason).toContain('already ingested as');
    expect(real.mails[2]!.reason).toMatch(/^a copy of the report of run 2026-05-04T06:00:00\.000Z \(3 error\(s\), the same ones\) already ingested as /);
    expect(real.totals).toMatchObject({ reports: 1 });
    expect(real.mails[3]!.reports[0]!.tickets).toMatchObject({ create: 1, resolve: 1 });
  }, 120_000);

  it('quarantined: --verify-senders judges files as the listener does', async () => {
    const c = file('c.eml', reportMail({ tenant: `Other ${id}`, domain: `other${id}.example`, coversAt: day1, rows: [row('eve', 'e1')] }));
    const { real } = await dryThenReal(['--verify-senders', c]);
    expect(outcomes(real)).toEqual(['quarantined']);
    expect(real.mails[0]!.reason).toMatch(/claims Microsoft sender .* without a DMARC pass/);
    expect(real.totals.tickets).toEqual({});
  }, 120_000);

  it('forced: --force runs a mail seen before again (an older report than the one applied)', async () => {
    const { real } = await dryThenReal(['--force', a]);
    expect(outcomes(real)).toEqual(['forced']);
    expect(real.mails[0]!.reports).toHaveLength(1);
    expect(Object.keys(real.mails[0]!.reports[0]!.tickets ?? {})).not.toContain('create');
  }, 120_000);

  it('--json without --wait: processed here when no worker runs, still one JSON document', async () => {
    const r = parsed(await syncdesk(['replay', '--json', a], env));
    expect(r).toMatchObject({ dryRun: false, worked: 'here', totals: { mails: 1, outcomes: { duplicate: 1 }, reports: 0 } });
    expect(r.mails[0]).toMatchObject({ outcome: 'duplicate', status: 'duplicate', reports: [] });
  }, 120_000);

  it('a folder whose names put the newest report first: applied in the order of the runs, the dry run planning each report after the ones before', async () => {
    const other = { tenant: `Order ${id}`, domain: `order${id}.example` };
    const folder = join(dir, 'export');
    mkdirSync(folder);
    // "Save as" names mails by subject: the newer report (gus's problem gone) sorts first by name
    writeFileSync(join(folder, 'Directory Synchronization Error Report.eml'), reportMail({ ...other, coversAt: new Date('2026-05-08T06:00:00Z'), rows: [row('fay', 'f1')], messageId: `<order-2-${id}@microsoftonline.com>` }));
    writeFileSync(join(folder, 'Directory Synchronization Error Report (2).eml'), reportMail({ ...other, coversAt: new Date('2026-05-07T06:00:00Z'), rows: [row('fay', 'f1'), row('gus', 'g1')], messageId: `<order-1-${id}@microsoftonline.com>` }));

    const { real } = await dryThenReal([folder]);
    expect(real.mails.map((m) => m.source.split('/').at(-1))).toEqual(['Directory Synchronization Error Report (2).eml', 'Directory Synchronization Error Report.eml']);
    expect(real.mails.map((m) => m.reports[0]!.tickets)).toEqual([{ create: 2 }, { unchanged: 1, resolve: 1 }]);
  }, 120_000);

  it('a path that cannot be read is passed over and named, the rest replayed, exit 1', async () => {
    const missing = join(dir, 'gone.eml');
    const r = await syncdesk(['replay', '--json', missing, a], env);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.unreadable).toEqual([{ source: missing, reason: 'no such file or directory' }]);
    expect(outcomes(report)).toEqual(['duplicate']);
    const text = await syncdesk(['replay', missing, a], env);
    expect(text.stdout).toContain(`${missing}: cannot read (no such file or directory): passed over`);
  }, 120_000);

  it('a job that failed for good in a queue no worker of its own ran (on-premises, no worker took it) makes the exit code 1', async () => {
    const other = { tenant: `Onprem ${id}`, domain: `onprem${id}.example` };
    const mail = file('onprem.eml', reportMail({ ...other, coversAt: day1, rows: [row('hal', 'h1')], messageId: `<onprem-${id}@microsoftonline.com>` }));
    // nothing listens there, and no `worker --queues onprem` runs: the wait bound fails the read
    const r = await syncdesk(['replay', '--json', mail], { ...env, ONPREM_URL: 'ldaps://127.0.0.1:9', ONPREM_WAIT_SECONDS: '1' });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.failed).toEqual([expect.objectContaining({ queue: 'onprem', reason: expect.stringContaining('[onprem_no_worker]') })]);
    // its ticket went out without the on-premises side all the same
    expect(report.totals.tickets).toEqual({ create: 1 });
  }, 120_000);

  it('a directory that does not answer leaves a report not looked up in the plan, and the plan goes on to the next mails (blind34 M8)', async () => {
    const x = file('x.eml', reportMail({ ...tenant, coversAt: new Date('2026-05-07T06:00:00Z'), rows: [row('xia', 'x1')], messageId: `<dry-x-${id}@microsoftonline.com>` }));
    const y = file('y.eml', reportMail({ ...tenant, coversAt: new Date('2026-05-08T06:00:00Z'), rows: [row('yan', 'y1')], messageId: `<dry-y-${id}@microsoftonline.com>` }));
    // Graph configured, its sign-in host a closed port on this machine
    const unreachable = { ...env, GRAPH_TENANT_ID: 'contoso.onmicrosoft.com', GRAPH_CLIENT_ID: 'c', GRAPH_CLIENT_SECRET: 's', GRAPH_AUTHORITY_HOST: 'https://127.0.0.1:9', GRAPH_BASE_URL: 'https://127.0.0.1:9' };
    const r = await syncdesk(['replay', '--dry-run', x, y], unreachable);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/the directory did not answer \(.*\): not looked up for this plan; a real run tries again/g)).toHaveLength(2);
    // GRAPH_TENANT_ID names the tenant now: what the tests before left open under the report's
    // own name (ann, cid, dan) is that tenant's too, and no longer listed (tenantAliases)
    expect(r.stdout).toMatch(/dry run: 2 mail\(s\): new 2; 2 report\(s\); planned: resolve 4, create 2;/);
  }, 180_000);

  it('prints the same per mail as text: outcome, reason, planned actions', async () => {
    const r = await syncdesk(['replay', '--dry-run', a], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a\.eml: duplicate \(already ingested on .* \(queued\)\)/);
    expect(r.stdout).toMatch(/dry run: 1 mail\(s\): duplicate 1; 0 report\(s\); planned: none; nothing was changed/);
    const forced = await syncdesk(['replay', '--dry-run', '--force', a], env);
    expect(forced.stdout).toMatch(/a\.eml: forced \(replayed by an admin from /);
    expect(forced.stdout).toContain('3 error(s)');
    expect(forced.stdout).toMatch(/=> \S+/);
  }, 120_000);

  it("names a ticket at another desk by its URL, not by an id that would read as this desk's (blind69 M3)", async () => {
    const moved = await syncdesk(['replay', '--dry-run', '--force', a], { ...env, TICKET_DIR: join(dir, 'another-desk') });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`=> unchanged (its ticket is at another desk: file://${env.TICKET_DIR}/`);
    expect(moved.stdout).not.toMatch(/=> unchanged #/);
  }, 120_000);
});
