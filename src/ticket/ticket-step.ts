import type { Refresh, ReportRef } from '../../schemas/jobs.schema.ts';
import type { DeskTicket } from '../../schemas/ticket.schema.ts';
import { reportStream } from '../parse/report-ref.ts';
import type { TicketAction } from './apply-report.ts';
import { contentHash, sameContent } from './content-hash.ts';
import { renderSummary, type ProblemView } from './render.ts';
import type { KeyState } from './ticket-state.ts';

/**
 * What a problem's ticket calls for, decided from what syncdesk knows (its state of the key),
 * what the desk says (the ticket as it is now) and the report: pure, so every rule of the
 * ticket lifecycle reads, and is tested, as a table. apply-report.ts does what it says.
 */

const DAY_MS = 86_400_000;

export interface TicketPolicy {
  /** A resolved ticket whose problem returns within this many days is reopened; later, a linked follow-up is created (TICKET_REOPEN_WITHIN_DAYS, default 30). */
  reopenWithinDays: number;
  /** Resolve after this many newer reports of the tenant without the problem; 0 never resolves (TICKET_RESOLVE_AFTER_MISSING, default 0). */
  resolveAfterMissing: number;
  /** One ticket per report instead of one per problem (TICKET_DIGEST, default false). */
  digest: boolean;
}

/**
 * Whether the problem was last seen in this report, or in another copy of its sync run: the
 * report itself and an admin's inline forward of it (which has a Message-ID of its own) cover
 * the same run, in the same stream.
 */
export function sameRun(s: KeyState, report: ReportRef): boolean {
  return s.lastReportId === report.reportId || (s.stream === reportStream(report) && Date.parse(s.lastCoversAt) === Date.parse(report.coversAt));
}

/** The id syncdesk knows a ticket by: the one it made, where an agent merged that into this one (KeyState.ticketId). */
export function ownId(ticket: DeskTicket): string {
  return ticket.mergedFrom ?? ticket.id;
}

/**
 * Whether a problem back in `report` reopens its resolved ticket. A resolution syncdesk made
 * is measured in report time (from the run that found it gone to the run that has it again),
 * so replayed months decide as the live service did; one made in the desk, from when it was made.
 */
function withinWindow(ticket: DeskTicket, s: KeyState | null, report: ReportRef, policy: TicketPolicy, now: () => Date): boolean {
  // resolved by us as far as we know: our state says so of this very ticket (an agent's own
  // resolve in the desk leaves our state open; a dry run's pretended resolve has no desk time)
  if (s?.status === 'resolved' && s.resolvedCoversAt && s.ticketId === ownId(ticket)) {
    return Date.parse(report.coversAt) - Date.parse(s.resolvedCoversAt) <= policy.reopenWithinDays * DAY_MS;
  }
  return !ticket.resolvedAt || now().getTime() - Date.parse(ticket.resolvedAt) <= policy.reopenWithinDays * DAY_MS;
}

/**
 * A ticket we hold no record of (Redis lost, or restored from a copy older than the ticket)
 * that the desk resolved or closed after the run this report covers: the report tells nothing
 * new, it was seen before the desk's decision. A replay of the archive after Redis was lost
 * reopened every ticket agents had resolved, and opened follow-ups of closed ones.
 * With our record of the ticket, its state says what the report is to it.
 */
function closedAfterRun(ticket: DeskTicket, s: KeyState | null, report: ReportRef): boolean {
  return s?.ticketId !== ownId(ticket) && !!ticket.resolvedAt && Date.parse(ticket.resolvedAt) > Date.parse(report.coversAt);
}

/**
 * What a problem needs without asking the desk: nothing (this report was applied to it), or
 * a skip (a newer report decided it). With `refresh` (the report's lookup run again), an
 * open ticket whose lookup now says more is updated.
 */
export function settled(view: ProblemView, s: KeyState | null, old: boolean, refresh?: Refresh): TicketAction | null {
  const { key, report } = view;
  const news = !!refresh && s?.status === 'open' && !sameContent(s, contentHash(view));
  if (s && sameRun(s, report) && !news) return { key, action: 'unchanged', ticketId: s.ticketId ?? undefined, summary: renderSummary(view) };
  // An older report never undoes what a newer one decided for a problem; a problem nothing
  // newer has a ticket for is still a problem: it is created (and reads as seen at that time).
  // Its own ticket, looked up again, is still its own to bring up to date, newer runs of other problems or not.
  if (s && !(news && sameRun(s, report)) && (old || Date.parse(s.lastCoversAt) > Date.parse(report.coversAt))) {
    return { key, action: 'skip-old', ticketId: s.ticketId ?? undefined, summary: renderSummary(view) };
  }
  return null;
}

/**
 * What the desk's ticket for a problem calls for, once nothing settled it without the desk:
 *   leave        a lookup run again for its own report: a ticket no longer open stays as the desk has it
 *   create       no ticket
 *   update       an open ticket: adopted, noted or left as it is
 *   wontfix      an agent's won't-fix: never touched again
 *   merged-away  merged into a ticket the desk does not name while the problem stayed listed: worked there
 *   older        closed by the desk after the run the report covers: seen before that decision
 *   reopen       resolved within the reopen window (unless the desk refuses, then a follow-up)
 *   follow-up    closed, or resolved long ago, or its merged-into ticket done: a new linked ticket
 */
export type TicketStep = 'leave' | 'create' | 'update' | 'wontfix' | 'merged-away' | 'older' | 'reopen' | 'follow-up';

export function ticketStep(ticket: DeskTicket | null, s: KeyState | null, at: { report: ReportRef; refresh?: Refresh | undefined; policy: TicketPolicy; now: () => Date }): TicketStep {
  const { report, refresh } = at;
  // a lookup run again for what its report listed never recreates a deleted ticket, nor reopens a resolved one
  if ((refresh === 'relookup' || (refresh && s && sameRun(s, report))) && ticket?.status !== 'open') return 'leave';
  if (!ticket) return 'create';
  if (ticket.status === 'open') return 'update';
  if (ticket.status === 'wontfix') return 'wontfix';
  // gone, then back, it gets a new ticket
  if (ticket.mergedAway && s?.status === 'open' && s.ticketId === ticket.id) return 'merged-away';
  if (closedAfterRun(ticket, s, report)) return 'older';
  // the ticket an agent merged it into is done: the problem back is a ticket of its own again, not a reopen of theirs
  if (ticket.mergedFrom) return 'follow-up';
  if (ticket.status === 'resolved' && withinWindow(ticket, s, report, at.policy, at.now)) return 'reopen';
  return 'follow-up';
}
