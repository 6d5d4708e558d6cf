import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReportApplier } from '../../src/ticket/apply-report.ts';
import { createFileTicketSink, type FileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import type { TicketStateStore } from '../../src/ticket/ticket-state.ts';
import { resolution, resolutionsFor, syncError, ticketJob } from './builders.ts';
import { memoryState } from './memory-state.ts';

/**
 * TICKET_DIGEST turned on for a while, then off, over the same desk and state: a problem
 * ticketed on its own before, and missing from a digest day's report, was not counted missing
 * that day (blind69 M4): its resolve waited a run longer than TICKET_RESOLVE_AFTER_MISSING says.
 */
describe('ticket stage: a digest day between per-problem days', () => {
  let dir: string;
  let sink: FileTicketSink;
  let state: TicketStateStore;
  const stage = (digest: boolean) =>
    createReportApplier({ sink, state, policy: { reopenWithinDays: 30, resolveAfterMissing: 2, digest }, now: () => new Date('2026-11-20T00:00:00Z') }).applyReport;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncdesk-digest-switch-'));
    sink = createFileTicketSink({ dir });
    state = memoryState().handle();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('counts a problem missing on the digest day: resolved after two reports without it, one of them the digest', async () => {
    const tenant = `northwind-${Math.random().toString(36).slice(2, 8)}.com`;
    const [aa, cc] = ['aa@northwind.com', 'cc@northwind.com'].map((value) => syncError({ value }));
    const all = resolutionsFor(resolution(aa!), resolution(cc!));
    const [, ccTicket] = await stage(false)(ticketJob(tenant, 1, [aa!, cc!]), all);

    const digestDay = await stage(true)(ticketJob(tenant, 2, [aa!]), all);
    expect(digestDay.map((a) => a.action)).toEqual(['create']);
    expect((await state.get(ccTicket!.key))?.missed).toBe(1);

    const day3 = await stage(false)(ticketJob(tenant, 3, [aa!]), all);
    expect(day3.find((a) => a.key === ccTicket!.key)).toMatchObject({ action: 'resolve', ticketId: ccTicket!.ticketId });
  });
});
