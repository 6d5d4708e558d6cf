import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReportErrors } from '../../schemas/jobs.schema.ts';
import { createReportApplier, type ApplyReport, type ApplyReportDeps, type TicketPolicy } from '../../src/ticket/apply-report.ts';
import { createPlanReport } from '../../src/ticket/dry-run.ts';
import { createFileTicketSink, type FileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import type { TicketStateStore } from '../../src/ticket/ticket-state.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { memoryState } from './memory-state.ts';

/**
 * Scenario: a report with zero error rows (a mail the parser could not read, or a mail that
 * was no report) arrives after reports that opened tickets. With auto-resolve on, it must
 * resolve nothing and count nothing as missing; only a source that positively states there
 * are no errors (a completed Graph poll) may. The desk is the file sink, the state an
 * in-memory store with the Redis store's semantics, so this runs without Redis.
 */

describe('ticket stage: a report with zero error rows', () => {
  let dir: string;
  let sink: FileTicketSink;
  let state: TicketStateStore;
  const applyReport = (deps: ApplyReportDeps): ApplyReport => createReportApplier(deps).applyReport;
  const stage = (policy: Partial<TicketPolicy> = {}, make = applyReport): ApplyReport =>
    make({ sink, state, policy: { reopenWithinDays: 30, resolveAfterMissing: 1, digest: false, ...policy }, now: () => new Date('2026-11-20T00:00:00Z') });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncdesk-zero-row-'));
    sink = createFileTicketSink({ dir });
    state = memoryState().handle();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function openTwo(apply: ApplyReport, tenant: string): Promise<string[]> {
    const a = syncError();
    const b = syncError({ value: 'jane@contoso.com' });
    const actions = await apply(ticketJob(tenant, 1, [a, b]), resolutionsFor(resolution(a), resolution(b)));
    expect(actions.map((x) => x.action)).toEqual(['create', 'create']);
    return actions.map((x) => x.ticketId!);
  }

  it('resolves nothing and counts nothing missing, even after several such reports', async () => {
    const tenant = uniqueTenant();
    const apply = stage({ resolveAfterMissing: 1 });
    const ids = await openTwo(apply, tenant);
    for (const day of [2, 3, 4]) expect(await apply(ticketJob(tenant, day, []), new Map())).toEqual([]);
    for (const id of ids) expect((await sink.read(id))?.status).toBe('open');
    for (const id of ids) expect((await sink.read(id))?.notes).toEqual([]);
  });

  it('does not make a later-arriving real report old', async () => {
    const tenant = uniqueTenant();
    const apply = stage();
    await openTwo(apply, tenant);
    await apply(ticketJob(tenant, 9, []), new Map());
    const a = syncError();
    const real = await apply(ticketJob(tenant, 5, [a]), resolutionsFor(resolution(a)));
    // the report of day 5 is applied (b is missing from it), not skipped as older than the empty one
    expect(real.map((x) => x.action)).toEqual(['unchanged', 'resolve']);
  });

  it('a dry run of it plans nothing either', async () => {
    const tenant = uniqueTenant();
    const apply = stage();
    await openTwo(apply, tenant);
    expect(await stage({}, createPlanReport)(ticketJob(tenant, 2, []), new Map())).toEqual([]);
  });

  it('a completed Graph poll with no conflict states there are none: it may resolve', async () => {
    const tenant = uniqueTenant();
    const apply = stage();
    const a = syncError();
    const job = ticketJob(tenant, 1, [a]);
    const graph = (j: ReportErrors): ReportErrors => ({ ...j, report: { ...j.report, source: 'graph' } });
    await apply(graph(job), resolutionsFor(resolution(a)));
    const empty = await apply(graph(ticketJob(tenant, 2, [])), new Map());
    expect(empty.map((x) => x.action)).toEqual(['resolve']);
  });
});
