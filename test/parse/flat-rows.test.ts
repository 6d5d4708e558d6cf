/**
 * Rows and fields flattened to words one space apart, as `lynx -dump` writes an HTML table.
 * text-dumps.test.ts runs the real lynx over every HTML fixture; these pin the rules.
 */
import { describe, expect, it } from 'vitest';
import { peelCells, spacedLabels } from '../../src/parse/flat-rows.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';

const lines = (text: string) => text.split('\n').map((t) => ({ text: t }));

describe('peelCells', () => {
  it('reads a source anchor, an object class and an error name from the end and leaves the name, spaces and all', () => {
    expect(peelCells('Müller, Jürgen User 3vB7nQ2kR5tY8wZ1aC4eGg==', new Set(['identity', 'objectType', 'objectId']))).toEqual({
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
    expect(peelCells('Help Desk Group', new Set(['identity', 'objectType']))).toMatchObject({ identity: 'Help Desk', objectType: 'Group' });
  });

  it('takes any word of base64 shape under a source-anchor column, and only an id-looking one elsewhere', () => {
    expect(peelCells('YWxleFdpbGJlcjAwMDAx', new Set(['objectId'])).objectId).toBe('YWxleFdpbGJlcjAwMDAx');
    expect(peelCells('Internationalization', null).objectId).toBeNull();
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

  it('gives each row its object when the description comes first', async () => {
    const body = [
      '   Description Identity Object Type Source Anchor',
      '   The provisioned object is too large. Trim the number of attribute values on this object.',
      '   The operation will be retried in the next synchronization cycle.. Müller, Jürgen User',
      '   3vB7nQ2kR5tY8wZ1aC4eGg==',
      '   Unable to update this object because the on-premises mailbox move is still in progress.',
      '   Wait for the move to complete and try again. Lee Gu User Xy1Wz2Vu3Ts4Rq5Po6Nm7A==',
      '   This synchronization operation, Delete, is not valid. Contact Technical Support.',
      '   cloud.user@contoso.com User Q2xvdWRVc2VyMDAwMDAwMQ==',
    ].join('\n');
    const out = await parseMail(mail(body));
    expect(out.ok).toBe(true);
    const errors = out.ok ? out.reports[0]!.errors : [];
    expect(errors.map((e) => [e.identity, e.objectType, e.onPremisesObjectId, e.category])).toEqual([
      ['Müller, Jürgen', 'User', '3vB7nQ2kR5tY8wZ1aC4eGg==', 'LargeObject'],
      ['Lee Gu', 'User', 'Xy1Wz2Vu3Ts4Rq5Po6Nm7A==', 'Unknown'],
      ['cloud.user@contoso.com', 'User', 'Q2xvdWRVc2VyMDAwMDAwMQ==', 'DeletingCloudOnlyObject'],
    ]);
    // the header line names no object
    expect(errors.some((e) => e.identity?.includes('Description'))).toBe(false);
  });

  it('parts the name from the object class and error name before the sentence', async () => {
    const body = [
      '   Object Object Type Error Code Error Description',
      '   Pat Jones User InvalidSoftMatch Unable to update this object because the following',
      '   attributes associated with this object have values that may already be associated with',
      '   another object in your local directory services: [ProxyAddresses SMTP:pat@contoso.com;].',
      '   Correct or remove the duplicate values in your local directory.',
    ].join('\n');
    const out = await parseMail(mail(body));
    const e = out.ok ? out.reports[0]!.errors[0] : undefined;
    expect(e).toMatchObject({ identity: 'Pat Jones', objectType: 'User', errorCode: 'InvalidSoftMatch', category: 'DuplicateAttribute' });
  });
});
