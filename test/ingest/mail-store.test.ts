import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailStore, mailIdOf } from '../../src/ingest/mail-store.ts';

let dir: string;
let clock: Date;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncdesk-store-'));
  clock = new Date('2026-03-01T00:00:00Z');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const store = (maxMailBytes = 1000) => createMailStore({ dir, maxMailBytes, retentionDays: 30, now: () => clock });
const meta = { origin: 'imap' as const, receivedAt: new Date('2026-03-01T00:00:00Z') };

describe('mail store', () => {
  it('keeps the raw bytes under <sha256>.eml with a JSON sidecar, once per content', async () => {
    const s = store();
    const raw = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const first = await s.put(raw, { ...meta, envelopeFrom: 'a@b.c' });
    expect(first.created).toBe(true);
    expect(first.record.mailId).toBe(mailIdOf(raw));
    expect(readFileSync(join(dir, `${first.record.mailId}.eml`))).toEqual(raw);
    const sidecar = JSON.parse(readFileSync(join(dir, `${first.record.mailId}.json`), 'utf8'));
    expect(sidecar).toMatchObject({ origin: 'imap', size: raw.length, envelopeFrom: 'a@b.c', truncated: false });
    const again = await s.put(raw, { ...meta, origin: 'replay-file' });
    expect(again.created).toBe(false);
    expect(again.record.origin).toBe('imap');
    expect((await s.get(first.record.mailId))?.raw).toEqual(raw);
    expect(await s.get('0'.repeat(64))).toBeNull();
  });

  it('writes a kept mail for its owner only: another local account cannot read a tenant\'s names and addresses', async () => {
    const nested = join(dir, 'mail');
    const s = createMailStore({ dir: nested, maxMailBytes: 1000, retentionDays: 30, now: () => clock });
    const { record } = await s.put(Buffer.from('Subject: x\r\n\r\nbody\r\n'), meta);
    expect(statSync(join(nested, `${record.mailId}.eml`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(nested, `${record.mailId}.json`)).mode & 0o777).toBe(0o600);
    expect(statSync(nested).mode & 0o777).toBe(0o700);
  });

  it('keeps an oversized mail truncated to the cap, never dropped', async () => {
    const s = store(100);
    const raw = Buffer.alloc(250, 'a');
    const { record } = await s.put(raw, meta);
    expect(record).toMatchObject({ mailId: mailIdOf(raw), size: 250, truncated: true });
    expect((await s.get(record.mailId))?.raw.length).toBe(100);
    expect((await s.list()).map((r) => r.mailId)).toEqual([record.mailId]);
  });

  it('refuses an id that is not a sha256, so no path can be built from input', async () => {
    await expect(store().get('../etc/passwd')).rejects.toThrow(/not a mail id/);
  });

  it('prunes mails past retention', async () => {
    const s = store();
    const old = (await s.put(Buffer.from('old'), meta)).record.mailId;
    clock = new Date('2026-03-25T00:00:00Z');
    const fresh = (await s.put(Buffer.from('fresh'), meta)).record.mailId;
    clock = new Date('2026-04-05T00:00:00Z');
    expect(await s.prune()).toEqual([old]);
    expect(readdirSync(dir).sort()).toEqual([`${fresh}.eml`, `${fresh}.json`].sort());
  });
});
