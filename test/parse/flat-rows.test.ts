/**
 * Rows and fields flattened to words one space apart, as `lynx -dump` writes an HTML table.
 * text-dumps.test.ts runs the real lynx over every HTML fixture; these pin the rules.
 */
import { execFileSync } from 'node:child_process';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import { peelCells, rowStart, sidesOf, spacedLabels } from '../../src/parse/flat-rows.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { generateSpec, renderReport, type Column } from './report-generator.ts';

const lines = (text: string) => text.split('\n').map((t) => ({ text: t }));

/** A plain-text mail forwarding `body` (a text dump of a report) from Gmail. */
const mail = (body: string) =>
  Buffer.from(
    [
      'From: Admin <admin@contoso.com>',
      'To: syncdesk@contoso.com',
      'Subject: Fwd: Directory Synchronization Error Report',
      'Date: Tue, 01 Dec 2026 08:00:00 +0000',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '---------- Forwarded message ---------',
      'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
      'Date: Mon, 30 Nov 2026 06:00:00 +0000',
      'Subject: Directory Synchronization Error Report',
      'To: admin@contoso.com',
      '',
      body,
    ].join('\n'),
  );

/** The errors read from a lynx dump (its lines indented as lynx indents them), forwarded as text. */
async function errorsOfDump(dump: string[]): Promise<SyncError[]> {
  const out = await parseMail(mail(dump.map((l) => `   ${l}`).join('\n')));
  return out.ok ? out.reports.flatMap((r) => r.errors) : [];
}

describe('peelCells', () => {
  it('reads a source anchor, an object class and an error name from the end and leaves the name, spaces and all', () => {
    const after = sidesOf(['description', 'identity', 'objectType', 'objectId']).after;
    expect(peelCells('Müller, Jürgen User 3vB7nQ2kR5tY8wZ1aC4eGg==', after)).toEqual({
      identity: 'Müller, Jürgen',
      objectType: 'User',
      objectId: '3vB7nQ2kR5tY8wZ1aC4eGg==',
      errorCode: null,
    });
    expect(peelCells('alex@contoso.com User AttributeValueMustBeUnique', null)).toEqual({
      identity: 'alex@contoso.com',
      objectType: 'User',
      objectId: null,
      errorCode: 'AttributeValueMustBeUnique',
    });
  });

  it('takes a class word for a cell only under an object-type column or after an address', () => {
    expect(peelCells('Help Desk Group', null).identity).toBe('Help Desk Group');
    expect(peelCells('Help Desk Group', sidesOf(['identity', 'objectType', 'description']).before)).toMatchObject({ identity: 'Help Desk', objectType: 'Group' });
  });

  it('reads the cells a header puts before the name from the start', () => {
    expect(peelCells('Contact Fabrikam Support 4', sidesOf(['objectType', 'identity', 'description', 'objectId']).before)).toMatchObject({
      identity: 'Fabrikam Support 4',
      objectType: 'Contact',
    });
    expect(peelCells('77263271-6c43-4069-8c43-a8c3b7cf3c25 O\'Neil Consulting 1', sidesOf(['objectId', 'identity', 'description']).before)).toMatchObject({
      identity: "O'Neil Consulting 1",
      objectId: '77263271-6c43-4069-8c43-a8c3b7cf3c25',
    });
  });

  it('takes any word of base64 shape under a source-anchor column, and only an id-looking one elsewhere', () => {
    expect(peelCells('YWxleFdpbGJlcjAwMDAx', sidesOf(['identity', 'description', 'objectId']).after).objectId).toBe('YWxleFdpbGJlcjAwMDAx');
    expect(peelCells('Internationalization', null).objectId).toBeNull();
  });
});

describe('rowStart', () => {
  const before = sidesOf(['identity', 'objectId', 'description']).before;

  it('starts a row at an address, or at a name a cell ends, and not inside a sentence', () => {
    expect(rowStart('ivan@contoso.com The object could not be exported', before)).toMatchObject({ cells: { identity: 'ivan@contoso.com' }, rest: 'The object could not be exported' });
    expect(rowStart('Jürgen Müller 4 mSShjEHhDNkWbOMHqxpJ/g== The object could not be exported', before)).toMatchObject({
      cells: { identity: 'Jürgen Müller 4', objectId: 'mSShjEHhDNkWbOMHqxpJ/g==' },
      rest: 'The object could not be exported',
    });
    expect(rowStart('directory services. 1CnF/RnI9Uyx0ofuAsnZTg==', before)).toBeNull();
    expect(rowStart('Jürgen Müller 4 The object could not be exported', before)).toBeNull();
    expect(rowStart('ivan@contoso.com The object could not be exported', sidesOf(['description', 'identity']).before)).toBeNull();
  });
});

describe('spacedLabels', () => {
  const record = lines(
    [
      'Identity Zoë Angström',
      'Object type User',
      'Source anchor em9lQW5nc3Ryb20wMDAwMQ==',
      'Error description Unable to update this object in Azure Active Directory, because the',
      'attribute [UserPrincipalName], is not valid. Update the value in your local directory',
      'services.',
      'Object type Contact',
    ].join('\n'),
  );

  it('reads label and value one space apart, and a wrapped description on until its sentence ends', () => {
    const found = spacedLabels(record);
    expect([...found.values()]).toEqual([
      { role: 'identity', value: 'Zoë Angström' },
      { role: 'objectType', value: 'User' },
      { role: 'objectId', value: 'em9lQW5nc3Ryb20wMDAwMQ==' },
      { role: 'description', value: 'Unable to update this object in Azure Active Directory, because the' },
      { role: 'objectType', value: 'Contact' },
    ]);
    // "attribute [UserPrincipalName], …" goes on the description: it is no attribute field
    expect(found.has(record[4]!)).toBe(false);
  });

  it('reads nothing from prose whose lines happen to start with a label word', () => {
    const prose = lines('User accounts were moved last night by the team.\nDescription of the change follows in the next mail.');
    expect(spacedLabels(prose).size).toBe(0);
  });
});

describe('a report flattened by lynx, forwarded as text', () => {
  it('gives each row its object when the description comes first', async () => {
    const errors = await errorsOfDump([
      'Description Identity Object Type Source Anchor',
      'The provisioned object is too large. Trim the number of attribute values on this object.',
      'The operation will be retried in the next synchronization cycle.. Müller, Jürgen User',
      '3vB7nQ2kR5tY8wZ1aC4eGg==',
      'Unable to update this object because the on-premises mailbox move is still in progress.',
      'Wait for the move to complete and try again. Lee Gu User Xy1Wz2Vu3Ts4Rq5Po6Nm7A==',
      'This synchronization operation, Delete, is not valid. Contact Technical Support.',
      'cloud.user@contoso.com User Q2xvdWRVc2VyMDAwMDAwMQ==',
    ]);
    expect(errors.map((e) => [e.identity, e.objectType, e.onPremisesObjectId, e.category])).toEqual([
      ['Müller, Jürgen', 'User', '3vB7nQ2kR5tY8wZ1aC4eGg==', 'LargeObject'],
      ['Lee Gu', 'User', 'Xy1Wz2Vu3Ts4Rq5Po6Nm7A==', 'Unknown'],
      ['cloud.user@contoso.com', 'User', 'Q2xvdWRVc2VyMDAwMDAwMQ==', 'DeletingCloudOnlyObject'],
    ]);
    // the header line names no object
    expect(errors.some((e) => e.identity?.includes('Description'))).toBe(false);
  });

  it('parts the name from the object class and error name before the sentence', async () => {
    const [e] = await errorsOfDump([
      'Object Object Type Error Code Error Description',
      'Pat Jones User InvalidSoftMatch Unable to update this object because the following',
      'attributes associated with this object have values that may already be associated with',
      'another object in your local directory services: [ProxyAddresses SMTP:pat@contoso.com;].',
      'Correct or remove the duplicate values in your local directory.',
    ]);
    expect(e).toMatchObject({ identity: 'Pat Jones', objectType: 'User', errorCode: 'InvalidSoftMatch', category: 'DuplicateAttribute' });
  });
});

describe('a report in German flattened by lynx', () => {
  it('reads a bare error name under an error-name column as that cell, and the text after it as the description', async () => {
    const errors = await errorsOfDump([
      'Identität Fehlername Fehlerbeschreibung Quellanker',
      'anna.weber@contoso.de Kann nicht auf dieses Objekt aktualisieren, da die Benutzer-ID nicht',
      'gefunden wird.',
      'jonas.becker@contoso.de DataValidationFailed Dieses Objekt kann in Azure Active Directory',
      'nicht aktualisiert werden, da das Attribut „FederatedUser.UserPrincipalName“ ungültig ist.',
      'Aktualisieren Sie den Wert in Ihren lokalen Verzeichnisdiensten. am9uYXNCZWNrZXJDb250',
    ]);
    expect(errors.map((e) => [e.identity, e.errorCode, e.onPremisesObjectId, e.category])).toEqual([
      ['anna.weber@contoso.de', null, null, 'ObjectNotFound'],
      ['jonas.becker@contoso.de', 'DataValidationFailed', 'am9uYXNCZWNrZXJDb250', 'FederatedDomainChange'],
    ]);
    expect(errors[1]!.message).toMatch(/^Dieses Objekt kann .* Verzeichnisdiensten\.$/);
  });
});

describe('generated reports of every column order, through the real lynx', () => {
  // lynx as mutt runs it (text-dumps.test.ts runs it over the fixtures)
  const lynx = (html: string, cols: number): string =>
    execFileSync('lynx', ['-dump', '-stdin', '-nolist', '-display_charset=UTF-8', '-assume_charset=UTF-8', `-width=${cols}`], {
      input: html.replace(/<meta[^>]*charset[^>]*>/gi, ''),
      encoding: 'utf8',
    });
  const key = (e: SyncError): string => [e.identity, e.onPremisesObjectId, e.objectType, e.category, JSON.stringify(e.attributes)].join(' | ');
  const orders: Column[][] = [
    ['identity', 'description'],
    ['identity', 'description', 'objectId'],
    ['identity', 'objectType', 'description', 'objectId'],
    ['objectType', 'identity', 'description', 'objectId'],
    ['identity', 'objectId', 'description'],
    ['objectId', 'identity', 'description'],
    ['description', 'identity'],
    ['description', 'identity', 'objectId'],
    ['description', 'identity', 'objectType', 'objectId'],
  ];

  it.each(orders.map((o) => [o.join(', '), o] as const))('%s: the same errors as the HTML, at 80, 100 and 140 columns', async (_, columns) => {
    // a name of several words right before a description no sentence of ours matches has no
    // visible end: such a row keeps its record (counted), not necessarily its name
    const nameUnbounded = columns[columns.indexOf('description') - 1] === 'identity';
    const compared = (e: SyncError) => !(nameUnbounded && e.category === 'Unknown' && !e.identity?.includes('@'));
    for (const seed of [1, 2, 3]) {
      const raw = renderReport({ ...generateSpec(6, seed), quota: false }, { kind: 'html-table', columns });
      const html = (await simpleParser(raw)).html as string;
      const fromHtml = await parseMail(raw);
      const want = fromHtml.ok ? fromHtml.reports.flatMap((r) => r.errors) : [];
      for (const cols of [80, 100, 140]) {
        const out = await parseMail(mail(lynx(html, cols)));
        const got = out.ok ? out.reports.flatMap((r) => r.errors) : [];
        expect(got.length).toBe(want.length);
        expect(got.filter(compared).map(key).sort()).toEqual(want.filter(compared).map(key).sort());
      }
    }
  });
});
