import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createGraphMailListener } from '../../../src/ingest/graph-mail-listener.ts';
import { graphMailboxFromConfig } from '../../../src/ingest/graph-mailbox.ts';
import type { Ingestor } from '../../../src/ingest/ingest-mail.ts';
import { listSetAside } from '../../../src/cli/failed.ts';
import { releaseSetAside, setAsideMessages } from '../../../src/ingest/set-aside.ts';
import { deleteFolder, deliver, findFolder, messagesIn } from '../../fakes/graph/mailbox.ts';
import { reportMail } from '../helpers.ts';
import { until } from '../../prove/helpers.ts';
import { mailConfig, queuedIngestor, silent, useMailFake } from './harness.ts';

/**
 * The Graph mail listener through the real Graph client and @azure/identity against the
 * fake's mail endpoints: new reports are queued once and moved (or tagged) after; a crash
 * mid-round, an expired delta, a reset, and the same mail twice queue nothing twice; the
 * mailbox limits (4 in flight, 429 with Retry-After) are kept.
 */

const ctx = useMailFake();
let n = 0;
const tag = () => `gm${Date.now().toString(36)}${(n++).toString(36)}`;

function setup(extra: Record<string, string> = {}, wrap?: (inner: Ingestor) => Ingestor) {
  const config = mailConfig(ctx.fake, 'readWrite', { GRAPH_MAIL_PAGE_SIZE: '2', ...extra });
  const q = queuedIngestor(config, ctx.client);
  const ingestor = wrap ? wrap(q.ingestor) : q.ingestor;
  const listener = () => createGraphMailListener({ config, redis: ctx.client, ingestor, logger: silent(), mailbox: graphMailboxFromConfig(config) });
  return { config, q, listener };
}

const inbox = () => messagesIn(ctx.box, findFolder(ctx.box, 'inbox')!.id);
const processed = () => {
  const f = ctx.box.folders.find((x) => x.displayName === 'Processed');
  return f ? messagesIn(ctx.box, f.id) : [];
};

describe('graph mail listener', () => {
  it('queues each new report once and moves it to Processed only after; a later round fetches nothing again', async () => {
    const { q, listener } = setup();
    const tags = [tag(), tag(), tag(), tag(), tag()];
    for (const t of tags) deliver(ctx.box, reportMail(t));
    const l = listener();
    await l.syncNow();
    expect(q.jobs.size).toBe(5);
    expect(inbox()).toHaveLength(0);
    expect(processed().map((m) => m.internetMessageId).sort()).toEqual(tags.map((t) => `<dirsync-${t}@microsoftonline.com>`).sort());
    // 5 mails in pages of 2: three pages, the last with the deltaLink
    expect(ctx.fake.mail.stats.deltaRequests).toBe(3);
    const values = ctx.fake.mail.stats.valueRequests;
    const t6 = tag();
    deliver(ctx.box, reportMail(t6));
    await l.syncNow();
    expect(q.jobs.size).toBe(6);
    expect(ctx.fake.mail.stats.valueRequests).toBe(values + 1);
    await l.syncNow();
    expect(ctx.fake.mail.stats.valueRequests).toBe(values + 1);
    expect(l.health()).toMatchObject({ connected: true, lastError: null, ingested: 6 });
  });

  it('the same report arriving twice (two copies) is queued once; both copies are handled', async () => {
    const { q, listener } = setup();
    const t = tag();
    deliver(ctx.box, reportMail(t));
    deliver(ctx.box, reportMail(t));
    await listener().syncNow();
    expect(q.jobs.size).toBe(1);
    expect(processed()).toHaveLength(2);
  });

  it('a crash mid-round (after 3 of 7 mails) and a new process: every report queued exactly once', async () => {
    let ingested = 0;
    const crashing = (inner: Ingestor): Ingestor => ({
      async ingest(raw, meta) {
        if (++ingested === 4) throw new Error('simulated crash');
        return inner.ingest(raw, meta);
      },
    });
    const { q, listener } = setup({}, crashing);
    const tags = Array.from({ length: 7 }, tag);
    for (const t of tags) deliver(ctx.box, reportMail(t));
    await expect(listener().syncNow()).rejects.toThrow('simulated crash');
    expect(q.jobs.size).toBe(3);
    // the second page was not finished: its mails are still in the inbox, its link not saved
    expect(inbox().length).toBeGreaterThanOrEqual(4);
    await listener().syncNow();
    expect(q.jobs.size).toBe(7);
    expect(q.adds).toBe(7);
    expect(inbox()).toHaveLength(0);
  });

  for (const kind of ['syncStateNotFound', 'resyncRequired'] as const) {
    it(`an expired delta (410 ${kind}) starts a full round through the ledger: nothing queued twice`, async () => {
      const { q, listener } = setup({ GRAPH_MARK_CATEGORY: 'syncdesk-handled' });
      const l = listener();
      for (let i = 0; i < 3; i++) deliver(ctx.box, reportMail(tag()));
      await l.syncNow();
      expect(q.jobs.size).toBe(3);
      // category mode: the handled mails stay in the inbox, tagged
      expect(inbox().every((m) => m.categories.includes('syncdesk-handled'))).toBe(true);
      deliver(ctx.box, reportMail(tag()));
      ctx.fake.mail.expireDeltaTokens(kind);
      const values = ctx.fake.mail.stats.valueRequests;
      await l.syncNow();
      expect(ctx.fake.mail.stats.log.some((e) => e.status === 410)).toBe(true);
      expect(l.health().resyncs).toBe(1);
      expect(q.jobs.size).toBe(4);
      expect(q.adds).toBe(4);
      // tagged mails are skipped before their MIME is fetched
      expect(ctx.fake.mail.stats.valueRequests).toBe(values + 1);
      expect(inbox().every((m) => m.categories.includes('syncdesk-handled'))).toBe(true);
    });
  }

  it('an expired delta in move mode: the full round sees only what is still in the folder', async () => {
    const { q, listener } = setup();
    const l = listener();
    for (let i = 0; i < 3; i++) deliver(ctx.box, reportMail(tag()));
    await l.syncNow();
    const t = tag();
    deliver(ctx.box, reportMail(t));
    ctx.fake.mail.expireDeltaTokens();
    await l.syncNow();
    expect(q.jobs.size).toBe(4);
    expect(processed()).toHaveLength(4);
  });

  it('keeps at most 4 requests in flight to the mailbox, and waits out 429 Retry-After', async () => {
    const { q, listener } = setup({ GRAPH_MAIL_PAGE_SIZE: '12' });
    for (let i = 0; i < 12; i++) deliver(ctx.box, reportMail(tag()));
    ctx.fake.mail.latencyMs = 40;
    await listener().syncNow();
    expect(q.jobs.size).toBe(12);
    expect(ctx.fake.mail.stats.maxInFlight).toBeLessThanOrEqual(4);
    expect(ctx.fake.mail.stats.maxInFlight).toBeGreaterThanOrEqual(3);
    expect(ctx.fake.mail.stats.log.filter((e) => e.status === 429)).toHaveLength(0);

    ctx.fake.mail.resetStats();
    ctx.fake.mail.latencyMs = 0;
    deliver(ctx.box, reportMail(tag()));
    ctx.fake.mail.throttleNext(1, 2);
    const t0 = Date.now();
    await listener().syncNow();
    expect(q.jobs.size).toBe(13);
    const log = ctx.fake.mail.stats.log;
    const throttled = log.findIndex((e) => e.status === 429);
    expect(throttled).toBeGreaterThanOrEqual(0);
    const retried = log[throttled + 1]!;
    process.stdout.write(`graph mail: 429 Retry-After 2 s, next request after ${retried.at - log[throttled]!.at} ms; round ${Date.now() - t0} ms\n`);
    expect(retried.at - log[throttled]!.at).toBeGreaterThanOrEqual(1900);
  });

  it("a mail whose content Exchange refuses (an S/MIME bounce: 500 ErrorMimeContentConversionFailed) is set aside and left in the folder; every other report goes on; the admin's retry tries it again", async () => {
    const { q, config, listener } = setup();
    const tags = Array.from({ length: 5 }, tag);
    for (const t of tags) deliver(ctx.box, reportMail(t));
    const smime = `<dirsync-${tags[1]}@microsoftonline.com>`;
    ctx.fake.mail.failValue(smime, 500, 'ErrorMimeContentConversionFailed', 'MIME content conversion failed.');
    const l = listener();
    await l.syncNow();
    // the others, on its page and after it, are queued and moved
    expect(q.jobs.size).toBe(4);
    expect(inbox().map((m) => m.internetMessageId)).toEqual([smime]);
    const [held] = await setAsideMessages(ctx.client, config.redis.prefix);
    expect(held).toMatchObject({ internetMessageId: smime, mailbox: config.graphMail.mailbox });
    expect(held!.reason).toMatch(/500 ErrorMimeContentConversionFailed: MIME content conversion failed/);
    const listed = await listSetAside(ctx.client, config.redis.prefix);
    expect(listed[0]).toMatchObject({ queue: 'mailbox', id: held!.id, code: 'MessageContentRefused' });
    // passed over from now on, even in a full round
    ctx.fake.mail.expireDeltaTokens();
    const values = ctx.fake.mail.stats.valueRequests;
    await l.syncNow();
    expect(ctx.fake.mail.stats.valueRequests).toBe(values);
    // the admin puts it back (Exchange reads it now): the next poll reads the folder in full, and it goes through
    ctx.fake.mail.failValue(smime, 500, 'ErrorMimeContentConversionFailed', 'MIME content conversion failed.', 0);
    await releaseSetAside(ctx.client, config.redis.prefix, [held!.id]);
    await l.syncNow();
    expect(q.jobs.size).toBe(5);
    expect(inbox()).toEqual([]);
  });

  it('a 503 for one mail every time (the client retried it): the mailbox stays connected, the others flow, and it is set aside after three rounds like a 500 (blind42 K2)', async () => {
    const { q, config, listener } = setup();
    const tags = Array.from({ length: 3 }, tag);
    for (const t of tags) deliver(ctx.box, reportMail(t));
    const busy = `<dirsync-${tags[1]}@microsoftonline.com>`;
    ctx.fake.mail.failValue(busy, 503, 'ServiceUnavailable', 'Service Unavailable', Infinity, { 'Retry-After': '0' });
    const l = listener();
    // (pages of two: the round stops after the page that failed, to read it again)
    await expect(l.syncNow()).rejects.toMatchObject({ code: 'MessageContentFailed', message: expect.stringContaining('503 ServiceUnavailable') });
    expect(q.jobs.size).toBe(1);
    // polling as `start` does: the mailbox is never reported down meanwhile (readyz, mailbox_connected)
    const polling = createGraphMailListener({ config, redis: ctx.client, ingestor: q.ingestor, logger: silent(), mailbox: graphMailboxFromConfig(config), pollMs: 20 });
    polling.start();
    try {
      await until('the mail set aside', async () => (await setAsideMessages(ctx.client, config.redis.prefix)).length > 0, 20_000, 20);
    } finally {
      await polling.stop();
    }
    expect(polling.health()).toMatchObject({ connected: true, reconnects: 0, lastError: null });
    expect((await setAsideMessages(ctx.client, config.redis.prefix)).map((m) => [m.internetMessageId, m.attempts])).toEqual([[busy, 3]]);
    await until('the report after it', async () => q.jobs.size === 2, 10_000, 20);
    expect(inbox().map((m) => m.internetMessageId)).toEqual([busy]);
  });

  it('a 500 for one mail: the others of its page are queued and moved at once; it is tried again each round, and set aside after three', async () => {
    const { q, config, listener } = setup();
    const tags = Array.from({ length: 3 }, tag);
    for (const t of tags) deliver(ctx.box, reportMail(t));
    const broken = `<dirsync-${tags[0]}@microsoftonline.com>`;
    ctx.fake.mail.failValue(broken, 500, 'ErrorInternalServerError', 'An internal server error occurred.');
    const l = listener();
    // Graph's words reach the log (the client reads a failed $value's body as bytes)
    await expect(l.syncNow()).rejects.toThrow(/ErrorInternalServerError: An internal server error occurred/);
    expect(q.jobs.size).toBe(1);
    expect(inbox().map((m) => m.internetMessageId)).toEqual([broken, `<dirsync-${tags[2]}@microsoftonline.com>`]);
    await expect(l.syncNow()).rejects.toThrow(/ErrorInternalServerError/);
    await l.syncNow();
    expect((await setAsideMessages(ctx.client, config.redis.prefix)).map((m) => [m.internetMessageId, m.attempts])).toContainEqual([broken, 3]);
    // the round went on past it: the next page's report, and later ones, flow
    expect(q.jobs.size).toBe(2);
    deliver(ctx.box, reportMail(tag()));
    await l.syncNow();
    expect(q.jobs.size).toBe(3);
  });

  it('a mail gone between the delta and its $value (404, moved by someone): passed over and said, the others queued in the same round', async () => {
    const { q, config } = setup();
    const tags = Array.from({ length: 3 }, tag);
    for (const t of tags) deliver(ctx.box, reportMail(t));
    ctx.fake.mail.failValue(`<dirsync-${tags[0]}@microsoftonline.com>`, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    await createGraphMailListener({ config, redis: ctx.client, ingestor: q.ingestor, logger, mailbox: graphMailboxFromConfig(config) }).syncNow();
    expect(q.jobs.size).toBe(2);
    // said with its Message-ID, so the report can be replayed from where it went (blind42 K7)
    expect(lines.filter((l) => l.code === 'mail_gone').map((l) => l.messageId)).toEqual([`<dirsync-${tags[0]}@microsoftonline.com>`]);
  });

  it('the Processed folder deleted while running: made again, and the mail left behind is moved', async () => {
    const { q, listener } = setup();
    const l = listener();
    deliver(ctx.box, reportMail(tag()));
    await l.syncNow();
    deleteFolder(ctx.box, ctx.box.folders.find((f) => f.displayName === 'Processed')!.id);
    deliver(ctx.box, reportMail(tag()));
    deliver(ctx.box, reportMail(tag()));
    // the moves answer "not found": the tickets are made, the mail stays
    await l.syncNow();
    expect(q.jobs.size).toBe(3);
    expect(inbox()).toHaveLength(2);
    // the next poll looks the folder up again, makes it, and moves what stayed behind
    await l.syncNow();
    expect(inbox()).toEqual([]);
    expect(processed()).toHaveLength(2);
    expect(q.jobs.size).toBe(3);
  });

  it('a token Graph stops taking (401 InvalidAuthenticationToken: revoked) is not sent again: the next round signs in afresh', async () => {
    const { q, listener } = setup();
    const l = listener();
    deliver(ctx.box, reportMail(tag()));
    await l.syncNow();
    ctx.fake.revokeTokens();
    deliver(ctx.box, reportMail(tag()));
    await expect(l.syncNow()).rejects.toThrow(/InvalidAuthenticationToken/);
    await l.syncNow();
    expect(q.jobs.size).toBe(2);
  });

  it('mail that is not a report stays in the folder, unmarked; stop() ends the polling', async () => {
    const { q, config } = setup();
    deliver(ctx.box, ['From: colleague@contoso.com', 'To: reports@contoso.com', 'Subject: lunch?', 'Message-ID: <lunch@contoso.com>', '', 'Pizza?', ''].join('\r\n'));
    const l = createGraphMailListener({ config, redis: ctx.client, ingestor: q.ingestor, logger: silent(), pollMs: 50 });
    l.start();
    await new Promise((r) => setTimeout(r, 400));
    await l.stop();
    expect(q.jobs.size).toBe(0);
    expect(inbox()).toHaveLength(1);
    expect(inbox()[0]!.categories).toEqual([]);
    // several polls ran, and the not-a-report was downloaded once
    expect(ctx.fake.mail.stats.deltaRequests).toBeGreaterThanOrEqual(2);
    expect(ctx.fake.mail.stats.valueRequests).toBe(1);
  });
});
