/**
 * How tables flattened to plain text become rows: tab-separated lines as mail clients write
 * them, wrapped or not. Each case is one rule of src/parse/text-blocks.ts a converted
 * report showed (text-dumps.test.ts runs the fixtures through the converters).
 */

import { describe, expect, it } from 'vitest';
import { extractErrors, htmlToBlocks } from '../helpers/blocks.ts';
import { FED, LARGE } from './sentences.ts';
import { textToBlocks } from '../../src/parse/text-blocks.ts';

const records = (text: string): Array<[string, string | null, string | null]> =>
  extractErrors(textToBlocks(text)).errors.map((e) => [e.category, e.identity, e.onPremisesObjectId]);

describe('tab-separated tables', () => {
  it("ends at the report's own end: a Tracking ID line under the last row is no part of its anchor (blind34 M11)", () => {
    const text = ['Identity\tError Description\tOn-premises Object ID', `ann@contoso.com\t${FED}\tlGzdRACtXVeR312rB3cYyA==`, `bob@contoso.com\t${LARGE}\tCAr2MudTWj+AgRSevLtf5w==`, 'Tracking ID: 547cd7ac-542c-4a00-bd88-726ecdf13fdf'].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'lGzdRACtXVeR312rB3cYyA=='],
      ['LargeObject', 'bob@contoso.com', 'CAr2MudTWj+AgRSevLtf5w=='],
    ]);
  });

  it('a row whose empty last cells a client left out is followed by the next row, not joined to it', () => {
    const text = [
      'Identity\tError Name\tError Description\tSource Anchor',
      `ann@contoso.com\t\t${FED}`,
      `bob@contoso.com\t\t${LARGE}`,
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', null],
      ['LargeObject', 'bob@contoso.com', null],
    ]);
  });

  it('an error column that names the error in words ("Existing Admin Role Conflict", Connect Health\'s category) gives it as the error code', () => {
    const resiliency =
      'This object has been updated in your Azure Active Directory, but with some modified properties, because the following attributes are associated with another object [UserPrincipalName it-admin@contoso.com;].';
    const text = ['Identity\tError Name\tError Description\tSource Anchor', `it-admin@contoso.com\tExisting Admin Role Conflict\t${resiliency}\tVsloukE1JxBdCrlC8zY6ng==`].join('\n');
    const [e] = extractErrors(textToBlocks(text)).errors;
    expect(e).toMatchObject({ errorCode: 'Existing Admin Role Conflict', category: 'DuplicateAttribute', identity: 'it-admin@contoso.com', onPremisesObjectId: 'VsloukE1JxBdCrlC8zY6ng==' });
    expect(e!.attributes).toEqual([{ name: 'UserPrincipalName', value: 'it-admin@contoso.com' }]);
  });

  it('a row wrapped at 76 columns is one row, its cells put back together', () => {
    const text = [
      'Identity\tError Description\tSource Anchor',
      'ann@contoso.com\tUnable to update this object in Azure Active Directory,',
      'because the attribute [FederatedUser.UserPrincipalName], is not',
      'valid.\tYW5uMDAwMDAwMDAwMDAwMDAx',
      `bob@contoso.com\t${LARGE}\tYm9iMDAwMDAwMDAwMDAwMDAx`,
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
      ['LargeObject', 'bob@contoso.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });

  it('a row wrapped at 72 where its last tab was: the anchor on a line of its own is the row\'s anchor, and the next row starts', () => {
    // a blind-test mail (Italian Outlook, plain text wrapped at 72): the wrap took the tab before the anchor
    const text = [
      'Identity\tError Description\tSource Anchor',
      'ann@contoso.com\tUnable to update this object in Azure Active Directory,',
      'because the attribute [FederatedUser.UserPrincipalName], is not valid.',
      'YW5uMDAwMDAwMDAwMDAwMDAx',
      'bob.longername@contoso.com\tUnable to update this object in Azure Active',
      'Directory, because the attribute [FederatedUser.UserPrincipalName], is not',
      'valid.',
      'Ym9iMDAwMDAwMDAwMDAwMDAx',
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
      ['FederatedDomainChange', 'bob.longername@contoso.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });

  it('a link a gateway made wider than any wrap width stands alone on its line, and the row goes on after it', () => {
    // a blind-test mail: Proofpoint's urldefense rewrite of the KB link in an Outlook plain-text forward
    const link = `https://urldefense.com/v3/__https://aka.ms/duplicateattributeresiliency__;!!Gx5kT1QbWw!${'Aq'.repeat(40)}$`;
    const text = [
      'Identity\tError Description\tSource Anchor',
      'ann@contoso.com\tThis object has been updated in your Azure Active Directory, but with',
      'some modified properties, because the following attributes are associated with',
      'another object [ProxyAddresses smtp:orders@contoso.com;]. Please refer to',
      link,
      'for steps on how to resolve this issue.\tYW5uMDAwMDAwMDAwMDAwMDAx',
    ].join('\n');
    expect(records(text)).toEqual([['DuplicateAttribute', 'ann@contoso.com', 'YW5uMDAwMDAwMDAwMDAwMDAx']]);
  });

  it('an address alone before the first tab starts a row even where the line above looks wrapped', () => {
    // the row above ends short of its anchor column: without the address rule the next row joined it
    const text = [
      'Identity\tError Description\tSource Anchor',
      'ann@contoso.com\tUnable to update this object in Azure Active Directory, because the',
      'attribute [FederatedUser.UserPrincipalName], is not valid. Please update',
      'bob.longername@contoso.com\tUnable to update this object in Azure Active Directory,',
      'because the attribute [FederatedUser.UserPrincipalName], is not valid.\tYm9iMDAwMDAwMDAwMDAwMDAx',
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', null],
      ['FederatedDomainChange', 'bob.longername@contoso.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });

  it('a description-first table wrapped before its first tab: the lines above a row start its description', () => {
    const text = [
      'Description\tIdentity\tSource Anchor',
      'Unable to update this object in Azure Active Directory, because the',
      'attribute [FederatedUser.UserPrincipalName], is not valid.\tann@contoso.com\tYW5uMDAwMDAwMDAwMDAwMDAx',
      'The provisioned object is too large. Trim the number of attribute values',
      'on this object.\tbob@contoso.com\tYm9iMDAwMDAwMDAwMDAwMDAx',
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
      ['LargeObject', 'bob@contoso.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });

  it('lines after the last row of a description-first table, with no row to start, stay lines of text', () => {
    const text = ['Description\tIdentity', `${LARGE}\tbob@contoso.com`, 'Thank you,', 'The Azure Active Directory Team'].join('\n');
    const lines = textToBlocks(text).flatMap((b) => (b.kind === 'line' ? [b.text] : []));
    expect(lines).toEqual(['Thank you,', 'The Azure Active Directory Team']);
  });

  it('a footer of fewer cells after a blank line is no row of the table', () => {
    const text = [
      'Identity\tObject Type\tError Description',
      `ann@contoso.com\tUser\t${FED}`,
      '',
      'Microsoft Corporation | One Microsoft Way | Redmond, WA 98052\tPrivacy Statement',
    ].join('\n');
    expect(records(text)).toEqual([['FederatedDomainChange', 'ann@contoso.com', null]]);
  });
});

describe('tab rows whose tabs a client expanded to spaces (blind33 B2, B3)', () => {
  // blind33's rows as Python's textwrap left them: the tab after the identity turned into spaces
  // up to the next stop of 8, the row wrapped at 74, the anchor on a line of its own
  const rows = [
    'hank.ives@lamna.org     Unable to update this object because the following',
    'attributes associated with this object have values that may already be',
    'associated with another object in your local directory services:',
    '[ProxyAddresses SMTP:hank.ives@lamna.org;]. Correct or remove the',
    'duplicate values in your local directory.',
    'Ij8kL9mN0oP1qR2sT3uV4w==',
    'irene.jay@lamna.org     Unable to update this object because the following',
    'attributes associated with this object have values that may already be',
    'associated with another object in your local directory services:',
    '[UserPrincipalName irene.jay@lamna.org;]. Correct or remove the duplicate',
    'values in your local directory.',
    'Jk9lM0nO1pQ2rS3tU4vW5x==',
  ];
  const want = [
    ['DuplicateAttribute', 'hank.ives@lamna.org', 'Ij8kL9mN0oP1qR2sT3uV4w=='],
    ['DuplicateAttribute', 'irene.jay@lamna.org', 'Jk9lM0nO1pQ2rS3tU4vW5x=='],
  ];

  it('under a header that kept its tabs, each row is a row: the header\'s last name is no object, and the second row is kept', () => {
    expect(records(['Identity\tError Description\tSource Anchor', ...rows].join('\n'))).toEqual(want);
  });

  it('under a header of spaces too, the rows are read as rows, not cut into columns as a w3m dump is', () => {
    expect(records(['Identity    Error Description    Source Anchor', ...rows].join('\n'))).toEqual(want);
  });

  it('an error code column between the identity and the error, empty or not; a Tracking Id GUID at a line end is no anchor (blind44 P2)', () => {
    const text = [
      'Identity\tError Name\tError Description\tSource Anchor',
      'crussell@contoso.com    InvalidSoftMatch        Unable to update this',
      'object because the following attributes associated with this object have',
      'values that may already be associated with another object in your local',
      'directory services: [ProxyAddresses SMTP:crussell@contoso.com;]. Tracking Id:',
      '3d2b1a0f-1111-4c2d-8e9f-0a1b2c3d4e5f',
      'Y3J1c3NlbGxDb250b3NvMA==',
      'old.user@contoso.com            This synchronization operation, Delete,',
      'is not valid. Contact Technical Support.        b2xkVXNlckNvbnRvc28xMA==',
    ].join('\n');
    expect(extractErrors(textToBlocks(text)).errors.map((e) => [e.category, e.identity, e.errorCode, e.onPremisesObjectId])).toEqual([
      ['DuplicateAttribute', 'crussell@contoso.com', 'InvalidSoftMatch', 'Y3J1c3NlbGxDb250b3NvMA=='],
      ['DeletingCloudOnlyObject', 'old.user@contoso.com', null, 'b2xkVXNlckNvbnRvc28xMA=='],
    ]);
  });

  it('a name one space before a tab stop ends where the error starts, and a row starts after the anchor that ends the one above', () => {
    const text = [
      'Identity\tError Description\tObject Type\tSource Anchor',
      // "Jürgen Müller 1" is 15 characters: its tab became one space
      'Jürgen Müller 1 Unable to update this object in Azure Active Directory,',
      'because the attribute [FederatedUser.UserPrincipalName], is not valid.  User',
      'YW5uMDAwMDAwMDAwMDAwMDAx',
      `Help Desk 22    ${LARGE}    Group   Ym9iMDAwMDAwMDAwMDAwMDAx`,
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'Jürgen Müller 1', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
      ['LargeObject', 'Help Desk 22', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });
});

describe('rows flattened to words', () => {
  it('a row written as one run of text (lynx) keeps the source anchor after its error', () => {
    const text = [
      'Identity Error Description Source Anchor',
      `ann@contoso.com ${FED} Update the value in your local`,
      'directory services. YW5uQ29udG9zbzAwMDAwMQ==',
      `bob@contoso.com ${LARGE} Ym9iQ29udG9zbzAwMDAwMQ==`,
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uQ29udG9zbzAwMDAwMQ=='],
      ['LargeObject', 'bob@contoso.com', 'Ym9iQ29udG9zbzAwMDAwMQ=='],
    ]);
  });

  it('a rule drawn across the page (an <hr> as lynx writes it) is no part of the message above it', () => {
    const text = ['Identity: ann@contoso.com', `Error description: ${LARGE}`, '   ____________________________', 'Identity: bob@contoso.com', `Error description: ${FED}`].join('\n');
    expect(extractErrors(textToBlocks(text)).errors.map((e) => [e.identity, e.message])).toEqual([
      ['ann@contoso.com', LARGE],
      ['bob@contoso.com', FED],
    ]);
  });
});

describe('columns of spaces', () => {
  it('a header name as wide as its column, glued to the next (html2text: "Object TypeError Description"), is two names', () => {
    const text = [
      'Identity                 Object TypeError Description',
      `Sean O'Brien             User        ${LARGE}`,
      `R&D Lab Admins           Group       ${FED}`,
    ].join('\n');
    expect(extractErrors(textToBlocks(text)).errors.map((e) => [e.identity, e.objectType, e.category])).toEqual([
      ["Sean O'Brien", 'User', 'LargeObject'],
      ['R&D Lab Admins', 'Group', 'FederatedDomainChange'],
    ]);
  });

  it('rows spaced by blank lines, each description wrapped inside its column, are one table (a printed memo)', () => {
    // a blind-test mail: Outlook's printed memo of a report, mailed as text
    const text = [
      'Identity                   Error Description                                Source Anchor',
      'ann@contoso.com            Unable to update this object in Azure Active     YW5uMDAwMDAwMDAwMDAwMDAx',
      '                           Directory, because the attribute',
      '                           [FederatedUser.UserPrincipalName], is not valid.',
      '',
      'bob@contoso.com            The provisioned object is too large. Trim the    Ym9iMDAwMDAwMDAwMDAwMDAx',
      '                           number of attribute values on this object.',
      '',
      'Thank you,',
    ].join('\n');
    expect(records(text)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
      ['LargeObject', 'bob@contoso.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
    ]);
  });

  it('a memo header printed in columns ("Subject:      …") keeps one colon per label', () => {
    const lines = textToBlocks(['From:                 MSOnlineServicesTeam@MicrosoftOnline.com', 'Sent:                 02 August 2016 08:15', 'Subject:              Directory Synchronization Error Report'].join('\n'));
    expect(lines.filter((b) => b.kind === 'line').map((b) => (b as { text: string }).text)).toEqual([
      'From: MSOnlineServicesTeam@MicrosoftOnline.com',
      'Sent: 02 August 2016 08:15',
      'Subject: Directory Synchronization Error Report',
    ]);
  });
});

describe('a key/value report one field per paragraph (blind45 Q2)', () => {
  const fields = (sep: string) =>
    [
      ['Identity', 'Chloé Lefèvre'],
      ['Object type', 'Contact'],
      ['Source anchor', 'Y2hsb2VMZWZldnJlMDAwMQ=='],
      ['Error description', FED],
      ['Identity', 'kim.akers@fabrikam.com'],
      ['Object type', 'User'],
      ['Source anchor', 'a2ltQWtlcnNGYWJyaWthbQ=='],
      ['Error description', LARGE],
    ]
      .map(([k, v]) => `${k}${sep}${v}`)
      .join('\n\n');
  it.each([['a colon', ': '], ['a tab', '\t']])('with %s between label and value: each record keeps its object, class and anchor', (_, sep) => {
    expect(extractErrors(textToBlocks(fields(sep))).errors.map((e) => [e.category, e.identity, e.objectType, e.onPremisesObjectId])).toEqual([
      ['FederatedDomainChange', 'Chloé Lefèvre', 'Contact', 'Y2hsb2VMZWZldnJlMDAwMQ=='],
      ['LargeObject', 'kim.akers@fabrikam.com', 'User', 'a2ltQWtlcnNGYWJyaWthbQ=='],
    ]);
  });
});

describe('a tabbed header over rows one cell per line (blind45 Q3)', () => {
  it('deals each paragraph into a row under the header: the object is not taken from the class cell', () => {
    const text = ['Identity\tObject Type\tError Description', '', "Sean O'Brien", 'User', FED, '', 'R&D Lab Admins', 'Group', LARGE, '', 'Thank you,'].join('\n');
    expect(extractErrors(textToBlocks(text)).errors.map((e) => [e.category, e.identity, e.objectType])).toEqual([
      ['FederatedDomainChange', "Sean O'Brien", 'User'],
      ['LargeObject', 'R&D Lab Admins', 'Group'],
    ]);
  });
});

describe("Outlook's plain text of an HTML report (blind28)", () => {
  // each link written as its text and then its target, each cell a paragraph: an admin forwarding a report as plain text
  const DUP = (values: string) =>
    `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [${values}]. Correct or remove the duplicate values in your local directory. Please refer to http://support.microsoft.com/kb/2647098<http://support.microsoft.com/kb/2647098> for more information on identifying objects with duplicate attribute values.`;
  const converted = [
    'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com<mailto:MSOnlineServicesTeam@MicrosoftOnline.com>>',
    '',
    'The following errors occurred during synchronization:',
    '',
    'Identity',
    '',
    'Error Description',
    '',
    'On-premises Object ID',
    '',
    'john.smith@contoso.com<mailto:john.smith@contoso.com>',
    '',
    DUP('UserPrincipalName john.smith@contoso.com<mailto:john.smith@contoso.com>;'),
    '',
    'ltXur0tcUkLylxCj6emTuw==',
    '',
    'Finance Team',
    '',
    DUP('ProxyAddresses SMTP:finance@contoso.com<mailto:finance@contoso.com>;smtp:fin@contoso.com<mailto:fin@contoso.com>;'),
    '',
    'nyj/hxpN8b0zW5wobkuKOw==',
    '',
    'Thank you,',
    'The Microsoft Online Services Team',
  ].join('\n');
  const errors = () => extractErrors(textToBlocks(converted)).errors;

  it('reads each value, and the object, without the link target the conversion appended', () => {
    const [john, finance] = errors();
    expect(john).toMatchObject({ identity: 'john.smith@contoso.com', attributes: [{ name: 'UserPrincipalName', value: 'john.smith@contoso.com' }] });
    expect(finance!.attributes).toEqual([
      { name: 'ProxyAddresses', value: 'SMTP:finance@contoso.com' },
      { name: 'ProxyAddresses', value: 'smtp:fin@contoso.com' },
    ]);
    expect(finance!.message).not.toContain('<http');
  });

  it('deals the cells, a paragraph each, into rows under the header: each row keeps its anchor, the signature makes none', () => {
    expect(records(converted)).toEqual([
      ['DuplicateAttribute', 'john.smith@contoso.com', 'ltXur0tcUkLylxCj6emTuw=='],
      ['DuplicateAttribute', 'Finance Team', 'nyj/hxpN8b0zW5wobkuKOw=='],
    ]);
  });

  it('gives the problems the fingerprints of the same report read clean, so the next clean report updates their tickets', () => {
    const clean = [
      'Identity\tError Description\tOn-premises Object ID',
      `john.smith@contoso.com\t${DUP('UserPrincipalName john.smith@contoso.com;')}\tltXur0tcUkLylxCj6emTuw==`,
      `Finance Team\t${DUP('ProxyAddresses SMTP:finance@contoso.com;smtp:fin@contoso.com;')}\tnyj/hxpN8b0zW5wobkuKOw==`,
    ].join('\n');
    expect(errors().map((e) => e.fingerprint)).toEqual(extractErrors(textToBlocks(clean)).errors.map((e) => e.fingerprint));
  });

  it('keeps a name and address as a header writes them, and a forward header names the sender without the target', () => {
    const lines = textToBlocks('From: Ann Lee <ann@contoso.com>\nTo: Bob <bob@contoso.com<mailto:bob@contoso.com>>').map((b) => (b as { text: string }).text);
    expect(lines).toEqual(['From: Ann Lee <ann@contoso.com>', 'To: Bob <bob@contoso.com>']);
  });
});

describe('a sentence that introduces the list', () => {
  const UPN =
    'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName john@contoso.com;]. Correct or remove the duplicate values in your local directory.';
  const html = (intro: string) =>
    `<h2>Directory Synchronization Error Report</h2><p>${intro}</p><table><tr><th>Identity</th><th>Error Description</th></tr><tr><td>john@contoso.com</td><td>${UPN}</td></tr></table>`;
  // blind48: an intro above the table was a record of its own, an Unknown error of "the whole tenant"
  it.each([
    'The following objects could not be synchronized:',
    'The following accounts failed to export:',
    'Die folgenden Objekte konnten nicht synchronisiert werden:',
    '以下のオブジェクトは同期できませんでした：',
  ])('"%s" above the table is no error: one record, the row\'s', (intro) => {
    const fromHtml = extractErrors(htmlToBlocks(html(intro))).errors.map((e) => [e.category, e.identity]);
    expect(fromHtml).toEqual([['DuplicateAttribute', 'john@contoso.com']]);
    const fromText = records(['Directory Synchronization Error Report', '', intro, '', 'Identity\tError Description', `john@contoso.com\t${UPN}`].join('\n'));
    expect(fromText).toEqual([['DuplicateAttribute', 'john@contoso.com', null]]);
  });

  // blind49: prose that uses an error's words, above the table or beside it, made a record of no object
  it.each([
    'Sync failed for the objects below',
    'Note: the duplicate value below is also on a contact',
    'Error: valor duplicado en ProxyAddresses.',
    'We were unable to fix these ourselves, please have a look',
  ])('"%s" above the table, or below it, is a note: one record, the row\'s', (note) => {
    const rows = (before: string, after: string) =>
      `<h2>Directory Synchronization Error Report</h2><p>${before}</p><table><tr><th>Identity</th><th>Error Description</th></tr><tr><td>john@contoso.com</td><td>${UPN}</td></tr></table><p>${after}</p>`;
    for (const html of [rows(note, ''), rows('', note)]) {
      const out = extractErrors(htmlToBlocks(html));
      expect(out.errors.map((e) => [e.category, e.identity])).toEqual([['DuplicateAttribute', 'john@contoso.com']]);
      expect(out.unparsed.join(' ')).toContain(note.replace(/^Error: /, ''));
    }
    const text = ['Directory Synchronization Error Report', '', note, '', 'Identity\tError Description', `john@contoso.com\t${UPN}`].join('\n');
    expect(records(text)).toEqual([['DuplicateAttribute', 'john@contoso.com', null]]);
  });

  it('beside errors in sentences (no table), prose that names nothing is a note; the quota error takes no name from the line above it (blind49)', () => {
    const QUOTA = 'Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized. Contact Microsoft Online Services Support.';
    for (const note of ['以下のエラーを修正してください。', 'Sync failed for the objects below', 'Confidentiality notice: if you received this in error, please delete it.']) {
      const text = ['Directory Synchronization Error Report', '', 'The following errors occurred during synchronization:', '', note, QUOTA, '', 'Tracking ID: 2b7e1516-28ae-4d2a-a6f7-15880c3c9f0e'].join('\n');
      expect(records(text), note).toEqual([['QuotaExceeded', null, null]]);
    }
  });

  it("a label's value that is one of Microsoft's error sentences is that error, not the label's field (blind49: \"User:\" above the quota error)", () => {
    const QUOTA = 'Error 016: Synchronization has been stopped. This company has exceeded the number of objects that can be synchronized. Contact Microsoft Online Services Support.';
    for (const lines of [['User:', QUOTA], [`User: ${QUOTA}`], ['On-premises object ID:', QUOTA]]) {
      const text = ['Directory Synchronization Error Report', '', 'The following errors occurred during synchronization:', '', ...lines, 'Tracking ID: 2b7e1516-28ae-4d2a-a6f7-15880c3c9f0e'].join('\n');
      expect(records(text), lines[0]).toEqual([['QuotaExceeded', null, null]]);
    }
    // a field's value is still its own where the error has a label of its own
    expect(records(['Directory Synchronization Error Report', '', 'User: john@contoso.com', `Error: ${QUOTA}`].join('\n'))).toEqual([['QuotaExceeded', 'john@contoso.com', null]]);
  });

  it('with no table after it, an error text that names nothing is still an error of the whole tenant', () => {
    expect(records(['Directory Synchronization Error Report', '', 'The export failed: the connector space is corrupt.'].join('\n'))).toEqual([['Unknown', null, null]]);
  });

  it('an error sentence that ends in a colon still is one where it names its object', () => {
    const text = ['Directory Synchronization Error Report', '', 'john@contoso.com', 'The export of this object failed with the following error:'].join('\n');
    expect(records(text)).toEqual([['Unknown', 'john@contoso.com', null]]);
  });
});
