import { describe, expect, it } from 'vitest';
import { readReportFields } from '../../src/parse/report-fields.ts';

describe('report-level facts', () => {
  it('reads both tenant sentences: "for tenant NAME." and "for directory NAME [DOMAIN]."', () => {
    expect(readReportFields(['The Directory Synchronization batch run was completed on Tuesday, 03 January 2012 23:54:02 GMT for tenant Fabrikam, Inc..'], null).tenant).toEqual({ name: 'Fabrikam, Inc.', domain: null, id: null });
    const f = readReportFields(['The Identity synchronization tool batch run was completed on Thursday, 16 April 2018 18:13:17 GMT for directory broadarc [broadarc.onmicrosoft.com].'], null);
    expect(f.tenant).toEqual({ name: 'broadarc', domain: 'broadarc.onmicrosoft.com', id: null });
    expect(f.reportedAt).toBe('2018-04-16T18:13:17.000Z');
  });

  it('keeps a name\'s own final dot before the domain in brackets ("A.Ş. [x.onmicrosoft.com]."), wrapped or not', () => {
    // found by the eighth blind test: the name came out as "İSTANBUL LOJİSTİK A.Ş"
    const sentence = 'The Identity synchronization tool batch run was completed on Thursday, 16 April 2018 18:13:17 GMT for directory İSTANBUL LOJİSTİK A.Ş. [istanbullojistik.onmicrosoft.com].';
    expect(readReportFields([sentence], null).tenant).toEqual({ name: 'İSTANBUL LOJİSTİK A.Ş.', domain: 'istanbullojistik.onmicrosoft.com', id: null });
    const wrapped = sentence.replace(' [', '\n[').split('\n');
    expect(readReportFields(wrapped, null).tenant.name).toBe('İSTANBUL LOJİSTİK A.Ş.');
  });

  it('reads an ambiguous numeric run date by the mail\'s own date, and guesses nothing without one', () => {
    const line = ['The Directory Synchronization batch run was completed on 05/09/2017 06:00:00 for tenant Contoso.'];
    expect(readReportFields(line, null, '2017-05-09T06:04:00Z').reportedAt).toBe('2017-05-09T06:00:00.000Z');
    expect(readReportFields(line, null, '2017-09-05T06:04:00Z').reportedAt).toBe('2017-09-05T06:00:00.000Z');
    expect(readReportFields(line, null, null).reportedAt).toBeNull();
  });

  it("takes no tenant domain from Exchange's routing address (ContosoReAG.mail.onmicrosoft.com names no tenant)", () => {
    const lines = [
      'The Directory Synchronization batch run was completed on Monday, 30 September 2013 14:05:41 GMT for tenant Contoso Ltd..',
      'crussell@Contoso.com | [ProxyAddresses SMTP:crussell@Contoso.com,smtp:crussell@ContosoReAG.mail.onmicrosoft.com,Mail crussell@Contoso.com;] |',
    ];
    expect(readReportFields(lines, null).tenant).toEqual({ name: 'Contoso Ltd.', domain: null, id: null });
    expect(readReportFields([...lines, 'ASPNET@contoso.onmicrosoft.com | …'], null).tenant.domain).toBe('contoso.onmicrosoft.com');
  });

  it('keeps the dots of a name the sentence\'s first stop would cut ("Sp. z o.o.."), but not a next sentence', () => {
    const wrapped = ['The Directory Synchronization batch run was completed on Wednesday, 21 May', '2014 06:03:19 GMT for tenant Wisła Logistyka Sp. z o.o..'];
    expect(readReportFields(wrapped, null).tenant.name).toBe('Wisła Logistyka Sp. z o.o.');
    const next = ['The Directory Synchronization batch run was completed on Wednesday, 21 May 2014 06:03:19 GMT for tenant Contoso. Errors below. See KB 1..'];
    expect(readReportFields(next, null).tenant.name).toBe('Contoso');
  });

  it('reads past an abbreviation\'s dot in the tenant\'s name, and stops at a name\'s own last dot when the sentence adds its stop (blind34 M1)', () => {
    const name = (tail: string) => readReportFields([`The Directory Synchronization batch run was completed on Monday, 10 March 2014 02:00:00 GMT for tenant ${tail}`], null).tenant.name;
    expect(name('Contoso Ltd. UK.')).toBe('Contoso Ltd. UK');
    expect(name("St. Mary's Hospital.")).toBe("St. Mary's Hospital");
    expect(name('Contoso Ltd..')).toBe('Contoso Ltd.');
    expect(name('Acme Co..')).toBe('Acme Co.');
    expect(name('Contoso Ltd.')).toBe('Contoso Ltd');
    expect(name('Fabrikam Inc. Europe.')).toBe('Fabrikam Inc. Europe');
    expect(name('A.B. Dick Company.')).toBe('A.B. Dick Company');
    // a name that is no abbreviation still ends at its first stop, and a next sentence is no part of it
    expect(name('Contoso. Errors below. See KB 1..')).toBe('Contoso');
  });

  it('reads past an initial in the tenant\'s name ("for tenant A. Datum Corporation.")', () => {
    const line = ['The Directory Synchronization batch run was completed on Monday, 10 March 2014 02:00:00 GMT for tenant A. Datum Corporation.'];
    expect(readReportFields(line, null).tenant.name).toBe('A. Datum Corporation');
  });
});

