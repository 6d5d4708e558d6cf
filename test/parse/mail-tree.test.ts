import { describe, expect, it } from 'vitest';
import { openMail } from '../../src/parse/mail-tree.ts';
import { parseOne } from './parse-one.ts';

const mail = (date: string): Buffer =>
  Buffer.from(['From: MSOnlineServicesTeam@MicrosoftOnline.com', 'Subject: Directory Synchronization Error Report', date, 'Content-Type: text/plain; charset=utf-8', '', 'body', ''].join('\r\n'));

describe('openMail', () => {
  it('reads a Date header mailparser cannot as a loose date, and never dates a mail by the time it was read', async () => {
    // Apple Mail's header as a saved text gives it (found by the eighth blind test: the report was dated today)
    expect((await openMail(mail('Date: 8 March 2022 at 23:32:40 CET')))[0]!.sentAt).toBe('2022-03-08T22:32:40.000Z');
    expect((await openMail(mail('Date: someday soon')))[0]!.sentAt).toBeNull();
    expect((await openMail(mail('Date: Tue, 08 Mar 2022 23:32:40 +0100')))[0]!.sentAt).toBe('2022-03-08T22:32:40.000Z');
  });

  it("reads a Date in a client's own words sent as UTF-8, and with no Date to read, the first relay's time (blind52 T1)", async () => {
    expect((await openMail(mail('Date: Montag, 2. März 2026 07:34')))[0]!.sentAt).toBe('2026-03-02T07:34:00.000Z');
    const relayed = (date: string): Buffer =>
      mail(['Received: from mx.contoso.com by mailbox.contoso.com; Mon, 2 Mar 2026 07:36:10 +0000', 'Received: from mail.protection.outlook.com by mx.contoso.com;\r\n Mon, 2 Mar 2026 08:34:05 +0100', date].join('\r\n'));
    expect((await openMail(relayed('Date: someday soon')))[0]!.sentAt).toBe('2026-03-02T07:34:05.000Z');
    expect((await openMail(relayed('X-Date: none')))[0]!.sentAt).toBe('2026-03-02T07:34:05.000Z');
    // a Date that reads wins over the relays
    expect((await openMail(relayed('Date: Mon, 02 Mar 2026 07:30:00 +0000')))[0]!.sentAt).toBe('2026-03-02T07:30:00.000Z');
  });

  it('reads UTF-8 bytes sent under a single-byte label as UTF-8, and leaves text that really is in the label alone', async () => {
    // a relay wrote UTF-8 but declared windows-1252 or KOI8-R (two blind tests; fixmystreet #159, a Roundcube issue)
    const part = (charset: string, body: Buffer, meta = ''): Buffer =>
      Buffer.concat([
        Buffer.from(['From: MSOnlineServicesTeam@MicrosoftOnline.com', 'Subject: Directory Synchronization Error Report', `Content-Type: text/html; charset="${charset}"`, 'Content-Transfer-Encoding: 8bit', '', `<html><head>${meta}</head><body><p>`].join('\r\n')),
        body,
        Buffer.from('</p></body></html>\r\n'),
      ]);
    const utf8 = Buffer.from('Équipe Comptabilité – Zoë', 'utf8');
    expect((await openMail(part('windows-1252', utf8, '<meta charset=utf-8>')))[0]!.html).toContain('Équipe Comptabilité – Zoë');
    expect((await openMail(part('koi8-r', Buffer.from('Смирнова Зоя', 'utf8'))))[0]!.html).toContain('Смирнова Зоя');
    expect((await openMail(part('iso-8859-1', Buffer.from('Müller – Söhne’s Ångström', 'utf8'))))[0]!.html).toContain('Müller – Söhne’s Ångström');
    // bytes windows-1252 leaves undefined (0x81 in "с", 0x8D in "Н") came out as U+FFFD: the mail is decoded again as UTF-8
    expect((await openMail(part('windows-1252', Buffer.from('Отдел Н: Смирнова Зоя, Á Í Ð Ý', 'utf8'))))[0]!.html).toContain('Отдел Н: Смирнова Зоя, Á Í Ð Ý');
    // real windows-1252 and real KOI8-R bytes stay what their label says
    expect((await openMail(part('windows-1252', Buffer.from('Équipe Comptabilité', 'latin1'))))[0]!.html).toContain('Équipe Comptabilité');
    expect((await openMail(part('koi8-r', Buffer.from([0xf3, 0xcd, 0xc9, 0xd2, 0xce, 0xcf, 0xd7, 0xc1]))))[0]!.html).toContain('Смирнова');
  });

  it('reads windows-1252 bytes sent under a UTF-8 label as windows-1252, and leaves real UTF-8 with a stray byte alone', async () => {
    // a gateway re-labelled a windows-1252 report UTF-8: the display names came out with U+FFFD (blind44 P11)
    const part = (body: Buffer): Buffer =>
      Buffer.concat([
        Buffer.from(['From: MSOnlineServicesTeam@MicrosoftOnline.com', 'Subject: Directory Synchronization Error Report', 'Content-Type: text/html; charset="utf-8"', 'Content-Transfer-Encoding: 8bit', '', '<html><body><p>'].join('\r\n')),
        body,
        Buffer.from('</p></body></html>\r\n'),
      ]);
    // "–" and "’" are 0x96 and 0x92 there, bytes no Latin-1 text has
    const cp1252 = Buffer.concat([Buffer.from('Renée Dubois, Müller, Jürgen ', 'latin1'), Buffer.from([0x96]), Buffer.from(' Zoë', 'latin1'), Buffer.from([0x92, 0x73])]);
    expect((await openMail(part(cp1252)))[0]!.html).toContain('Renée Dubois, Müller, Jürgen – Zoë’s');
    // UTF-8 with one broken byte: read as windows-1252 its "é" would be "Ã©", so its UTF-8 reading stays
    const stray = Buffer.concat([Buffer.from('Renée Dubois ', 'utf8'), Buffer.from([0xff]), Buffer.from(' Zoë', 'utf8')]);
    const html = (await openMail(part(stray)))[0]!.html as string;
    expect(html).toContain('Renée Dubois \ufffd Zoë');
  });

  it("dates a report Outlook saved as text by its Sent: line, in Outlook's other languages too", async () => {
    // the blind27 tester's "Save as text" copy: From/Sent/To/Subject lines with tabs, no Date (its sentAt was null)
    const saved = (sent: string, from = 'From'): Buffer =>
      Buffer.from(
        [
          `${from}:\tMicrosoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>`,
          sent,
          'To:\tadmin@saigonbistro-group.com',
          'Subject:\tDirectory Synchronization Error Report',
          '',
          'The Identity synchronization tool batch run was completed on Friday, 10 January 2025 14:20:33 GMT for directory Saigon Bistro Group [saigonbistrogroup.onmicrosoft.com].',
          '',
          'The following errors occurred during synchronization:',
          '',
          'Identity\tError Description\tSource Anchor',
          'mai.nguyen2@saigonbistro-group.com\tUnable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName mai.nguyen@saigonbistro-group.com;]. Correct or remove the duplicate values in your local directory.\tbmd1eWVuVGhpTWFpU2FpZ28=',
          '',
        ].join('\r\n'),
        'utf8',
      );
    // no zone is written: the time is taken as UTC, as in a forward header without one
    expect((await parseOne(saved('Sent:\tFriday, January 10, 2025 9:23 AM'))).sentAt).toBe('2025-01-10T09:23:00.000Z');
    expect((await openMail(saved('Gesendet:\tFreitag, 10. Januar 2025 09:23', 'Von')))[0]!.sentAt).toBe('2025-01-10T09:23:00.000Z');
    expect((await openMail(saved('Envoyé :\tvendredi 10 janvier 2025 09:23', 'De')))[0]!.sentAt).toBe('2025-01-10T09:23:00.000Z');
    // a localised saved text writes numeric dates day first
    expect((await openMail(saved('Gesendet:\t03.01.2025 09:23', 'Von')))[0]!.sentAt).toBe('2025-01-03T09:23:00.000Z');
  });
});
