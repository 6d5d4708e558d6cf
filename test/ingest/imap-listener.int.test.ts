import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../schemas/config.schema.ts';
import { createCursorStore } from '../../src/ingest/cursor.ts';
import { readImapFolder } from '../../src/ingest/imap-replay-reader.ts';
import { createImapListener, DEFAULT_TIMING, type ImapListener, type ListenerTiming } from '../../src/ingest/imap-listener.ts';
import { createImapMailSource } from '../../src/ingest/imap-mail-source.ts';
import { createIngestor } from '../../src/ingest/ingest-mail.ts';
import { createMailStore, mailIdOf } from '../../src/ingest/mail-store.ts';
import { listQuarantine, recordRelease } from '../../src/ingest/quarantine.ts';
import type { Logger } from '../../src/logger.ts';
import { restartService, services } from '../helpers/services.ts';
import { startForwardProxy } from '../helpers/forward-proxy.ts';
import { freePort } from '../helpers/ports.ts';
import { plainMail, recordingLogger, reportMail, silentLogger, testConfig } from './helpers.ts';
import { imapAdmin } from '../helpers/imap.ts';
import { recordingQueue, type RecordingQueue } from '../helpers/recording-queue.ts';

let redis: Redis;
let admin: ImapFlow;
let config: Config;
let mailbox: string;
let queue: RecordingQueue;
let storeDir: string;
let listener: ImapListener | null = null;

const FAST = { backoffBaseMs: 200, backoffMaxMs: 1000, jitterMs: 100, stableMs: 60_000, resyncMs: 30_000 };


async function withAdmin<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  if (!admin?.usable) {
    admin = await imapAdmin();
  }
  return fn(admin);
}

async function append(raw: string, date?: Date): Promise<void> {
  await withAdmin((c) => c.append(mailbox, raw, [], date));
}

async function until(cond: () => Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The mails whose reports were queued (since the last `queue.flows.clear()`, a worker taking them). */
const jobIds = async () => [...queue.flows.keys()].sort();

function startListener(extra: { createClient?: (o: ImapFlowOptions) => ImapFlow; timing?: Partial<ListenerTiming>; logger?: Logger } = {}): ImapListener {
  const store = createMailStore({ dir: storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: 30 });
  const ingestor = createIngestor({
    redis,
    store,
    config,
    logger: silentLogger(),
    queueReports: queue.queueReports,
  });
  const source = createImapMailSource(config, { logger: silentLogger(), createClient: extra.createClient, clientOptions: { autoIdleDelay: 300 } });
  const l = createImapListener({ config, redis, ingestor, logger: extra.logger ?? silentLogger(), source, timing: extra.timing ?? FAST });
  l.start();
  listener = l;
  return l;
}

async function flagsOf(): Promise<Map<string, string[]>> {
  return withAdmin(async (c) => {
    const lock = await c.getMailboxLock(mailbox);
    try {
      await c.noop();
      const out = new Map<string, string[]>();
      for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true }, { uid: true }))
        out.set(m.envelope?.messageId ?? m.envelope?.subject ?? String(m.uid), [...(m.flags ?? [])]);
      return out;
    } finally {
      lock.release();
    }
  });
}

beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
  if (admin?.usable) await admin.logout();
});
beforeEach(async () => {
  const s = services();
  mailbox = `t-${randomUUID().slice(0, 8)}`;
  storeDir = mkdtempSync(join(tmpdir(), 'syncdesk-imap-'));
  config = testConfig({
    TRUST_POLICY: 'off',
    MAIL_STORE_DIR: storeDir,
    IMAP_HOST: s.IMAP_HOST,
    IMAP_PORT: s.IMAP_TLS_PORT,
    IMAP_SECURE: 'true',
    IMAP_TLS_CA: s.IMAP_TLS_CA,
    IMAP_USER: s.IMAP_USER,
    IMAP_PASSWORD: s.IMAP_PASSWORD,
    IMAP_MAILBOX: mailbox,
    IMAP_PROCESSED_FOLDER: `${mailbox}-done`,
  });
  await withAdmin((c) => c.mailboxCreate(mailbox));
  queue = recordingQueue();
});
afterEach(async () => {
  await listener?.stop();
  listener = null;
  rmSync(storeDir, { recursive: true, force: true });
});

describe('IMAP listener (real Dovecot, real Redis)', () => {
  it('says why it cannot connect in the server\'s own words (a refused login, a missing mailbox), not "Command failed"', async () => {
    config = { ...config, imap: { ...config.imap, password: 'not-the-password' } };
    const refused = startListener();
    await until(async () => refused.health().lastError !== null, 20_000, 'a failed login');
    expect(refused.health().lastError).toMatch(/^login refused: .*AUTHENTICATIONFAILED|^login refused: .*[Aa]uthentication failed/);
    await refused.stop();
    config = { ...config, imap: { ...config.imap, password: services().IMAP_PASSWORD!, mailbox: `${mailbox}-missing` } };
    const missing = startListener();
    await until(async () => missing.health().lastError !== null, 20_000, 'a missing mailbox');
    expect(missing.health().lastError).toMatch(/^[Mm]ailbox doesn't exist/);
  });

  it('queues an appended report once, marks it with the keyword, leaves other mail untouched', async () => {
    await append(reportMail('b0000001'));
    await append(plainMail('b1'));
    const l = startListener();
    await until(async () => (await jobIds()).length === 1, 20_000, 'first job');
    expect(await jobIds()).toEqual([mailIdOf(Buffer.from(reportMail('b0000001')))]);
    // new mail while idling
    await until(async () => l.health().lastSyncAt !== null);
    await append(reportMail('b0000002'));
    await until(async () => (await jobIds()).length === 2, 20_000, 'second job');
    const marked = async (id: string) => ((await flagsOf()).get(id) ?? []).includes('$SyncdeskHandled');
    await until(async () => (await marked('<dirsync-b0000001@microsoftonline.com>')) && (await marked('<dirsync-b0000002@microsoftonline.com>')), 10_000, 'keywords');
    const flags = await flagsOf();
    expect(flags.get('<b1@fabrikam.com>')).toEqual([]);
    // restart after the workers took the jobs (removeOnComplete): nothing is queued again
    await l.stop();
    queue.flows.clear();
    expect(await jobIds()).toEqual([]);
    const again = startListener();
    await until(async () => again.health().lastSyncAt !== null);
    await again.syncNow();
    expect(await jobIds()).toEqual([]);
    const h = again.health();
    expect(h.connected).toBe(true);
    expect(h.connectedAt).toBeInstanceOf(Date);
  });

  it('reads the mailbox through IMAP_PROXY (a host that reaches its IMAP server only through an HTTP CONNECT proxy)', async () => {
    // IMAP at a port where nothing listens: only the proxy, which tunnels it to Dovecot, reaches it
    const unreachable = `127.0.0.1:${await freePort()}`;
    const proxy = await startForwardProxy({ [unreachable]: `${services().IMAP_HOST}:${services().IMAP_TLS_PORT}` });
    try {
      config = { ...config, imap: { ...config.imap, port: Number(unreachable.split(':')[1]), proxy: proxy.url } };
      await append(reportMail('p0000001'));
      const l = startListener();
      await until(async () => (await jobIds()).length === 1, 20_000, 'the report, through the proxy');
      // the new mail comes while it idles, through the same tunnel
      await until(async () => l.health().lastSyncAt !== null);
      await append(reportMail('p0000002'));
      await until(async () => (await jobIds()).length === 2, 20_000, 'the second report, through the proxy');
      expect(proxy.seen.length).toBeGreaterThan(0);
      expect(new Set(proxy.seen)).toEqual(new Set([unreachable]));
      await l.stop();
    } finally {
      await proxy.close();
    }
  });

  it('ingests a burst of 50 mails exactly once', async () => {
    const l = startListener();
    await until(async () => l.health().lastSyncAt !== null);
    const mails = Array.from({ length: 50 }, (_, i) => reportMail(`c${String(i).padStart(7, '0')}`));
    await withAdmin(async (c) => {
      for (const m of mails) await c.append(mailbox, m);
    });
    // well inside resyncMs (30 s): the EXISTS of the burst alone must bring every mail in
    await until(async () => (await jobIds()).length >= 50, 20_000, '50 jobs');
    await l.syncNow();
    expect(await jobIds()).toEqual(mails.map((m) => mailIdOf(Buffer.from(m))).sort());
    expect(l.health().ingested).toBe(50);
  });

  it('Dovecot killed and restarted during IDLE: nothing lost, nothing duplicated', async () => {
    const l = startListener();
    await append(reportMail('d0000001'));
    await until(async () => (await jobIds()).length === 1, 20_000, 'first job');
    queue.flows.clear(); // a re-ingest of d0000001 after the reconnect would show up as a new job
    await new Promise((r) => setTimeout(r, 800)); // let it settle into IDLE
    await restartService('dovecot', { kill: true });
    await append(reportMail('d0000002'));
    await append(reportMail('d0000003'));
    await until(async () => (await jobIds()).length === 2, 30_000, 'jobs after the restart');
    await until(async () => l.health().connected);
    await l.syncNow();
    expect(await jobIds()).toEqual(['d0000002', 'd0000003'].map((t) => mailIdOf(Buffer.from(reportMail(t)))).sort());
    expect(l.health().reconnects).toBeGreaterThanOrEqual(1);
  });

  it('a UIDVALIDITY change (mailbox deleted, recreated, refilled) re-ingests nothing', async () => {
    const old = ['e0000001', 'e0000002', 'e0000003'].map((t) => reportMail(t));
    for (const m of old) await append(m);
    let l = startListener();
    await until(async () => (await jobIds()).length === 3, 20_000, '3 jobs');
    await l.stop();
    queue.flows.clear(); // the workers took them: only the ledger remembers these mails now
    const cursors = createCursorStore(redis, { prefix: config.redis.prefix, account: config.imap.user!, mailbox });
    const before = await cursors.get();
    await withAdmin(async (c) => {
      await c.mailboxDelete(mailbox);
      await c.mailboxCreate(mailbox);
    });
    for (const m of old) await append(m);
    await append(reportMail('e0000004'));
    l = startListener();
    await until(async () => (await jobIds()).length === 1, 20_000, 'the one new job');
    await until(async () => (await cursors.get())?.lastUid === 4);
    await l.syncNow();
    const after = await cursors.get();
    expect(after?.uidValidity).not.toBe(before?.uidValidity);
    expect(await jobIds()).toEqual([mailIdOf(Buffer.from(reportMail('e0000004')))]);
  });

  it('a watched mailbox deleted and recreated while it runs: a report appended to the new one is queued within about a minute, nothing re-ingested', async () => {
    await append(reportMail('g0000001'));
    // the service's own resync: only the connection timings are the fast ones
    const l = startListener({ timing: { ...FAST, resyncMs: DEFAULT_TIMING.resyncMs } });
    await until(async () => (await jobIds()).length === 1, 20_000, 'the first job');
    await until(async () => l.health().lastSyncAt !== null);
    queue.flows.clear();
    await withAdmin(async (c) => {
      await c.mailboxDelete(mailbox);
      await c.mailboxCreate(mailbox);
    });
    await append(reportMail('g0000001')); // the same mail again, as a restore from backup would bring it
    await append(reportMail('g0000002'));
    // Dovecot keeps the old session silent for ~5 min; the resync selects the new mailbox
    await until(async () => (await jobIds()).length === 1, 90_000, 'the new report queued');
    expect(await jobIds()).toEqual([mailIdOf(Buffer.from(reportMail('g0000002')))]);
    const cursors = createCursorStore(redis, { prefix: config.redis.prefix, account: config.imap.user!, mailbox });
    await until(async () => (await cursors.get())?.lastUid === 2, 5_000, 'the cursor on the new mailbox');
    expect(l.health().connected).toBe(true);
  }, 120_000);

  it('a stop in the middle of a catch-up is no failure: no warning, and the rest is read at the next start', async () => {
    for (let i = 0; i < 40; i++) await append(reportMail(`h${String(i).padStart(7, '0')}`));
    const { logger, entries: warnings } = recordingLogger('warn');
    const l = startListener({ logger });
    await until(async () => (await jobIds()).length >= 1, 20_000, 'the first job');
    await l.stop();
    expect((await jobIds()).length).toBeLessThan(40); // stopped mid-way
    expect(warnings).toEqual([]);
    startListener();
    await until(async () => (await jobIds()).length === 40, 30_000, 'all 40 after the restart');
  });

  it('a mail released from quarantine while the listener runs is marked handled at its next resync, not an hour later', async () => {
    config = { ...config, ingest: { ...config.ingest, trustPolicy: 'strict' } }; // the unsigned sample is held back
    const raw = reportMail('k0000001');
    await append(raw);
    startListener({ timing: { ...FAST, resyncMs: 1_000 } });
    const held = async () => listQuarantine(redis, config.redis.prefix);
    await until(async () => (await held()).length === 1, 20_000, 'the mail quarantined');
    expect((await flagsOf()).get('<dirsync-k0000001@microsoftonline.com>')).not.toContain('$SyncdeskHandled');
    // what `syncdesk quarantine release` does, from another process: the mail ingested on the admin's word, the release recorded
    const store = createMailStore({ dir: storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: 30 });
    const admin = createIngestor({ redis, store, config, logger: silentLogger(), queueReports: queue.queueReports });
    const [entry] = await held();
    expect((await admin.ingest(Buffer.from(raw), { origin: 'imap', receivedAt: new Date(), force: true, vouched: 'released in a test' })).status).toBe('queued');
    await recordRelease(redis, config.redis.prefix, { ...entry!, released: { by: 'test', at: new Date().toISOString() } });
    await until(async () => ((await flagsOf()).get('<dirsync-k0000001@microsoftonline.com>') ?? []).includes('$SyncdeskHandled'), 10_000, 'the released mail marked');
  });

  it('two listeners on one mailbox: each warns once that the other watches it too; each mail is still queued once', async () => {
    const { logger: firstLogger, entries: first } = recordingLogger('warn');
    const { logger: secondLogger, entries: second } = recordingLogger('warn');
    const one = startListener({ logger: firstLogger, timing: { ...FAST, resyncMs: 1_000 } });
    await until(async () => one.health().lastSyncAt !== null, 20_000, 'the first listener');
    expect(first).toEqual([]); // alone, it says nothing
    startListener({ logger: secondLogger, timing: { ...FAST, resyncMs: 1_000 } }); // the test's afterEach stops this one
    try {
      await append(reportMail('m0000001'));
      await until(async () => first.length > 0 && second.length > 0, 20_000, 'both warned');
      await new Promise((r) => setTimeout(r, 2_500)); // more resyncs: no more warnings about the same listener
      for (const lines of [first, second]) {
        expect(lines).toHaveLength(1);
        expect(lines[0]!.msg).toMatch(/^another syncdesk listener \(.+\) watches this mailbox too: nothing is ingested twice/);
      }
      expect(await jobIds()).toEqual([mailIdOf(Buffer.from(reportMail('m0000001')))]);
    } finally {
      await one.stop();
    }
  });

  it('a listener restarted at once does not take its former self for a second listener', async () => {
    const { logger, entries: said } = recordingLogger('warn');
    const before = startListener({ timing: { ...FAST, resyncMs: 1_000 } });
    await until(async () => before.health().lastSyncAt !== null, 20_000, 'the first run');
    await before.stop();
    const after = startListener({ logger, timing: { ...FAST, resyncMs: 1_000 } });
    await until(async () => after.health().lastSyncAt !== null, 20_000, 'the second run');
    await new Promise((r) => setTimeout(r, 3_000)); // a few resyncs
    expect(said).toEqual([]);
  });

  it('moves handled mail to the processed folder when the server keeps no keywords (PERMANENTFLAGS without \\*)', async () => {
    await append(reportMail('f0000001'));
    await append(plainMail('f1'));
    const exchangeLike = (o: ImapFlowOptions): ImapFlow => {
      const c = new ImapFlow(o);
      c.on('mailboxOpen', (box: { permanentFlags?: Set<string> }) => box.permanentFlags?.delete('\\*'));
      return c;
    };
    startListener({ createClient: exchangeLike });
    await until(async () => (await jobIds()).length === 1, 20_000, 'job');
    const processed = async (): Promise<number> =>
      withAdmin(async (c) => {
        const st = await c.status(`${mailbox}-done`, { messages: true }).catch(() => false as const);
        return st ? (st.messages ?? 0) : 0;
      });
    await until(async () => (await processed()) === 1, 10_000, 'move');
    const left = await flagsOf();
    expect([...left.entries()]).toEqual([['<f1@fabrikam.com>', []]]);
  });
});

describe('IMAP folder replay reader', () => {
  it('reads only the mails whose INTERNALDATE falls in [since, until), without touching them', async () => {
    const dates = ['2026-01-30T23:30:00Z', '2026-02-01T00:30:00Z', '2026-02-10T12:00:00Z', '2026-02-15T00:00:00Z'];
    for (const [i, d] of dates.entries()) await append(reportMail(`g000000${i}`), new Date(d));
    const got: string[] = [];
    for await (const m of readImapFolder(config, { mailbox, since: new Date('2026-02-01T00:00:00Z'), until: new Date('2026-02-15T00:00:00Z'), logger: silentLogger() }))
      got.push(m.internalDate.toISOString());
    expect(got).toEqual(['2026-02-01T00:30:00.000Z', '2026-02-10T12:00:00.000Z']);
    const flags = await flagsOf();
    expect([...flags.values()].flat()).not.toContain('$SyncdeskHandled');
    expect([...flags.values()].flat()).not.toContain('\\Seen');
  });
});
