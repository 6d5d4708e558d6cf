/**
 * Mutations of report mails: broken MIME, deep nesting, huge headers, HTML bombs, invalid
 * charsets and encodings, binary noise, regex bombs. Each case is a small recipe (base
 * mail + list of operations) so a failure prints a short counterexample that rebuilds the
 * exact bytes. Shared by the parser fuzz test and the bad-input proof (test/prove/).
 */

import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSpec, prng, renderReport } from './report-generator.ts';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const bases: Buffer[] = [
  ...readdirSync(join(fixturesDir, 'reports'))
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => readFileSync(join(fixturesDir, 'reports', f))),
  readFileSync(join(fixturesDir, 'mbox', 'three-reports.mbox')),
  renderReport(generateSpec(30, 1), { kind: 'html-table', columns: ['identity', 'description', 'objectType', 'objectId'] }),
  renderReport(generateSpec(30, 2), { kind: 'pipe' }, { forward: 'rfc822', encoding: 'base64' }),
  renderReport(generateSpec(30, 3), { kind: 'field-lines' }, { forward: 'gmail', quote: true, wrapWidth: 50 }),
];

export type Op =
  | { op: 'flip'; count: number; seed: number }
  | { op: 'truncate'; at: number }
  | { op: 'dupBoundary'; times: number }
  | { op: 'dropClosingBoundaries' }
  | { op: 'nestMultipart'; depth: number }
  | { op: 'nestRfc822'; depth: number }
  | { op: 'hugeHeader'; size: number }
  | { op: 'manyHeaders'; count: number }
  | { op: 'htmlBomb'; depth: number; kind: 'div' | 'table' | 'unclosed' | 'comment' }
  | { op: 'badCharset'; charset: string }
  | { op: 'badEncoding'; cte: string }
  | { op: 'binary'; size: number; seed: number }
  | { op: 'regexBomb'; unit: string; times: number }
  | { op: 'splice'; other: number; from: number; len: number; at: number }
  | { op: 'lineEndings'; to: 'lf' | 'cr' | 'none' }
  | { op: 'nul'; every: number };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), count: fc.integer({ min: 1, max: 64 }), seed: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dupBoundary' as const), times: fc.integer({ min: 1, max: 2000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropClosingBoundaries' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('nestMultipart' as const), depth: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('nestRfc822' as const), depth: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('hugeHeader' as const), size: fc.integer({ min: 1_000, max: 2_000_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('manyHeaders' as const), count: fc.integer({ min: 100, max: 50_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('htmlBomb' as const),
      depth: fc.integer({ min: 100, max: 100_000 }),
      kind: fc.constantFrom('div' as const, 'table' as const, 'unclosed' as const, 'comment' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('badCharset' as const),
      charset: fc.constantFrom('x-unknown-charset', 'utf-7', '', 'utf-16', 'iso-2022-jp', '"', 'windows-1252"; charset=utf-8', 'ebcdic-cp-us', 'utf-8\u0000'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('badEncoding' as const), cte: fc.constantFrom('base64', 'quoted-printable', 'x-uuencode', 'binary', '8bit', 'gzip') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('binary' as const), size: fc.integer({ min: 0, max: 65_536 }), seed: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('regexBomb' as const),
      unit: fc.constantFrom(
        '[',
        ' ',
        '|',
        ';',
        'a@',
        '> ',
        '&amp;',
        '&#',
        '=\r\n',
        '[UserPrincipalName ',
        'Unable to update this object ',
        'Identity: x\r\n',
        'From: a\r\nSent: b\r\n',
        '-----Original Message-----\r\n',
        '<td>',
        'ProxyAddresses SMTP:a@contoso.com;',
      ),
      times: fc.integer({ min: 10, max: 200_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('splice' as const), other: fc.nat(), from: fc.nat(), len: fc.nat({ max: 4096 }), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lineEndings' as const), to: fc.constantFrom('lf' as const, 'cr' as const, 'none' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nul' as const), every: fc.integer({ min: 1, max: 500 }) }) },
);

export const recipeArb = fc.record({ base: fc.nat(), ops: fc.array(opArb, { minLength: 1, maxLength: 4 }) });

export function boundaries(text: string): string[] {
  return [...text.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1] as string);
}

export function apply(input: Buffer, op: Op): Buffer {
  switch (op.op) {
    case 'flip': {
      const out = Buffer.from(input);
      const rnd = prng(op.seed);
      for (let i = 0; i < op.count && out.length > 0; i++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
      return out;
    }
    case 'truncate':
      return input.subarray(0, Math.floor(input.length * op.at));
    case 'dupBoundary': {
      const text = input.toString('latin1');
      const b = boundaries(text)[0];
      if (!b) return input;
      const line = `--${b}\r\n`;
      const i = text.indexOf(line);
      if (i < 0) return input;
      return Buffer.from(text.slice(0, i) + line.repeat(op.times) + text.slice(i), 'latin1');
    }
    case 'dropClosingBoundaries': {
      let text = input.toString('latin1');
      for (const b of boundaries(text)) text = text.split(`--${b}--`).join('');
      return Buffer.from(text, 'latin1');
    }
    case 'nestMultipart': {
      const parts: string[] = [];
      const tails: string[] = [];
      for (let i = 0; i < op.depth; i++) {
        parts.push(`${i === 0 ? 'MIME-Version: 1.0\r\nSubject: Directory Synchronization Error Report\r\n' : ''}Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n`);
        tails.unshift(`\r\n--n${i}--\r\n`);
      }
      return Buffer.concat([Buffer.from(parts.join(''), 'latin1'), input, Buffer.from(tails.join(''), 'latin1')]);
    }
    case 'nestRfc822': {
      let out = input;
      for (let i = 0; i < op.depth; i++) {
        const head = `From: fwd${i}@contoso.com\r\nSubject: FW: Directory Synchronization Error Report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="r${i}"\r\n\r\n--r${i}\r\nContent-Type: message/rfc822\r\n\r\n`;
        out = Buffer.concat([Buffer.from(head, 'latin1'), out, Buffer.from(`\r\n--r${i}--\r\n`, 'latin1')]);
      }
      return out;
    }
    case 'hugeHeader':
      return Buffer.concat([Buffer.from(`X-Huge: ${'A'.repeat(op.size)}\r\nSubject: ${'Directory Synchronization Error Report '.repeat(Math.ceil(op.size / 1000))}\r\n`, 'latin1'), input]);
    case 'manyHeaders': {
      const lines: string[] = [];
      for (let i = 0; i < op.count; i++) lines.push(`X-H${i}: v${i}\r\n`);
      return Buffer.concat([Buffer.from(lines.join(''), 'latin1'), input]);
    }
    case 'htmlBomb': {
      const open = { div: '<div>', table: '<table><tr><td>', unclosed: '<p><b><i><span', comment: '<!--<td>' }[op.kind];
      const close = { div: '</div>', table: '</td></tr></table>', unclosed: '', comment: '' }[op.kind];
      const body = `${open.repeat(op.depth)}Unable to update this object [UserPrincipalName a@contoso.com;]${close.repeat(op.depth)}`;
      const head =
        'From: MSOnlineServicesTeam@MicrosoftOnline.com\r\nSubject: Directory Synchronization Error Report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="hb"\r\n\r\n--hb\r\nContent-Type: text/html; charset=utf-8\r\n\r\n';
      return Buffer.concat([Buffer.from(head + body + '\r\n--hb\r\n', 'latin1'), input.subarray(Math.min(input.length, 2000)), Buffer.from('\r\n--hb--\r\n')]);
    }
    case 'badCharset':
      return Buffer.from(input.toString('latin1').replace(/charset="?[^";\r\n]*"?/gi, `charset="${op.charset}"`), 'latin1');
    case 'badEncoding':
      return Buffer.from(
        input
          .toString('latin1')
          .replace(/Content-Transfer-Encoding: [^\r\n]*/gi, `Content-Transfer-Encoding: ${op.cte}`)
          .replace(/=([0-9A-F]{2})/g, '=Z$1'),
        'latin1',
      );
    case 'binary': {
      const rnd = prng(op.seed);
      const out = Buffer.alloc(op.size);
      for (let i = 0; i < op.size; i++) out[i] = Math.floor(rnd() * 256);
      return out;
    }
    case 'regexBomb': {
      const at = input.indexOf('\r\n\r\n');
      const bomb = Buffer.from(op.unit.repeat(op.times), 'latin1');
      if (at < 0) return Buffer.concat([input, bomb]);
      return Buffer.concat([input.subarray(0, at + 4), bomb, input.subarray(at + 4)]);
    }
    case 'splice': {
      const other = bases[op.other % bases.length] as Buffer;
      const from = other.length ? op.from % other.length : 0;
      const chunk = other.subarray(from, from + op.len);
      const at = input.length ? op.at % input.length : 0;
      return Buffer.concat([input.subarray(0, at), chunk, input.subarray(at)]);
    }
    case 'lineEndings': {
      const text = input.toString('latin1');
      const to = { lf: '\n', cr: '\r', none: '' }[op.to];
      return Buffer.from(text.replace(/\r\n/g, to), 'latin1');
    }
    case 'nul': {
      const out: number[] = [];
      input.forEach((b, i) => {
        out.push(b);
        if (i % op.every === 0) out.push(0);
      });
      return Buffer.from(out);
    }
  }
}

export function build(recipe: { base: number; ops: Op[] }): Buffer {
  let raw = bases[recipe.base % bases.length] as Buffer;
  for (const op of recipe.ops) raw = apply(raw, op);
  return raw;
}
