import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';

/**
 * Input the parser cannot read must come back `unreadable` (kept, listed by `failed list`,
 * retried after a fix), not as a report with no error nor as someone else's mail.
 * Mails as the blind test 17 built them (.scratch/blind17/inputs/make*.sh).
 */

const HEAD = [
  'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
  'To: IT Admins <itadmins@contoso.com>',
  'Subject: Directory Synchronization Error Report: Friday, 08 September 2017 06:00:00 GMT',
  'Date: Fri, 08 Sep 2017 06:04:51 +0000',
  'Message-ID: <damaged@microsoftonline.com>',
  'MIME-Version: 1.0',
];
const mail = (...lines: string[]): Buffer => Buffer.from([...HEAD, ...lines].join('\r\n'));
const attached = (type: string, content: Buffer): Buffer =>
  mail(
    'Content-Type: multipart/mixed; boundary="zz"',
    '',
    '--zz',
    'Content-Type: text/plain',
    '',
    'FYI attached',
    '--zz',
    `Content-Type: ${type}`,
    'Content-Transfer-Encoding: base64',
    '',
    content.toString('base64'),
    '--zz--',
    '',
  );

/** Bytes that look random, the same on every run. */
function junk(size: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, n = 0; n < size; i++, n += 64) out.push(createHash('sha512').update(`junk ${i}`).digest());
  return Buffer.concat(out).subarray(0, size);
}
const CFB = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const rejection = (o: ParseOutcome) => (o.ok ? { ok: true, errors: o.reports.map((r) => r.errors.length) } : o.rejection);

describe('a mail recognised as a report, of which no error row could be read', () => {
  it.each([
    ['its headers alone', mail('Content-Type: text/plain', '', '')],
    ['the tenant sentence, no rows', mail('Content-Type: text/plain', '', 'The following errors occurred during synchronization for tenant Contoso.', '', 'Thank you,', '')],
    ['a base64 body of garbage', mail('Content-Type: text/html; charset="utf-8"', 'Content-Transfer-Encoding: base64', '', '!@#$%^&*()AbCdEfG(*&^%$#@!qwerty', '')],
    ['a corrupt winmail.dat', attached('application/ms-tnef; name="winmail.dat"', Buffer.concat([Buffer.from([0x78, 0x9f, 0x3e, 0x22]), junk(600)]))],
    ['a corrupt .msg attached', attached('application/vnd.ms-outlook; name="report.msg"', Buffer.concat([CFB, junk(600)]))],
  ])('%s: unreadable, with what was wrong', async (_, raw) => {
    expect(rejection(await parseMail(raw))).toEqual({
      reason: 'unreadable',
      detail: 'recognised as a sync error report (subject "Directory Synchronization Error Report: Friday, 08 September 2017 06:00:00 GMT"), but no error row could be read',
    });
  });

  it('one row, even of an error nothing explains, is a report', async () => {
    const raw = mail('Content-Type: text/plain', '', 'The following errors occurred during synchronization for tenant Contoso.', '', 'Object | Error', 'jane@contoso.com | Something nobody has seen before.', '');
    expect(rejection(await parseMail(raw))).toEqual({ ok: true, errors: [1] });
  });
});

describe('input that is no mail at all', () => {
  it.each([
    ['random bytes (junk.eml, fake.msg)', junk(4096), 'not a mail: no header lines (nor an Outlook .msg: no compound file signature)'],
    ['a text file renamed .msg', Buffer.from('This is just a text file renamed to msg\n'), 'not a mail: no header lines (nor an Outlook .msg: no compound file signature)'],
    ['an empty file', Buffer.alloc(0), 'not a mail: the input is empty'],
    // what Google Takeout hands out (blind31 R9): named, so the admin unpacks it
    ['a zip archive', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), junk(64)]), 'not a mail: a zip archive (unpack it, then replay or parse the mails in it)'],
    ['a .tgz / .mbox.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), junk(64)]), 'not a mail: a gzip archive (unpack it, then replay or parse the mails in it)'],
  ])('%s: unreadable, saying so', async (_, raw, detail) => {
    expect(rejection(await parseMail(raw))).toEqual({ reason: 'unreadable', detail });
  });

  it('while a mail that is not a report stays someone else\'s', async () => {
    const raw = Buffer.from('From: colleague@contoso.com\r\nSubject: lunch?\r\n\r\nAt noon?\r\n');
    expect(rejection(await parseMail(raw))).toMatchObject({ reason: 'not-a-report' });
  });
});
