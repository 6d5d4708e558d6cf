import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.ts';
import { createMailStore } from '../../src/ingest/mail-store.ts';
import { createFileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import { smallDisk } from '../helpers/small-disk.ts';

/**
 * A full disk under the file desk and the mail store (a real tmpfs of 256 KiB, filled): the
 * error names the folder, its setting and what to do; nothing half-written is left (blind54
 * E1: a Markdown ticket without its record read as a second ticket, and a temporary file
 * stayed per attempt); once space is freed, the same write succeeds.
 */

let disk: ReturnType<typeof smallDisk>;

beforeAll(() => {
  disk = smallDisk('full-disk');
});
afterAll(() => disk.unmount());

function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('a full disk', () => {
  it("the file desk says TICKET_DIR is full and leaves no half-made ticket; freed, the ticket is made once", async () => {
    const dir = join(disk.path, 'tickets');
    mkdirSync(dir);
    disk.fill();
    const sink = createFileTicketSink({ dir });
    const draft = { key: 'aadsync-full', summary: 'Duplicate UPN', keyDisplay: 'x', body: [{ kind: 'paragraph' as const, text: 'x'.repeat(64 * 1024) }] };
    const err = await sink.create(draft, { idempotencyKey: 'k' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(new RegExp(`^TICKET_DIR ${dir}: ENOSPC: no space left on device.*\\(free space on its disk; syncdesk retries\\)$`));
    expect(files(dir).filter((f) => f !== 'by-key')).toEqual([]);
    expect(await sink.findByKey('aadsync-full')).toEqual([]);

    disk.free();
    const made = await sink.create(draft, { idempotencyKey: 'k' });
    expect((await sink.findByKey('aadsync-full')).map((t) => t.id)).toEqual([made.id]);
    expect(files(dir)).toEqual(['by-key', `${made.id}.json`, `${made.id}.md`].sort());
    rmSync(dir, { recursive: true });
  });

  it('the mail store says MAIL_STORE_DIR is full and keeps no temporary file; freed, the mail is kept', async () => {
    const dir = join(disk.path, 'mail');
    disk.fill();
    const store = createMailStore({ dir, maxMailBytes: 1024 * 1024, retentionDays: 30 });
    const raw = Buffer.from(`Subject: report\r\n\r\n${'y'.repeat(64 * 1024)}\r\n`);
    const err = await store.put(raw, { origin: 'imap', receivedAt: new Date() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(new RegExp(`^MAIL_STORE_DIR ${dir}: ENOSPC: .*free space on its disk`));
    expect(files(dir)).toEqual([]);

    disk.free();
    const { record, created } = await store.put(raw, { origin: 'imap', receivedAt: new Date() });
    expect(created).toBe(true);
    expect(files(dir)).toEqual([`${record.mailId}.eml`, `${record.mailId}.json`]);
  });
});
