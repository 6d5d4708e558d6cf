import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';

/**
 * A copy of a report cut off on the way (an interrupted download, a broken export, an mbox
 * cut mid-message) reads fewer errors than the report has: the admin must see why
 * (blind test 17, s02 and s08).
 */

const REPORT = readFileSync(new URL('../../examples/01-contoso-duplicate-upn-proxy-federated.eml', import.meta.url), 'latin1');
const read = async (raw: string) => {
  const o: ParseOutcome = await parseMail(Buffer.from(raw, 'latin1'));
  return o.ok ? { errors: o.reports[0]!.errors.length, unparsed: o.reports[0]!.unparsed } : o.rejection;
};
const NOTE = /^the mail looks cut off \((.+)\): the report may list more errors than were read$/;

const multipart = (close: boolean) =>
  [
    'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
    'Subject: Directory Synchronization Error Report: Thursday, 07 September 2017 06:00:00 GMT',
    'Date: Thu, 07 Sep 2017 06:04:51 +0000',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'The following errors occurred during synchronization for tenant Contoso.',
    '',
    'Object | Error | On-premises object ID',
    'dave@contoso.com | Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName dave@contoso.com;]. Correct or remove the duplicate values in your local directory. | ZGF2ZUFuY2hvcjEyMzQ1Ng==',
    ...(close ? ['--b1--'] : []),
    '',
  ].join('\r\n');

describe('a report cut off', () => {
  it('inside its HTML table: the rows before the cut, and a note that says the mail looks cut off', async () => {
    expect(await read(REPORT)).toEqual({ errors: 5, unparsed: [] });
    const cut = await read(REPORT.slice(0, REPORT.lastIndexOf('<tr>')));
    expect(cut).toMatchObject({ errors: 4, unparsed: [expect.stringMatching(NOTE)] });
    expect((cut as { unparsed: string[] }).unparsed[0]).toContain('its HTML leaves a table open');
  });

  it('inside a row: that row, maybe half a value, is no problem but text the admin sees; the rows before it are read (blind31 R1)', async () => {
    const lastRow = REPORT.lastIndexOf('<tr>');
    const end = REPORT.indexOf('</tr>', lastRow);
    // cut where the row's text runs: its last cells stop mid-word
    const cut = await read(REPORT.slice(0, end - 40));
    expect(cut).toMatchObject({ errors: 4 });
    const unparsed = (cut as { unparsed: string[] }).unparsed;
    expect(unparsed[0]).toMatch(NOTE);
    expect(unparsed[1]).toMatch(/^a row the mail's cut-off end left unfinished: /);
    // the same row read whole is a record of the complete copy
    expect(await read(REPORT.slice(0, end + '</tr>'.length))).toMatchObject({ errors: 5 });
  });

  it('before the closing boundary of its multipart body', async () => {
    expect(await read(multipart(true))).toEqual({ errors: 1, unparsed: [] });
    expect(await read(multipart(false))).toEqual({ errors: 1, unparsed: [expect.stringMatching(NOTE)] });
  });

  it('before its first row: unreadable, and the reason says the mail looks cut off', async () => {
    const cut = REPORT.slice(0, REPORT.indexOf('<tr>', REPORT.indexOf('<table')));
    expect(await read(cut)).toMatchObject({ reason: 'unreadable', detail: expect.stringMatching(/no error row could be read; the mail looks cut off \(its HTML leaves a table open\)$/) });
  });
});
