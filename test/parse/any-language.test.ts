import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { renderMessage, textPart } from '../fixtures/builders/mime.ts';

/**
 * A report in a language no rule knows: neither its column names nor its sentences (blind71
 * found a Norwegian report's rows lost, the whole report when no row had a bracket; Norwegian
 * has cues now, so the words here are Finnish, written for this test, which no rule knows).
 * Its rows are read once more, each sentence beside an object's name an Unknown record: in a
 * table where other rows were read, or when none was, in a mail that says it is a report.
 * A note's or a signature's table is never read so.
 */
const NOT_FOUND = 'Tätä objektia ei voi päivittää, koska käyttäjätunnusta ei löydy hakemistosta.';
const SAME_PROXY = 'Synkronoitu objekti, jolla on sama välityspalvelimen osoite, on jo olemassa hakemistossasi.';
const DUPLICATE =
  'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName pekka@contoso.fi;]. Correct or remove the duplicate values in your local directory.';

function mail(from: string, subject: string, tables: string[][][]): Buffer {
  const html = tables
    .map((rows) => `<table border="1">${rows.map((r, i) => `<tr>${r.map((c) => (i ? `<td>${c}</td>` : `<th>${c}</th>`)).join('')}</tr>`).join('')}</table>`)
    .join('<p>&nbsp;</p>');
  return Buffer.from(
    renderMessage({ from, to: 'admin@contoso.fi', subject, date: 'Mon, 02 Jun 2014 06:00:00 +0000', messageId: `<${Math.random().toString(36).slice(2)}@test>`, content: textPart({ subtype: 'html', text: `<html><body>${html}</body></html>` }) }),
  );
}

const errorsOf = async (raw: Buffer) => {
  const out = await parseMail(raw);
  return out.ok ? out.reports.flatMap((r) => r.errors.map((e) => [e.identity, e.category])) : out.rejection.reason;
};

const MS = 'MSOnlineServicesTeam@MicrosoftOnline.com';
const HEADER = ['Tunniste', 'Virheen kuvaus'];

describe('a report in a language no rule knows', () => {
  it('from Microsoft, under a subject no rule knows: each row one Unknown record with its object', async () => {
    const raw = mail(MS, 'Hakemistosynkronoinnin virheraportti', [[HEADER, ['liisa@contoso.fi', NOT_FOUND], ['matti@contoso.fi', SAME_PROXY]]]);
    expect(await errorsOf(raw)).toEqual([
      ['liisa@contoso.fi', 'Unknown'],
      ['matti@contoso.fi', 'Unknown'],
    ]);
  });

  it('rows beside one read by its words are not lost, and keep their order', async () => {
    const raw = mail('Anna <anna@contoso.fi>', 'VL: tarkista tämä', [[HEADER, ['liisa@contoso.fi', NOT_FOUND], ['pekka@contoso.fi', DUPLICATE], ['matti@contoso.fi', SAME_PROXY]]]);
    // the bracketed row makes the table an error table, whoever sent it; the mail itself still needs a report's subject or sender
    expect(await errorsOf(raw)).toBe('not-a-report');
    const fromMicrosoft = mail(MS, 'Hakemistosynkronoinnin virheraportti', [[HEADER, ['liisa@contoso.fi', NOT_FOUND], ['pekka@contoso.fi', DUPLICATE], ['matti@contoso.fi', SAME_PROXY]]]);
    expect(await errorsOf(fromMicrosoft)).toEqual([
      ['liisa@contoso.fi', 'Unknown'],
      ['pekka@contoso.fi', 'DuplicateAttribute'],
      ['matti@contoso.fi', 'Unknown'],
    ]);
  });

  it("never reads a colleague's table so, nor a table beside the report's errors that none of its rows made", async () => {
    const note = mail('Anna <anna@contoso.fi>', 'Lounas?', [[HEADER, ['liisa@contoso.fi', NOT_FOUND]]]);
    expect(await errorsOf(note)).toBe('not-a-report');
    const signature = ['tuki@contoso.fi', 'Ota yhteyttä tukeen, jos sinulla on kysyttävää tästä raportista tai sen sisällöstä.'];
    const report = mail(MS, 'Directory Synchronization Error Report', [[['Identity', 'Error Description'], ['pekka@contoso.fi', DUPLICATE]], [signature]]);
    expect(await errorsOf(report)).toEqual([['pekka@contoso.fi', 'DuplicateAttribute']]);
  });
});
