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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { ParsedReportSchema, RejectionSchema, type ParseOutcome } from '../../schemas/report.schema.ts';
import { apply, bases, build, fixturesDir, recipeArb } from './mutations.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PER_MAIL_MS = 5_000;

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
