import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';

/**
 * Report texts as public pages quote them, each a little off Microsoft's template (blind66):
 * the rows are the pages' own, the mail around them inferred.
 */

async function records(contentType: string, body: string) {
  return (await parseMailErrors(contentType, body)).map((e) => ({ identity: e.identity, category: e.category, attributes: e.attributes.map((a) => `${a.name}=${a.value}`) }));
}

async function parseMailErrors(contentType: string, body: string) {
  const raw = [
    'From: MSOnlineServicesTeam@MicrosoftOnline.com', 'To: admin@contoso.com', 'Subject: Directory Synchronization Error Report',
    'Date: Tue, 04 Jun 2013 03:30:00 +0000', 'Message-ID: <quoted@example.invalid>', 'MIME-Version: 1.0', `Content-Type: ${contentType}; charset=utf-8`, '', body, '',
  ].join('\r\n');
  const parsed = await parseMail(Buffer.from(raw));
  if (!parsed.ok) throw new Error(parsed.rejection.detail);
  return parsed.reports[0]!.errors;
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

  it("a Japanese duplicate row with no object and no English lead-in (Microsoft Japan's identity blog) is one record (P2)", async () => {
    const body =
      '- このオブジェクトを更新できません。このオブジェクトに関連付けられている次の属性の値が、ローカル ディレクトリ サービスの別のオブジェクトに既に関連付けられていることが原因として考えられます: [SipProxyAddress user01@contoso.com ディレクトリで重複している値を修正または削除してください。属性値が重複しているオブジェクトの検出方法については、http://support.microsoft.com/kb/2647098 を参照してください。';
    const found = await records('text/plain', body);
    expect(found.map((r) => [r.category, r.attributes])).toEqual([['DuplicateAttribute', ['SipProxyAddress=user01@contoso.com']]]);
  });

  it("a forwarder's German note that says the words, with no report under it, is no error row (blind66b N4)", async () => {
    const raw = [
      'From: Max Muster <max@contoso.de>', 'To: helpdesk@contoso.de', 'Subject: WG: Directory Synchronization Error Report',
      'Date: Mon, 30 Sep 2024 06:47:00 +0000', 'Message-ID: <n4@example.invalid>', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '',
      'Hallo, bei uns kam wieder die Meldung: Dieses Objekt kann nicht aktualisiert werden. Könnt ihr euch das bitte ansehen?', '',
    ].join('\r\n');
    const parsed = await parseMail(Buffer.from(raw));
    expect(parsed.ok ? parsed.reports.flatMap((r) => r.errors) : parsed.rejection.reason).toBe('unreadable');
  });

  it("Korean rows in Microsoft's Korean wording are records, by their own words (P5)", async () => {
    const body = [
      'The following errors occurred during synchronization:', '',
      'kim.minsu@contoso.kr\t이 개체와 연결 된 다음 특성에 로컬 디렉터리 서비스의 다른 개체와 이미 연결 되어 있을 수 있는 값이 있기 때문에이 개체를 업데이트할 수 없습니다. UserPrincipalName.',
      'sales@contoso.kr\t프록시 주소가 같은 synchronized 개체가 Microsoft Online Services 디렉터리에 이미 있습니다.',
    ].join('\r\n');
    const found = await records('text/plain', body);
    expect(found.map((r) => [r.identity, r.category])).toEqual([
      ['kim.minsu@contoso.kr', 'DuplicateAttribute'],
      ['sales@contoso.kr', 'DuplicateAttribute'],
    ]);
  });

  it('a translated "Unable to update this object" that names no known error is still one record, Unknown, in a tab row and in a paragraph (P5)', async () => {
    const row = ['The following errors occurred during synchronization:', '', 'lee@contoso.kr\t이 개체를 업데이트할 수 없습니다. 로컬 디렉터리 서비스에서 값을 수정하세요.'];
    expect((await records('text/plain', row.join('\r\n'))).map((r) => [r.identity, r.category])).toEqual([['lee@contoso.kr', 'Unknown']]);
    // alone in its report (prose beside real errors is kept as text, whatever its language)
    const paragraph = ['The following errors occurred during synchronization:', '', '此对象无法更新。请在本地目录服务中更正该值。'];
    expect((await records('text/plain', paragraph.join('\r\n'))).map((r) => [r.identity, r.category])).toEqual([[null, 'Unknown']]);
    // under a table header whose text column has a name we do not know, the translated text is still the error's
    const table = '<table><tr><th>Identity</th><th>Object type</th><th>Notes</th></tr><tr><td>lee@contoso.kr</td><td>User</td><td>이 개체를 업데이트할 수 없습니다. 값을 수정하세요.</td></tr></table>';
    const [cell] = await parseMailErrors('text/html', table);
    expect([cell!.identity, cell!.category, cell!.message]).toEqual(['lee@contoso.kr', 'Unknown', '이 개체를 업데이트할 수 없습니다. 값을 수정하세요.']);
  });

  it('an error\'s name on a line of its own above its text is the error\'s code, not an object (justinverstijnen.nl, 2024; the layout inferred) (P3)', async () => {
    const body = [
      'The following errors occurred during synchronization:', '',
      'DeletingCloudOnlyObjectNotAllowed', '',
      'This error indicates that a deleted object was recovered from the recycle bin in Azure AD before Azure AD Connect was able to confirm its deletion. Please delete the recovered object in Azure AD to fix this issue.',
    ].join('\r\n');
    const errors = await parseMailErrors('text/plain', body);
    expect(errors.map((e) => [e.identity, e.errorCode, e.category])).toEqual([[null, 'DeletingCloudOnlyObjectNotAllowed', 'DeletingCloudOnlyObject']]);
  });
});
