import { describe, expect, it } from 'vitest';
import { unwrapProtectedLinks } from '../../src/parse/protected-links.ts';
import { readReportFields } from '../../src/parse/report-fields.ts';

/**
 * Gateway-wrapped links, in the forms public mails and decoders show: Barracuda's
 * linkprotect (its rewrites of bare words such as "args.to" in list mail), Microsoft Safe
 * Links, Proofpoint URL Defense v2 (the example of BenDrysdale/Proofpoint-URL-Decoder) and v3.
 */
describe('unwrapProtectedLinks', () => {
  it.each([
    ['https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fargs.to&c=E,1,Xy1Zw9abc&typo=1', 'https://args.to'],
    ['https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Faka.ms%2Fduplicateattributeresiliency&data=05%7C01%7C&sdata=abc%3D&reserved=0', 'https://aka.ms/duplicateattributeresiliency'],
    ['https://urldefense.proofpoint.com/v2/url?u=http-3A__www.example.org_url&d=BwdwBAg&c=TIwfCwdwWnrHy3gMA_uzZorHPsT2wfwvKrwfU', 'http://www.example.org/url'],
    ['https://urldefense.com/v3/__https://aka.ms/aadc-exporterror__;!!ABCdef!ghIJ-kl$', 'https://aka.ms/aadc-exporterror'],
  ])('%s', (wrapped, original) => {
    expect(unwrapProtectedLinks(`see ${wrapped} for more`)).toBe(`see ${original} for more`);
  });

  it('keeps the sentence\'s own punctuation after a wrapped link, whatever the case of the gateway\'s host', () => {
    expect(unwrapProtectedLinks('(see https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Faka.ms%2Fx&data=05%7C01&reserved=0). Next')).toBe(
      '(see https://aka.ms/x). Next',
    );
    expect(unwrapProtectedLinks('HTTPS://LINKPROTECT.CUDASVC.COM/url?a=https%3a%2f%2fargs.to&c=E,1,Xy&typo=1.')).toBe('https://args.to.');
  });

  it('leaves other links, and Proofpoint v3 links whose "*" moved characters elsewhere, as they are', () => {
    const text = 'https://support.microsoft.com/kb/2647098 and https://urldefense.com/v3/__https://a.example/x*20y__;JQ!!Ab!cd$';
    expect(unwrapProtectedLinks(text)).toBe(text);
  });

  it('a tenant domain Barracuda made a link is the tenant again (a blind test: the domain read as "2ffabrikam…")', () => {
    const line =
      'The Identity synchronization tool batch run was completed on Tuesday, 09 September 2025 09:48:21 GMT for directory Fabrikam [https://linkprotect.cudasvc.com/url?a=https%3a%2f%2ffabrikam.onmicrosoft.com&c=E,1,JKC-Vtl1G4Habh1H&typo=1].';
    expect(readReportFields([line], null)).toMatchObject({ tenant: { name: 'Fabrikam', domain: 'fabrikam.onmicrosoft.com' }, reportedAt: '2025-09-09T09:48:21.000Z' });
    // (not unwrapping: a wrapper we do not know leaves the domain percent-encoded, and it is still the tenant's, not "2ffabrikam…")
    expect(readReportFields(['see https://gw.example/?u=https%3a%2f%2ffabrikam.onmicrosoft.com&x=1'], null).tenant.domain).toBe('fabrikam.onmicrosoft.com');
  });
});

describe('a text forward whose gateway wrapped the links of its error texts (blind38 G3)', () => {
  it("keeps Microsoft's own link in the record, not the wrapper with the customer's gateway token", async () => {
    const { parseMail } = await import('../../src/parse/parse-mail.ts');
    const wrapped = 'https://urldefense.com/v3/__http://support.microsoft.com/kb/2647098__;!!NwT4tR9k!Kx2Yb7pQ-3mVf8sL0dE1rT9uW_aZ6cH4jN$';
    const mail = [
      'From: Dana <dana@northwind.example>',
      'To: it@northwind.example',
      'Subject: FW: Directory Synchronization Error Report: Monday, 12 January 2026 04:00:00 GMT',
      'Date: Mon, 12 Jan 2026 05:00:00 +0000',
      'Message-ID: <g3@northwind.example>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '-----Original Message-----',
      'From: MSOnlineServicesTeam@MicrosoftOnline.com',
      'Sent: Monday, January 12, 2026 4:07 AM',
      'Subject: Directory Synchronization Error Report: Monday, 12 January 2026 04:00:00 GMT',
      '',
      'The following errors occurred during synchronization:',
      '',
      'Identity: ann.lee@northwind.example',
      `Error Description: Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName ann.lee@northwind.example;]. Correct or remove the duplicate values in your local directory. Please refer to ${wrapped} for more information on identifying objects with duplicate attribute values.`,
      'On-premises object ID: nWq3Lk0ZbU2m9A7xPq1sTw==',
      'Object Type: User',
      '',
    ].join('\r\n');
    const out = await parseMail(Buffer.from(mail));
    expect(out.ok).toBe(true);
    const [error] = out.ok ? out.reports[0]!.errors : [];
    expect(error?.message).toContain('Please refer to http://support.microsoft.com/kb/2647098 for more information');
    expect(error?.message).not.toContain('urldefense');
  });
});
