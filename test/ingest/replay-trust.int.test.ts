import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../src/ingest/ledger.ts';
import { imapAdmin, imapTlsEnv } from '../helpers/imap.ts';
import { services } from '../helpers/services.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { runCli, tempDir, uid } from '../prove/helpers.ts';

/**
 * Archived reports an admin replays from files or an mbox are vouched for by that admin:
 * their signatures rarely survive saving, so sender trust would only hold genuine reports
 * back. `--verify-senders` judges them as the listener does; an IMAP replay always does.
 * Under TRUST_POLICY=strict, where none of the unsigned samples would pass.
 */

let redis: Redis;
beforeAll(() => {
  redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await redis.quit();
});

function strictEnv(dir: string, prefix: string): Record<string, string> {
  return {
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: prefix,
    MAIL_STORE_DIR: join(dir, 'mail'),
    TICKET_SINK: 'file',
    TICKET_DIR: join(dir, 'tickets'),
    TRUST_POLICY: 'strict',
    ...imapTlsEnv(),
  };
}

describe('replay and sender trust', () => {
  it('files and mbox are trusted (the admin vouches, recorded); --verify-senders and IMAP replays follow the policy', async () => {
    const dir = tempDir('replay-trust');
    const prefix = `r${uid()}`;
    const env = strictEnv(dir, prefix);
    const ledger = createLedger(redis, prefix);

    const files = await runCli(['replay', 'examples/03-fabrikam-quota-exceeded.eml'], env);
    expect(files.code).toBe(0);
    expect(files.output).toContain('replay: 1 mail(s): queued 1');
    expect(readTickets(join(dir, 'tickets')).length).toBeGreaterThan(0);
    const [recent] = await ledger.recent(1);
    expect(recent).toMatchObject({ status: 'queued', origin: 'replay-file' });
    expect(recent!.reason).toMatch(/^replayed by an admin from .*03-fabrikam-quota-exceeded\.eml$/);

    const mbox = await runCli(['replay', 'test/fixtures/mbox/three-reports.mbox'], env);
    expect(mbox.output).toContain('replay: 3 mail(s): queued 3');

    const verified = await runCli(['replay', '--verify-senders', 'examples/02-fabrikam-proxyaddresses-signinname.eml'], env);
    expect(verified.output).toContain('replay: 1 mail(s): quarantined 1');

    const mailbox = `replay-${uid()}`;
    const admin = await imapAdmin();
    try {
      await admin.mailboxCreate(mailbox);
      await admin.append(mailbox, readFileSync('examples/05-contosopharma-entra-layout.eml'));
    } finally {
      await admin.logout().catch(() => undefined);
    }
    const imap = await runCli(['replay', '--imap', '--mailbox', mailbox, '--since', '2000-01-01'], env);
    expect(imap.output).toContain('replay: 1 mail(s): quarantined 1');

    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }, 240_000);
});
