/**
 * A report forwarded as plain text that a converter made from its HTML reads as the HTML
 * does: the same objects, categories, attributes and values. Two converters:
 * - html-to-text (mailparser's own, and the one most Node tools use) with its table format,
 *   at a mail client's 76 columns and unwrapped;
 * - rows flattened to tab-separated lines, as Outlook and Thunderbird write them
 *   (real-reports.md §6), hard-wrapped at 76 columns, unwrapped, and quoted with "> ".
 * Every HTML fixture with a table is converted here, so a fixture added later is held to
 * this too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from 'html-to-text';
import { Parser } from 'htmlparser2';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { quoteLines, wrapText } from '../fixtures/builders/mime.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'reports');

type Converter = 'html-to-text' | 'tabs';

/** Layouts a converter cannot keep, each with why: they must differ (when one reads right, move it out). */
const CANNOT_KEEP: Record<Converter, Record<string, string>> = {
  // the rowspan's second row has no object of its own: html-to-text writes its error under
  // the first's, one cell of two sentences, and a row is one record
  'html-to-text': { 'real-digest-sections-rowspan.eml': 'a rowspan row becomes part of the row above' },
  // the rowspan's second row is a line with an empty object cell: nothing says it is the
  // object above (an empty cell may as well mean no object)
  tabs: { 'real-digest-sections-rowspan.eml': 'a rowspan row loses its object and source anchor' },
};

const key = (e: SyncError): string => [e.identity, e.onPremisesObjectId, e.objectType, e.category, JSON.stringify(e.attributes)].join(' | ');

async function errorsOf(raw: Buffer): Promise<string[]> {
  const out = await parseMail(raw);
  return out.ok ? out.reports.flatMap((r) => r.errors.map(key)).sort() : [`rejected: ${out.rejection.detail}`];
}

const BLOCKS = new Set(['p', 'div', 'table', 'h1', 'h2', 'h3', 'li', 'br']);
const HIDDEN = new Set(['style', 'script', 'head', 'title']);

/** A row per line, its cells apart by tabs; paragraphs and tables on lines of their own. */
function tabFlatten(html: string): string {
  let out = '';
  let hidden = 0;
  const parser = new Parser(
    {
      onopentag: (name) => {
        if (HIDDEN.has(name)) hidden++;
        if (BLOCKS.has(name)) out += '\n';
      },
      onclosetag: (name) => {
        if (HIDDEN.has(name)) hidden--;
        if (name === 'td' || name === 'th') out += '\t';
        if (name === 'tr' || BLOCKS.has(name)) out += '\n';
      },
      ontext: (text) => {
        if (!hidden) out += text.replace(/\s+/g, ' ');
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return out
    .split('\n')
    .map((l) => l.trim().replace(/ *\t */g, '\t').replace(/\t+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

interface Rendering {
  converter: Converter;
  name: string;
  text: (html: string) => string;
}

const RENDERINGS: Rendering[] = [
  { converter: 'html-to-text', name: 'wrapped at 76 columns', text: (html) => convert(html, { wordwrap: 76, selectors: [{ selector: 'table', format: 'dataTable' }] }) },
  { converter: 'html-to-text', name: 'unwrapped', text: (html) => convert(html, { wordwrap: false, selectors: [{ selector: 'table', format: 'dataTable' }] }) },
  { converter: 'tabs', name: 'wrapped at 76 columns', text: (html) => wrapText(tabFlatten(html), 76) },
  { converter: 'tabs', name: 'unwrapped', text: tabFlatten },
  { converter: 'tabs', name: 'wrapped and quoted with "> "', text: (html) => quoteLines(wrapText(tabFlatten(html), 76)) },
];

/** The fixture's HTML as a converter writes it, forwarded in a plain-text mail. */
function forwardedAsText(text: string, subject: string, from: string, date: Date): Buffer {
  return Buffer.from(
    [
      'From: Admin <admin@contoso.com>',
      'To: syncdesk@contoso.com',
      `Subject: Fwd: ${subject}`,
      'Date: Tue, 01 Dec 2026 08:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '---------- Forwarded message ---------',
      `From: ${from}`,
      `Date: ${date.toUTCString()}`,
      `Subject: ${subject}`,
      'To: admin@contoso.com',
      '',
      text,
    ].join('\n'),
  );
}

const cases: Array<{ file: string; html: string; subject: string; from: string; date: Date; want: string[] }> = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()) {
  const raw = readFileSync(join(dir, file));
  const mail = await simpleParser(raw);
  if (typeof mail.html !== 'string' || !/<table/i.test(mail.html)) continue;
  const want = await errorsOf(raw);
  if (!want.length || want[0]!.startsWith('rejected')) continue;
  cases.push({ file, html: mail.html, subject: mail.subject ?? '', from: mail.from?.text ?? '', date: mail.date ?? new Date(0), want });
}

describe('a report forwarded as plain text a converter made of its HTML', () => {
  it('covers the HTML fixtures with tables', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const file of Object.values(CANNOT_KEEP).flatMap(Object.keys)) expect(cases.map((c) => c.file)).toContain(file);
  });

  for (const r of RENDERINGS) {
    describe(`${r.converter}, ${r.name}`, () => {
      const cannot = CANNOT_KEEP[r.converter];
      const read = (c: (typeof cases)[number]) => errorsOf(forwardedAsText(r.text(c.html), c.subject, c.from, c.date));
      it.each(cases.filter((c) => !cannot[c.file]).map((c) => [c.file, c] as const))('%s: the same errors as its HTML', async (_, c) => {
        expect(await read(c)).toEqual(c.want);
      });
      it.each(Object.entries(cannot))('%s differs, as expected: %s', async (file) => {
        expect(await read(cases.find((x) => x.file === file)!)).not.toEqual(cases.find((x) => x.file === file)!.want);
      });
    });
  }
});
