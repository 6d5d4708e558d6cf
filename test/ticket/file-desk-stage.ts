import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createReportApplier, type ApplyReport, type ApplyReportDeps, type ReportApplier, type TicketPolicy } from '../../src/ticket/apply-report.ts';
import { createFileTicketSink, type FileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import type { TicketStateStore } from '../../src/ticket/ticket-state.ts';
import { memoryState } from './memory-state.ts';

/**
 * For a describe block: a file desk in a fresh folder and the ticket stage on memory state,
 * made anew before each of its tests (the clock stands at 2026-11-20) and removed after.
 * `configuredTenant`: the tenant keys the configuration is to name (ApplyReportDeps).
 */
export function useFileDesk(policy: Pick<TicketPolicy, 'resolveAfterMissing'>, configured: Pick<ApplyReportDeps, 'configuredTenant'> = {}): {
  sink: () => FileTicketSink;
  apply: ApplyReport;
  /** The desk's folder (its ticket files). */
  dir: () => string;
  /** The stage's ticket state, as a worker's store. */
  state: () => TicketStateStore;
  /** The ticket stage on this state and policy over another desk (one wrapping the file desk, say). */
  applierFor: (desk: TicketSink) => ReportApplier;
  /** What the stage logged at info and above since the test began, one JSON object a line. */
  logged: () => Record<string, unknown>[];
} {
  let dir: string;
  let sink: FileTicketSink;
  let state: TicketStateStore;
  let lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
  const applierFor = (desk: TicketSink): ReportApplier =>
    createReportApplier({ sink: desk, state, logger, policy: { reopenWithinDays: 30, digest: false, ...policy }, now: () => new Date('2026-11-20T00:00:00Z'), ...configured });
  let apply: ApplyReport;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncdesk-file-desk-'));
    sink = createFileTicketSink({ dir });
    state = memoryState().handle();
    lines = [];
    apply = applierFor(sink).applyReport;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return { sink: () => sink, apply: (job, resolutions) => apply(job, resolutions), dir: () => dir, state: () => state, applierFor, logged: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
