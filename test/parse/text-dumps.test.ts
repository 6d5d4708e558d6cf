/**
 * A report forwarded as plain text that a converter made from its HTML reads as the HTML
 * does: the same objects, categories, attributes and values. Two converters:
 * - html-to-text (mailparser's own, and the one most Node tools use) with its table format,
 *   at a mail client's 76 columns and unwrapped; and with its defaults, as mailparser writes
 *   the `text` of a mail that has HTML alone (a row's cells glued, rows one space apart);
 * - rows flattened to tab-separated lines, as Outlook and Thunderbird write them
 *   (real-reports.md §6), hard-wrapped at 76 columns, unwrapped, and quoted with "> ";
 * - w3m (Debian's, as mutt runs it for HTML mail): boxes of lines, ASCII boxes and tables
 *   without borders, at 80, 100 and 140 columns;
 * - html2text (Debian's, another of mutt's viewers) at 80, 100 and 140 columns;
 * - lynx (`lynx -dump`, a third of mutt's viewers): a table's cells one space apart, each row
 *   a wrapped paragraph, at 80, 100 and 140 columns;
 * - elinks (`elinks -dump`, a fourth): boxes of lines, a key-value table's labels centred
 *   beside their values with no blank line between fields, the page indented, at 80, 100
 *   and 140 columns;
 * - links (`links -dump`, a fifth): ASCII boxes on an indented page, at 80, 100 and 140 columns.
 * Every HTML fixture with a table is converted here, so a fixture added later is held to
 * this too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from 'html-to-text';
import { Parser } from 'htmlparser2';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { quoteLines, wrapText } from '../fixtures/builders/mime.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'reports');

/** What a rendering cannot keep, by fixture, each with why: it must differ (when one reads right, take it out). */
type CannotKeep = Record<string, string>;

// the rowspan's second row has no object of its own: html-to-text writes its error under the
// first's, one cell of two sentences, and a row is one record
// a table in Norwegian is read where its cells stay apart (the HTML table, tabs, a text table's
// borders); run into lines, its rows are text, and no lead-in the parser knows opens its error list
const UNKNOWN_LANGUAGE_CANNOT: CannotKeep = {
  'real-norwegian-texts.eml': 'Norwegian rows as lines: no known lead-in opens the error list',
};
const H2T_CANNOT: CannotKeep = { 'real-digest-sections-rowspan.eml': 'a rowspan row becomes part of the row above', ...UNKNOWN_LANGUAGE_CANNOT };
// the rowspan's second row is a line with an empty object cell: nothing says it is the object
// above (an empty cell may as well mean no object)
const TABS_CANNOT: CannotKeep = { 'real-digest-sections-rowspan.eml': 'a rowspan row loses its object and source anchor' };
// without borders, section headings and a rowspan's object stand among centred rows of
// unequal height with nothing to part them
const W3M_NOBORDER_CANNOT: CannotKeep = { 'real-digest-sections-rowspan.eml': 'headings and a rowspan among centred rows, no rules', ...UNKNOWN_LANGUAGE_CANNOT };
const HTML2TEXT_CANNOT: CannotKeep = {
  ...UNKNOWN_LANGUAGE_CANNOT,
  'real-digest-sections-rowspan.eml': 'a rowspan row with no object of its own',
  // html2text 1.3.2a measures bytes: it cuts Japanese text mid-character ("…オブジェク\ufffd|\ufffdに…")
  'real-japanese-texts.eml': 'Japanese text cut mid-character',
};

// lynx puts a row's cells one space apart: where nothing but the words tells a label from its
// value, or one row from the next, the rendering cannot be read back
const LYNX_CANNOT: CannotKeep = {
  ...UNKNOWN_LANGUAGE_CANNOT,
  'real-digest-sections-rowspan.eml': 'a rowspan row with no object of its own',
  'html-keyvalue-it-labels.eml': 'Italian labels one space from their values, no known word among them',
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
  name: string;
  text: (html: string) => string;
  cannot: CannotKeep;
}

const dataTable = (wordwrap: number | false) => (html: string) => convert(html, { wordwrap, selectors: [{ selector: 'table', format: 'dataTable' }] });

/** html2text (Debian's 1.3.2a, another of mutt's HTML viewers): boxes of `|` with underlined last lines. */
function html2text(html: string, cols: number): string {
  return execFileSync('html2text', ['-utf8', '-width', String(cols)], { input: `<meta http-equiv="Content-Type" content="text/html; charset=utf-8">${html}`, encoding: 'utf8' });
}

/** lynx as mutt runs it (`lynx -dump`), links unlisted; the HTML's own charset is gone (it is UTF-8 here). */
function lynx(html: string, cols: number): string {
  const page = html.replace(/<meta[^>]*charset[^>]*>/gi, '');
  return execFileSync('lynx', ['-dump', '-stdin', '-nolist', '-display_charset=UTF-8', '-assume_charset=UTF-8', '-assume_local_charset=UTF-8', `-width=${cols}`], { input: page, encoding: 'utf8' });
}

/**
 * A viewer that reads the HTML from a file (elinks 0.13 exits with "Unknown error" when its
 * standard input is a pipe of Node's), its own charset gone: the HTML here is UTF-8.
 */
function fromFile(command: string, args: (file: string) => string[], html: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${command}-`));
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, html.replace(/<meta[^>]*charset[^>]*>/gi, ''));
    return execFileSync(command, args(file), { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** elinks as mutt runs it (`elinks -dump`), links unlisted, reading the HTML as UTF-8. */
function elinks(html: string, cols: number): string {
  const utf8 = ['-eval', 'set document.codepage.assume = "utf-8"', '-eval', 'set document.codepage.force_assumed = 1'];
  return fromFile('elinks', (file) => ['-dump', '-no-references', '-no-numbering', '-dump-charset', 'utf-8', ...utf8, '-dump-width', String(cols), file], html);
}

/** links as mutt runs it (`links -dump`), reading the HTML as UTF-8. */
function links(html: string, cols: number): string {
  return fromFile('links', (file) => ['-dump', '-codepage', 'utf-8', '-html-assume-codepage', 'utf-8', '-html-hard-assume', '1', '-width', String(cols), file], html);
}

/** w3m as mutt runs it for HTML mail (`w3m -dump`): a box drawn with lines, in ASCII, or no border at all. */
function w3m(html: string, cols: number, look: 'box' | 'ascii' | 'no border'): string {
  const page = look === 'no border' ? html.replace(/border\s*=\s*"?\d"?/gi, 'border="0"') : html;
  return execFileSync('w3m', ['-dump', '-I', 'UTF-8', '-O', 'UTF-8', '-cols', String(cols), ...(look === 'ascii' ? ['-no-graph'] : []), '-T', 'text/html'], { input: page, encoding: 'utf8' });
}

// mailparser's own `text` of an HTML-only mail: html-to-text's defaults glue a row's cells
const GLUED_CANNOT: CannotKeep = {
  'real-digest-sections-rowspan.eml': 'a rowspan row with no object of its own',
  // rows are found by their English sentences: other languages have no known edges
  'real-german-texts.eml': 'German sentences glued to their cells',
  'real-german-incompatible-numbered-error.eml': 'German sentences glued to their cells',
  ...UNKNOWN_LANGUAGE_CANNOT,
  'real-japanese-texts.eml': 'Japanese sentences glued to their cells',
  'real-italian-texts.eml': 'Italian sentences glued to their cells',
  // Italian labels glued to their values: no word the vocabulary knows
  'html-keyvalue-it-labels.eml': 'Italian labels glued to their values',
  // the description first and a name after it: an unknown sentence runs into the row above
  'entra-table-description-first.eml': 'an unknown sentence glued to the cells of the row above',
};

const RENDERINGS: Rendering[] = [
  { name: "mailparser's text (html-to-text's defaults, cells glued)", text: (html) => convert(html), cannot: GLUED_CANNOT },
  { name: 'html-to-text, wrapped at 76 columns', text: dataTable(76), cannot: H2T_CANNOT },
  { name: 'html-to-text, unwrapped', text: dataTable(false), cannot: H2T_CANNOT },
  { name: 'tabs, wrapped at 76 columns', text: (html) => wrapText(tabFlatten(html), 76), cannot: TABS_CANNOT },
  { name: 'tabs, unwrapped', text: tabFlatten, cannot: TABS_CANNOT },
  { name: 'tabs, wrapped and quoted with "> "', text: (html) => quoteLines(wrapText(tabFlatten(html), 76)), cannot: TABS_CANNOT },
  ...[80, 100, 140].map((cols) => ({ name: `html2text, ${cols} columns`, text: (html: string) => html2text(html, cols), cannot: HTML2TEXT_CANNOT })),
  ...[80, 100, 140].map((cols) => ({
    name: `lynx, ${cols} columns`,
    text: (html: string) => lynx(html, cols),
    // at 80 columns lynx breaks a long X500 address inside a word ("Exchan" / "ge"); at 140 the
    // Italian row above a name without an address fills its line within the columns the width cannot tell
    cannot:
      cols === 80
        ? { ...LYNX_CANNOT, 'aad-table-object-error-id.eml': 'a value broken inside a word' }
        : cols === 140
          ? { ...LYNX_CANNOT, 'real-italian-texts.eml': 'a name with no address after a line as long as the longest' }
          : LYNX_CANNOT,
  })),
  ...[80, 100, 140].map((cols) => ({ name: `elinks, ${cols} columns`, text: (html: string) => elinks(html, cols), cannot: {} })),
  ...[80, 100, 140].map((cols) => ({ name: `links, ${cols} columns`, text: (html: string) => links(html, cols), cannot: {} })),
  ...(['box', 'ascii', 'no border'] as const).flatMap((look) =>
    [80, 100, 140].map((cols) => ({
      name: `w3m, ${look}, ${cols} columns`,
      text: (html: string) => w3m(html, cols, look),
      // German texts at 140 columns: a one-line row's neighbour takes one of its lines
      cannot: look === 'no border' ? (cols === 140 ? { ...W3M_NOBORDER_CANNOT, 'real-german-texts.eml': 'a one-line row next to a taller one' } : W3M_NOBORDER_CANNOT) : {},
    })),
  ),
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
    for (const file of RENDERINGS.flatMap((r) => Object.keys(r.cannot))) expect(cases.map((c) => c.file)).toContain(file);
  });

  for (const r of RENDERINGS) {
    describe(r.name, () => {
      const cannot = r.cannot;
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

describe('a Japanese description a dump wrapped inside a word', () => {
  // w3m at 73 and 118 columns and elinks at 127 break the cell inside "既に": read back with a space, the wording said no error (blind45 Q9)
  const ja = () => cases.find((c) => c.file === 'real-japanese-texts.eml')!;
  it.each([
    ['w3m, 73 columns', (html: string) => w3m(html, 73, 'box')],
    ['w3m, 118 columns', (html: string) => w3m(html, 118, 'box')],
    ['elinks, 127 columns', (html: string) => elinks(html, 127)],
  ] as const)('%s: the same errors as its HTML', async (_, dump) => {
    const c = ja();
    expect(await errorsOf(forwardedAsText(dump(c.html), c.subject, c.from, c.date))).toEqual(c.want);
  });
});

describe('an X.500 address lynx broke after its type', () => {
  // at 60 columns "X500:" ends a line and "/o=Contoso/…" starts the next: the value read back had "X500: /o=…"
  it('lynx, 60 columns: the same errors as its HTML', async () => {
    const c = cases.find((x) => x.file === 'aad-table-object-error-id.eml')!;
    expect(lynx(c.html, 60)).toMatch(/X500:\n/);
    expect(await errorsOf(forwardedAsText(lynx(c.html, 60), c.subject, c.from, c.date))).toEqual(c.want);
  });
});

describe("a lynx row whose cells end the line before its sentence", () => {
  // 60 columns: "alex@contoso.com User AttributeValueMustBeUnique" / "Unable to update …" gave one glued name;
  // 160: the password sentence's ", which" / "isn't supported." gave an Unknown error of its own
  it.each([60, 160])('lynx, %i columns: the same errors as its HTML', async (cols) => {
    const c = cases.find((x) => x.file === 'entra-identity-subject-code-column.eml')!;
    expect(await errorsOf(forwardedAsText(lynx(c.html, cols), c.subject, c.from, c.date))).toEqual(c.want);
  });
});
