import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../schemas/config.schema.ts';
import type { ParseJob } from '../../schemas/jobs.schema.ts';
import { createCursorStore } from '../../src/ingest/cursor.ts';
import { createIngestor, type IngestorDeps } from '../../src/ingest/ingest-mail.ts';
import { readMailInputs } from '../../src/ingest/mail-files.ts';
import { createMailStore, mailIdOf, type MailStore } from '../../src/ingest/mail-store.ts';
import { createSenderTrust, listQuarantine } from '../../src/ingest/sender-trust.ts';
import { services } from '../helpers/services.ts';
import { dkimKey, fakeResolver, forwardedAsAttachment, plainMail, reportMail, silentLogger, testConfig } from './helpers.ts';

let redis: Redis;
let queue: Queue;
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
  queue = new Queue('parse', { connection: redis.duplicate(), prefix: config.redis.prefix });
});
afterEach(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
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
    enqueueParse: async (job: ParseJob, { jobId }) => {
      await queue.add('parse', job, { jobId });
    },
    ...overrides,
  });
}
const meta = { origin: 'imap' as const, receivedAt: new Date('2026-03-04T08:00:00Z') };
const jobs = async () => (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((j) => j.id).sort();

describe('ingest (real Redis, real BullMQ queue)', () => {
  it("keeps a fast worker's verdict: the stored status is not reset to queued after the job was added", async () => {
    // the worker (here: inside enqueueParse) finishes the job before ingest() returns
    const ing = ingestor({
      enqueueParse: async (job, { jobId }) => {
        await queue.add('parse', job, { jobId });
        await store.setStatus(job.mailId, 'parsed', null);
      },
    });
    const raw = Buffer.from(reportMail('a0000fa5'));
    expect((await ing.ingest(raw, meta)).status).toBe('queued');
    expect((await store.getRecord(mailIdOf(raw)))?.status).toBe('parsed');
    // a forced re-run resets the status before its job exists, and keeps the worker's again
    const forced = ingestor({
      enqueueParse: async (job, { jobId }) => {
        expect((await store.getRecord(job.mailId))?.status).toBe('queued');
        await queue.add('parse', job, { jobId });
        await store.setStatus(job.mailId, 'rejected', 'unreadable: test');
      },
    });
    expect((await forced.ingest(raw, { ...meta, force: true })).status).toBe('queued');
    expect((await store.getRecord(mailIdOf(raw)))?.status).toBe('rejected');
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
    const job = await queue.getJob(mailIdOf(raw));
    expect(job?.data).toEqual({ mailId: mailIdOf(raw), origin: 'imap', receivedAt: '2026-03-04T08:00:00.000Z', envelopeFrom: null });
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

  it('leaves a mail that is not a report alone: not stored, not queued', async () => {
    const ing = ingestor();
    const res = await ing.ingest(Buffer.from(plainMail('x')), meta);
    expect(res).toMatchObject({ status: 'not-a-report', handled: false });
    expect(readdirSync(storeDir)).toEqual([]);
    expect(await jobs()).toEqual([]);
    expect((await ing.ingest(Buffer.from(plainMail('x')), meta)).status).toBe('not-a-report');
  });

  it('keeps an oversized mail truncated and rejected, never queued', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000003') + 'x'.repeat(30_000));
    const res = await ing.ingest(raw, meta);
    expect(res.status).toBe('rejected');
    expect(res.reason).toContain('too-large');
    expect((await store.getRecord(res.mailId))?.status).toBe('rejected');
    expect(await jobs()).toEqual([]);
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
    expect((await store.getRecord(res.mailId))?.status).toBe('quarantined');
    const q = await listQuarantine(redis, config.redis.prefix);
    expect(q.map((e) => [e.mailId, e.sender])).toEqual([[res.mailId, 'msonlineservicesteam@microsoftonline.com']]);
    // same Message-ID, genuinely signed: the forgery did not take the report id
    const genuine = reportMail('a0000004');
    const { dkimSign } = await import('mailauth');
    const signed = await dkimSign(genuine, {
      ...{ signingDomain: 'microsoftonline.com', selector: 'sel', privateKey: ms.privateKey },
      signatureData: [{ signingDomain: 'microsoftonline.com', selector: 'sel', privateKey: ms.privateKey }],
    });
    expect((await ing.ingest(Buffer.from(signed.signatures + genuine), meta)).status).toBe('queued');
  });

  it('dry-run tells what would happen and changes nothing', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000005'));
    const dry = await ing.ingest(raw, { ...meta, dryRun: true });
    expect(dry).toMatchObject({ status: 'dry-run', wouldBe: 'queued', handled: false });
    expect(dry.outcome?.ok).toBe(true);
    // nothing but the meta key BullMQ writes for the test's own queue when it connects
    const written = await redis.keys(`${config.redis.prefix}:*`);
    expect(written.filter((k) => k !== `${config.redis.prefix}:parse:meta`)).toEqual([]);
    expect(readdirSync(storeDir)).toEqual([]);
    expect((await ing.ingest(raw, meta)).status).toBe('queued');
    const dryAgain = await ing.ingest(raw, { ...meta, dryRun: true });
    expect(dryAgain.wouldBe).toBe('duplicate');
    expect(await jobs()).toHaveLength(1);
  });

  it('force re-queues an ingested mail under a new job id', async () => {
    const ing = ingestor();
    const raw = Buffer.from(reportMail('a0000006'));
    await ing.ingest(raw, meta);
    const forced = await ing.ingest(raw, { ...meta, origin: 'replay-file', force: true });
    expect(forced.status).toBe('queued');
    const ids = await jobs();
    expect(ids).toHaveLength(2);
    expect(ids.filter((id) => id !== mailIdOf(raw))[0]).toMatch(new RegExp(`^${mailIdOf(raw)}-r[0-9a-z]+$`));
  });

  it('a crash between claim and enqueue loses nothing: the next sighting queues it, once', async () => {
    let fail = true;
    const ing = ingestor({
      enqueueParse: async (job, { jobId }) => {
        if (fail) throw new Error('redis went away');
        await queue.add('parse', job, { jobId });
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
