import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createMailStore } from '../../src/ingest/mail-store.ts';
import { holdMail, listQuarantine, listReleased, recordRelease } from '../../src/ingest/quarantine.ts';
import { services } from '../helpers/services.ts';
import { fixture, readTickets } from './helpers.ts';
import { imapAdmin } from '../helpers/imap.ts';

let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('syncdesk start', () => {
  it('turns a report mail arriving in the IMAP mailbox into tickets, and stops cleanly on SIGTERM', async () => {
    const s = services();
    const mailbox = `start-${randomUUID().slice(0, 8)}`;
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-start-'));
    const admin = await imapAdmin();
    try {
      await admin.mailboxCreate(mailbox);
      child = spawn('node', ['bin/syncdesk.js', 'start'], {
        env: {
          ...process.env,
          REDIS_URL: s.REDIS_URL,
          REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
          IMAP_HOST: s.IMAP_HOST,
          IMAP_PORT: s.IMAP_TLS_PORT,
          IMAP_SECURE: 'true',
          IMAP_TLS_CA: s.IMAP_TLS_CA,
          IMAP_USER: s.IMAP_USER,
          IMAP_PASSWORD: s.IMAP_PASSWORD,
          IMAP_MAILBOX: mailbox,
          IMAP_PROCESSED_FOLDER: `${mailbox}-done`,
          TRUST_POLICY: 'off',
          TICKET_DIR: join(dir, 'tickets'),
          MAIL_STORE_DIR: join(dir, 'mail'),
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      await until('syncdesk start to be ready', () => log.includes('syncdesk started'), 30_000);

      await admin.append(mailbox, fixture('fwd-outlook-de.eml'));
      // the report has two problems: two tickets, written by the workers in the same process
      await until('the tickets', () => readTickets(join(dir, 'tickets')).length >= 2, 60_000);
      expect(readTickets(join(dir, 'tickets'))).toHaveLength(2);

      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      expect(log).toContain('stopping: letting running jobs finish');
    } finally {
      await admin.logout().catch(() => undefined);
    }
  }, 120_000);

  it('removes mails kept longer than MAIL_RETENTION_DAYS from the store when it starts, and keeps the rest; their quarantine entries and older release history go with them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-retention-'));
    const store = join(dir, 'mail');
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const at = (daysAgo: number) => createMailStore({ dir: store, maxMailBytes: 1 << 20, retentionDays: 2, now: () => new Date(Date.now() - daysAgo * 86_400_000) });
    const meta = { origin: 'replay-file' as const, receivedAt: new Date() };
    const old = (await at(3).put(fixture('fwd-outlook-de.eml'), meta)).record.mailId;
    const recent = (await at(1).put(fixture('aad-table-object-error-id.eml'), meta)).record.mailId;
    const redis = new Redis(services().REDIS_URL!);
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const entry = (mailId: string, days: number) => ({ mailId, reason: 'sender a@b.example is not a known Microsoft sender', sender: 'a@b.example', origin: 'imap', at: ago(days) });
    try {
      await holdMail(redis, prefix, entry(old, 3));
      await holdMail(redis, prefix, entry(recent, 1));
      await recordRelease(redis, prefix, { ...entry('f'.repeat(64), 5), released: { by: 'alice', at: ago(4) } });
      await recordRelease(redis, prefix, { ...entry('e'.repeat(64), 1), released: { by: 'alice', at: ago(1) } });
      child = spawn('node', ['bin/syncdesk.js', 'start'], {
        env: { ...process.env, REDIS_URL: services().REDIS_URL, REDIS_PREFIX: prefix, TICKET_DIR: join(dir, 'tickets'), MAIL_STORE_DIR: store, MAIL_RETENTION_DAYS: '2', IMAP_HOST: '', ADMIN_PORT: '0', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      await until('the old mail to be removed', () => log.includes('mail store: 1 mail(s) kept longer than 2 days removed, with 1 held in quarantine and 1 entry of the release history'), 30_000);
      expect(readdirSync(store).sort()).toEqual([`${recent}.eml`, `${recent}.json`].sort());
      expect(readdirSync(store).some((f) => f.startsWith(old))).toBe(false);
      expect((await listQuarantine(redis, prefix)).map((e) => e.mailId)).toEqual([recent]);
      expect((await listReleased(redis, prefix)).map((e) => e.mailId)).toEqual(['e'.repeat(64)]);
      child.kill('SIGTERM');
      await until('syncdesk start to stop', () => child!.exitCode !== null, 30_000);
    } finally {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  }, 60_000);
});
