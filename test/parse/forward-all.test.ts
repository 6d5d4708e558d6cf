/**
 * Several reports in one mail (Gmail's "Forward all" of a thread, one report per forwarded
 * header; or saved reports attached): handed on in the order of their runs whatever order the
 * mail has them in (the ticket stage takes a report older than one it applied as replayed),
 * an inline one keeping the number of its place in the mail (its id).
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';

const FIXTURE = new URL('../fixtures/reports/client-gmail-forward-all-two-reports.eml', import.meta.url);
const HEADER = '---------- Forwarded message ---------';

/** The fixture with its two forwarded reports swapped: newest first, as a thread forwarded from the top. */
function newestFirst(raw: string): string {
  const [note, older, newer] = raw.split(HEADER) as [string, string, string];
  // each block ends with the blank line before the next header; the last one with the mail's end
  return [note, newer.trimEnd() + '\r\n\r\n', older.trimEnd() + '\r\n'].join(HEADER);
}

async function runs(raw: string): Promise<Array<{ part: number | undefined; reportedAt: string | null }>> {
  const parsed = await parseMail(Buffer.from(raw));
  if (!parsed.ok) throw new Error(`not parsed: ${parsed.rejection.detail}`);
  return parsed.reports.map((r) => ({ part: r.part, reportedAt: r.reportedAt }));
}

/** A mail that attaches two saved reports, the newer (2018) first. */
function attachedNewestFirst(): string {
  const saved = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'latin1');
  const part = (raw: string) => `--b\r\nContent-Type: message/rfc822\r\n\r\n${raw.trimEnd()}\r\n`;
  return [
    'From: Megan Admin <megan.admin@fabrikam.com>\r\nTo: desk@fabrikam.com\r\nSubject: two reports\r\nDate: Mon, 16 Apr 2018 09:00:00 +0000\r\n',
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nBoth attached.\r\n',
    part(saved('02-fabrikam-proxyaddresses-signinname.eml')),
    part(saved('03-fabrikam-quota-exceeded.eml')),
    '--b--\r\n',
  ].join('');
}

describe('several reports in one mail', () => {
  it('attached newest first: handed on oldest first', async () => {
    const reports = await runs(attachedNewestFirst());
    expect(reports.map((r) => r.reportedAt?.slice(0, 4))).toEqual(['2014', '2018']);
  });

  it('come in the order of their runs, each numbered by its place in the mail', async () => {
    const raw = readFileSync(FIXTURE, 'latin1');
    const inOrder = await runs(raw);
    expect(inOrder.map((r) => r.part)).toEqual([1, 2]);
    expect(Date.parse(inOrder[0]!.reportedAt!)).toBeLessThan(Date.parse(inOrder[1]!.reportedAt!));

    const reversed = await runs(newestFirst(raw));
    expect(reversed.map((r) => r.reportedAt)).toEqual(inOrder.map((r) => r.reportedAt));
    expect(reversed.map((r) => r.part)).toEqual([2, 1]);
  });
});

describe('a run time later than the report was sent (blind52 T5)', () => {
  const saved = readFileSync(new URL('../../examples/02-fabrikam-proxyaddresses-signinname.eml', import.meta.url), 'latin1');
  it('is read wrong (a report is sent after its run): the Date stands for the run, so the report is not made newer than it is', async () => {
    // the run sentence says 12 April 04:30; a Date an hour before it cannot follow that run
    const early = saved.replace('Date: Thu, 12 Apr 2018 04:36:40 +0000', 'Date: Thu, 12 Apr 2018 03:36:40 +0000');
    expect(await runs(early)).toEqual([{ part: undefined, reportedAt: null }]);
    expect(await runs(saved)).toEqual([{ part: undefined, reportedAt: '2018-04-12T04:30:00.000Z' }]);
  });

  it("is no misreading when the Date is an inline forward's local time, read with the carrier's offset (blind65 P2)", async () => {
    // the rows and run sentence quoted on checkyourlogs (2018), in an Outlook forward whose "Sent:" is US Eastern time
    const forward = [
      'From: Allan F <allan@broadarc.com>', 'To: helpdesk@broadarc.com', 'Subject: FW: Directory Synchronization Error Report',
      'Date: Thu, 16 Apr 2018 19:00:00 +0000', 'Message-ID: <fwd-p2@broadarc.com>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '',
      'FYI', '', 'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>', 'Sent: Thursday, April 16, 2018 2:13 PM',
      'To: Allan F <allan@broadarc.com>', 'Subject: Directory Synchronization Error Report', '',
      'The Identity synchronization tool batch run was completed on Thursday, 16 April 2018 18:13:17 GMT for directory broadarc [broadarc.onmicrosoft.com].', '',
      'The following errors occurred during synchronization:', '', 'Identity\tError Description\tSource Anchor',
      'Laura.Lastname@broadarc2.com\tUnable to update this object in Azure Active Directory, because the attribute [FederatedUser.UserPrincipalName], is not valid. Update the value in your local directory services.\t1CnF/RnI9Uyx0ofuAsnZTg==', '',
    ].join('\r\n');
    expect(await runs(forward)).toEqual([{ part: undefined, reportedAt: '2018-04-16T18:13:17.000Z' }]);
    // a day later than the forward says is still read wrong
    expect(await runs(forward.replace('16 April 2018 18:13:17', '17 April 2018 18:13:17'))).toEqual([{ part: undefined, reportedAt: null }]);
  });
});
