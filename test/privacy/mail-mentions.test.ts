import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createMailStore } from '../../src/ingest/mail-store.ts';
import { mailStoreMentions } from '../../src/privacy/file-mentions.ts';

/** A mail as Outlook's "Forward as attachment" writes it: the report whole, base64, inside the admin's forward. */
function forwardedAsAttachment(inner: string): Buffer {
  const b64 = Buffer.from(inner).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Admin <admin@contoso.com>',
      'To: syncreports@contoso.com',
      'Subject: FW: Directory Synchronization Error Report',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'see attached',
      '--b1',
      'Content-Type: message/rfc822',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="report.eml"',
      '',
      b64,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

describe('syncdesk forget: the mail store', () => {
  it('finds a person in a report forwarded as an attachment, whose bytes are encoded inside the forward', async () => {
    const store = createMailStore({ dir: mkdtempSync(join(tmpdir(), 'syncdesk-forget-mail-')), maxMailBytes: 1 << 20, retentionDays: 90 });
    const inner = ['From: MSOnlineServicesTeam@MicrosoftOnline.com', 'Subject: Directory Synchronization Error Report', 'Content-Type: text/plain', 'Content-Transfer-Encoding: base64', '', Buffer.from('zoe.zimmer@contoso.com\tDuplicate').toString('base64'), ''].join('\r\n');
    const { record } = await store.put(forwardedAsAttachment(inner), { origin: 'replay-file', receivedAt: new Date() });
    const found = await mailStoreMentions(store, null as unknown as Redis, 'p', 'zoe.zimmer@contoso.com');
    expect(found.map((m) => m.what)).toEqual([expect.stringContaining(record.mailId)]);
    expect(await mailStoreMentions(store, null as unknown as Redis, 'p', 'zoe.zimmermann@contoso.com')).toEqual([]);
  });
});
