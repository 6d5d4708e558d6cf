import type { FakeReply } from './saas-desk-server.ts';

/**
 * The account-wide rules of the Zendesk fake, as Zendesk documents them:
 *  - solving needs an assignee ("A ticket's status can't be set to Solved … without an
 *    assignee"); it works without one only while "Auto-assign tickets upon solve" is on and no
 *    ticket field is required to solve, else 422;
 *  - a field "required to solve" (`required: true` on the ticket field) must have a value;
 *  - rate limits beside the per-ticket one: the plan's calls per minute (700 on Suite
 *    Enterprise), Update Ticket 100/min (20/min on sandbox and trial accounts), List Tickets
 *    100/min on sandbox and trial; 429 with Retry-After, and each window's headers.
 */

export interface ZendeskAccountOptions {
  /** "Auto-assign tickets upon solve". @defaultValue true (Zendesk's default) */
  autoAssignOnSolve?: boolean;
  /** Custom ticket fields agents must fill to solve. */
  requiredToSolve?: Array<{ id: number; title: string }>;
  /** Agents by email (the API user is one). */
  agents?: string[];
  /** End users by email: they exist, but cannot be assigned a ticket. */
  endUsers?: string[];
  /** Group ids that exist. */
  groups?: number[];
  /**
   * The agents of each group, by email. Where a group is listed, an assignee outside it is refused
   * with 422 (Zendesk: an agent can only be assigned tickets of a group they belong to; the error
   * text is inferred). Unlisted groups take any agent. @defaultValue every group takes any agent
   */
  memberships?: Record<number, string[]>;
  /** Account-wide Update Ticket calls per minute. @defaultValue 100 */
  updatesPerMinute?: number;
  /** Account-wide List Tickets calls per minute (sandbox and trial accounts). @defaultValue unlimited */
  listsPerMinute?: number;
  /** The plan's account-wide API calls per minute (Suite Enterprise: 700). @defaultValue 700 */
  requestsPerMinute?: number;
}

export function zerr(status: number, error: string, description: string, details?: unknown): FakeReply {
  return { status, body: details ? { error, description, details } : { error, description } };
}

export const invalid = (field: string, description: string, error = 'InvalidValue'): FakeReply =>
  zerr(422, 'RecordInvalid', 'Record validation errors', { [field]: [{ description, error }] });

/**
 * Sliding one-minute windows: the account's (every call counts; `X-Rate-Limit` and
 * `X-Rate-Limit-Remaining` on every answer) and the endpoints' own (Update Ticket, List
 * Tickets; `Zendesk-RateLimit-tickets-update: total=…; remaining=…; resets=…`), as
 * https://developer.zendesk.com/api-reference/introduction/rate-limits/ shows them.
 */
export class AccountLimits {
  private readonly seen = new Map<string, number[]>();
  /** The endpoint window headers of the call being answered. */
  private endpointHeaders: Record<string, string> = {};
  constructor(
    private readonly now: () => number,
    private readonly accountPerMinute: number,
  ) {}

  /** Counts a call against the account: a 429 past its limit (headers say 0 left), else null. */
  enter(): FakeReply | null {
    this.endpointHeaders = {};
    return this.count('account', this.accountPerMinute, 'Rate limit exceeded');
  }

  /** A 429 when the endpoint (`tickets-update`, `tickets-index`) went over `perMinute` in the last minute, else null (and the call counts). */
  take(endpoint: string, perMinute: number | undefined): FakeReply | null {
    if (!perMinute) return null;
    const refused = this.count(endpoint, perMinute, `Rate limit for ${endpoint} exceeded`);
    const { remaining, resets } = this.window(endpoint, perMinute);
    this.endpointHeaders = { [`Zendesk-RateLimit-${endpoint}`]: `total=${perMinute}; remaining=${remaining}; resets=${resets}` };
    return refused;
  }

  /** The rate-limit headers of the answer to the call just counted. */
  headers(): Record<string, string> {
    const { remaining } = this.window('account', this.accountPerMinute);
    return { 'X-Rate-Limit': String(this.accountPerMinute), 'X-Rate-Limit-Remaining': String(remaining), ...this.endpointHeaders };
  }

  private count(kind: string, perMinute: number, description: string): FakeReply | null {
    const now = this.now();
    const recent = (this.seen.get(kind) ?? []).filter((t) => t > now - 60_000);
    this.seen.set(kind, recent);
    if (recent.length >= perMinute) {
      const retry = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      return { status: 429, body: { error: 'APIRateLimitExceeded', description }, headers: { 'Retry-After': String(retry) } };
    }
    recent.push(now);
    return null;
  }

  private window(kind: string, perMinute: number): { remaining: number; resets: number } {
    const recent = this.seen.get(kind) ?? [];
    const resets = recent.length ? Math.max(1, Math.ceil((recent[0]! + 60_000 - this.now()) / 1000)) : 60;
    return { remaining: Math.max(0, perMinute - recent.length), resets };
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
