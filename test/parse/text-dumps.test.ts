/**
 * A report forwarded as plain text that a converter made from its HTML reads as the HTML
 * does: the same objects, categories, attributes and values. The converter is html-to-text
 * (mailparser's own, and the one most Node tools use) with its table format, at a mail
 * client's 76 columns and unwrapped. Every HTML fixture with a table is converted here, so
 * a fixture added later is held to this too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convert } from 'html-to-text';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'reports');

/** Layouts a text dump cannot keep, each with why: they must differ (when one reads right, move it out). */
const CANNOT_KEEP: Record<string, string> = {
  // the rowspan's second row has no object of its own: the dump writes its error under the
  // first's, one cell of two sentences, and a row is one record
  'real-digest-sections-rowspan.eml': 'a rowspan row becomes part of the row above',
};

const key = (e: SyncError): string => [e.identity, e.onPremisesObjectId, e.objectType, e.category, JSON.stringify(e.attributes)].join(' | ');

async function errorsOf(raw: Buffer): Promise<string[]> {
  const out = await parseMail(raw);
  return out.ok ? out.reports.flatMap((r) => r.errors.map(key)).sort() : [`rejected: ${out.rejection.detail}`];
}

/** The fixture's HTML as html-to-text writes it, forwarded in a plain-text mail. */
function forwardedAsText(html: string, subject: string, from: string, date: Date, wordwrap: number | false): Buffer {
  const text = convert(html, { wordwrap, selectors: [{ selector: 'table', format: 'dataTable' }] });
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

describe('a report forwarded as the plain text html-to-text makes of it', () => {
  it('covers the HTML fixtures with tables', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const file of Object.keys(CANNOT_KEEP)) expect(cases.map((c) => c.file)).toContain(file);
  });

  for (const wordwrap of [76, false] as const) {
    describe(wordwrap ? `wrapped at ${wordwrap} columns` : 'unwrapped', () => {
      it.each(cases.filter((c) => !CANNOT_KEEP[c.file]).map((c) => [c.file, c] as const))('%s: the same errors as its HTML', async (_, c) => {
        expect(await errorsOf(forwardedAsText(c.html, c.subject, c.from, c.date, wordwrap))).toEqual(c.want);
      });
      it.each(Object.entries(CANNOT_KEEP))('%s differs, as expected: %s', async (file) => {
        const c = cases.find((x) => x.file === file)!;
        expect(await errorsOf(forwardedAsText(c.html, c.subject, c.from, c.date, wordwrap))).not.toEqual(c.want);
      });
    });
  }
});
