import type { FakeReply } from './saas-desk-server.ts';

/**
 * The account-wide rules of the Zendesk fake, as Zendesk documents them:
 *  - solving needs an assignee ("A ticket's status can't be set to Solved … without an
 *    assignee"); it works without one only while "Auto-assign tickets upon solve" is on and no
 *    ticket field is required to solve, else 422;
 *  - a field "required to solve" (`required: true` on the ticket field) must have a value;
 *  - account rate limits beside the per-ticket one: Update Ticket 100/min (20/min on sandbox
 *    and trial accounts), List Tickets 100/min on sandbox and trial; 429 with Retry-After.
 */

export interface ZendeskAccountOptions {
  /** "Auto-assign tickets upon solve". @defaultValue true (Zendesk's default) */
  autoAssignOnSolve?: boolean;
  /** Custom ticket fields agents must fill to solve. */
  requiredToSolve?: Array<{ id: number; title: string }>;
  /** Agents by email (the API user is one). */
  agents?: string[];
  /** Group ids that exist. */
  groups?: number[];
  /** Account-wide Update Ticket calls per minute. @defaultValue 100 */
  updatesPerMinute?: number;
  /** Account-wide List Tickets calls per minute (sandbox and trial accounts). @defaultValue unlimited */
  listsPerMinute?: number;
}

export function zerr(status: number, error: string, description: string, details?: unknown): FakeReply {
  return { status, body: details ? { error, description, details } : { error, description } };
}

export const invalid = (field: string, description: string, error = 'InvalidValue'): FakeReply =>
  zerr(422, 'RecordInvalid', 'Record validation errors', { [field]: [{ description, error }] });

/** A sliding one-minute window per kind of call. */
export class AccountLimits {
  private readonly seen = new Map<string, number[]>();
  constructor(private readonly now: () => number) {}

  /** A 429 when `kind` went over `perMinute` in the last minute, else null (and the call counts). */
  take(kind: string, perMinute: number | undefined): FakeReply | null {
    if (!perMinute) return null;
    const now = this.now();
    const recent = (this.seen.get(kind) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= perMinute) {
      const retry = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      return { status: 429, body: { error: 'APIRateLimitExceeded', description: `Rate limit for ${kind} exceeded` }, headers: { 'Retry-After': String(retry) } };
    }
    recent.push(now);
    this.seen.set(kind, recent);
    return null;
  }
}

export interface SolveState {
  assigneeId: number | null;
  customFields: Map<number, unknown>;
}

/** Why this solve is refused, or null; `autoAssign` is the agent set when auto-assign applies. */
export function solveProblem(opts: ZendeskAccountOptions, t: SolveState): FakeReply | null {
  const required = opts.requiredToSolve ?? [];
  for (const f of required) {
    const v = t.customFields.get(f.id);
    if (v === undefined || v === null || v === '') return invalid(`field_${f.id}`, `${f.title}: is required when solving a ticket`, 'BlankValue');
  }
  if (t.assigneeId !== null) return null;
  if (opts.autoAssignOnSolve !== false && required.length === 0) return null;
  return invalid('assignee', "Assignee: A ticket's status can't be set to Solved without an assignee", 'BlankValue');
}
