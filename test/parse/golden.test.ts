/**
 * Golden tests: every fixture in test/fixtures/reports parsed and compared
 * with its hand-written `<name>.expected.json` (see
 * test/fixtures/builders/golden.ts for what each key means).
 *
 * The comparison projects the parser's answer onto the keys the golden
 * states, so a failure shows a plain object diff of exactly the fields that
 * differ. Errors are paired with the expected ones by best match, not by
 * position, so the diff stays readable when the parser orders them otherwise.
 */

import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { ParsedReportSchema, RejectionSchema, type ParsedReport, type SyncError } from '../../schemas/report.schema.ts';
import type { ExpectedError, ExpectedReport, Golden } from '../fixtures/builders/golden.ts';

const reportsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reports');
const emls = readdirSync(reportsDir)
  .filter((f) => f.endsWith('.eml'))
  .sort();

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

function sameInstant(actual: string | null | undefined, expected: string | null): string | null | undefined {
  if (expected === null || actual === null || actual === undefined) return actual;
  return Date.parse(actual) === Date.parse(expected) ? expected : actual;
}

function containsAddress(actual: string | null | undefined, expected: string | null): string | null | undefined {
  if (expected === null || actual === null || actual === undefined) return actual;
  return actual.toLowerCase().includes(expected.toLowerCase()) ? expected : actual;
}

/** The actual error seen through the keys of the expected one. */
function projectError(actual: SyncError, expected: ExpectedError): Record<string, unknown> {
  const out: Record<string, unknown> = { category: actual.category };
  for (const key of ['errorCode', 'identity', 'objectType', 'onPremisesObjectId', 'attributes'] as const) {
    if (key in expected) out[key] = actual[key];
  }
  if ('valueQuarantined' in expected) out.valueQuarantined = actual.valueQuarantined ?? false;
  const message = collapse(actual.message);
  out.messageContains = message.includes(collapse(expected.messageContains)) ? expected.messageContains : message;
  return out;
}

function score(actual: SyncError, expected: ExpectedError): number {
  const p = projectError(actual, expected);
  let s = 0;
  for (const [k, v] of Object.entries(expected)) if (JSON.stringify(p[k]) === JSON.stringify(v)) s += k === 'identity' ? 3 : 1;
  return s;
}

/** Pairs expected errors with actual ones greedily by score; unmatched actual errors are appended. */
function pairErrors(actual: SyncError[], expected: ExpectedError[]): unknown[] {
  const remaining = [...actual];
  const out: unknown[] = [];
  for (const exp of expected) {
    let best = -1;
    let bestScore = -1;
    remaining.forEach((a, i) => {
      const s = score(a, exp);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    });
    if (best < 0) {
      out.push('<missing: the parser returned fewer errors>');
      continue;
    }
    const [a] = remaining.splice(best, 1);
    out.push(projectError(a as SyncError, exp));
  }
  for (const extra of remaining) out.push({ unexpected: extra });
  return out;
}

function projectReport(actual: ParsedReport, expected: ExpectedReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if ('subject' in expected) out.subject = actual.subject;
  if ('from' in expected) out.from = containsAddress(actual.from, expected.from ?? null);
  if ('forwardedBy' in expected) out.forwardedBy = containsAddress(actual.forwardedBy, expected.forwardedBy ?? null);
  if ('recipient' in expected) out.recipient = containsAddress(actual.recipient, expected.recipient ?? null);
  if ('sentAt' in expected) out.sentAt = sameInstant(actual.sentAt, expected.sentAt ?? null);
  if ('reportedAt' in expected) out.reportedAt = sameInstant(actual.reportedAt, expected.reportedAt ?? null);
  if (expected.tenant) {
    const t: Record<string, unknown> = {};
    if ('name' in expected.tenant) t.name = actual.tenant.name;
    if ('domain' in expected.tenant) t.domain = actual.tenant.domain === null ? null : actual.tenant.domain.toLowerCase();
    out.tenant = t;
  }
  if ('trackingId' in expected) out.trackingId = actual.trackingId === null ? null : actual.trackingId.toLowerCase();
  out.errors = pairErrors(actual.errors, expected.errors);
  return out;
}

describe('golden fixtures', () => {
  it('has a golden for every fixture and covers the corpus', () => {
    expect(emls.length).toBeGreaterThanOrEqual(18);
    const missing = emls.filter((f) => !existsSync(join(reportsDir, f.replace(/\.eml$/, '.expected.json'))));
    expect(missing).toEqual([]);
  });

  for (const file of emls) {
    const golden = JSON.parse(readFileSync(join(reportsDir, file.replace(/\.eml$/, '.expected.json')), 'utf8')) as Golden;

    it(`${file}: ${golden.description}`, async () => {
      const raw = readFileSync(join(reportsDir, file));
      const outcome = await parseMail(raw);

      if (golden.outcome === 'rejected') {
        expect(outcome.ok ? { ok: true, reports: outcome.reports.length } : { ok: false, reason: outcome.rejection.reason }).toEqual({
          ok: false,
          reason: golden.reason,
        });
        if (!outcome.ok) expect(RejectionSchema.parse(outcome.rejection).detail.length).toBeGreaterThan(0);
        return;
      }

      if (!outcome.ok) {
        expect.fail(`expected reports, got rejection ${outcome.rejection.reason}: ${outcome.rejection.detail}`);
        return;
      }
      for (const report of outcome.reports) ParsedReportSchema.parse(report);
      expect(outcome.reports.length).toBe(golden.reports.length);
      const projected = golden.reports.map((exp, i) => projectReport(outcome.reports[i] as ParsedReport, exp));
      expect(projected).toEqual(golden.reports);
    });
  }

  it('gives distinct errors of one report distinct fingerprints', async () => {
    for (const file of emls) {
      const outcome = await parseMail(readFileSync(join(reportsDir, file)));
      if (!outcome.ok) continue;
      for (const report of outcome.reports) {
        // the object id names the object where the identity is missing, as in the fingerprint
        const keys = report.errors.map((e) => `${e.category}|${e.identity ?? e.onPremisesObjectId}|${JSON.stringify(e.attributes)}`);
        const distinctProblems = new Set(keys).size;
        const distinctFingerprints = new Set(report.errors.map((e) => e.fingerprint)).size;
        expect({ file, fingerprints: distinctFingerprints }).toEqual({ file, fingerprints: distinctProblems });
      }
    }
  });

  it('parses the same bytes to the same records twice (replay)', async () => {
    for (const file of emls) {
      const raw = readFileSync(join(reportsDir, file));
      const [a, b] = await Promise.all([parseMail(raw), parseMail(Buffer.from(raw))]);
      expect(b).toEqual(a);
    }
  });
});
