import { createHash } from 'node:crypto';
import { basicAuth, FakeDesk, type FakeReply, type FakeRequest } from './saas-desk-server.ts';
import { AccountLimits, invalid, solveProblem, zerr, type ZendeskAccountOptions } from './zendesk-account.ts';

/** Agent ids are this plus the agent's place in `agents`. */
const AGENT_ID_BASE = 9000;

/**
 * Zendesk Support's ticket API, the calls syncdesk makes, on loopback. Shapes follow the
 * Tickets API reference: `{ticket}` / `{tickets, next_page, previous_page, count}`, errors as
 * `{error, description, details}`. Reproduced rules: closed tickets reject updates with 422;
 * a follow-up (`via_followup_source_id`) needs a closed source; `Idempotency-Key` on a create
 * replays the first answer with `x-idempotency-lookup: hit` (a different payload under the
 * same key is refused with 400; the exact error name there is not documented publicly);
 * at most 30 updates per ticket per 10 minutes, then 429 with Retry-After. The account's rules
 * (zendesk-account.ts): solving needs an assignee unless auto-assign on solve applies, fields
 * required to solve, account-wide rate limits. Archived tickets (closed long ago) are missing
 * from `external_id` lists but still shown by id.
 */

/** A comment's size limit, in bytes of its body. */
export const COMMENT_MAX_BYTES = 65_536;

export interface FakeZendeskAttachment {
  id: number;
  file_name: string;
  content_type: string;
  size: number;
  /** The bytes as uploaded (not part of Zendesk's answer). */
  bytes: Buffer;
}

export interface FakeZendeskComment {
  id: number;
  body: string;
  html_body: string;
  public: boolean;
  created_at: string;
  attachments: FakeZendeskAttachment[];
}

export interface FakeZendeskTicket {
  id: number;
  subject: string;
  description: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  priority: Priority | null;
  external_id: string | null;
  tags: string[];
  via_followup_source_id: number | null;
  followup_ids: number[];
  created_at: string;
  updated_at: string;
  solved_at: string | null;
  comments: FakeZendeskComment[];
  /** Update times (ms) for the per-ticket limit. */
  updates: number[];
  assignee_id: number | null;
  group_id: number | null;
  custom_fields: Map<number, unknown>;
  /** Archived: left out of lists. */
  archived: boolean;
}

export interface FakeZendeskOptions extends ZendeskAccountOptions {
  email?: string;
  token?: string;
  /** Updates allowed per ticket per window. @defaultValue 30 */
  updatesPerTicket?: number;
  /** @defaultValue 600000 (10 minutes) */
  updateWindowMs?: number;
  /** Tickets per page of a list. @defaultValue 100 */
  perPage?: number;
  now?: () => number;
}

const STATUSES = new Set(['new', 'open', 'pending', 'hold', 'solved', 'closed']);
/** Tickets API reference: priority is one of urgent, high, normal, low. */
const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
type Priority = (typeof PRIORITIES)[number];
/** Zendesk Help Center, "About the Support default automations": solved tickets close 4 weeks after they were solved. */
const SOLVED_CLOSES_AFTER_MS = 28 * 86_400_000;
/** Zendesk API reference, "Idempotency": a key and its answer are kept for 2 hours. */
const IDEMPOTENCY_KEY_TTL_MS = 2 * 3_600_000;


function stripHtml(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|li|h\d|pre)>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

export class FakeZendesk extends FakeDesk {
  readonly tickets = new Map<number, FakeZendeskTicket>();
  private readonly idempotency = new Map<string, { hash: string; reply: FakeReply; at: number }>();
  /** Upload tokens not yet used by a comment, with their attachments. */
  readonly uploads = new Map<string, FakeZendeskAttachment[]>();
  private attachmentSeq = 5000;
  private seq = 100;
  private commentSeq = 1000;
  readonly opts: Required<Omit<FakeZendeskOptions, keyof ZendeskAccountOptions>> & ZendeskAccountOptions;
  private readonly limits: AccountLimits;

  constructor(options: FakeZendeskOptions = {}) {
    super('zendesk');
    this.opts = {
      email: options.email ?? 'agent@example.com',
      token: options.token ?? 'zd-token',
      updatesPerTicket: options.updatesPerTicket ?? 30,
      updateWindowMs: options.updateWindowMs ?? 600_000,
      perPage: options.perPage ?? 100,
      now: options.now ?? Date.now,
      autoAssignOnSolve: options.autoAssignOnSolve ?? true,
      requiredToSolve: options.requiredToSolve ?? [],
      agents: options.agents ?? [options.email ?? 'agent@example.com', 'identity-team@example.com'],
      endUsers: options.endUsers ?? [],
      groups: options.groups ?? [360001],
      memberships: options.memberships ?? {},
      updatesPerMinute: options.updatesPerMinute ?? 100,
      listsPerMinute: options.listsPerMinute,
    };
    this.limits = new AccountLimits(() => this.opts.now(), options.requestsPerMinute ?? 700);
  }

  // ---- inspection and agent actions ---------------------------------------------------

  list(): FakeZendeskTicket[] {
    return [...this.tickets.values()];
  }
  byExternalId(key: string): FakeZendeskTicket[] {
    return this.list()
      .filter((t) => t.external_id === key)
      .sort((a, b) => b.id - a.id);
  }
  get(id: number | string): FakeZendeskTicket {
    const t = this.tickets.get(Number(id));
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
  /** An agent sets the status (closed included) and tags, bypassing the API rules. */
  setStatus(id: number | string, status: FakeZendeskTicket['status'], addTags: string[] = []): void {
    const t = this.get(id);
    t.status = status;
    t.tags = [...new Set([...t.tags, ...addTags.map((x) => x.toLowerCase())])];
    if (status === 'solved' || status === 'closed') t.solved_at ??= this.iso();
    t.updated_at = this.iso();
  }
  /** An agent deletes the ticket: Zendesk's Show Ticket answers 404 for it from then on (it is in deleted_tickets). */
  delete(id: number | string): void {
    this.get(id);
    this.tickets.delete(Number(id));
  }
  /**
   * An agent merges `source` into `target` (Merge Tickets into Target Ticket): the source is
   * closed, tagged `closed_by_merge`, and both get a private comment; the source names its
   * target only in that comment's words.
   */
  merge(source: number | string, target: number | string): void {
    const [from, into] = [this.get(source), this.get(target)];
    const note = (t: FakeZendeskTicket, body: string) => t.comments.push({ id: ++this.commentSeq, body, html_body: `<p>${body}</p>`, public: false, created_at: this.iso(), attachments: [] });
    note(from, `This request was closed and merged into request #${into.id} "${into.subject}".`);
    note(into, `Request #${from.id} "${from.subject}" was closed and merged into this request.`);
    this.setStatus(from.id, 'closed', ['closed_by_merge']);
  }
  /** Archives a closed ticket, as Zendesk does some 120 days after it closed. */
  archive(id: number | string): void {
    const t = this.get(id);
    t.status = 'closed';
    t.archived = true;
  }
  /** The agent id Zendesk gives an agent's email. */
  agentId(email: string): number | null {
    const i = (this.opts.agents ?? []).findIndex((a) => a.toLowerCase() === email.toLowerCase());
    return i < 0 ? null : AGENT_ID_BASE + i;
  }
  /** Inserts a ticket as another integration would (e.g. a near-miss external_id). */
  insert(fields: Partial<FakeZendeskTicket>): FakeZendeskTicket {
    const t = this.newTicket();
    Object.assign(t, fields);
    this.tickets.set(t.id, t);
    return t;
  }

  // ---- internals -----------------------------------------------------------------------

  /** Zendesk's system rule: a ticket solved for 28 days closes by itself (and is then terminal). */
  private closeSolvedTickets(): void {
    const cutoff = this.opts.now() - SOLVED_CLOSES_AFTER_MS;
    for (const t of this.tickets.values()) {
      if (t.status === 'solved' && t.solved_at && Date.parse(t.solved_at) <= cutoff) {
        t.status = 'closed';
        t.updated_at = this.iso();
      }
    }
  }

  private iso(): string {
    return new Date(this.opts.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private newTicket(): FakeZendeskTicket {
    const now = this.iso();
    return {
      id: ++this.seq,
      subject: '',
      description: '',
      status: 'new',
      priority: null,
      external_id: null,
      tags: [],
      via_followup_source_id: null,
      followup_ids: [],
      created_at: now,
      updated_at: now,
      solved_at: null,
      comments: [],
      updates: [],
      assignee_id: null,
      group_id: null,
      custom_fields: new Map(),
      archived: false,
    };
  }

  private view(t: FakeZendeskTicket): Record<string, unknown> {
    return {
      id: t.id,
      url: `${this.server.url}/api/v2/tickets/${t.id}.json`,
      subject: t.subject,
      raw_subject: t.subject,
      description: t.description,
      status: t.status,
      priority: t.priority,
      external_id: t.external_id,
      tags: t.tags,
      via: t.via_followup_source_id
        ? { channel: 'api', source: { from: { ticket_id: t.via_followup_source_id }, rel: 'follow_up' } }
        : { channel: 'api', source: { from: {}, to: {}, rel: null } },
      followup_ids: t.followup_ids,
      assignee_id: t.assignee_id,
      group_id: t.group_id,
      custom_fields: [...t.custom_fields].map(([id, value]) => ({ id, value })),
      created_at: t.created_at,
      updated_at: t.updated_at,
    };
  }

  protected route(req: FakeRequest): FakeReply {
    const reply = this.limits.enter() ?? this.answer(req);
    return { ...reply, headers: { ...this.limits.headers(), ...reply.headers } };
  }

  private answer(req: FakeRequest): FakeReply {
    this.closeSolvedTickets();
    const auth = basicAuth(req.headers);
    if (!auth || auth.user !== `${this.opts.email}/token` || auth.password !== this.opts.token) {
      return { status: 401, body: { error: "Couldn't authenticate you" } };
    }
    const p = req.path.replace(/\.json$/, '');
    if (p === '/api/v2/tickets' && req.method === 'GET') return this.listTickets(req);
    if (p === '/api/v2/tickets' && req.method === 'POST') return this.create(req);
    let m = /^\/api\/v2\/tickets\/(\d+)$/.exec(p);
    if (m && req.method === 'GET') return this.show(Number(m[1]));
    if (m && req.method === 'PUT') return this.update(req, Number(m[1]));
    m = /^\/api\/v2\/tickets\/(\d+)\/comments$/.exec(p);
    if (m && req.method === 'GET') return this.comments(Number(m[1]));
    if (p === '/api/v2/ticket_fields' && req.method === 'GET') return this.ticketFields();
    if (p === '/api/v2/uploads' && req.method === 'POST') return this.upload(req);
    if (p === '/api/v2/account/settings' && req.method === 'GET') {
      return { status: 200, body: { settings: { tickets: { assign_tickets_upon_solve: this.opts.autoAssignOnSolve } } } };
    }
    if (p === '/api/v2/users/search' && req.method === 'GET') return this.searchUsers(req);
    m = /^\/api\/v2\/groups\/(\d+)$/.exec(p);
    if (m && req.method === 'GET') return this.showGroup(Number(m[1]));
    m = /^\/api\/v2\/tickets\/(\d+)\/metrics$/.exec(p);
    if (m && req.method === 'GET') return this.metrics(Number(m[1]));
    return zerr(404, 'InvalidEndpoint', 'Not found');
  }

  /**
   * Users API, "Search Users": `query` in the search syntax (a bare address matches a user's
   * email; `email:` names the property), or `external_id`. The account's agents, and the
   * end-users the options name, with the role Zendesk gives them. The 400 for a call with
   * neither is our inference: Zendesk documents both parameters, not what it answers
   * without them (test/contracts/README.md).
   */
  private searchUsers(req: FakeRequest): FakeReply {
    const query = req.query.get('query');
    if (query === null && req.query.get('external_id') === null) return zerr(400, 'InvalidParameter', 'query or external_id is required');
    const wanted = (query ?? '').replace(/^email:/i, '').replace(/^"|"$/g, '').toLowerCase();
    const people = [...(this.opts.agents ?? []).map((email) => ({ email, role: 'agent' })), ...(this.opts.endUsers ?? []).map((email) => ({ email, role: 'end-user' }))];
    const users = people.filter((u) => wanted && u.email.toLowerCase() === wanted).map((u, i) => ({ id: 9000 + i, email: u.email, role: u.role, active: true, suspended: false }));
    return { status: 200, body: { users, next_page: null, previous_page: null, count: users.length } };
  }

  /** Groups API, "Show Group": 404 RecordNotFound for a group the account does not have. */
  private showGroup(id: number): FakeReply {
    if (!(this.opts.groups ?? []).includes(id)) return zerr(404, 'RecordNotFound', 'Not found');
    return { status: 200, body: { group: { id, name: `Group ${id}`, deleted: false } } };
  }

  private ticketFields(): FakeReply {
    const system = ['subject', 'description', 'status', 'assignee', 'group'].map((type, i) => ({ id: 100 + i, type, title: type, active: true, required: false }));
    const custom = (this.opts.requiredToSolve ?? []).map((f) => ({ id: f.id, type: 'text', title: f.title, active: true, required: true, required_in_portal: false }));
    return { status: 200, body: { ticket_fields: [...system, ...custom], next_page: null, previous_page: null, count: system.length + custom.length } };
  }

  /** The 422 for an assignee who is no agent of the ticket's group (where the group lists its agents), or null. */
  private outsideGroup(assignee: number | null, group: number | null): FakeReply | null {
    const members = group === null ? undefined : this.opts.memberships?.[group];
    if (assignee === null || !members) return null;
    const email = (this.opts.agents ?? [])[assignee - AGENT_ID_BASE];
    if (email && members.some((m) => m.toLowerCase() === email.toLowerCase())) return null;
    return invalid('assignee', `Assignee: ${email ?? assignee} is not a member of the group ${group}`);
  }

  /** The assignee and group a create or update sets, or the 422 for an unknown agent or group. */
  private assignment(input: Record<string, unknown>): { assignee?: number; group?: number } | FakeReply {
    const out: { assignee?: number; group?: number } = {};
    if (typeof input.assignee_email === 'string') {
      const id = this.agentId(input.assignee_email);
      if (id === null) return invalid('assignee', `Assignee: ${input.assignee_email} is not an agent`);
      out.assignee = id;
    }
    if (input.group_id !== undefined) {
      if (!(this.opts.groups ?? []).includes(Number(input.group_id))) return invalid('group', `Group: ${String(input.group_id)} is invalid`);
      out.group = Number(input.group_id);
    }
    return out;
  }

  private listTickets(req: FakeRequest): FakeReply {
    const limited = this.limits.take('tickets-index', this.opts.listsPerMinute);
    if (limited) return limited;
    // Archived tickets are not returned by the list endpoints (external_id included).
    let rows = this.list()
      .filter((t) => !t.archived)
      .sort((a, b) => a.id - b.id);
    const ext = req.query.get('external_id');
    // The filter accepts a comma-separated list of external ids.
    if (ext !== null) {
      const wanted = new Set(ext.split(','));
      rows = rows.filter((t) => t.external_id !== null && wanted.has(t.external_id));
    }
    const page = Math.max(1, Number(req.query.get('page') ?? 1));
    const per = Math.min(100, Number(req.query.get('per_page') ?? this.opts.perPage));
    const slice = rows.slice((page - 1) * per, page * per);
    const link = (n: number) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(n));
      q.set('per_page', String(per));
      return `${this.server.url}/api/v2/tickets.json?${q.toString()}`;
    };
    return {
      status: 200,
      body: {
        tickets: slice.map((t) => this.view(t)),
        next_page: page * per < rows.length ? link(page + 1) : null,
        previous_page: page > 1 ? link(page - 1) : null,
        count: rows.length,
      },
    };
  }

  private show(id: number): FakeReply {
    const t = this.tickets.get(id);
    if (!t) return zerr(404, 'RecordNotFound', 'Not found');
    return { status: 200, body: { ticket: this.view(t) } };
  }

  private comments(id: number): FakeReply {
    const t = this.tickets.get(id);
    if (!t) return zerr(404, 'RecordNotFound', 'Not found');
    const comments = t.comments.map((c) => ({ ...c, attachments: c.attachments.map(({ bytes: _b, ...a }) => a) }));
    return { status: 200, body: { comments, next_page: null, previous_page: null, count: t.comments.length } };
  }

  private metrics(id: number): FakeReply {
    const t = this.tickets.get(id);
    if (!t) return zerr(404, 'RecordNotFound', 'Not found');
    return { status: 200, body: { ticket_metric: { ticket_id: t.id, created_at: t.created_at, solved_at: t.solved_at, reopens: 0 } } };
  }

  /**
   * Attachments API, "Upload Files": `POST /api/v2/uploads?filename=…` with the raw file as the
   * body; 201 `{upload: {token, expires_at, attachments, attachment}}`. A comment takes the token
   * in `uploads` and gets the files; a token is used once.
   */
  private upload(req: FakeRequest): FakeReply {
    const name = req.query.get('filename');
    if (!name) return zerr(400, 'InvalidValue', 'filename is required');
    if (!req.rawBytes.length) return invalid('base', 'Uploaded file: cannot be empty');
    const token = createHash('sha256').update(`${this.attachmentSeq}:${name}`).digest('hex').slice(0, 25);
    const contentType = String(req.headers['content-type'] ?? 'application/binary').split(';')[0]!;
    const attachment: FakeZendeskAttachment = { id: ++this.attachmentSeq, file_name: name, content_type: contentType, size: req.rawBytes.length, bytes: req.rawBytes };
    this.uploads.set(token, [attachment]);
    const shown = { id: attachment.id, file_name: name, content_type: contentType, size: attachment.size, content_url: `${this.server.url}/attachments/token/${token}/?name=${encodeURIComponent(name)}` };
    return { status: 201, body: { upload: { token, expires_at: new Date(this.opts.now() + 3 * 86_400_000).toISOString(), attachments: [shown], attachment: shown } } };
  }

  /** Why a priority is refused (422 "Priority: is invalid"), or null. */
  private priorityProblem(value: unknown): FakeReply | null {
    if (value === undefined || value === null || (PRIORITIES as readonly unknown[]).includes(value)) return null;
    return zerr(422, 'RecordInvalid', 'Record validation errors', { base: [{ description: 'Priority: is invalid', error: 'InvalidValue' }] });
  }

  /** Adds the comment, or says why it is refused (a validation error of its field). */
  private addComment(t: FakeZendeskTicket, c: unknown): { description: string; error: string } | null {
    if (!c || typeof c !== 'object') return { description: 'comment must be an object', error: 'InvalidValue' };
    const { body, html_body, public: pub, uploads } = c as { body?: unknown; html_body?: unknown; public?: unknown; uploads?: unknown };
    const html = typeof html_body === 'string' ? html_body : undefined;
    const text = typeof body === 'string' ? body : html !== undefined ? stripHtml(html) : '';
    if (!text.trim()) return { description: 'Comment: cannot be blank', error: 'BlankValue' };
    // about 64 KB a comment, in bytes (a Zendesk developer advocate's answer; the error text is inferred)
    if (Buffer.byteLength(html ?? text, 'utf8') > COMMENT_MAX_BYTES) return { description: 'Comment: is too long', error: 'TooLong' };
    const attachments: FakeZendeskAttachment[] = [];
    for (const token of Array.isArray(uploads) ? (uploads as unknown[]) : []) {
      // a token unknown (or already used) brings no file
      attachments.push(...(this.uploads.get(String(token)) ?? []));
      this.uploads.delete(String(token));
    }
    t.comments.push({
      id: ++this.commentSeq,
      body: text,
      html_body: html ?? `<p>${text}</p>`,
      public: pub !== false,
      created_at: this.iso(),
      attachments,
    });
    return null;
  }

  private create(req: FakeRequest): FakeReply {
    const key = req.headers['idempotency-key'];
    const hash = createHash('sha256').update(req.rawBody).digest('hex');
    if (typeof key === 'string' && key) {
      let seen = this.idempotency.get(key);
      // a key lives two hours: after that the same key is a new request
      if (seen && this.opts.now() - seen.at > IDEMPOTENCY_KEY_TTL_MS) {
        this.idempotency.delete(key);
        seen = undefined;
      }
      if (seen && seen.hash !== hash) {
        return zerr(400, 'IdempotentRequestError', 'Request parameters do not match those of the original request with this Idempotency-Key');
      }
      if (seen) return { ...seen.reply, headers: { ...seen.reply.headers, 'x-idempotency-lookup': 'hit' } };
    }
    const reply = this.doCreate(req);
    if (typeof key === 'string' && key && reply.status < 500) {
      this.idempotency.set(key, { hash, reply, at: this.opts.now() });
      return { ...reply, headers: { ...reply.headers, 'x-idempotency-lookup': 'miss' } };
    }
    return reply;
  }

  private doCreate(req: FakeRequest): FakeReply {
    const input = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket;
    if (!input || typeof input !== 'object') return zerr(400, 'InvalidJSON', 'ticket is required');
    const t = this.newTicket();
    const followUp = input.via_followup_source_id;
    if (followUp !== undefined && followUp !== null) {
      const source = this.tickets.get(Number(followUp));
      if (!source || source.status !== 'closed') {
        return zerr(422, 'RecordInvalid', 'Record validation errors', {
          base: [{ description: 'Only closed tickets can have follow-ups', error: 'InvalidValue' }],
        });
      }
    }
    const assigned = this.assignment(input);
    if ('status' in assigned) return assigned;
    const badPriority = this.priorityProblem(input.priority);
    if (badPriority) return badPriority;
    const problem = this.addComment(t, input.comment);
    if (problem) return zerr(422, 'RecordInvalid', 'Record validation errors', { description: [{ ...problem, description: problem.description.replace('Comment', 'Description') }] });
    const outside = this.outsideGroup(assigned.assignee ?? null, assigned.group ?? null);
    if (outside) return outside;
    t.assignee_id = assigned.assignee ?? null;
    t.group_id = assigned.group ?? null;
    t.description = t.comments[0]!.body;
    t.subject = typeof input.subject === 'string' ? input.subject : t.description.slice(0, 80);
    t.external_id = typeof input.external_id === 'string' ? input.external_id : null;
    t.priority = (input.priority as Priority | undefined) ?? null;
    t.tags = Array.isArray(input.tags) ? [...new Set((input.tags as string[]).map((x) => String(x).toLowerCase()))] : [];
    if (typeof input.status === 'string' && STATUSES.has(input.status)) t.status = input.status as FakeZendeskTicket['status'];
    if (followUp !== undefined && followUp !== null) {
      t.via_followup_source_id = Number(followUp);
      this.tickets.get(Number(followUp))!.followup_ids.push(t.id);
    }
    this.tickets.set(t.id, t);
    return { status: 201, body: { ticket: this.view(t), audit: { ticket_id: t.id } }, headers: { Location: `${this.server.url}/api/v2/tickets/${t.id}.json` } };
  }

  private update(req: FakeRequest, id: number): FakeReply {
    const limited = this.limits.take('tickets-update', this.opts.updatesPerMinute);
    if (limited) return limited;
    const t = this.tickets.get(id);
    if (!t) return zerr(404, 'RecordNotFound', 'Not found');
    const now = this.opts.now();
    t.updates = t.updates.filter((u) => u > now - this.opts.updateWindowMs);
    if (t.updates.length >= this.opts.updatesPerTicket) {
      const retry = Math.ceil((t.updates[0]! + this.opts.updateWindowMs - now) / 1000);
      return { status: 429, body: { error: 'TooManyRequests', description: 'Ticket update rate limit exceeded' }, headers: { 'Retry-After': String(retry) } };
    }
    if (t.status === 'closed') {
      return zerr(422, 'RecordInvalid', 'Record validation errors', {
        status: [{ description: 'Status: closed prevents ticket update', error: 'ClosedTicket' }],
      });
    }
    const input = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket;
    if (!input || typeof input !== 'object') return zerr(400, 'InvalidJSON', 'ticket is required');
    if (input.status !== undefined && (typeof input.status !== 'string' || !STATUSES.has(input.status))) {
      return zerr(422, 'RecordInvalid', 'Record validation errors', { status: [{ description: `Status: ${String(input.status)} is not valid`, error: 'InvalidValue' }] });
    }
    const assigned = this.assignment(input);
    if ('status' in assigned) return assigned;
    const badPriority = this.priorityProblem(input.priority);
    if (badPriority) return badPriority;
    if (input.priority !== undefined) t.priority = input.priority as Priority | null;
    const fields = new Map(t.custom_fields);
    for (const f of Array.isArray(input.custom_fields) ? (input.custom_fields as Array<{ id: number; value: unknown }>) : []) fields.set(Number(f.id), f.value);
    let assignee = assigned.assignee ?? t.assignee_id;
    if (input.status === 'solved' && t.status !== 'solved') {
      const refused = solveProblem(this.opts, { assigneeId: assignee, customFields: fields });
      if (refused) return refused;
      // Auto-assign upon solve: the agent who solves it.
      assignee ??= this.agentId(this.opts.email);
    }
    const outside = this.outsideGroup(assignee, assigned.group ?? t.group_id);
    if (outside) return outside;
    t.assignee_id = assignee;
    t.group_id = assigned.group ?? t.group_id;
    t.custom_fields = fields;
    if (input.comment !== undefined) {
      const problem = this.addComment(t, input.comment);
      if (problem) return zerr(422, 'RecordInvalid', 'Record validation errors', { comment: [problem] });
    }
    if (typeof input.subject === 'string') t.subject = input.subject;
    if (typeof input.external_id === 'string') t.external_id = input.external_id;
    if (Array.isArray(input.tags)) t.tags = (input.tags as string[]).map((x) => x.toLowerCase());
    if (Array.isArray(input.additional_tags)) t.tags = [...new Set([...t.tags, ...(input.additional_tags as string[]).map((x) => x.toLowerCase())])];
    if (typeof input.status === 'string') {
      const next = input.status as FakeZendeskTicket['status'];
      if ((next === 'solved' || next === 'closed') && t.status !== 'solved') t.solved_at = this.iso();
      t.status = next;
    }
    t.updates.push(now);
    t.updated_at = this.iso();
    return { status: 200, body: { ticket: this.view(t), audit: { ticket_id: t.id } } };
  }
}
