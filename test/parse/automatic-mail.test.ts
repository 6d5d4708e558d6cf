import { describe, expect, it } from 'vitest';
import { bulkMailReason } from '../../src/parse/automatic-mail.ts';
import type { MailDocument } from '../../src/parse/mail-tree.ts';

const listMail = (subject: string): MailDocument => ({
  subject,
  from: 'it-alerts@lists.contoso.com',
  to: 'it-alerts@lists.contoso.com',
  sentAt: null,
  messageId: null,
  html: null,
  text: null,
  outerFrom: null,
  depth: 0,
  headers: new Map([
    ['list-id', ['IT alerts <it-alerts.lists.contoso.com>']],
    ['list-unsubscribe', ['<https://lists.contoso.com/mailman/options/it-alerts>']],
    ['precedence', ['list']],
  ]),
  raw: null,
});

describe('bulkMailReason: a report a list relays still counts', () => {
  it('behind the list\'s own subject tag (Mailman\'s subject_prefix, with or without its post number)', () => {
    expect(bulkMailReason(listMail('[It-alerts] Directory Synchronization Error Report'))).toBeNull();
    expect(bulkMailReason(listMail('[It-alerts 123] Directory Synchronization Error Report'))).toBeNull();
  });

  it('but not behind another tag, nor as a reply or under another subject', () => {
    expect(bulkMailReason(listMail('[Ticket#2024052110000047] Directory Synchronization Error Report'))).toMatch(/list or bulk mail/);
    expect(bulkMailReason(listMail('[It-alerts] Re: Directory Synchronization Error Report'))).toMatch(/list or bulk mail/);
    expect(bulkMailReason(listMail('[It-alerts] Identity Weekly #112'))).toMatch(/list or bulk mail/);
  });
});
