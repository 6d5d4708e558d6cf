import type { DeskTicket } from '../../schemas/ticket.schema.ts';
import { createReportApplier, type ApplyReport, type ApplyReportDeps } from './apply-report.ts';
import type { TicketSink } from './ticket-sink.ts';
import type { TicketStateStore } from './ticket-state.ts';

/**
 * Dry run as adapters, not as a flag: the use case runs unchanged on a sink that reads the
 * desk but only records what it would change, and on state it reads but never writes
 * (marks are read, not raised; no lock is taken, nothing is locked against).
 */

export interface RecordedCall {
  call: 'create' | 'addNote' | 'updateFields' | 'resolve' | 'reopen';
  key: string;
}

export interface RecordingSink extends TicketSink {
  /** What a real run would have asked the desk to change, in order. */
  readonly calls: RecordedCall[];
}

/** The plan of a report: `applyReport` on a recording sink and read-only state; changes nothing. */
export function createPlanReport(deps: ApplyReportDeps): ApplyReport {
  return createReportApplier({
    ...deps,
    sink: recordingSink(deps.sink),
    state: readOnlyState(deps.state),
    logger: deps.logger?.child({ dryRun: true }),
  }).applyReport;
}

/** A ticket that a dry run pretends to have created: no id (the desk never gave one). */
const NO_ID = '';

export function recordingSink(desk: TicketSink): RecordingSink {
  const calls: RecordedCall[] = [];
  const record = (call: RecordedCall['call'], ticket: Pick<DeskTicket, 'key'>) => void calls.push({ call, key: ticket.key });
  return {
    name: desk.name,
    calls,
    findByKey: (key) => desk.findByKey(key),
    ...(desk.get ? { get: (id: string) => desk.get!(id) } : {}),
    async create(draft) {
      record('create', draft);
      return { id: NO_ID, key: draft.key, url: null, status: 'open', resolvedAt: null };
    },
    async addNote(ticket) {
      record('addNote', ticket);
    },
    async updateFields(ticket) {
      record('updateFields', ticket);
    },
    async resolve(ticket) {
      record('resolve', ticket);
      return { ...ticket, status: 'resolved' };
    },
    async reopen(ticket) {
      record('reopen', ticket);
      return { ...ticket, status: 'open', resolvedAt: null };
    },
  };
}

export function readOnlyState(state: TicketStateStore): TicketStateStore {
  return {
    get: (key) => state.get(key),
    put: async () => undefined,
    openKeys: (stream) => state.openKeys(stream),
    advanceStream: (stream) => state.streamMark(stream),
    streamMark: (stream) => state.streamMark(stream),
    isApplied: (stream, reportId) => state.isApplied(stream, reportId),
    markApplied: async () => undefined,
    withLock: (_key, fn) => fn(),
  };
}
