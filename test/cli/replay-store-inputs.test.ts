import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileInputs, type ReplayInput } from '../../src/cli/replay-order.ts';
import { createMailStore } from '../../src/ingest/mail-store.ts';

/**
 * The mail store's folder replayed after Redis was lost (blind43 D7, D11): each kept mail is
 * read with the origin, time and word it was first taken on; one sender trust judged (a
 * mailbox's mail, or a file replayed with --verify-senders) is judged again, never vouched for
 * as an admin's file; the store's own records beside the mails are not named as "no mail".
 */
describe('replaying the mail store folder', () => {
  it("keeps each mail's origin and word, and passes the records over silently", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-store-replay-'));
    const store = createMailStore({ dir, maxMailBytes: 1 << 20, retentionDays: 30 });
    const mail = (n: number) => Buffer.from(`From: MSOnlineServicesTeam@MicrosoftOnline.com\r\nSubject: Directory Synchronization Error Report\r\nMessage-ID: <m${n}@x>\r\n\r\nbody ${n}\r\n`);
    const fromMailbox = await store.put(mail(1), { origin: 'imap', receivedAt: new Date('2026-03-01T06:05:00Z') });
    const vouched = await store.put(mail(2), { origin: 'replay-file', receivedAt: new Date('2026-03-02T06:05:00Z'), vouched: 'replayed by an admin from day2.eml' });
    const judged = await store.put(mail(3), { origin: 'replay-file', receivedAt: new Date('2026-03-03T06:05:00Z') });
    const passedOver: string[] = [];
    const inputs: ReplayInput[] = [];
    for await (const input of fileInputs([dir], { onPassedOver: (path) => passedOver.push(path) })) inputs.push(input);
    const byId = (id: string) => inputs.find((i) => i.label.endsWith(`${id}.eml`))!;
    expect(byId(fromMailbox.record.mailId)).toMatchObject({ origin: 'imap', vouched: null, receivedAt: new Date('2026-03-01T06:05:00Z') });
    expect(byId(vouched.record.mailId)).toMatchObject({ origin: 'replay-file', vouched: 'replayed by an admin from day2.eml' });
    expect(byId(judged.record.mailId)).toMatchObject({ origin: 'replay-file', vouched: null });
    expect(passedOver).toEqual([]);
    // the store's record says it: judged (null), not left out
    expect(JSON.parse(readFileSync(join(dir, `${judged.record.mailId}.json`), 'utf8'))).toHaveProperty('vouched', null);
  });
});
