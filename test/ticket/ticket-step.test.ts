import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { DeskTicket } from '../../schemas/ticket.schema.ts';
import type { KeyState } from '../../src/ticket/ticket-state.ts';
import { ticketStep, type TicketStep } from '../../src/ticket/ticket-step.ts';

/**
 * The ticket lifecycle as a table: what a problem listed in a report does to its ticket, from
 * what syncdesk recorded and what the desk shows now (README "Tickets": created once, noted,
 * reopened within TICKET_REOPEN_WITHIN_DAYS, followed up after, won't-fix left alone, a report
 * older than the desk's own decision skipped).
 */

const report: ReportRef = { reportId: 'r-10', mailId: null, subject: 's', coversAt: '2026-11-10T06:00:00.000Z', tenantKey: 'contoso.com', tenant: { name: null, domain: 'contoso.com', id: null }, source: 'mail' };
const now = () => new Date('2026-11-10T07:00:00.000Z');
const policy = { reopenWithinDays: 30, resolveAfterMissing: 1, digest: false };

const ticket = (over: Partial<DeskTicket> = {}): DeskTicket => ({ id: 'T1', key: 'k', url: null, status: 'open', resolvedAt: null, ...over });
const state = (over: Partial<KeyState> = {}): KeyState =>
  ({
    key: 'k', stream: 'contoso.com', fingerprint: 'f', ticketId: 'T1', ticketUrl: null, status: 'open', resolvedAt: null, ticketSince: '2026-11-01T06:00:00.000Z',
    summary: 's', contentHash: 'h', lastReportId: 'r-9', lastCoversAt: '2026-11-09T06:00:00.000Z', missed: 0, lastMissedReportId: null, lastMissedCoversAt: null,
    firstSeen: '2026-11-01T06:00:00.000Z', lastSeen: '2026-11-09T06:00:00.000Z', seenCount: 9, reports: [],
    ...over,
  }) as KeyState;

const cases: Array<[string, DeskTicket | null, KeyState | null, TicketStep, { refresh?: 'relookup' }?]> = [
  ['no ticket yet', null, null, 'create'],
  ['its ticket deleted from the desk', null, state(), 'create'],
  ['an open ticket', ticket(), state(), 'update'],
  ['an open ticket syncdesk has no record of (a crash before its state write)', ticket(), null, 'update'],
  ["an agent's won't-fix", ticket({ status: 'wontfix' }), state(), 'wontfix'],
  ['resolved by syncdesk 5 days of runs ago', ticket({ status: 'resolved', resolvedAt: '2026-11-05T07:00:00.000Z' }), state({ status: 'resolved', resolvedCoversAt: '2026-11-05T06:00:00.000Z' }), 'reopen'],
  ['resolved by syncdesk 40 days of runs ago', ticket({ status: 'resolved', resolvedAt: '2026-11-05T07:00:00.000Z' }), state({ status: 'resolved', resolvedCoversAt: '2026-10-01T06:00:00.000Z' }), 'follow-up'],
  ['resolved in the desk by an agent 40 days ago', ticket({ status: 'resolved', resolvedAt: '2026-10-01T06:00:00.000Z' }), state(), 'follow-up'],
  ['closed in the desk', ticket({ status: 'closed', resolvedAt: '2026-11-08T06:00:00.000Z' }), state(), 'follow-up'],
  ['resolved in the desk after this run, with no record of it (Redis lost, a replay)', ticket({ status: 'resolved', resolvedAt: '2026-11-12T06:00:00.000Z' }), null, 'older'],
  ['merged by an agent into a ticket the desk does not name, the problem listed all along', ticket({ status: 'closed', mergedAway: true, resolvedAt: '2026-11-09T08:00:00.000Z' }), state(), 'merged-away'],
  ['merged away, and the problem gone since', ticket({ status: 'closed', mergedAway: true, resolvedAt: '2026-11-09T08:00:00.000Z' }), state({ status: 'resolved' }), 'follow-up'],
  ["the agent's ticket it was merged into, resolved", ticket({ id: 'T7', status: 'resolved', mergedFrom: 'T1', resolvedAt: '2026-11-09T08:00:00.000Z' }), state(), 'follow-up'],
  ['a lookup run again, its ticket resolved meanwhile', ticket({ status: 'resolved', resolvedAt: '2026-11-09T08:00:00.000Z' }), state(), 'leave', { refresh: 'relookup' }],
  ['a lookup run again, its ticket deleted meanwhile', null, state(), 'leave', { refresh: 'relookup' }],
  ['a lookup run again, its ticket open', ticket(), state(), 'update', { refresh: 'relookup' }],
];

describe('ticketStep: what a listed problem does to its ticket', () => {
  it.each(cases)('%s', (_, desk, s, expected, extra) => {
    expect(ticketStep(desk, s, { report, policy, now, ...extra })).toBe(expected);
  });
});
