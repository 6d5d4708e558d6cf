/**
 * Property tests: one generated report, many renderings. Re-wrapping,
 * re-encoding, forwarding and re-ordering columns must not change what the
 * parser extracts, and the fingerprint must follow the problem, not the mail.
 *
 * FC_RUNS sets the number of runs per property (default 200). Counterexamples
 * found once are pinned below so they fail deterministically.
 */

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseOne } from './parse-one.ts';
import type { ParsedReport, SyncError } from '../../schemas/report.schema.ts';
import {
  HEADER_WORDING,
  expectedErrors,
  generateSpec,
  renderReport,
  type Column,
  type Layout,
  type Mangle,
  type ReportSpec,
} from './report-generator.ts';

const RUNS = Number(process.env.FC_RUNS ?? 200);
const TIMEOUT = 120_000;

// ---------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------

const specArb = fc.record({ n: fc.integer({ min: 1, max: 6 }), seed: fc.integer({ min: 1, max: 0x7fffffff }) }).map(({ n, seed }) => generateSpec(n, seed));

const wordingArb = (c: Column): fc.Arbitrary<string> => fc.constantFrom(...HEADER_WORDING[c]);

const htmlTableArb: fc.Arbitrary<Layout> = fc
  .record({
    extra: fc.subarray<Column>(['objectType', 'objectId']),
    order: fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
    identity: wordingArb('identity'),
    description: wordingArb('description'),
    objectType: wordingArb('objectType'),
    objectId: wordingArb('objectId'),
    nested: fc.boolean(),
  })
  .map(({ extra, order, identity, description, objectType, objectId, nested }) => {
    const cols: Column[] = ['identity', 'description', ...extra];
    const keys = cols.map(() => order.next().value as number);
    const columns = cols.map((c, i) => ({ c, k: keys[i] ?? 0 })).sort((a, b) => a.k - b.k).map((x) => x.c);
    return { kind: 'html-table', columns, headers: { identity, description, objectType, objectId }, nested } as const;
  });

const layoutArb: fc.Arbitrary<Layout> = fc.oneof(
  htmlTableArb,
  fc.constant<Layout>({ kind: 'html-keyvalue' }),
  fc.constant<Layout>({ kind: 'pipe' }),
  fc.constant<Layout>({ kind: 'nextline' }),
  fc.constant<Layout>({ kind: 'field-lines' }),
);

const mangleArb: fc.Arbitrary<Mangle> = fc.record(
  {
    wrapWidth: fc.integer({ min: 40, max: 100 }),
    encoding: fc.constantFrom('quoted-printable' as const, 'base64' as const, '8bit' as const),
    charset: fc.constantFrom('utf-8' as const, 'windows-1252' as const),
    forward: fc.constantFrom('gmail' as const, 'outlook' as const, 'rfc822' as const),
    quote: fc.boolean(),
    nbsp: fc.boolean(),
  },
  { requiredKeys: [] },
);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Key = Pick<SyncError, 'category' | 'identity' | 'objectType' | 'onPremisesObjectId' | 'attributes' | 'fingerprint'>;
const full = (e: SyncError): Key => ({
  category: e.category,
  identity: e.identity,
  objectType: e.objectType,
  onPremisesObjectId: e.onPremisesObjectId,
  attributes: e.attributes,
  fingerprint: e.fingerprint,
});
const core = (e: SyncError): Pick<SyncError, 'category' | 'identity' | 'attributes' | 'fingerprint'> => ({
  category: e.category,
  identity: e.identity,
  attributes: e.attributes,
  fingerprint: e.fingerprint,
});
const byIdentity = <T extends { identity: string | null; category: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => `${a.identity ?? ''}|${a.category}`.localeCompare(`${b.identity ?? ''}|${b.category}`));

function describeCase(spec: ReportSpec, layout: Layout, mangle?: Mangle): string {
  return JSON.stringify({ seed: spec.seed, n: spec.errors.length, layout, mangle });
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

describe('generated reports', () => {
  it(
    'parse to the records the spec describes, in every layout',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, layoutArb, async (spec, layout) => {
          const report = await parseOne(renderReport(spec, layout));
          const actual = byIdentity(report.errors.map(({ category, identity, objectType, onPremisesObjectId, attributes }) => ({ category, identity, objectType, onPremisesObjectId, attributes })));
          expect(actual, describeCase(spec, layout)).toEqual(byIdentity(expectedErrors(spec, layout)));
          expect(report.tenant.name).toBe(spec.tenantName);
          expect(report.trackingId?.toLowerCase()).toBe(spec.trackingId);
          expect(report.reportedAt === null ? null : Date.parse(report.reportedAt)).toBe(spec.reportedAt.getTime());
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'keep their records and fingerprints when re-wrapped, re-encoded and forwarded',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, layoutArb, mangleArb, async (spec, layout, mangle) => {
          const plain = await parseOne(renderReport(spec, layout));
          const mangled = await parseOne(renderReport(spec, layout, mangle));
          expect(byIdentity(mangled.errors.map(full)), describeCase(spec, layout, mangle)).toEqual(byIdentity(plain.errors.map(full)));
          expect(mangled.tenant.name).toBe(plain.tenant.name);
          expect(mangled.reportedAt === null ? null : Date.parse(mangled.reportedAt)).toBe(plain.reportedAt === null ? null : Date.parse(plain.reportedAt));
          if (mangle.forward) expect(mangled.forwardedBy?.toLowerCase()).toContain('alex.wilber@contoso.com');
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'get the same fingerprints in every layout',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, layoutArb, layoutArb, async (spec, a, b) => {
          const ra = await parseOne(renderReport(spec, a));
          const rb = await parseOne(renderReport(spec, b));
          expect(byIdentity(rb.errors.map(core)), describeCase(spec, b)).toEqual(byIdentity(ra.errors.map(core)));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'get a different fingerprint when the identity, the category or an attribute value differs',
    async () => {
      const LARGE = 'The provisioned object is too large. Trim the number of attribute values on this object. The operation will be retried in the next synchronization cycle..';
      const NOT_FOUND = 'Unable to update this object because the user ID is not found.';
      const dupUpn = (v: string): string =>
        `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName ${v};]. Correct or remove the duplicate values in your local directory.`;
      await fc.assert(
        fc.asyncProperty(specArb, layoutArb, fc.constantFrom('identity' as const, 'category' as const, 'value' as const), async (spec, layout, what) => {
          // Two specs that differ in exactly one thing about their first error.
          const before: ReportSpec = structuredClone(spec);
          const after: ReportSpec = structuredClone(spec);
          const b = before.errors[0];
          const a = after.errors[0];
          if (!a || !b) return;
          if (what === 'identity') {
            a.identity = `${a.identity}x`;
          } else if (what === 'category') {
            Object.assign(b, { family: 'large', attributes: [], text: LARGE });
            Object.assign(a, { family: 'not-found', attributes: [], text: NOT_FOUND });
          } else {
            Object.assign(b, { family: 'dup-upn', attributes: [{ name: 'UserPrincipalName', value: 'first.value@contoso.com' }], text: dupUpn('first.value@contoso.com') });
            Object.assign(a, { family: 'dup-upn', attributes: [{ name: 'UserPrincipalName', value: 'second.value@contoso.com' }], text: dupUpn('second.value@contoso.com') });
          }
          const rb = await parseOne(renderReport(before, layout));
          const ra = await parseOne(renderReport(after, layout));
          const fb = rb.errors.find((e) => e.identity === b.identity)?.fingerprint;
          const fa = ra.errors.find((e) => e.identity === a.identity)?.fingerprint;
          expect(fb, describeCase(spec, layout)).toBeDefined();
          expect(fa, describeCase(spec, layout)).toBeDefined();
          expect(fa, `${what} changed: ${describeCase(spec, layout)}`).not.toBe(fb);
          // The untouched errors keep theirs.
          const rest = (r: ParsedReport): string[] =>
            r.errors
              .filter((e) => e.identity !== a.identity && e.identity !== b.identity)
              .map((e) => e.fingerprint)
              .sort();
          expect(rest(ra)).toEqual(rest(rb));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'give each distinct error of a report its own fingerprint',
    async () => {
      await fc.assert(
        fc.asyncProperty(specArb, layoutArb, async (spec, layout) => {
          const report = await parseOne(renderReport(spec, layout));
          const fps = report.errors.map((e) => e.fingerprint);
          expect(new Set(fps).size).toBe(fps.length);
          for (const fp of fps) expect(fp).toMatch(/^[0-9a-f]{32}$/);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

describe('pinned counterexamples', () => {
  const cases: Array<[string, number, number, Layout, Mangle]> = [
    ['an Unknown description wrapped over three lines (identity on its own line)', 1946156664, 2, { kind: 'nextline' }, { wrapWidth: 42 }],
    ['a pipe row whose description and bracket list wrap at 95 columns', 1600698368, 1, { kind: 'pipe' }, { wrapWidth: 95 }],
  ];
  for (const [name, seed, n, layout, mangle] of cases) {
    it(`keeps records and fingerprints: ${name}`, async () => {
      const spec = generateSpec(n, seed);
      const plain = await parseOne(renderReport(spec, layout));
      const mangled = await parseOne(renderReport(spec, layout, mangle));
      expect(byIdentity(plain.errors.map(full))).toEqual(byIdentity(mangled.errors.map(full)));
      expect(byIdentity(mangled.errors.map(({ category, identity, objectType, onPremisesObjectId, attributes }) => ({ category, identity, objectType, onPremisesObjectId, attributes })))).toEqual(
        byIdentity(expectedErrors(spec, layout)),
      );
      expect(mangled.errors.map((e) => e.message).join(' ')).toContain(spec.errors.map((e) => e.text).at(-1) ?? '');
    });
  }
});

describe('the generator itself', () => {
  it('is deterministic for a seed', () => {
    expect(renderReport(generateSpec(5, 7), { kind: 'pipe' }).equals(renderReport(generateSpec(5, 7), { kind: 'pipe' }))).toBe(true);
    expect(generateSpec(5, 7)).toEqual(generateSpec(5, 7));
    expect(generateSpec(5, 8)).not.toEqual(generateSpec(5, 7));
  });
});
