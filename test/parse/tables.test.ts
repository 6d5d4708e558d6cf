/**
 * How table markup becomes records: the HTML traps a hand-written scanner fell into, and
 * the rows that are not errors (labels, headings) next to the ones that are.
 */

import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { extractErrors, htmlToBlocks } from '../helpers/blocks.ts';
import { FED, LARGE } from './sentences.ts';

const records = (html: string): Array<[string, string | null, string | null]> =>
  extractErrors(htmlToBlocks(html)).errors.map((e) => [e.category, e.identity, e.onPremisesObjectId]);

describe('HTML tables', () => {
  it('keep a cell whole when an attribute value holds ">"', () => {
    const blocks = htmlToBlocks(`<table><tr><td title="a>b">ann@contoso.com</td><td class='x>y'>${FED}</td></tr></table>`);
    expect(blocks).toContainEqual({ kind: 'row', cells: ['ann@contoso.com', FED], table: 1, collapsed: true });
  });

  it('give a rowspan cell to every row it spans, and keep columns after a colspan in place', () => {
    const html = `<table>
      <tr><th>Identity</th><th>Error Description</th><th>Source Anchor</th></tr>
      <tr><td rowspan="2">ann@contoso.com</td><td>${FED}</td><td rowspan="2">YW5uQ29udG9zbzAwMDAx</td></tr>
      <tr><td>${LARGE}</td></tr>
      <tr><td colspan="2">${LARGE}</td><td>Ym9iQ29udG9zbzAwMDAx</td></tr>
    </table>`;
    expect(records(html)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', 'YW5uQ29udG9zbzAwMDAx'],
      ['LargeObject', 'ann@contoso.com', 'YW5uQ29udG9zbzAwMDAx'],
      ['LargeObject', null, 'Ym9iQ29udG9zbzAwMDAx'],
    ]);
  });

  it('take an error code from beside the sentence, and none from a value in the brackets of a sentence alone', () => {
    const dup = (value: string): string =>
      `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses SMTP:${value};]. Correct or remove the duplicate values in your local directory.`;
    const html = `<table>
      <tr><td>ann@contoso.com</td><td>${dup('AccessDenied@contoso.com')}</td></tr>
      <tr><td>bob@contoso.com</td><td>AttributeValueMustBeUnique: ${dup('bob@contoso.com')}</td></tr>
    </table>`;
    const [ann, bob] = extractErrors(htmlToBlocks(html)).errors;
    expect(ann).toMatchObject({ errorCode: null, category: 'DuplicateAttribute', attributes: [{ name: 'ProxyAddresses', value: 'SMTP:AccessDenied@contoso.com' }] });
    expect(bob).toMatchObject({ errorCode: 'AttributeValueMustBeUnique', category: 'DuplicateAttribute' });
  });

  it('never take a section heading row for an error, and classify the rows under it by it', () => {
    const html = `<table>
      <tr><th>Identity</th><th>Error Description</th></tr>
      <tr><td colspan="2">Duplicate Attribute (1)</td></tr>
      <tr><td>ann@contoso.com</td><td>The value is already used by another object.</td></tr>
      <tr><td colspan="2">Other</td></tr>
      <tr><td>bob@contoso.com</td><td>Export failed for an unexpected reason.</td></tr>
    </table>`;
    expect(records(html)).toEqual([
      ['DuplicateAttribute', 'ann@contoso.com', null],
      ['Unknown', 'bob@contoso.com', null],
    ]);
  });

  it('read label rows as labels, not errors, outside an error table', () => {
    const html = `<table><tr><td>Subject:</td><td>Directory Synchronization Error Report</td></tr><tr><td>Tenant</td><td>Contoso</td></tr></table>`;
    expect(extractErrors(htmlToBlocks(html))).toEqual({ errors: [], unparsed: [] });
  });

  it('make every row of an error table one record, even one no known sentence explains', () => {
    const html = `<table><tr><th>Identity</th><th>Error Description</th></tr>
      <tr><td>ann@contoso.com</td><td>${FED} ${LARGE}</td></tr>
      <tr><td>bob@contoso.com</td><td>Die Synchronisierung ist mit einem unbekannten Fehler abgebrochen.</td></tr>
    </table>`;
    const { errors, unparsed } = extractErrors(htmlToBlocks(html));
    expect(errors.map((e) => [e.category, e.identity])).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com'],
      ['Unknown', 'bob@contoso.com'],
    ]);
    expect(unparsed).toEqual([]);
  });

  it('name the object class the way admins write it, whatever case the report uses', () => {
    const html = `<table><tr><th>Identity</th><th>Error Description</th><th>Object Type</th></tr>
      <tr><td>ann@contoso.com</td><td>${LARGE}</td><td>inetOrgPerson</td></tr>
      <tr><td>Sales PF</td><td>${LARGE}</td><td>publicFolder</td></tr>
      <tr><td>All Sales</td><td>${LARGE}</td><td>MSEXCHDYNAMICDISTRIBUTIONLIST</td></tr>
      <tr><td>Kiosk 7</td><td>${LARGE}</td><td>kiosk</td></tr>
    </table>`;
    expect(extractErrors(htmlToBlocks(html)).errors.map((e) => e.objectType)).toEqual(['User', 'PublicFolder', 'msExchDynamicDistributionList', 'kiosk']);
  });

  it('read the anchor out of an object named by its Entra connector DN, CN={hex of the anchor}, and leave a cloud anchor alone', () => {
    // the DN of Error 114's example export record (tshoot-connect-sync-errors; email-format.md)
    const html = `<table><tr><th>Identity</th><th>Error Description</th></tr>
      <tr><td>CN={783456306961654236304B58786A66746377643748773D3D}</td><td>Deleting a cloud-only object isn't supported.</td></tr>
      <tr><td>CN={557365725F61626364}</td><td>Deleting a cloud-only object isn't supported.</td></tr>
    </table>`;
    const errors = extractErrors(htmlToBlocks(html)).errors;
    expect(errors.map((e) => [e.identity, e.onPremisesObjectId])).toEqual([
      ['CN={783456306961654236304B58786A66746377643748773D3D}', 'x4V0iaeB60KXxjftcwd7Hw=='],
      ['CN={557365725F61626364}', null],
    ]);
  });

  it('take the base64 source anchor for the on-premises id when a GUID column stands beside it, in either order (blind33 B1)', () => {
    const guid = 'f3b0c2a1-5d6e-4f70-8a9b-0c1d2e3f4a5b';
    const anchorFirst = `<table>
      <tr><th>Source Anchor</th><th>Object ID</th><th>Identity</th><th>Error Description</th></tr>
      <tr><td>YW5uQ29udG9zbzAwMDAx</td><td>${guid}</td><td>ann@contoso.com</td><td>${FED}</td></tr>
    </table>`;
    const guidFirst = anchorFirst.replace('<th>Source Anchor</th><th>Object ID</th>', '<th>Object ID</th><th>Source Anchor</th>').replace(`<td>YW5uQ29udG9zbzAwMDAx</td><td>${guid}</td>`, `<td>${guid}</td><td>YW5uQ29udG9zbzAwMDAx</td>`);
    for (const html of [anchorFirst, guidFirst]) expect(records(html)).toEqual([['FederatedDomainChange', 'ann@contoso.com', 'YW5uQ29udG9zbzAwMDAx']]);
    // a GUID alone is still the row's id
    expect(records(anchorFirst.replace('<td>YW5uQ29udG9zbzAwMDAx</td>', '<td></td>'))).toEqual([['FederatedDomainChange', 'ann@contoso.com', guid]]);
  });

  it('take no sentence for an anchor, even under the anchor column (a paste that shifted the columns; blind44 P8)', () => {
    const html = `<table>
      <tr><th>Identity</th><th>Error Description</th><th>Source Anchor</th></tr>
      <tr><td>ann@contoso.com</td><td>${FED}</td><td>Ein synchronisiertes Objekt mit derselben Proxyadresse existiert bereits.</td></tr>
      <tr><td>bob@contoso.com</td><td>${FED}</td><td>Ym9iQ29u dG9zbzAx</td></tr>
    </table>`;
    // a wrapped anchor's space is no sentence: it is read without it
    expect(records(html)).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com', null],
      ['FederatedDomainChange', 'bob@contoso.com', 'Ym9iQ29udG9zbzAx'],
    ]);
  });

  it('take a footer across the table ("Total: 2 errors") for no error', () => {
    const html = `<table>
      <tr><th>Identity</th><th>Error Description</th><th>Source Anchor</th></tr>
      <tr><td>ann@contoso.com</td><td>${FED}</td><td>YW5uQ29udG9zbzAwMDAx</td></tr>
      <tr><td colspan="3"><i>Total: 1 error. Please refer to https://aka.ms/duplicateattributeresiliency for steps on how to resolve this issue.</i></td></tr>
    </table>`;
    expect(records(html)).toEqual([['FederatedDomainChange', 'ann@contoso.com', 'YW5uQ29udG9zbzAwMDAx']]);
  });

  it('read a one-word Category cell as the category it names, not as an error code; a CamelCase name is a code', () => {
    const html = `<table>
      <tr><th>Category</th><th>Object</th><th>Error</th></tr>
      <tr><td>Other</td><td>ann@contoso.com</td><td>Something unexpected happened to this object.</td></tr>
      <tr><td>LargeObject</td><td>bob@contoso.com</td><td>${LARGE}</td></tr>
    </table>`;
    expect(extractErrors(htmlToBlocks(html)).errors.map((e) => [e.identity, e.errorCode])).toEqual([
      ['ann@contoso.com', null],
      ['bob@contoso.com', 'LargeObject'],
    ]);
  });

  it('take a row\'s attribute and value from its columns, before the names its joined cells mention', () => {
    // a digest-like table with no description column (its layout from a blind test; no public sample exists)
    const html = `<table>
      <tr><td colspan="4">Duplicate Attribute (2)</td></tr>
      <tr><th>Object</th><th>Object type</th><th>Attribute</th><th>Conflicting value</th></tr>
      <tr><td>Nancy Davolio</td><td>User</td><td>UserPrincipalName</td><td>nancy.davolio@contoso.com</td></tr>
      <tr><td>Sales Team</td><td>Group</td><td>ProxyAddresses</td><td>SMTP:sales@contoso.com</td></tr>
    </table>`;
    expect(extractErrors(htmlToBlocks(html)).errors.map((e) => [e.identity, e.category, e.attributes])).toEqual([
      ['Nancy Davolio', 'DuplicateAttribute', [{ name: 'UserPrincipalName', value: 'nancy.davolio@contoso.com' }]],
      ['Sales Team', 'DuplicateAttribute', [{ name: 'ProxyAddresses', value: 'SMTP:sales@contoso.com' }]],
    ]);
  });

  it('drop the soft hyphens a sender put inside a long address (&shy;): they are no part of it', () => {
    const html = `<table><tr><th>Identity</th><th>Error Description</th></tr>
      <tr><td>claims-&shy;notifications@&shy;contoso.com</td><td>Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [ProxyAddresses smtp:claims-&shy;notifications@&shy;contoso.com;]. Correct or remove the duplicate values in your local directory.</td></tr>
    </table>`;
    expect(extractErrors(htmlToBlocks(html)).errors.map((e) => [e.identity, e.attributes])).toEqual([
      ['claims-notifications@contoso.com', [{ name: 'ProxyAddresses', value: 'smtp:claims-notifications@contoso.com' }]],
    ]);
  });

  it('keep an admin\'s comment between the rows of a reply as unparsed text, not an error of its own', () => {
    // a blind-test mail: a reply that splits the report's table to comment in red between its rows
    const html = `<table><tr><th>Identity</th><th>Error Description</th><th>Source Anchor</th></tr>
      <tr><td>ann@contoso.com</td><td>${FED}</td><td>YW5uMDAwMDAwMDAwMDAwMDAx</td></tr></table>
      <p style="color:red">[DM] Row above: her old mailbox was deleted this morning, the clash is gone - no ticket.</p>
      <table><tr><td>bob@contoso.com</td><td>${LARGE}</td><td>Ym9iMDAwMDAwMDAwMDAwMDAx</td></tr></table>`;
    const out = extractErrors(htmlToBlocks(html));
    expect(out.errors.map((e) => [e.category, e.identity])).toEqual([
      ['FederatedDomainChange', 'ann@contoso.com'],
      ['LargeObject', 'bob@contoso.com'],
    ]);
    expect(out.unparsed).toEqual(['[DM] Row above: her old mailbox was deleted this morning, the clash is gone - no ticket.']);
  });

  it('read a table a sanitiser rewrote as display:table, table-row and table-cell elements as that table (blind45 Q1)', async () => {
    // every HTML fixture with a table and no spans (CSS cells cannot span): its records must not change
    const dir = new URL('../fixtures/reports/', import.meta.url);
    const bodies = await Promise.all(
      readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .map(async (f) => ({ f, html: (await simpleParser(readFileSync(new URL(f, dir)))).html })),
    );
    const tables = bodies.filter((b): b is { f: string; html: string } => typeof b.html === 'string' && /<td/i.test(b.html) && !/(?:col|row)span\s*=\s*["']?[2-9]/i.test(b.html));
    expect(tables.length).toBeGreaterThan(20);
    const recordsOf = (html: string) => extractErrors(htmlToBlocks(html)).errors.map((e) => [e.category, e.identity, e.onPremisesObjectId, e.attributes]);
    for (const { f, html } of tables) {
      const divs = asDisplayDivs(html, f.length % 2 === 0 ? 'div' : 'span');
      expect(divs, f).not.toMatch(/<t[dhr][\s>]/i);
      expect({ f, records: recordsOf(divs) }).toEqual({ f, records: recordsOf(html) });
    }
  });
});

/**
 * A table as a sanitiser that keeps no table markup writes it (blind45 Q1): each element a
 * `<div>` (or `<span>` for the cells) whose inline style gives it the table role it had.
 */
function asDisplayDivs(html: string, cellTag: 'div' | 'span'): string {
  const roles: Record<string, [string, string]> = {
    table: ['div', 'display:table'],
    tbody: ['div', 'display: table-row-group'],
    thead: ['div', 'display:table-header-group'],
    tr: ['div', 'display: table-row;'],
    td: [cellTag, 'vertical-align:top; display:table-cell !important'],
    th: [cellTag, 'DISPLAY: TABLE-CELL; font-weight:bold'],
  };
  return html.replace(/<(\/?)(table|tbody|thead|tr|td|th)\b[^>]*>/gi, (_, close: string, name: string) => {
    const [tag, style] = roles[name.toLowerCase()]!;
    return close ? `</${tag}>` : `<${tag} style="${style}">`;
  });
}
