import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bulkMailReason } from '../../src/parse/automatic-mail.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
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
  relayedFrom: null,
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

describe('an automatic mail that quotes a report (blind33 B4)', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url));
  const detail = async (name: string) => {
    const o = await parseMail(fixture(name));
    return o.ok ? 'parsed' : `${o.rejection.reason}: ${o.rejection.detail}`;
  };

  it("stays rejected (a desk's notification must never loop back in), and says it quotes a report's rows", async () => {
    expect(await detail('notreport-desk-acknowledgement.eml')).toBe(
      "not-a-report: not a sync error report: an automatic mail (Auto-Submitted: auto-generated), though it quotes 2 error row(s) of a report: the report itself, or a person's forward of it, is what is read",
    );
  });

  it('one that quotes no row says nothing of the kind', async () => {
    const raw = Buffer.from('From: helpdesk@contoso.com\r\nTo: syncreports@contoso.com\r\nSubject: We received your request\r\nAuto-Submitted: auto-replied\r\n\r\nThank you, a ticket was opened.\r\n');
    const o = await parseMail(raw);
    expect(o.ok ? 'parsed' : o.rejection.detail).toMatch(/^not a sync error report: an automatic [a-z]+ \(Auto-Submitted: auto-replied\)$/);
  });
});
