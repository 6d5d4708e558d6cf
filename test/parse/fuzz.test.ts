/**
 * Fuzz: thousands of mutated mails. parseMail must never throw, must settle
 * within 5 s per mail, and must answer with schema-valid reports or a typed
 * rejection.
 *
 * Each case is a small recipe (base fixture + mutation list), so a failure
 * prints a short counterexample that rebuilds the exact bytes.
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=123 npx vitest run test/parse/fuzz.test.ts
 */

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { ParsedReportSchema, RejectionSchema, type ParseOutcome } from '../../schemas/report.schema.ts';
import { generateSpec, prng, renderReport } from './report-generator.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PER_MAIL_MS = 5_000;

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const bases: Buffer[] = [
  ...readdirSync(join(fixturesDir, 'reports'))
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => readFileSync(join(fixturesDir, 'reports', f))),
  readFileSync(join(fixturesDir, 'mbox', 'three-reports.mbox')),
  renderReport(generateSpec(30, 1), { kind: 'html-table', columns: ['identity', 'description', 'objectType', 'objectId'] }),
  renderReport(generateSpec(30, 2), { kind: 'pipe' }, { forward: 'rfc822', encoding: 'base64' }),
  renderReport(generateSpec(30, 3), { kind: 'field-lines' }, { forward: 'gmail', quote: true, wrapWidth: 50 }),
];

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

type Op =
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

const opArb: fc.Arbitrary<Op> = fc.oneof(
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

const recipeArb = fc.record({ base: fc.nat(), ops: fc.array(opArb, { minLength: 1, maxLength: 4 }) });

function boundaries(text: string): string[] {
  return [...text.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1] as string);
}

function apply(input: Buffer, op: Op): Buffer {
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

function build(recipe: { base: number; ops: Op[] }): Buffer {
  let raw = bases[recipe.base % bases.length] as Buffer;
  for (const op of recipe.ops) raw = apply(raw, op);
  return raw;
}

/** Throws (with a reason) when the outcome is not a valid ParseOutcome. */
function checkOutcome(outcome: ParseOutcome): void {
  expect(typeof outcome).toBe('object');
  if (outcome.ok) {
    expect(Array.isArray(outcome.reports)).toBe(true);
    for (const r of outcome.reports) ParsedReportSchema.parse(r);
  } else {
    expect(outcome.ok).toBe(false);
    RejectionSchema.parse(outcome.rejection);
  }
}

async function parseWithin(raw: Buffer, ms: number): Promise<{ outcome: ParseOutcome; elapsed: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`parseMail did not settle within ${ms} ms`)), ms);
  });
  let outcome: ParseOutcome;
  try {
    // A synchronous throw, a rejected promise and a hang all fail here.
    outcome = await Promise.race([Promise.resolve().then(() => parseMail(raw)), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return { outcome, elapsed: performance.now() - started };
}

describe('fuzz', () => {
  it(
    `parseMail survives ${RUNS} mutated mails`,
    async () => {
      const reasons = new Map<string, number>();
      let slowest = 0;
      await fc.assert(
        fc.asyncProperty(recipeArb, async (recipe) => {
          const raw = build(recipe);
          const { outcome, elapsed } = await parseWithin(raw, PER_MAIL_MS);
          // Also catches a parser that blocks the event loop past the deadline.
          expect(elapsed, `took ${Math.round(elapsed)} ms for ${raw.length} bytes`).toBeLessThan(PER_MAIL_MS);
          checkOutcome(outcome);
          slowest = Math.max(slowest, elapsed);
          const key = outcome.ok ? `ok:${outcome.reports.length > 0 ? 'reports' : 'none'}` : outcome.rejection.reason;
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
      );
      console.log(`fuzz outcomes: ${JSON.stringify(Object.fromEntries(reasons))}; slowest ${Math.round(slowest)} ms`);
    },
    Math.max(600_000, RUNS * 1_000),
  );

  // Shapes the random search once found slow, pinned by fixture name so they
  // stay the same bytes when the corpus grows.
  const fixture = (name: string): Buffer => readFileSync(join(fixturesDir, 'reports', `${name}.eml`));
  const knownWorstCases: Array<[string, () => Buffer]> = [
    ['86,801 unclosed "<!--<td>" in an HTML part', () => apply(fixture('dirsync-2012-quota'), { op: 'htmlBomb', depth: 86_801, kind: 'comment' })],
    [
      'a quoted forward fragment followed by 64,000 "Identity: x" lines',
      () => {
        const quota = fixture('dirsync-2012-quota');
        const rv = fixture('reply-quoted-rv');
        const start = rv.indexOf('.langer@contoso.com>');
        return Buffer.concat([quota.subarray(0, quota.indexOf('\r\n\r\n') + 4), rv.subarray(start, start + 1261), Buffer.from('Identity: x\r\n'.repeat(64_000))]);
      },
    ],
    ['3,000 nested multiparts around 1,000 duplicated boundaries', () => apply(apply(fixture('fwd-gmail'), { op: 'dupBoundary', times: 1_000 }), { op: 'nestMultipart', depth: 3_000 })],
    ['400 nested message/rfc822 forwards', () => apply(fixture('fwd-attached-rfc822'), { op: 'nestRfc822', depth: 400 })],
  ];
  for (const [name, make] of knownWorstCases) {
    it(`settles within 5 s: ${name}`, async () => {
      const raw = make();
      const { outcome, elapsed } = await parseWithin(raw, 60_000);
      checkOutcome(outcome);
      expect(Math.round(elapsed), `${raw.length} bytes`).toBeLessThan(PER_MAIL_MS);
    }, 90_000);
  }

  it('answers schema-valid dates when a Date header is mangled (year 72014)', async () => {
    const raw = Buffer.from(fixture('waad-nested-layout').toString('latin1').replace('Date: Thu, 15 May 2014', 'Date: Thu, 15 May72014'), 'latin1');
    const { outcome } = await parseWithin(raw, PER_MAIL_MS);
    checkOutcome(outcome);
  });

  it('answers inputs over maxBytes with too-large', async () => {
    const raw = bases[0] as Buffer;
    const outcome = await parseMail(raw, { maxBytes: Math.floor(raw.length / 2) });
    expect(outcome.ok ? 'ok' : outcome.rejection.reason).toBe('too-large');
  });

  it('answers empty and binary input with a rejection, not an exception', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from([0xff, 0xfe, 0x00, 0x00]), apply(Buffer.alloc(0), { op: 'binary', size: 4096, seed: 9 })]) {
      const { outcome } = await parseWithin(raw, PER_MAIL_MS);
      checkOutcome(outcome);
      expect(outcome.ok ? 'ok' : 'rejected').toBe('rejected');
    }
  });

  it('honours timeoutMs on a huge input', async () => {
    const huge = build({ base: 0, ops: [{ op: 'regexBomb', unit: 'Unable to update this object [ProxyAddresses SMTP:a@contoso.com;] | ', times: 120_000 }] });
    const { outcome, elapsed } = await parseWithin(huge, PER_MAIL_MS);
    checkOutcome(outcome);
    expect(elapsed).toBeLessThan(PER_MAIL_MS);
    const quick = await parseMail(huge, { timeoutMs: 1 });
    checkOutcome(quick);
  }, 30_000);
});
