import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../schemas/config.schema.ts';
import { listRejectedMails } from '../../src/cli/failed.ts';
import { createLedger } from '../../src/ingest/ledger.ts';
import { createReportQueuer } from '../../src/ingest/queue-reports.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { toReportRef } from '../../src/parse/report-ref.ts';
import { createQueues, type Queues } from '../../src/queues.ts';
import { createCursorStore } from '../../src/ingest/cursor.ts';
import { createIngestor, type IngestorDeps } from '../../src/ingest/ingest-mail.ts';
import { readMailInputs } from '../../src/ingest/mail-files.ts';
import { createMailStore, mailIdOf, type MailStore } from '../../src/ingest/mail-store.ts';
import { createSenderTrust } from '../../src/ingest/sender-trust.ts';
import { listQuarantine } from '../../src/ingest/quarantine.ts';
import { services } from '../helpers/services.ts';
import { reportJobs } from '../helpers/report-jobs.ts';
import { dkimKey, dkimSigned, fakeResolver, forwardedAsAttachment, plainMail, recordingLogger, reportMail, silentLogger, testConfig } from './helpers.ts';

let redis: Redis;
let queues: Queues;
let config: Config;
let store: MailStore;
let storeDir: string;

beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});
beforeEach(() => {
  storeDir = mkdtempSync(join(tmpdir(), 'syncdesk-ingest-'));
  config = testConfig({ TRUST_POLICY: 'off', MAIL_STORE_DIR: storeDir, MAX_MAIL_BYTES: '20000' });
  store = createMailStore({ dir: storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: 30 });
  queues = createQueues(redis.duplicate(), config.redis.prefix);
});
afterEach(async () => {
  for (const q of [queues.ticket, queues.resolve]) await q.obliterate({ force: true });
  await queues.close();
  const keys = await redis.keys(`${config.redis.prefix}:*`);
  if (keys.length) await redis.del(...keys);
  rmSync(storeDir, { recursive: true, force: true });
});

function ingestor(overrides: Partial<IngestorDeps> = {}) {
  return createIngestor({
    redis,
    store,
    config,
    logger: silentLogger(),
    queueReports: createReportQueuer({ toReportRef, queues, logger: silentLogger() }),
    ...overrides,
  });
}
const meta = { origin: 'imap' as const, receivedAt: new Date('2026-03-04T08:00:00Z') };
/** The ticket flows queued (one per report), as the mails they came from. */
const ticketJobs = async () => (await reportJobs(queues)).map((j) => ({ id: j.id!, mailId: j.data.report.mailId as string | null }));
const jobs = async () => (await ticketJobs()).map((j) => j.mailId).sort();
const ledgerOf = (mailId: string) => createLedger(redis, config.redis.prefix).get(mailId);

describe('ingest (real Redis, real BullMQ queue)', () => {
  it('parses a mail once and queues its report flow itself: resolve children under a ticket parent', async () => {
    let parses = 0;
    const ing = ingestor({ parse: (raw) => (parses++, parseMail(raw, { maxBytes: config.ingest.maxMailBytes })) });
    const raw = Buffer.from(reportMail('a0000fa5'));
    const res = await ing.ingest(raw, meta);
    expect(res).toMatchObject({ status: 'queued', handled: true, reports: [{ errors: 1, added: true }] });
    expect(parses).toBe(1);
    const [ticket] = await ticketJobs();
    expect(ticket!.id).toBe(res.reports![0]!.ticketJobId);
    expect(await queues.ticket.getJobState(ticket!.id)).toBe('waiting-children');
    expect(await queues.resolve.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    expect(await ledgerOf(res.mailId)).toMatchObject({ status: 'queued', origin: 'imap' });
  });

  it('keeps an unreadable mail, records it rejected with the reason, marks it handled, and lists it as failed', async () => {
    const ing = ingestor({ parse: async () => ({ ok: false, rejection: { reason: 'unreadable', detail: 'broken MIME structure' } }) });
    const raw = Buffer.from(reportMail('a0000fa6'));
    const res = await ing.ingest(raw, meta);
    expect(res).toMatchObject({ status: 'rejected', reason: 'unreadable: broken MIME structure', handled: true });
    expect((await store.get(res.mailId))?.raw).toEqual(raw);
    expect(await jobs()).toEqual([]);
    const failed = await listRejectedMails(createLedger(redis, config.redis.prefix));
    expect(failed).toMatchObject([{ queue: 'mail', id: res.mailId, code: 'unreadable', reason: 'unreadable: broken MIME structure' }]);
    // read again after a fix (`failed retry`): forced, it is parsed and queued
    expect((await ingestor().ingest(raw, { ...meta, force: true })).status).toBe('queued');
    expect(await jobs()).toEqual([res.mailId]);
    expect(await listRejectedMails(createLedger(redis, config.redis.prefix))).toEqual([]);
  });

  it('queues a report once; the same bytes again are a duplicate', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000001'));
    const first = await ing.ingest(raw, meta);
    expect(first).toMatchObject({ status: 'queued', mailId: mailIdOf(raw), handled: true });
    const again = await ing.ingest(raw, { ...meta, origin: 'replay-file' });
    expect(again.status).toBe('duplicate');
    expect(again.handled).toBe(true);
    expect(await jobs()).toEqual([mailIdOf(raw)]);
    const [job] = await queues.ticket.getJobs(['waiting-children']);
    expect(job?.data.report).toMatchObject({ mailId: mailIdOf(raw), reportId: '<dirsync-a0000001@microsoftonline.com>', source: 'mail' });
    expect((await store.get(mailIdOf(raw)))?.raw).toEqual(raw);
  });

  it('the same report in other bytes (a forward of it) is a duplicate through its Message-ID', async () => {
    const ing = ingestor();
    const original = reportMail('a0000002');
    expect((await ing.ingest(Buffer.from(forwardedAsAttachment(original, 'admin@fabrikam.com', 'f2')), meta)).status).toBe('queued');
    const replay = await ing.ingest(Buffer.from(original), { ...meta, origin: 'replay-file' });
    expect(replay.status).toBe('duplicate');
    expect(replay.reason).toContain('<dirsync-a0000002@microsoftonline.com>');
    expect(await jobs()).toHaveLength(1);
  });

  it('a forward of two reports, one of them seen before, queues the other and names the one left out', async () => {
    const ing = ingestor();
    const [seen, fresh] = [reportMail('a0000021'), reportMail('a0000022')];
    const first = await ing.ingest(Buffer.from(seen), meta);
    const both = await ing.ingest(Buffer.from(forwardedAsAttachment([seen, fresh], 'admin@fabrikam.com', 'f21')), meta);
    expect(both).toMatchObject({ status: 'queued', reports: [{ reportId: '<dirsync-a0000022@microsoftonline.com>' }] });
    expect(both.reason).toContain(`left out report <dirsync-a0000021@microsoftonline.com> already ingested as ${first.mailId}`);
    expect(await jobs()).toEqual([first.mailId, both.mailId].sort());
    // the same two again, in other bytes: nothing of it is new
    const again = await ing.ingest(Buffer.from(forwardedAsAttachment([fresh, seen], 'admin@fabrikam.com', 'f22')), meta);
    expect(again.status).toBe('duplicate');
    expect(await jobs()).toHaveLength(2);
  });

  it('claims every report id it can: an id another mail took is named, the others are this mail\'s', async () => {
    const ledger = createLedger(redis, config.redis.prefix);
    await ledger.claimMessageIds('other', [{ messageId: '<r2@x>', errors: 3 }]);
    expect(await ledger.claimMessageIds('mine', [{ messageId: '<r1@x>', errors: 1 }, { messageId: '<r2@x>', errors: 3 }, { messageId: '<r3@x>', errors: 1 }])).toEqual([{ messageId: '<r2@x>', ownerMailId: 'other' }]);
    expect((await ledger.findByMessageId('<r3@x>'))?.mailId).toBe('mine');
    expect((await ledger.findByMessageId('<r2@x>'))?.mailId).toBe('other');
  });

  it('a copy of a report that reads more of its errors than the copy before it (cut off) is queued; one that reads no more is a duplicate', async () => {
    const ing = ingestor();
    const whole = readFileSync(new URL('../../examples/01-contoso-duplicate-upn-proxy-federated.eml', import.meta.url));
    const reportId = '<aadsync-20170905-060451-7712@microsoftonline.com>';
    const cut = await ing.ingest(whole.subarray(0, whole.lastIndexOf('<tr>')), meta);
    expect(cut).toMatchObject({ status: 'queued', reports: [{ reportId, errors: 4 }] });
    const full = await ing.ingest(whole, { ...meta, origin: 'replay-file' });
    expect(full).toMatchObject({ status: 'queued', reports: [{ reportId, errors: 5 }] });
    expect(full.reason).toContain(`reads 5 error(s) of report ${reportId}, ${cut.mailId} read 4`);
    const ledger = createLedger(redis, config.redis.prefix);
    expect(await ledger.findByMessageId(reportId)).toEqual({ mailId: full.mailId, errors: 5 });
    // an id claimed before counts were kept names its mail alone: no copy is known to read more
    await redis.set(`${config.redis.prefix}:ingest:ledger-mid:legacy@microsoftonline.com`, 'f'.repeat(64));
    expect(await ledger.findByMessageId('<legacy@microsoftonline.com>')).toEqual({ mailId: 'f'.repeat(64), errors: null });
    // a forward of the whole report, and the cut copy again in other bytes, read no more
    for (const copy of [whole, whole.subarray(0, whole.lastIndexOf('<tr>'))]) {
      const again = await ing.ingest(Buffer.from(forwardedAsAttachment(copy.toString('latin1'), 'admin@contoso.com', `b17-${copy.length}`), 'latin1'), meta);
      expect(again).toMatchObject({ status: 'duplicate', reason: `report ${reportId} already ingested as ${full.mailId}` });
    }
  });

  it('leaves a mail that is not a report alone: not stored, not queued', async () => {
    const ing = ingestor();
    const res = await ing.ingest(Buffer.from(plainMail('x')), meta);
    expect(res).toMatchObject({ status: 'not-a-report', handled: false });
    expect(readdirSync(storeDir)).toEqual([]);
    expect(await jobs()).toEqual([]);
    expect((await ing.ingest(Buffer.from(plainMail('x')), meta)).status).toBe('not-a-report');
  });

  it('says at info level why a mail is not a report, once: the admin whose forward "did nothing" reads why', async () => {
    const { logger, entries: lines } = recordingLogger('info');
    const ing = ingestor({ logger });
    await ing.ingest(Buffer.from(plainMail('y', 'newsletter@fabrikam.com')), meta);
    await ing.ingest(Buffer.from(plainMail('y', 'newsletter@fabrikam.com')), meta);
    const said = lines.filter((l) => l.code === 'not_a_report');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 30, msg: expect.stringMatching(/^not a sync error report \(subject ".*", /) });
  });

  it('keeps an oversized mail truncated and rejected, never queued, and marked handled', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000003') + 'x'.repeat(30_000));
    const res = await ing.ingest(raw, meta);
    expect(res).toMatchObject({ status: 'rejected', handled: true });
    expect(res.reason).toContain('too-large');
    expect(await ledgerOf(res.mailId)).toMatchObject({ status: 'rejected', reason: res.reason });
    expect(await store.getRecord(res.mailId)).toMatchObject({ truncated: true, size: raw.length });
    expect(await jobs()).toEqual([]);
    // seen again: already handled, nothing read twice
    expect(await ing.ingest(raw, meta)).toMatchObject({ status: 'duplicate', handled: true });
  });

  it('under strict, quarantines a forged report (Microsoft From, no valid DKIM) and still queues the genuine one later', async () => {
    const ms = dkimKey();
    const resolver = fakeResolver({ 'sel._domainkey.microsoftonline.com': ms.txt, '_dmarc.microsoftonline.com': 'v=DMARC1; p=reject' });
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], resolver });
    const ing = ingestor({ trust });
    const forged = reportMail('a0000004', { date: new Date('2026-03-05T00:00:00Z') });
    const res = await ing.ingest(Buffer.from(forged), meta);
    expect(res.status).toBe('quarantined');
    expect(res.reason).toContain('without a DMARC pass');
    expect(await jobs()).toEqual([]);
    expect(await ledgerOf(res.mailId)).toMatchObject({ status: 'quarantined', reason: res.reason });
    const q = await listQuarantine(redis, config.redis.prefix);
    expect(q.map((e) => [e.mailId, e.sender])).toEqual([[res.mailId, 'msonlineservicesteam@microsoftonline.com']]);
    // same Message-ID, genuinely signed: the forgery did not take the report id
    const genuine = reportMail('a0000004');
    expect((await ing.ingest(await dkimSigned(genuine, 'microsoftonline.com', ms.privateKey), meta)).status).toBe('queued');
  });

  it('dry-run tells what would happen and changes nothing', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000005'));
    const dry = await ing.ingest(raw, { ...meta, dryRun: true });
    expect(dry).toMatchObject({ status: 'dry-run', wouldBe: 'queued', handled: false });
    expect(dry.outcome?.ok).toBe(true);
    // nothing but the meta keys BullMQ writes for the test's own queues when they connect
    const written = await redis.keys(`${config.redis.prefix}:*`);
    expect(written.filter((k) => !k.endsWith(':meta'))).toEqual([]);
    expect(readdirSync(storeDir)).toEqual([]);
    expect((await ing.ingest(raw, meta)).status).toBe('queued');
    const dryAgain = await ing.ingest(raw, { ...meta, dryRun: true });
    expect(dryAgain.wouldBe).toBe('duplicate');
    expect(await jobs()).toHaveLength(1);
  });

  it('force re-queues an ingested mail: its report flow gets ids of its own', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000006'));
    const first = await ing.ingest(raw, meta);
    const forced = await ing.ingest(raw, { ...meta, origin: 'replay-file', force: true });
    expect(forced.status).toBe('queued');
    const ids = (await ticketJobs()).map((j) => j.id);
    expect(ids).toHaveLength(2);
    const rerun = (await ledgerOf(first.mailId))!.rerun;
    expect(rerun).toMatch(/^[0-9a-z]+$/);
    expect(ids.sort()).toEqual([first.reports![0]!.ticketJobId, `${first.reports![0]!.ticketJobId}-r${rerun}`].sort());
  });

  it('a crash between claim and enqueue loses nothing: the next sighting queues it, once', async () => {
    let fail = true;
    const queueReports = createReportQueuer({ toReportRef, queues, logger: silentLogger() });
    const ing = ingestor({
      queueReports: async (...args) => {
        if (fail) throw new Error('redis went away');
        return queueReports(...args);
      },
    });
    const raw = Buffer.from(reportMail('a0000007'));
    await expect(ing.ingest(raw, meta)).rejects.toThrow('redis went away');
    fail = false;
    expect((await ing.ingest(raw, meta)).status).toBe('queued');
    expect((await ing.ingest(raw, meta)).status).toBe('duplicate');
    expect(await jobs()).toEqual([mailIdOf(raw)]);
  });

  it('replays an mbox through the same ledger: a second replay adds nothing', async () => {
    const ing = ingestor();
    const file = join(storeDir, '..', `replay-${Date.now()}.mbox`);
    const mails = ['a0000008', 'a0000009', 'a0000010'].map((t) => reportMail(t));
    writeFileSync(file, mails.map((m) => `From MAILER-DAEMON Thu Mar  5 00:00:00 2026\r\n${m.replace(/^(>*From )/gm, '>$1')}\r\n`).join(''));
    const run = async () => {
      const out: string[] = [];
      for await (const input of readMailInputs([file])) out.push((await ing.ingest(input.raw, { origin: 'replay-mbox', receivedAt: new Date() })).status);
      return out;
    };
    try {
      expect(await run()).toEqual(['queued', 'queued', 'queued']);
      expect(await run()).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(await jobs()).toEqual(mails.map((m) => mailIdOf(Buffer.from(m))).sort());
    } finally {
      rmSync(file, { force: true });
    }
  });
});

describe('mailbox cursor (Lua set-if-bigger, same UIDVALIDITY)', () => {
  it('moves forward only, and never across UIDVALIDITY generations', async () => {
    const c = createCursorStore(redis, { prefix: config.redis.prefix, account: 'u', mailbox: 'INBOX' });
    expect(await c.get()).toBeNull();
    expect(await c.advance('100', 5)).toBe(true);
    expect(await c.advance('100', 3)).toBe(false);
    expect(await c.advance('100', 5)).toBe(false);
    expect(await c.advance('101', 50)).toBe(false);
    expect(await c.advance('100', 8)).toBe(true);
    expect(await c.get()).toMatchObject({ uidValidity: '100', lastUid: 8 });
    await c.rebaseline('101', 0);
    expect(await c.advance('100', 9)).toBe(false);
    expect(await c.advance('101', 1)).toBe(true);
    expect(await c.get()).toMatchObject({ uidValidity: '101', lastUid: 1 });
  });
});
