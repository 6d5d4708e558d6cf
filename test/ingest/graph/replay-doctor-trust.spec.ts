import { describe, expect, it, vi } from 'vitest';
import { checkGraphMail } from '../../../src/doctor/graph-mail-check.ts';
import { readGraphFolder } from '../../../src/ingest/graph-replay-reader.ts';
import { createGraphMailListener } from '../../../src/ingest/graph-mail-listener.ts';
import { createMailStore } from '../../../src/ingest/mail-store.ts';
import { createSenderTrust } from '../../../src/ingest/sender-trust.ts';
import { findQuarantined, recordRelease } from '../../../src/ingest/quarantine.ts';
import { requestSweep } from '../../../src/ingest/sweep-request.ts';
import { deliver, findFolder, messagesIn } from '../../fakes/graph/mailbox.ts';
import { fakeResolver, reportMail } from '../helpers.ts';
import { APPS, mailConfig, queuedIngestor, silent, useMailFake } from './harness.ts';

/** Replay from a Graph folder by date, sender trust on Graph's MIME, and doctor's mail check. */

const ctx = useMailFake();


const inbox = () => messagesIn(ctx.box, findFolder(ctx.box, 'inbox')!.id);

describe('replay --graph: a folder and a date range', () => {
  it('reads the mails received in [since, until) through $filter on receivedDateTime, changes nothing, and goes through the ledger', async () => {
    const config = mailConfig(ctx.fake, 'readWrite', { GRAPH_MAIL_PAGE_SIZE: '2' });
    const at = (d: string) => new Date(`2026-03-${d}T10:00:00Z`);
    for (const [t, d] of [['r1', '01'], ['r2', '03'], ['r3', '04'], ['r4', '05'], ['r5', '09']] as const) deliver(ctx.box, reportMail(`replay-${t}`), { receivedDateTime: at(d) });
    const read = [];
    for await (const m of readGraphFolder(config, { since: at('03'), until: at('09') })) read.push(m);
    expect(read.map((m) => m.receivedAt.toISOString())).toEqual([at('03'), at('04'), at('05')].map((d) => d.toISOString()));
    expect(read[0]!.raw.toString()).toContain('Message-ID: <dirsync-replay-r2@microsoftonline.com>');
    expect(inbox()).toHaveLength(5);
    const q = queuedIngestor(config, ctx.client);
    for (const m of read) await q.ingestor.ingest(m.raw, { origin: 'replay-graph', receivedAt: m.receivedAt });
    for (const m of read) expect((await q.ingestor.ingest(m.raw, { origin: 'replay-graph', receivedAt: m.receivedAt })).status).toBe('duplicate');
    expect(q.jobs.size).toBe(3);
    // a mail whose content Exchange refuses is named and passed over; the others are read
    ctx.fake.mail.failValue('<dirsync-replay-r3@microsoftonline.com>', 500, 'ErrorMimeContentConversionFailed', 'MIME content conversion failed.');
    const refused: string[] = [];
    const again = [];
    for await (const m of readGraphFolder(config, { since: at('03'), until: at('09'), onRefused: (label, reason) => refused.push(`${label}: ${reason}`) })) again.push(m);
    expect(again).toHaveLength(2);
    expect(refused).toEqual([expect.stringMatching(/^graph:.*: Exchange will not give its content \(.*500 ErrorMimeContentConversionFailed/)]);
  });
});

describe('sender trust on the MIME Graph returns', () => {
  it('strict: a report whose Authentication-Results (from a trusted authserv-id) say dmarc=pass is queued and moved; a forged one is quarantined and left in place, and moved at the next poll once released', async () => {
    const config = mailConfig(ctx.fake, 'readWrite', { TRUST_POLICY: 'strict', TRUSTED_AUTHSERV_IDS: 'mx.contoso.com' });
    const trust = createSenderTrust({ policy: 'strict', allowedForwarders: [], trustedAuthServIds: ['mx.contoso.com'], resolver: fakeResolver({}) });
    const q = queuedIngestor(config, ctx.client, trust);
    const genuine = `Authentication-Results: mx.contoso.com; spf=pass smtp.mailfrom=microsoftonline.com;\r\n dmarc=pass (p=reject) header.from=MicrosoftOnline.com\r\n${reportMail('trust-ok')}`;
    deliver(ctx.box, genuine);
    deliver(ctx.box, reportMail('trust-forged'));
    const listener = createGraphMailListener({ config, redis: ctx.client, ingestor: q.ingestor, logger: silent() });
    // an earlier release's request, which the first poll answers
    await requestSweep(ctx.client, config.redis.prefix);
    await listener.syncNow();
    expect([...q.jobs.values()]).toHaveLength(1);
    expect(inbox().map((m) => m.internetMessageId)).toEqual(['<dirsync-trust-forged@microsoftonline.com>']);

    // an admin releases it (as `quarantine release` does: the stored mail, vouched for, then the sweep request)
    const [held] = await findQuarantined(ctx.client, config.redis.prefix, { all: true });
    const stored = await createMailStore({ dir: config.ingest.storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: 1 }).get(held!.mailId);
    expect((await q.ingestor.ingest(stored!.raw, { origin: 'graph', receivedAt: new Date(), force: true, vouched: 'released by admin' })).status).toBe('queued');
    // from a host whose clock runs an hour behind the listener's: the request is answered all the same
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - 3_600_000 });
    await recordRelease(ctx.client, config.redis.prefix, { ...held!, released: { by: 'admin', at: new Date().toISOString() } });
    vi.useRealTimers();
    // the next poll sees it still in the folder (the delta would not show it again) and moves it, queueing nothing twice
    await listener.syncNow();
    expect(inbox()).toEqual([]);
    expect([...q.jobs.values()]).toHaveLength(2);
    // one full round per request: later polls are deltas again (a mail left in the folder is not fetched again)
    deliver(ctx.box, ['From: colleague@contoso.com', 'To: reports@contoso.com', 'Subject: lunch?', 'Message-ID: <lunch-gm@contoso.com>', '', 'Pizza?', ''].join('\r\n'));
    await listener.syncNow();
    const values = ctx.fake.mail.stats.valueRequests;
    await listener.syncNow();
    expect(ctx.fake.mail.stats.valueRequests).toBe(values);
    expect(inbox()).toHaveLength(1);
    // a restart (a new listener, as a new process would have) knows the request was answered: a delta, no full round again (blind42 K3)
    const restarted = createGraphMailListener({ config, redis: ctx.client, ingestor: q.ingestor, logger: silent() });
    await restarted.syncNow();
    expect(ctx.fake.mail.stats.valueRequests).toBe(values);
  });
});

describe('doctor: the Graph mail source', () => {
  it('passes with Mail.ReadWrite and the mailbox in scope', async () => {
    const [r] = await checkGraphMail(mailConfig(ctx.fake, 'readWrite'));
    expect(r).toMatchObject({ status: 'pass' });
    expect(r!.detail).toContain('Mail.ReadWrite');
  });

  it('names a missing permission (no Mail.* at all, or only Mail.Read) and its fix', async () => {
    const [none] = await checkGraphMail(mailConfig(ctx.fake, 'none'));
    expect(none).toMatchObject({ status: 'fail' });
    expect(none!.detail).toContain('no mail permission');
    expect(none!.fix).toContain('Mail.ReadWrite');
    expect(none!.fix).toContain('admin consent');
    // the least-privilege way first: Exchange's grant on the one mailbox
    expect(none!.fix).toMatch(/^either let the app into .* New-ManagementRoleAssignment/);
    // Mail.Read reads the folder, and Exchange may grant the rest: a warning, with how to check it
    const [readOnly] = await checkGraphMail(mailConfig(ctx.fake, 'readOnly'));
    expect(readOnly).toMatchObject({ status: 'warn' });
    expect(readOnly!.detail).toContain('Mail.Read, which cannot move messages nor set categories');
    expect(readOnly!.fix).toContain('Test-ServicePrincipalAuthorization');
    expect(readOnly!.fix).toContain('Mail.Read cannot move messages nor set categories');
  });

  it('passes the least-privilege setup: no mail permission in the token, Mail.ReadWrite granted by Exchange on the mailbox alone (blind42 K1)', async () => {
    const [r] = await checkGraphMail(mailConfig(ctx.fake, 'exchangeScoped'));
    expect(r).toMatchObject({ status: 'pass' });
    expect(r!.detail).toContain('Exchange grants the app dirsync-reports@contoso.com (RBAC for Applications, which the token does not show)');
    expect(r!.detail).toContain(`Test-ServicePrincipalAuthorization -Identity ${APPS.exchangeScoped.clientId} -Resource dirsync-reports@contoso.com`);
  });

  it('names an out-of-scope mailbox (403 ErrorAccessDenied with the permission in the token) and the Exchange commands that fix it', async () => {
    const [r] = await checkGraphMail(mailConfig(ctx.fake, 'outOfScope'));
    expect(r).toMatchObject({ status: 'fail' });
    expect(r!.detail).toContain('Exchange denies access');
    expect(r!.fix).toContain('New-ManagementRoleAssignment');
    expect(r!.fix).toContain('"Application Mail.ReadWrite"');
    expect(r!.fix).toContain('New-ApplicationAccessPolicy');
  });

  it('names an unknown mailbox and a missing folder', async () => {
    const [mb] = await checkGraphMail(mailConfig(ctx.fake, 'readWrite', { GRAPH_MAILBOX: 'nobody@contoso.com' }));
    expect(mb!.fix).toContain('GRAPH_MAILBOX');
    const [folder] = await checkGraphMail(mailConfig(ctx.fake, 'readWrite', { GRAPH_MAIL_FOLDER: 'Inbox/NoSuchFolder' }));
    expect(folder!.fix).toContain('GRAPH_MAIL_FOLDER');
  });
});
