import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';

/**
 * Report texts as public pages quote them, each a little off Microsoft's template (blind66):
 * the rows are the pages' own, the mail around them inferred.
 */

async function records(contentType: string, body: string) {
  const raw = [
    'From: MSOnlineServicesTeam@MicrosoftOnline.com', 'To: admin@contoso.com', 'Subject: Directory Synchronization Error Report',
    'Date: Tue, 04 Jun 2013 03:30:00 +0000', 'Message-ID: <quoted@example.invalid>', 'MIME-Version: 1.0', `Content-Type: ${contentType}; charset=utf-8`, '', body, '',
  ].join('\r\n');
  const parsed = await parseMail(Buffer.from(raw));
  if (!parsed.ok) throw new Error(parsed.rejection.detail);
  return parsed.reports[0]!.errors.map((e) => ({ identity: e.identity, category: e.category, attributes: e.attributes.map((a) => `${a.name}=${a.value}`) }));
}

describe('report texts as public pages quote them', () => {
  it('"might already be associated" (an Office 365 book\'s wording of the row) is the duplicate it names (P4)', async () => {
    const body = [
      'The following errors occurred during synchronization:', '',
      'lchen@contoso.com\tUnable to update this object in Windows Azure Active Directory because the following attributes associated with this object have values that might already be associated with another object in your local directory.',
    ].join('\r\n');
    expect(await records('text/plain', body)).toEqual([{ identity: 'lchen@contoso.com', category: 'DuplicateAttribute', attributes: [] }]);
  });

  it("a bold attribute name glued to its value (Microsoft Japan's identity blog, 2017) gives the name and the value apart (P1)", async () => {
    const sentence = (list: string) =>
      `<li>Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [${list};]. Correct or remove the duplicate values in your local directory.</li>`;
    const body = `<html><body><p>The following errors occurred during synchronization:</p><ul>${sentence('<strong>UserPrincipalName</strong>user01@contoso.com')}${sentence('<strong>ProxyAddresses</strong>SMTP:user01@contoso.com')}</ul></body></html>`;
    const found = await records('text/html', body);
    expect(found.map((r) => [r.category, r.attributes])).toEqual([
      ['DuplicateAttribute', ['UserPrincipalName=user01@contoso.com']],
      ['DuplicateAttribute', ['ProxyAddresses=SMTP:user01@contoso.com']],
    ]);
  });
});
