import type { DeskTicket } from '../../schemas/ticket.schema.ts';
import { createReportApplier, type ApplyReport, type ApplyReportDeps } from './apply-report.ts';
import type { TicketSink } from './ticket-sink.ts';
import type { KeyState, TicketStateStore } from './ticket-state.ts';

/**
 * Dry run as adapters, not as a flag: the use case runs unchanged on a sink that reads the
 * desk but only records what it would change, and on state it reads from Redis but writes to
 * memory (no lock is taken, nothing is locked against). Both remember what the plan did, so
 * each report of a replay is planned after the ones before it, as the real run applies them.
 */

export interface RecordedCall {
  call: 'create' | 'addNote' | 'updateFields' | 'resolve' | 'reopen';
  key: string;
}

export interface RecordingSink extends TicketSink {
  /** What a real run would have asked the desk to change, in order. */
  readonly calls: RecordedCall[];
}

/**
 * A plan: `applyReport` on a recording sink and staged state; changes nothing. One plan
 * spans the reports handed to it (a replay's), each seeing what the plan did before it.
 */
export function createPlanReport(deps: ApplyReportDeps): ApplyReport {
  const apply = createReportApplier({
    ...deps,
    sink: recordingSink(deps.sink),
    state: stagedState(deps.state),
    logger: deps.logger?.child({ dryRun: true }),
  }).applyReport;
  // a ticket the plan only pretends to create has no id to show
  return async (job, resolutions) => (await apply(job, resolutions)).map((a) => (a.ticketId === PLANNED_ID ? { ...a, ticketId: undefined } : a));
}

/** The id of a ticket a dry run pretends to have created (the desk never gave one). */
const PLANNED_ID = 'planned';

function recordingSink(desk: TicketSink): RecordingSink {
  const calls: RecordedCall[] = [];
  // the tickets as the plan left them (created, resolved, reopened): later reports find them so
  const planned = new Map<string, DeskTicket>();
  const record = (call: RecordedCall['call'], ticket: DeskTicket): DeskTicket => {
    calls.push({ call, key: ticket.key });
    if (call !== 'addNote' && call !== 'updateFields') planned.set(ticket.key, ticket);
    return ticket;
  };
  return {
    name: desk.name,
    // the desk's address too: a ticket known at another desk is no more read here in a plan than in a run
    ...(desk.where !== undefined && { where: desk.where }),
    calls,
    findByKey: async (key) => (planned.has(key) ? [planned.get(key)!] : desk.findByKey(key)),
    ...(desk.get ? { get: (id: string) => desk.get!(id) } : {}),
    async create(draft) {
      return record('create', { id: PLANNED_ID, key: draft.key, url: null, status: 'open', resolvedAt: null });
    },
    async addNote(ticket) {
      record('addNote', ticket);
    },
    async updateFields(ticket) {
      record('updateFields', ticket);
    },
    async resolve(ticket) {
      return record('resolve', { ...ticket, status: 'resolved' });
    },
    async reopen(ticket) {
      return record('reopen', { ...ticket, status: 'open', resolvedAt: null });
    },
  };
}

/** State that reads through to `state` and keeps what is written in memory, for the plan's later reports. */
function stagedState(state: TicketStateStore): TicketStateStore {
  const keys = new Map<string, KeyState>();
  const marks = new Map<string, number>();
  const applied = new Set<string>();
  const families = new Map<string, string>();
  const names = new Map<string, Set<string>>();
  const isOpenIn = (s: KeyState, stream: string): boolean => s.stream === stream && s.status === 'open' && !!s.ticketId;
  return {
    get: async (key) => structuredClone(keys.get(key) ?? (await state.get(key))),
    put: async (s) => {
      keys.set(s.key, structuredClone(s));
      if (isOpenIn(s, s.stream) && s.family) families.set(`${s.stream}|${s.family}`, s.key);
    },
    familyOwner: async (stream, family) => families.get(`${stream}|${family}`) ?? state.familyOwner(stream, family),
    async openKeys(stream) {
      const stored = (await state.openKeys(stream)).filter((key) => !keys.has(key));
      return [...stored, ...[...keys.values()].filter((s) => isOpenIn(s, stream)).map((s) => s.key)];
    },
    async advanceStream(stream, coversAtMs) {
      const previous = marks.get(stream) ?? (await state.streamMark(stream));
      marks.set(stream, Math.max(previous ?? coversAtMs, coversAtMs));
      return previous;
    },
    streamMark: async (stream) => marks.get(stream) ?? state.streamMark(stream),
    isApplied: async (stream, reportId) => applied.has(`${stream}|${reportId}`) || state.isApplied(stream, reportId),
    markApplied: async (stream, reportId) => void applied.add(`${stream}|${reportId}`),
    keysNamed: async (name) => [...new Set([...(await state.keysNamed(name)), ...(names.get(name) ?? [])])],
    addKeyNamed: async (name, tenantKey) => void names.set(name, (names.get(name) ?? new Set()).add(tenantKey)),
    withLock: (_key, fn) => fn(),
  };
}
