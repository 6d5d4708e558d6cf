import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../../src/app/runtime.ts';
import type { ReplayReport } from '../../src/cli/replay.ts';
import { loadConfig } from '../../src/config.ts';
import { createIngestor } from '../../src/ingest/ingest-mail.ts';
import { createLedger } from '../../src/ingest/ledger.ts';
import { createLogger } from '../../src/logger.ts';
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
