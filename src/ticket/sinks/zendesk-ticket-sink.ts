import { DEFAULT_TICKET_PRIORITY, type Config } from '../../../schemas/config.schema.ts';
import type { ContentBlock, DeskRoute, DeskStatus, DeskTicket, TicketDraft } from '../../../schemas/ticket.schema.ts';
import { PermanentError } from '../../errors.ts';
import { DESK_STATE_UNCHANGED, type TicketSink } from '../ticket-sink.ts';
import { renderZendeskHtml, zendeskSubject } from './zendesk-html.ts';
import { attachAfterCreate, deskBaseUrl, draftLevel, jsonDeskHttp, originalMail, requireDeskSettings, type RestDeskDeps } from './desk-kit.ts';
import { mailNamed, type MailAttachment } from './mail-attachment.ts';

/**
 * Zendesk Support tickets. The key is the ticket's `external_id` (plus a tag equal to the key);
 * `external_id` is not unique in Zendesk, so lookups list every ticket with it and keep exact
 * matches only. Creates carry an `Idempotency-Key`, which makes a retried create safe. Notes
 * are private comments. A closed ticket cannot be updated: its problem gets a follow-up ticket
 * (`via_followup_source_id`). Status changes ride on the same PUT as their note, since Zendesk
 * allows a ticket only 30 updates per 10 minutes. Solving needs an assignee unless the account
 * auto-assigns on solve (and no field is required to solve), so the configured assignee and
 * group go on the create and again on the solve (an agent may have unassigned it since).
 */

interface ZdTicket {
  id: number;
  external_id?: string | null;
  status?: string;
  tags?: string[];
  created_at?: string;
  updated_at?: string;
  group_id?: number | null;
  assignee_id?: number | null;
}

const MAX_PAGES = 10;
/** The tag Zendesk puts on a ticket it closed by merging it into another (seen in real accounts' tag lists and views). */
const MERGED_TAG = 'closed_by_merge';

export function createZendeskTicketSink(config: Config['ticket']['zendesk'], deps: RestDeskDeps): TicketSink {
  const { url, email, token } = requireDeskSettings('zendesk', config);
  const base = deskBaseUrl(url);
  // the ticket stage's logger names the component and the desk already
  const log = deps.logger;
  // Update Ticket counts per ticket too (30 per 10 minutes): such a 429 holds back that ticket only
  const http = jsonDeskHttp('zendesk', base, { username: `${email}/token`, password: token }, log, { ticketPath: /^\/api\/v2\/tickets\/\d+/, ...deps.http });
  const tag = (config.tag ?? 'syncdesk').toLowerCase();
  const wontFixTag = (config.wontFixTag ?? 'wont_fix').toLowerCase();
  const priority = deps.priority ?? DEFAULT_TICKET_PRIORITY;
  const assignment: Record<string, unknown> = {
    ...(config.assigneeEmail ? { assignee_email: config.assigneeEmail } : {}),
    ...(config.groupId ? { group_id: config.groupId } : {}),
  };

  /** The agent of each tenant's own group (desk.zendesk.assigneeEmail), by group id. */
  const groupAssignees = new Map((deps.routes ?? []).flatMap((r) => (r.zendesk?.assigneeEmail ? [[r.zendesk.groupId, r.zendesk.assigneeEmail] as const] : [])));

  /**
   * Who a new ticket goes to: a tenant's own group with its own agent, if any (ZENDESK_ASSIGNEE_EMAIL
   * may be no member of that group, and Zendesk refuses or moves such a ticket), else
   * the configured assignee and group.
   */
  function createAssignment(route: DeskRoute['zendesk']): Record<string, unknown> {
    if (!route) return assignment;
    return { group_id: route.groupId, ...(route.assigneeEmail ? { assignee_email: route.assigneeEmail } : {}) };
  }

  /**
   * What a solve sets so that it works with auto-assign on solve off: an assignee where the ticket
   * has none (its group's own agent, or the configured one for the configured group), and the
   * configured group where it has none. What an agent chose (another assignee, another group)
   * stays.
   */
  async function solveAssignment(id: string): Promise<Record<string, unknown>> {
    if (!Object.keys(assignment).length && !groupAssignees.size) return {};
    const res = await http.request<{ ticket: ZdTicket }>({ method: 'GET', url: `/api/v2/tickets/${encodeURIComponent(id)}` });
    const t = res.data.ticket;
    const group = t.group_id ?? config.groupId ?? null;
    const ownGroup = group === null || group === (config.groupId ?? null);
    const assignee = t.assignee_id == null ? (group !== null ? groupAssignees.get(group) : undefined) ?? (ownGroup ? config.assigneeEmail : undefined) : undefined;
    return {
      ...(assignee ? { assignee_email: assignee } : {}),
      ...(ownGroup && config.groupId ? { group_id: config.groupId } : {}),
    };
  }

  function statusOf(t: ZdTicket): DeskStatus {
    if ((t.tags ?? []).some((x) => x.toLowerCase() === wontFixTag)) return 'wontfix';
    if (t.status === 'solved') return 'resolved';
    if (t.status === 'closed') return 'closed';
    return 'open'; // new, open, pending, hold
  }

  function toTicket(t: ZdTicket, key: string, resolvedAt: string | null): DeskTicket {
    const status = statusOf(t);
    // Zendesk closes a ticket merged into another and tags it so; which one it went into it does not say
    const mergedAway = status === 'closed' && (t.tags ?? []).includes(MERGED_TAG);
    return {
      id: String(t.id),
      key,
      url: `${base}/agent/tickets/${t.id}`,
      status,
      resolvedAt: status === 'open' ? null : resolvedAt,
      ...(mergedAway && { mergedAway }),
    };
  }

  /** When the ticket was last solved, from its metrics; the update time when they have none. */
  async function solvedAt(t: ZdTicket): Promise<string | null> {
    if (t.status !== 'solved' && t.status !== 'closed') return null;
    const res = await http.request<{ ticket_metric?: { solved_at?: string | null } }>({
      method: 'GET',
      url: `/api/v2/tickets/${t.id}/metrics`,
      acceptStatus: [404],
    });
    return (res.status === 200 ? res.data.ticket_metric?.solved_at : null) ?? t.updated_at ?? null;
  }

  function comment(note: ContentBlock[]): { html_body: string; public: false } {
    return { html_body: renderZendeskHtml(note), public: false };
  }

  async function update(id: string, ticket: Record<string, unknown>, idempotent: boolean): Promise<ZdTicket> {
    const res = await http.request<{ ticket: ZdTicket }>({
      method: 'PUT',
      url: `/api/v2/tickets/${encodeURIComponent(id)}`,
      data: { ticket },
      // A PUT with a comment adds it again when resent; without one it sets the same fields.
      idempotent,
    });
    return res.data.ticket;
  }

  /**
   * The report mail as a private comment: POST /api/v2/uploads (the bytes, 201 with a token),
   * then the token in the comment's `uploads`.
   */
  async function attach(id: string, a: MailAttachment): Promise<void> {
    const res = await http.request<{ upload?: { token?: string } }>({
      method: 'POST',
      url: '/api/v2/uploads',
      params: { filename: a.fileName },
      headers: { 'Content-Type': a.contentType },
      data: a.bytes,
    });
    const token = res.data.upload?.token;
    if (!token) throw new PermanentError(`zendesk: the upload of ${a.fileName} returned no token`, 'desk_rejected');
    await update(id, { comment: { ...comment([{ kind: 'paragraph', text: `Original report mail: ${a.fileName}.` }]), uploads: [token] } }, false);
  }

  return {
    name: 'zendesk',
    where: base,

    async findByKey(key) {
      if (!key) throw new PermanentError('zendesk: empty correlation key', 'invalid_key');
      const matches: ZdTicket[] = [];
      let url: string | null = '/api/v2/tickets';
      let params: Record<string, string> | undefined = { external_id: key };
      for (let page = 0; url && page < MAX_PAGES; page++) {
        const res: { data: { tickets?: ZdTicket[]; next_page?: string | null } } = await http.request({ method: 'GET', url, params });
        // external_id is not unique and not guaranteed to be matched exactly: keep exact matches.
        matches.push(...(res.data.tickets ?? []).filter((t) => t.external_id === key));
        url = res.data.next_page ?? null;
        params = undefined; // next_page carries the query
      }
      matches.sort((a, b) => (Date.parse(b.created_at ?? '') || 0) - (Date.parse(a.created_at ?? '') || 0) || b.id - a.id);
      const out: DeskTicket[] = [];
      for (const t of matches) out.push(toTicket(t, key, await solvedAt(t)));
      return out;
    },

    async get(id) {
      const res = await http.request<{ ticket: ZdTicket }>({
        method: 'GET',
        url: `/api/v2/tickets/${encodeURIComponent(id)}`,
        acceptStatus: [404],
      });
      if (res.status === 404) return null;
      const t = res.data.ticket;
      return toTicket(t, t.external_id ?? '', await solvedAt(t));
    },

    async create(draft: TicketDraft, options) {
      const mail = await originalMail(draft, deps);
      const ticket: Record<string, unknown> = {
        subject: zendeskSubject(draft.summary),
        // the same body on every host: a create resent with its Idempotency-Key must not differ
        comment: comment(mail ? [...draft.body, mailNamed(mail)] : draft.body),
        priority: draftLevel(draft, priority),
        external_id: draft.key,
        tags: [...new Set([tag, draft.key.toLowerCase()])],
        // the customer's own group, where the tenants file routes the report's tenant
        ...createAssignment(options.route?.zendesk),
      };
      // Only a closed ticket can be followed up; a solved one is named in the draft's text
      // (the use case writes "Follow-up of ticket …"), which spares the ticket an update.
      if (options.followUpOf?.status === 'closed') ticket.via_followup_source_id = Number(options.followUpOf.id);
      const res = await http.request<{ ticket: ZdTicket }>({
        method: 'POST',
        url: '/api/v2/tickets',
        headers: { 'Idempotency-Key': options.idempotencyKey.slice(0, 255) },
        data: { ticket },
        // The Idempotency-Key makes a resent create return the first one's ticket.
        idempotent: true,
      });
      const created = res.data.ticket;
      const lookup = String(res.headers['x-idempotency-lookup'] ?? 'miss');
      log.info({ correlationKey: draft.key, ticketId: created.id, idempotencyLookup: lookup }, 'zendesk ticket created');
      const out = toTicket(created, draft.key, null);
      // an idempotency hit is, as a rule, a create whose first answer was lost before its
      // attachment was made: attached now. Only a worker that died between the
      // attachment and the ticket state leaves a second copy, a smaller harm than none.
      await attachAfterCreate(mail, out, { upload: (a) => attach(out.id, a), note: (n) => update(out.id, { comment: comment(n) }, false).then(() => undefined) }, log);
      return out;
    },

    async addNote(ticket, note) {
      await update(ticket.id, { comment: comment(note) }, false);
    },

    async updateFields(ticket, fields) {
      if (fields.summary === undefined) return;
      await update(ticket.id, { subject: zendeskSubject(fields.summary) }, true);
    },

    async resolve(ticket, note) {
      const t = await update(ticket.id, { status: 'solved', comment: comment(note), ...(await solveAssignment(ticket.id)) }, false);
      const out = toTicket(t, ticket.key, t.updated_at ?? new Date().toISOString());
      if (out.status === 'open') {
        throw new PermanentError(`zendesk: ticket ${ticket.id} is ${t.status} after solve`, DESK_STATE_UNCHANGED);
      }
      return out;
    },

    async reopen(ticket, note) {
      const t = await update(ticket.id, { status: 'open', comment: comment(note) }, false);
      const out = toTicket(t, ticket.key, null);
      if (t.status !== 'open') {
        throw new PermanentError(`zendesk: ticket ${ticket.id} is ${t.status} after reopen`, DESK_STATE_UNCHANGED);
      }
      return out;
    },
  };
}
