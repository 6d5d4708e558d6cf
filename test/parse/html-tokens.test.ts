/**
 * src/parse/html-tokens.ts against the tokenizer it replaced (htmlparser2's, kept as an
 * oracle in htmlparser2-tokens.ts): the same blocks on hostile documents, on every mail of
 * the fixtures and examples, and on generated reports; and linear time on input built to
 * make a tokenizer go quadratic.
 */

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { htmlToBlocks } from '../helpers/blocks.ts';
import { tokenize, type Tokenize } from '../../src/parse/html-tokens.ts';
import { htmlparser2Tokenize } from './htmlparser2-tokens.ts';
import { SAMPLE_LAYOUTS, generateSpec, renderReport, type Layout } from './report-generator.ts';

const RUNS = Number(process.env.HTML_TOKENS_RUNS ?? 5000);

/** Both tokenizers' blocks for one document; failing, it shows the document. */
function expectSameBlocks(html: string): void {
  const blocks = htmlToBlocks(html);
  expect({ html, blocks }).toEqual({ html, blocks: htmlToBlocks(html, htmlparser2Tokenize) });
}

/** The events themselves, text pieces included: stricter than blocks, so a failure points at the token. */
function events(tokenizeHtml: Tokenize, html: string): unknown[] {
  const out: unknown[] = [];
  tokenizeHtml(html, {
    onOpen: (name, attribs) => out.push(['open', name, { ...attribs }]),
    onClose: (name) => out.push(['close', name]),
    onText: (text) => out.push(['text', text]),
  });
  return out;
}

const PIECES = [
  '<table>', '</table>', '<tr>', '</tr>', '<td>', '</td>', '<th>', '</th>', '<tbody>', '<TABLE border=1>', '</TR >',
  '<th colspan=2>', '<td rowspan="3">', "<TD ROWSPAN=2 COLSPAN='2'>", '<td/colspan=2>', '<td colspan', '<td colspan=2/>',
  '<td colspan="" colspan=3>', '<td ="x" rowspan=4>', '<td colspan =  5 rowspan>', '<td colspan="0">', '<td rowspan=abc>',
  '<td title="a>b">', "<td class='x>y'>", '<td a=b>c', '<td valign="top">',
  '<br>', '<br/>', '<br />', '<br /', '<p>', '</p>', '<div>', '<pre>', '</pre>', '<h1>', '</h1>', '<hr>', '<blockquote>', '<o:p></o:p>',
  '<!-- c -->', '<!-- -- > -->', '<!--', '-->', '<!-->', '<!--->', '<!->', '<!>', '<!-', '<!', '<!doctype html>',
  '<![CDATA[x]]>', '<![CDA', ']]>', '<?xml?>', '<?', '</ 3>', '</ >', '</>', '</', '</td', '</td x', '< b', 'a < b', '<3', '<<',
  '<script>x<td>y</script>', '<script>', '</script>', '</scriptx>', '</SCRIPT >', '<style>td{}</style>', '<style/>',
  '<title>', '<title>t<b>i</title>', '</title', '<textarea><td>z</textarea>', '<xmp>', '<xmp><td></xmp>', '</xmp>', '<tmp>', '<xitle>',
  '<head>', '</head>', '<head/>', '<noscript>', '</noscript>', '<template>', '</template>', '<xml>', '</xml>',
  '<span style="a">', '</span>', '<div style="display:table">', '<div style=\'display: table-row\'>', '<DIV STYLE=display:table-cell>',
  '<span style="display:table-cell" style="x">', '<div class="x" style="">', '</div>', '<a href="x">', '</a>', '<s', '<t', '<scr', 'script', 'title', 's', 't', 'x', '\u001c\u000ftitle>', '\u001c\u000fxmp ',
  '&amp;', '&#39;', '&nbsp;', '&nbsp', '&lt;td&gt;', 'text ', '  two  spaces ', 'ann@contoso.com',
  '\n', '\r\n', '\t', '\f', '\v', '\u00a0', '\u200b', '\u2028', '\ufeff', '\u001c', '\u000f',
  '"', "'", '=', '/', '>', '<', '-', '!', '?', '[',
];

describe('html-tokens: the blocks htmlparser2 gave', () => {
  it('on documents of hostile pieces in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 50 }), (pieces) => expectSameBlocks(pieces.join(''))),
      { numRuns: RUNS },
    );
  });

  it('event for event, on documents of markup characters and names', () => {
    // \u001c and \u000f: htmlparser2 compares `c | 0x20` with `<` and `/` when it looks for a raw-text end tag
    const units = [...'<>/!?-[]="\' \tabdeilmprstxCDAT&;'.split(''), '\u001c\u000f', 'title', 'script', 'style', 'xmp', 'textarea', 'td', 'CDATA[', '--'];
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...units), maxLength: 30 }), (html) => {
        expect(events(tokenize, html)).toEqual(events(htmlparser2Tokenize, html));
      }),
      { numRuns: RUNS },
    );
  });

  it('event for event, in and after raw-text elements', () => {
    const start = fc.constantFrom('<script>', '<style>', '<title>', '<TITLE a=">">', '<textarea>', '<xmp>', '<tmp>', '<xitle>', '<xextarea>');
    const unit = fc.constantFrom('a', ' ', '\t', '>', '<', '</', '/', '\u001c', '\u000f', '\u001c\u000f', 'script', 'style', 'title', 'TITLE', 'textarea', 'xmp', '<td>');
    fc.assert(
      fc.property(start, fc.array(unit, { maxLength: 20 }), (open, rest) => {
        const html = open + rest.join('');
        expect(events(tokenize, html)).toEqual(events(htmlparser2Tokenize, html));
      }),
      { numRuns: RUNS },
    );
  });

  it('on the HTML of every mail of the fixtures and examples', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const emls: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.eml')) emls.push(path);
      }
    };
    walk(join(root, 'test', 'fixtures'));
    walk(join(root, 'examples'));
    expect(emls.length).toBeGreaterThan(20);
    let withHtml = 0;
    for (const path of emls) {
      const { html } = await simpleParser(readFileSync(path));
      if (typeof html !== 'string') continue;
      withHtml++;
      expectSameBlocks(html);
    }
    expect(withHtml).toBeGreaterThan(5);
  });

  it('on generated reports of every HTML layout', async () => {
    const columns = ['identity', 'description', 'objectType', 'objectId'] as const;
    const layouts: Layout[] = [
      ...SAMPLE_LAYOUTS,
      { kind: 'html-table', columns: [...columns], rowspan: true },
      { kind: 'html-table', columns: [...columns], sections: true },
      { kind: 'html-table', columns: ['identity', 'description', 'objectType'], nested: true },
    ];
    for (const layout of layouts) {
      for (const seed of [1, 2]) {
        const { html } = await simpleParser(renderReport(generateSpec(40, seed), layout, { encoding: 'quoted-printable', nbsp: seed === 2 }));
        if (typeof html === 'string') expectSameBlocks(html);
      }
    }
  });
});

describe('html-tokens: linear time on hostile input', () => {
  const MB5 = 'x'.repeat(5_000_000);
  const cases: Array<[string, string]> = [
    ['200,000 unclosed tables', '<table>'.repeat(200_000)],
    ['100,000 unclosed cells', '<td colspan=2>'.repeat(100_000)],
    ['a quote never closed', `<table><tr><td title="${MB5}`],
    ['a comment never closed', `<!--${MB5}`],
    ['a script never closed', `<script>${'<'.repeat(1_000_000)}${MB5}`],
    ['a title never closed', `<title>${MB5}`],
    ['200,000 bare `<`', 'a < b '.repeat(200_000)],
    ['200,000 `</` without a name', '</ '.repeat(200_000)],
  ];
  for (const [name, html] of cases) {
    it(name, () => {
      const started = performance.now();
      htmlToBlocks(html);
      // well under a second on a shared runner; a quadratic tokenizer would take minutes
      expect(performance.now() - started).toBeLessThan(3_000);
    });
  }
});
