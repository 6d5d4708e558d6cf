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
