import { describe, expect, it } from 'vitest';
import type { ReportErrors } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import { readTickets } from '../pipeline/helpers.ts';
import { resolution, resolutionsFor, syncError, ticketJob } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * A tenant named otherwise from one report to the next: its name-only reports ("for tenant
 * Fabrikam, Inc.") keyed by the name until a directory snapshot (or the tenants file, or an
 * upgrade) names it by its initial domain. Its problems keep their tickets (blind36 U1: each
 * got a second one, and the first was never resolved). The desk is the file sink, the state an
 * in-memory store with the Redis store's semantics (useFileDesk).
 */
describe('ticket stage: a tenant renamed between reports', () => {
  const { apply, dir } = useFileDesk({ resolveAfterMissing: 1 });

  const OLD = `fabrikam, inc. ${Math.random().toString(36).slice(2, 8)}`;
  const NEW = `fabrikam-${Math.random().toString(36).slice(2, 8)}.onmicrosoft.com`;
  /** A report of the day, under the name of then or of now (with the old name as its alias). */
  const report = (day: number, errors: SyncError[], renamed: boolean): ReportErrors => {
    const job = ticketJob(renamed ? NEW : OLD, day, errors);
    return renamed ? { ...job, report: { ...job.report, tenantAliases: [OLD] } } : job;
  };

  it('keeps each problem on its ticket: seen again, gone (resolved), back (reopened); no second ticket', async () => {
    const [chloe, kim, lee] = ['chloe@fabrikam.com', 'kim.akers@fabrikam.com', 'lee.gu@fabrikam.com'].map((value) => syncError({ value }));
    const all = resolutionsFor(...[chloe!, kim!, lee!].map((e) => resolution(e)));

    expect((await apply(report(1, [chloe!, kim!], false), all)).map((a) => a.action)).toEqual(['create', 'create']);
    const before = readTickets(dir());

    // renamed: chloe listed again, kim gone, lee new
    const day3 = await apply(report(3, [chloe!, lee!], true), all);
    expect(day3.map((a) => [a.action, a.summary.split(' — ')[0]]).sort()).toEqual([
      ['create', '[Duplicate UserPrincipalName] lee.gu@fabrikam.com'],
      ['resolve', '[Duplicate UserPrincipalName] kim.akers@fabrikam.com'],
      ['unchanged', '[Duplicate UserPrincipalName] chloe@fabrikam.com'],
    ]);
    const chloeTicket = before.find((t) => t.summary.includes('chloe'))!;
    expect(day3.find((a) => a.summary.includes('chloe'))!.ticketId).toBe(chloeTicket.id);

    // kim back: the ticket resolved under the old name reopens
    const day4 = await apply(report(4, [chloe!, kim!, lee!], true), all);
    expect(day4.find((a) => a.summary.includes('kim.akers'))).toMatchObject({ action: 'reopen', ticketId: before.find((t) => t.summary.includes('kim.akers'))!.id });
    expect(readTickets(dir())).toHaveLength(3);
  });
});

/**
 * A tenant whose configured key is corrected (the tenants file's tenantId typed wrong, then
 * fixed: same name, same domains): the reports still name it by its domain, which is all that
 * ties the two keys together (blind69 M2: each open problem got a second ticket, and the first
 * stayed open for ever under the old key).
 */
describe('ticket stage: a tenant whose configured id is corrected', () => {
  const DOMAIN = `tailspin-${Math.random().toString(36).slice(2, 8)}.onmicrosoft.com`;
  const WRONG = '0b0b0b0b-0000-4000-8000-000000000001';
  const RIGHT = '0b0b0b0b-0000-4000-8000-0000000000aa';
  /** A report of the day, named by the configuration as `tenantId` (its own name, the domain, as the alias). */
  const report = (tenantId: string, day: number, errors: SyncError[]): ReportErrors => {
    const job = ticketJob(tenantId, day, errors);
    return { ...job, report: { ...job.report, tenantAliases: [DOMAIN] } };
  };
  const [chloe, kim, lee] = ['chloe@tailspin.com', 'kim.akers@tailspin.com', 'lee.gu@tailspin.com'].map((value) => syncError({ value }));
  const all = resolutionsFor(...[chloe!, kim!, lee!].map((e) => resolution(e)));
  const ticketOf = (dir: string, who: string) => readTickets(dir).find((t) => t.summary.includes(who))!;

  describe('the old id names no tenant now', () => {
    const { apply, applierFor, sink, dir } = useFileDesk({ resolveAfterMissing: 1 }, { configuredTenant: (key) => key === RIGHT });

    it('keeps each problem on its ticket, chunk by chunk; one no longer listed is resolved', async () => {
      expect((await apply(report(WRONG, 1, [chloe!, kim!]), all)).map((a) => a.action)).toEqual(['create', 'create']);

      // the corrected report in two chunks, then closed: each chunk finds its problems' tickets
      const stage = applierFor(sink());
      const day3 = report(RIGHT, 3, [chloe!, lee!]);
      const first = await stage.applyProblems({ ...day3, errors: [chloe!] }, all);
      const second = await stage.applyProblems({ ...day3, errors: [lee!] }, all);
      const closed = await stage.closeReport(day3.report, { errorCount: 2, keys: new Set([...first, ...second].map((a) => a.key)), fingerprints: new Set([chloe!.fingerprint, lee!.fingerprint]), skipped: 0 });
      expect(first).toMatchObject([{ action: 'unchanged', ticketId: ticketOf(dir(), 'chloe').id }]);
      expect(second.map((a) => a.action)).toEqual(['create']);
      expect(closed).toMatchObject([{ action: 'resolve', ticketId: ticketOf(dir(), 'kim.akers').id }]);

      // kim back under the right id: the ticket resolved reopens, no fourth one
      const day4 = await apply(report(RIGHT, 4, [chloe!, kim!, lee!]), all);
      expect(day4.find((a) => a.summary.includes('kim.akers'))).toMatchObject({ action: 'reopen', ticketId: ticketOf(dir(), 'kim.akers').id });
      expect(readTickets(dir())).toHaveLength(3);
    });
  });

  describe('the old id is another configured tenant’s now', () => {
    const { apply, dir } = useFileDesk({ resolveAfterMissing: 1 }, { configuredTenant: (key) => key === RIGHT || key === WRONG });

    it('takes none of its tickets and resolves none of them', async () => {
      await apply(report(WRONG, 1, [chloe!, kim!]), all);
      const day3 = await apply(report(RIGHT, 3, [chloe!]), all);
      expect(day3.map((a) => a.action)).toEqual(['create']);
      expect(readTickets(dir()).filter((t) => t.status === 'open')).toHaveLength(3);
    });
  });
});
