import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/app/runtime.ts';
import type { ReplayReport } from '../../src/cli/replay.ts';
import { loadConfig } from '../../src/config.ts';
import { createIngestor } from '../../src/ingest/ingest-mail.ts';
import { createLedger } from '../../src/ingest/ledger.ts';
import { setAside } from '../../src/ingest/set-aside.ts';
import { createLogger } from '../../src/logger.ts';
import { QUEUE_NAMES } from '../../src/queues.ts';
import { services } from '../helpers/services.ts';
import { reportMail } from '../e2e/report-mail.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * `syncdesk failed retry <id> | --all` of mails an admin replayed from files (blind test 17,
 * s07), under a strict sender trust the samples do not pass: a replayed mail was vouched for,
 * and reading it again keeps that word (it was quarantined, and the command said "no failed
 * job"); the start of an id names the mail, as in `quarantine release`; what became of each
 * mail is said, and the exit code is 1 when one is not queued again.
 */

let redis: Redis;
beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

describe('failed retry of replayed mails', () => {
  it('reads them again without sender trust, by a shortened id or --all, and says what became of each', async () => {
    const [dir, prefix] = [tempDir('retry'), `f${uid()}`];
    // strict: the samples are not signed by Microsoft
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), TRUST_POLICY: 'strict' };
    const ledger = createLedger(redis, prefix);

    // a report replayed from a file that the parser gave up on (a stand-in that times out)
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    const flaky = createIngestor({ redis, store: runtime.store, queueReports: runtime.queueReports, config: runtime.config, logger: runtime.logger, parse: async () => ({ ok: false, rejection: { reason: 'timeout', detail: 'parsing took longer than 20000 ms' } }) });
    const report = readFileSync('examples/02-fabrikam-proxyaddresses-signinname.eml');
    const first = await flaky.ingest(report, { origin: 'replay-file', receivedAt: new Date(), vouched: 'replayed by an admin from 02.eml' });
    await runtime.close();
    expect(first).toMatchObject({ status: 'rejected' });

    const retried = await runCli(['failed', 'retry', first.mailId.slice(0, 12)], env);
    expect(retried.code, retried.output).toBe(0);
    expect(retried.output).toContain(`re-queued 1 mail: ${first.mailId}`);
    // no worker runs for this prefix: the command works the report itself, as a replay does (blind40 G8)
    expect(retried.output).toMatch(/^worked here \(no worker running\): reports: 1; tickets: create \d+$/m);
    expect(readdirSync(join(dir, 'tickets')).length).toBeGreaterThan(0);
    expect(await ledger.get(first.mailId)).toMatchObject({ status: 'queued', reason: 'replayed by an admin from 02.eml' });

    // a mail no parser will read: an Outlook .msg of zeros
    const msg = join(dir, 'in2.msg');
    writeFileSync(msg, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4000)]));
    expect((await runCli(['replay', msg], env)).output).toContain('rejected 1');
    const [unreadable] = (await runCli(['failed', 'list', '--json'], env)).output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string });
    for (const args of [['failed', 'retry', unreadable!.id.slice(0, 8)], ['failed', 'retry', '--all']]) {
      const again = await runCli(args, env);
      expect(again.code, again.output).toBe(1);
      expect(again.output).toContain(`mail\t${unreadable!.id}: read again: rejected (unreadable: the mail could not be decoded: `);
      expect(again.output).not.toContain('quarantined');
    }
    expect(await ledger.get(unreadable!.id)).toMatchObject({ status: 'rejected', vouched: `replayed by an admin from ${msg}` });
    expect((await runCli(['quarantine', 'list'], env)).output).toContain('no quarantined mails');

    const unknown = await runCli(['failed', 'retry', 'deadbeef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no failed job or mail with id deadbeef; see `syncdesk failed list`');

    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);

  it('a file replayed with --verify-senders that was too large keeps that no word was given for it, is listed, and a retry says to raise the cap', async () => {
    const [dir, prefix] = [tempDir('retry-trust'), `f${uid()}`];
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets'), TRUST_POLICY: 'strict', MAX_MAIL_BYTES: '20000' };
    const big = join(dir, 'big.eml');
    writeFileSync(big, Buffer.concat([readFileSync('examples/02-fabrikam-proxyaddresses-signinname.eml'), Buffer.from(`\r\n${'x'.repeat(30_000)}\r\n`)]));
    const replay = await runCli(['replay', '--verify-senders', '--json', big], env);
    const { mails } = JSON.parse(replay.output.split('\n').find((l) => l.startsWith('{"dryRun"'))!) as ReplayReport;
    expect(mails[0]).toMatchObject({ outcome: 'too-large', status: 'rejected' });
    expect(await createLedger(redis, prefix).get(mails[0]!.mailId)).toMatchObject({ status: 'rejected', vouched: null });
    // shown with the other mails not read (blind test 18: it was in `status` only), and a retry says what to do instead
    const listed = (await runCli(['failed', 'list', '--json'], env)).output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; code: string });
    expect(listed).toEqual([expect.objectContaining({ id: mails[0]!.mailId, code: 'too-large' })]);
    const retry = await runCli(['failed', 'retry', mails[0]!.mailId.slice(0, 12)], env);
    expect(retry.code).toBe(1);
    expect(retry.output).toMatch(/too large \(\d+ bytes\) and kept cut at 20000: raise MAX_MAIL_BYTES and replay the original with `syncdesk replay --force`/);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 120_000);

  it('drop takes a mail whose stored copy is gone, and a mailbox message set aside, off the list for good (blind43 D9)', async () => {
    const [dir, prefix] = [tempDir('drop'), `f${uid()}`];
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets') };
    const bytes = join(dir, 'in.msg');
    writeFileSync(bytes, Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4000)]));
    expect((await runCli(['replay', bytes], env)).output).toContain('rejected 1');
    const [mail] = (await runCli(['failed', 'list', '--json'], env)).output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string });
    // the store pruned (or restored without it): a retry cannot read it, and nothing else took it off the list
    rmSync(join(dir, 'mail'), { recursive: true, force: true });
    expect((await runCli(['failed', 'retry', mail!.id], env)).output).toContain('no longer in the mail store');
    await setAside(redis, prefix, { id: 'AAMk-smime', mailbox: 'reports@contoso.com', internetMessageId: '<smime@contoso.com>', receivedAt: '2026-11-30T06:00:00Z', reason: '500 ErrorMimeContentConversionFailed', attempts: 3, at: '2026-11-30T06:05:00Z' });

    const dropped = await runCli(['failed', 'drop', mail!.id.slice(0, 10), '--by', 'ops-anna'], env);
    expect(dropped.code, dropped.output).toBe(0);
    expect(dropped.output).toContain(`mail\t${mail!.id}: dropped`);
    expect((await runCli(['failed', 'drop', 'AAMk-smime'], env)).output).toContain('mailbox\tAAMk-smime: dropped');
    expect((await runCli(['failed', 'list'], env)).output).toContain('no failed jobs');
    expect(await createLedger(redis, prefix).get(mail!.id)).toMatchObject({ status: 'rejected', dropped: { by: 'ops-anna' } });
    const status = JSON.parse((await runCli(['status', '--json'], env)).output.split('\n').find((l) => l.startsWith('{'))!) as { mails: { byStatus: Record<string, number> }; failed: unknown[] };
    expect(status.mails.byStatus).toEqual({ dropped: 1 });
    expect(status.failed).toEqual([]);
    // the same bytes again are a mail already handled, not read (and listed) again
    expect((await runCli(['replay', bytes], env)).output).not.toContain('rejected 1');
    expect((await runCli(['failed', 'list'], env)).output).toContain('no failed jobs');
    // the message stays passed over by the mailbox listener
    expect(await redis.hexists(`${prefix}:ingest:set-aside`, 'AAMk-smime')).toBe(1);

    const unknown = await runCli(['failed', 'drop', 'deadbeef'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toContain('no failed job or mail with id deadbeef');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 180_000);

  it('drop removes a lookup its report went on without, and refuses a ticket job its report waits for', async () => {
    const [dir, prefix] = [tempDir('drop-jobs'), `f${uid()}`];
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets') };
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    const domain = `drop${uid()}.onmicrosoft.com`;
    const rows = [{ object: `anna@${domain}`, duplicates: [['UserPrincipalName', `anna@${domain}`]] as Array<[string, string]>, onPremisesObjectId: 'YW5uYQ==' }];
    const ingested = await runtime.ingestor().ingest(reportMail({ tenant: 'Drop Jobs', domain, coversAt: new Date(Date.UTC(2026, 10, 3, 6)), rows }), { origin: 'replay-file', receivedAt: new Date(), vouched: 'replayed by an admin' });
    expect(ingested).toMatchObject({ status: 'queued' });
    // the lookup fails for good by hand (the chunk above it goes on without it), then that chunk's ticket job does
    const failed: string[] = [];
    for (const queue of [QUEUE_NAMES.resolve, QUEUE_NAMES.ticket]) {
      const manual = new Worker(queue, null, { connection: runtime.redis.client, prefix: runtime.redis.queuePrefix });
      try {
        const job = (await manual.getNextJob('by-hand'))!;
        await job.moveToFailed(new UnrecoverableError(`${queue} failed for good`), 'by-hand', false);
        failed.push(job.id!);
      } finally {
        await manual.close();
      }
    }
    await runtime.close();

    const dropped = await runCli(['failed', 'drop', '--all', '--by', 'ops-anna'], env);
    expect(dropped.code, dropped.output).toBe(1);
    expect(dropped.output).toContain(`resolve\t${failed[0]}: dropped`);
    expect(dropped.output).toContain(`ticket\t${failed[1]}: not dropped: its report waits for this job; fix the cause and \`syncdesk failed retry\` it`);
    const left = (await runCli(['failed', 'list', '--json'], env)).output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { queue: string; id: string });
    expect(left.map((f) => [f.queue, f.id])).toEqual([['ticket', failed[1]]]);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 120_000);

  it("--all puts a tenant's mails back in the order of the runs they cover, not newest failed first", async () => {
    const [dir, prefix] = [tempDir('retry-order'), `f${uid()}`];
    const env = { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets') };
    const runtime = await openRuntime(loadConfig(env), createLogger({ level: 'silent' }));
    const flaky = createIngestor({ redis, store: runtime.store, queueReports: runtime.queueReports, config: runtime.config, logger: runtime.logger, parse: async () => ({ ok: false, rejection: { reason: 'timeout', detail: 'parsing took longer than 20000 ms' } }) });
    const domain = `retry${uid()}.onmicrosoft.com`;
    const rows = [{ object: `anna@${domain}`, duplicates: [['UserPrincipalName', `anna@${domain}`]] as Array<[string, string]>, onPremisesObjectId: 'YW5uYQ==' }];
    const ids: string[] = [];
    // failed older first: `failed list` shows the newer first
    for (const day of [1, 20]) {
      const r = await flaky.ingest(reportMail({ tenant: 'Retry Order', domain, coversAt: new Date(Date.UTC(2026, 9, day, 6)), rows }), { origin: 'replay-file', receivedAt: new Date(), vouched: 'replayed by an admin' });
      expect(r).toMatchObject({ status: 'rejected' });
      ids.push(r.mailId);
    }
    await runtime.close();
    const again = await runCli(['failed', 'retry', '--all'], env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`re-queued 2 mails: ${ids[0]}, ${ids[1]}`);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 120_000);
});
