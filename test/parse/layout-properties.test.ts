/**
 * Property tests for the conversions real mail goes through (real-reports.md §1, §3, §6): an
 * HTML table flattened to tab-separated text (hard-wrapped at 76 or sent format=flowed,
 * quoted with `> ` in a reply), one cell per line, tables with rowspan and colspan section
 * headings, and the error texts in German and Japanese. Each must give the records of the
 * plain English HTML table, and every error row must be exactly one record.
 */

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseOne } from './parse-one.ts';
import type { ParsedReport, SyncError } from '../../schemas/report.schema.ts';
import {
  expectedErrors,
  generateSpec,
  renderReport,
  translateSpec,
  withTwins,
  type Language,
  type Layout,
  type Mangle,
  type ReportSpec,
} from './report-generator.ts';

const RUNS = Number(process.env.FC_RUNS ?? 100);
const TIMEOUT = 120_000;
const FULL: Layout = { kind: 'html-table', columns: ['identity', 'description', 'objectType', 'objectId'] };

const specArb = fc.record({ n: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 1, max: 0x7fffffff }) }).map(({ n, seed }) => generateSpec(n, seed));

/** Plain-text conversions of the table, as the clients of real-reports.md §6 write them. */
const textArb: fc.Arbitrary<[Layout, Mangle]> = fc.oneof(
  fc.constant<[Layout, Mangle]>([{ kind: 'tab' }, {}]),
  fc.integer({ min: 72, max: 100 }).map((w): [Layout, Mangle] => [{ kind: 'tab' }, { wrapWidth: w }]),
  fc.integer({ min: 60, max: 100 }).map((w): [Layout, Mangle] => [{ kind: 'tab' }, { flowedWidth: w }]),
  fc.constantFrom('gmail' as const, 'outlook' as const).map((f): [Layout, Mangle] => [{ kind: 'tab' }, { wrapWidth: 76, forward: f, quote: true }]),
  // a client that expanded the tabs to spaces before it wrapped (blind33 B2, B3: inferred)
  fc.option(fc.integer({ min: 72, max: 100 }), { nil: undefined }).map((w): [Layout, Mangle] => [{ kind: 'tab' }, { expandTabs: true, wrapWidth: w }]),
  fc.constant<[Layout, Mangle]>([{ kind: 'tab' }, { expandTabs: true, wrapWidth: 76, forward: 'gmail', quote: true }]),
  fc.constant<[Layout, Mangle]>([{ kind: 'cell-lines' }, {}]),
  fc.integer({ min: 50, max: 100 }).map((w): [Layout, Mangle] => [{ kind: 'cell-lines' }, { wrapWidth: w }]),
);

const tableArb: fc.Arbitrary<Layout> = fc
  .record({ sections: fc.boolean(), rowspan: fc.boolean(), nested: fc.boolean() })
  .map((o) => ({ ...FULL, ...o }));

const languageArb = fc.constantFrom<Language>('de', 'ja');

const key = (e: SyncError): Record<string, unknown> => ({
  category: e.category,
  identity: e.identity,
  objectType: e.objectType,
  onPremisesObjectId: e.onPremisesObjectId,
  attributes: e.attributes,
  fingerprint: e.fingerprint,
});
const sorted = <T extends { identity?: unknown; category?: unknown }>(list: T[]): T[] =>
  [...list].sort((a, b) => `${String(a.identity)}|${String(a.category)}`.localeCompare(`${String(b.identity)}|${String(b.category)}`));

/** Rows in = records out, and nothing of the table left in `unparsed`. */
function expectOneRecordPerRow(report: ParsedReport, spec: ReportSpec, context: string): void {
  expect(report.errors.length, context).toBe(spec.errors.length + (spec.quota ? 1 : 0));
  expect(report.unparsed, context).toEqual([]);
}

describe('real-mail conversions of a report', () => {
  it(
    'read the same records from every plain-text conversion of the table',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, textArb, async (spec, [layout, mangle]) => {
          const context = JSON.stringify({ seed: spec.seed, n: spec.errors.length, layout, mangle });
          const html = await parseOne(renderReport(spec, FULL));
          const text = await parseOne(renderReport(spec, layout, mangle));
          expectOneRecordPerRow(text, spec, context);
          expect(sorted(text.errors.map(key)), context).toEqual(sorted(html.errors.map(key)));
          expect(text.tenant.name, context).toBe(spec.tenantName);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'give each object of a rowspan its every conflict, and never take a section heading for an error',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, tableArb, async (base, layout) => {
          const spec = withTwins(base);
          const context = JSON.stringify({ seed: spec.seed, n: spec.errors.length, layout });
          const report = await parseOne(renderReport(spec, layout));
          expectOneRecordPerRow(report, spec, context);
          const actual = report.errors.map(({ category, identity, objectType, onPremisesObjectId, attributes }) => ({ category, identity, objectType, onPremisesObjectId, attributes }));
          expect(sorted(actual), context).toEqual(sorted(expectedErrors(spec, layout)));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'classify German and Japanese error texts as their English originals, one record per row',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, languageArb, fc.constantFrom<Layout>(FULL, { kind: 'tab' }, { kind: 'pipe' }, { kind: 'field-lines' }), async (spec, lang, layout) => {
          const context = JSON.stringify({ seed: spec.seed, n: spec.errors.length, lang, layout });
          const english = await parseOne(renderReport(spec, layout));
          const translated = await parseOne(renderReport(translateSpec(spec, lang), layout));
          expectOneRecordPerRow(translated, spec, context);
          expect(sorted(translated.errors.map(key)), context).toEqual(sorted(english.errors.map(key)));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
