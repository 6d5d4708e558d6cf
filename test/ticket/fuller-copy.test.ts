import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReportApplier, type ApplyReport } from '../../src/ticket/apply-report.ts';
import { createFileTicketSink, type FileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import type { TicketStateStore } from '../../src/ticket/ticket-state.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { memoryState } from './memory-state.ts';

/**
 * Scenario (blind test 17, s08): a copy of a report cut off inside its table is applied
 * first; the intact copy of the same report (same report id) comes after it. The intact
 * copy's other rows get their tickets; what the cut copy listed stays as it is, and a
 * replay of the intact copy changes nothing. File sink, in-memory state: no Redis.
 */

describe('ticket stage: a fuller copy of a report applied before', () => {
  let dir: string;
  let sink: FileTicketSink;
  let state: TicketStateStore;
  let apply: ApplyReport;
  const a = syncError();
  const b = syncError({ value: 'jane@contoso.com' });
  const c = syncError({ value: 'finance@contoso.com', attribute: 'ProxyAddresses' });
  const resolutions = resolutionsFor(resolution(a), resolution(b), resolution(c));
  const run = (tenant: string, day: number, errors = [a, b, c]) => apply(ticketJob(tenant, day, errors, `<report-day-${day}@microsoftonline.com>`), resolutions);
  const kinds = async (tenant: string, day: number, errors = [a, b, c]) => (await run(tenant, day, errors)).map((x) => x.action).sort();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncdesk-fuller-'));
    sink = createFileTicketSink({ dir });
    state = memoryState().handle();
    apply = createReportApplier({ sink, state, policy: { reopenWithinDays: 30, resolveAfterMissing: 0, digest: false }, now: () => new Date('2026-11-20T00:00:00Z') }).applyReport;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the tickets of the rows the cut copy lacked, and leaves its own alone', async () => {
    const tenant = uniqueTenant();
    expect(await kinds(tenant, 2, [a])).toEqual(['create']);
    expect(await kinds(tenant, 2)).toEqual(['create', 'create', 'unchanged']);
    const replay = await run(tenant, 2);
    expect(replay.map((x) => x.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(new Set(replay.map((x) => x.ticketId)).size).toBe(3);
  });

  it('a row the cut copy lacked that an earlier run listed is seen again in this run', async () => {
    const tenant = uniqueTenant();
    expect(await kinds(tenant, 1, [a, b])).toEqual(['create', 'create']);
    expect(await kinds(tenant, 2, [a])).toEqual(['unchanged']);
    const fuller = await run(tenant, 2);
    expect(fuller.map((x) => x.action).sort()).toEqual(['create', 'unchanged', 'unchanged']);
    const seen = await Promise.all(fuller.map(async (x) => (await state.get(x.key))?.lastCoversAt));
    expect(seen).toEqual(Array(3).fill(ticketJob(tenant, 2, []).report.coversAt));
  });
});
