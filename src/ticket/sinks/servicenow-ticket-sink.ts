import { DEFAULT_TICKET_PRIORITY, type Config } from '../../../schemas/config.schema.ts';
import type { ContentBlock, DeskStatus, DeskTicket, TicketDraft } from '../../../schemas/ticket.schema.ts';
import { PermanentError } from '../../errors.ts';
import { DESK_STATE_UNCHANGED, type TicketSink } from '../ticket-sink.ts';
import {
  SN_CLOSE_NOTES_MAX,
  SN_CORRELATION_MAX,
  SN_JOURNAL_MAX,
  renderSnText,
  snEscape,
  snShortDescription,
  truncate,
} from './servicenow-text.ts';
import { attachAfterCreate, bodyWithMail, deskBaseUrl, draftLevel, jsonDeskHttp, oncePerKey, originalMail, requireDeskSettings, type RestDeskDeps } from './desk-kit.ts';
import type { MailAttachment } from './mail-attachment.ts';
import { UnconfirmedError } from './http-errors.ts';

/**
 * ServiceNow incidents through the Table API, pinned to v2 (an empty list is 200 + [] there,
 * where v1 answers 404). The key lives in `correlation_id`; every record a query returns is
 * checked against it, because the instance ignores query parts it finds invalid and would
 * otherwise hand back unrelated incidents.
 */

const TABLE = '/api/now/v2/table/incident';
/** A reference field syncdesk sets by name or sys_id: the table a name is looked up in, what it is, and the setting that holds it (for errors). */
export interface SnReference {
  table: 'sys_user_group' | 'core_company';
  what: 'group' | 'company';
  setting: string;
}
const GROUP: SnReference = { table: 'sys_user_group', what: 'group', setting: 'SERVICENOW_ASSIGNMENT_GROUP' };
const TENANT_GROUP: SnReference = { ...GROUP, setting: "a tenant's desk.servicenow.assignmentGroup" };
const TENANT_COMPANY: SnReference = { table: 'core_company', what: 'company', setting: "a tenant's desk.servicenow.company" };
/** The Attachment API: the file's bytes as the body, its type as Content-Type, where it goes in the query. */
const ATTACH = '/api/now/attachment/file';
export const SYS_ID = /^[0-9a-f]{32}$/;
const FIELDS = 'sys_id,number,state,correlation_id,sys_created_on,resolved_at,closed_at,parent_incident';

/** Incident states (out of the box). */
const SN_STATE = { new: '1', inProgress: '2', onHold: '3', resolved: '6', closed: '7', canceled: '8' } as const;

export interface SnIncident {
  sys_id: string;
  number?: string;
  state?: string;
  correlation_id?: string;
  sys_created_on?: string;
  resolved_at?: string;
  closed_at?: string;
}

function snStatus(state: string | undefined): DeskStatus {
  switch (state) {
    case SN_STATE.resolved:
      return 'resolved';
    case SN_STATE.closed:
      return 'closed';
    case SN_STATE.canceled:
      return 'wontfix';
    default:
      // New, In Progress, On Hold and any custom active state: a human may still be on it.
      return 'open';
  }
}

/** `2026-11-24 09:28:00` (UTC with sysparm_display_value=false) → ISO, or null. */
function snDate(value: string | undefined): string | null {
  if (!value) return null;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(value.trim());
  if (m) return `${m[1]}T${m[2]}Z`;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** Keys that are safe to put in an encoded query: non-empty, one line, no `^` (the query separator). */
function assertQueryableKey(key: string): void {
  if (!key || key.trim() !== key || key.length > SN_CORRELATION_MAX || /[\^\s]/.test(key)) {
    throw new PermanentError(`servicenow: correlation key ${JSON.stringify(key)} cannot be queried safely`, 'invalid_key');
  }
}

export function createServiceNowTicketSink(
  config: Config['ticket']['servicenow'],
  deps: RestDeskDeps,
): TicketSink {
  const { url, user, password } = requireDeskSettings('servicenow', config);
  const base = deskBaseUrl(url);
  // the ticket stage's logger names the component and the desk already
  const log = deps.logger;
  const http = jsonDeskHttp('servicenow', base, { username: user, password }, log, deps.http);
  const closeCode = config.closeCode; // default in the config schema
  const priority = deps.priority ?? DEFAULT_TICKET_PRIORITY;

  const urlOf = (sysId: string) => `${base}/nav_to.do?uri=${encodeURIComponent(`incident.do?sys_id=${sysId}`)}`;

  // reference values looked up by name, once each: SERVICENOW_ASSIGNMENT_GROUP, a tenant's group, a tenant's company
  const groups = oncePerKey((name: string) => lookup(GROUP, name));
  const tenantGroups = oncePerKey((name: string) => lookup(TENANT_GROUP, name));
  const companies = oncePerKey((name: string) => lookup(TENANT_COMPANY, name));

  /**
   * A reference field's value as a sys_id. A reference field given a name stores it unresolved
   * (the incident lands in no group, for no company), so a name is looked up in its table.
   */
  function sysIdOf(names: { get(name: string): Promise<string> }, value: string | undefined): Promise<string> | undefined {
    if (!value) return undefined;
    return SYS_ID.test(value) ? Promise.resolve(value) : names.get(value);
  }

  async function lookup(ref: SnReference, name: string): Promise<string> {
    const unusable = (what: string) =>
      new PermanentError(`servicenow: ${ref.setting} ${JSON.stringify(name)} ${what}; give the ${ref.what}'s sys_id or its exact name`, 'desk_not_configured');
    if (/[\^\r\n]/.test(name)) throw unusable('cannot be queried');
    const res = await http.request<{ result: Array<{ sys_id: string; name: string }> }>({
      method: 'GET',
      url: `/api/now/v2/table/${ref.table}`,
      params: { sysparm_query: `name=${name}`, sysparm_fields: 'sys_id,name', sysparm_limit: '2', sysparm_exclude_reference_link: 'true' },
    });
    const rows = (res.data?.result ?? []).filter((r) => r.name === name);
    if (rows.length !== 1) throw unusable(rows.length ? `names several ${ref.what}s` : `names no ${ref.what}`);
    return rows[0]!.sys_id;
  }

  function toTicket(rec: SnIncident, key: string): DeskTicket {
    const status = snStatus(rec.state);
    const resolvedAt = status === 'open' ? null : snDate(rec.resolved_at) ?? snDate(rec.closed_at);
    return { id: rec.sys_id, ...(rec.number && { name: rec.number }), key, url: urlOf(rec.sys_id), status, resolvedAt };
  }

  async function patch(sysId: string, fields: Record<string, string>): Promise<SnIncident> {
    const res = await http.request<{ result: SnIncident }>({
      method: 'PATCH',
      url: `${TABLE}/${encodeURIComponent(sysId)}`,
      params: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
      data: fields,
      // Setting the same fields twice leaves the same record; a duplicated work note is the worst case.
      idempotent: !('work_notes' in fields),
    });
    return res.data.result;
  }

  async function read(sysId: string): Promise<SnIncident | null> {
    const res = await http.request<{ result: SnIncident }>({
      method: 'GET',
      url: `${TABLE}/${encodeURIComponent(sysId)}`,
      params: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
      acceptStatus: [404],
    });
    return res.status === 404 ? null : res.data.result;
  }

  /** POST /api/now/attachment/file: the incident gets the file; 201 with the attachment record. */
  async function attach(sysId: string, a: MailAttachment): Promise<void> {
    await http.request({
      method: 'POST',
      url: ATTACH,
      params: { table_name: 'incident', table_sys_id: sysId, file_name: a.fileName },
      headers: { 'Content-Type': a.contentType },
      data: a.bytes,
    });
  }

  function noteText(note: ContentBlock[]): string {
    return renderSnText(note, SN_JOURNAL_MAX);
  }

  async function findByKey(key: string): Promise<DeskTicket[]> {
    assertQueryableKey(key);
    const res = await http.request<{ result: SnIncident[] }>({
      method: 'GET',
      url: TABLE,
      params: {
        sysparm_query: `correlation_id=${key}^ORDERBYDESCsys_created_on^ORDERBYDESCnumber`,
        sysparm_fields: FIELDS,
        sysparm_limit: '50',
        sysparm_display_value: 'false',
        sysparm_exclude_reference_link: 'true',
        sysparm_no_count: 'true',
      },
      // v1 answers 404 for "no rows"; keep working if a proxy rewrites the version away.
      acceptStatus: [404],
    });
    const rows = res.status === 404 ? [] : (res.data?.result ?? []);
    const matching = rows.filter((r) => r.correlation_id === key);
    if (matching.length !== rows.length) {
      log.warn(
        { correlationKey: key, returned: rows.length, matching: matching.length },
        'servicenow returned incidents with another correlation_id (query part ignored by the instance?)',
      );
    }
    matching.sort((a, b) => {
      const ca = a.sys_created_on ?? '';
      const cb = b.sys_created_on ?? '';
      if (ca !== cb) return ca < cb ? 1 : -1;
      return (a.number ?? '') < (b.number ?? '') ? 1 : -1;
    });
    return matching.map((r) => toTicket(r, key));
  }

  /**
   * A create whose answer was lost may have made the incident (the retry then found
   * it by its key and never attached the report mail). The Table API reads its own writes, so
   * the incident is looked for at once: one with the key, other than the one this follows up,
   * is the one made, and the create goes on as if answered. Else the error goes back.
   */
  async function unlessLost(sent: () => Promise<DeskTicket>, key: string, followUpOf: DeskTicket | undefined): Promise<DeskTicket> {
    try {
      return await sent();
    } catch (err) {
      if (!(err instanceof UnconfirmedError)) throw err;
      const made = (await findByKey(key)).find((t) => t.id !== followUpOf?.id);
      if (!made) throw err;
      log.warn({ correlationKey: key, ticketId: made.id, number: made.name }, 'servicenow: a create whose answer was lost had made the incident; found it');
      return made;
    }
  }

  return {
    name: 'servicenow',
    where: base,

    findByKey,

    async get(id) {
      const rec = await read(id);
      return rec ? toTicket(rec, rec.correlation_id ?? '') : null;
    },

    async create(draft: TicketDraft, options) {
      assertQueryableKey(draft.key);
      const mail = await originalMail(draft, deps);
      const level = draftLevel(draft, priority);
      const fields: Record<string, string> = {
        short_description: snShortDescription(draft.summary),
        description: renderSnText(bodyWithMail(draft, mail)),
        // the instance derives priority from impact and urgency (its priority lookup rules)
        impact: String(priority.servicenowImpact[level]),
        urgency: String(priority.servicenowUrgency[level]),
        correlation_id: draft.key,
        correlation_display: truncate(snEscape(draft.keyDisplay).replace(/\s+/g, ' '), SN_CORRELATION_MAX, '…'),
      };
      const route = options.route?.servicenow;
      const group = route?.assignmentGroup ? sysIdOf(tenantGroups, route.assignmentGroup) : sysIdOf(groups, config.assignmentGroup);
      if (group) fields.assignment_group = await group;
      const company = sysIdOf(companies, route?.company);
      if (company) fields.company = await company;
      const old = options.followUpOf;
      // A child follows its parent's state: resolving or reopening the parent resolves or reopens
      // it. Only a Closed parent (read-only, never reopened) is safe; a Resolved one is named instead.
      if (old?.status === 'closed') fields.parent_incident = old.id;
      else if (old) fields.work_notes = `Follow-up of incident ${old.name ? `${old.name} ` : ''}(${old.url ?? old.id}, ${old.status}); not made its child, so a change of that incident's state leaves this one alone.`;
      const ticket = await unlessLost(
        async () => {
          const res = await http.request<{ result: SnIncident }>({
            method: 'POST',
            url: TABLE,
            params: { sysparm_fields: FIELDS, sysparm_exclude_reference_link: 'true' },
            data: fields,
          });
          const rec = res.data.result;
          log.info({ correlationKey: draft.key, ticketId: rec.sys_id, number: rec.number }, 'servicenow incident created');
          return toTicket(rec, draft.key);
        },
        draft.key,
        old,
      );
      await attachAfterCreate(mail, ticket, { upload: (a) => attach(ticket.id, a), note: (n) => patch(ticket.id, { work_notes: noteText(n) }).then(() => undefined) }, log);
      return ticket;
    },

    async addNote(ticket, note) {
      await patch(ticket.id, { work_notes: noteText(note) });
    },

    async updateFields(ticket, fields) {
      if (fields.summary === undefined) return;
      await patch(ticket.id, { short_description: snShortDescription(fields.summary) });
    },

    async resolve(ticket, note) {
      const full = noteText(note) || 'Resolved by syncdesk.';
      // Cut here, with a marker, rather than silently by the instance; the whole note goes to the work notes then.
      const closeNotes = renderSnText(note, SN_CLOSE_NOTES_MAX) || full;
      const fields: Record<string, string> = { state: SN_STATE.resolved, close_code: closeCode, close_notes: closeNotes };
      if (closeNotes !== full) fields.work_notes = full;
      const rec = await patch(ticket.id, fields);
      // Business rules can veto a state change and still answer 200: trust the record, not the call.
      if (rec.state !== SN_STATE.resolved) {
        throw new PermanentError(`servicenow: incident ${rec.number ?? ticket.id} stayed in state ${rec.state} after resolve`, DESK_STATE_UNCHANGED);
      }
      return toTicket(rec, ticket.key);
    },

    async reopen(ticket, note) {
      const current = await read(ticket.id);
      if (!current) throw new PermanentError(`servicenow: incident ${ticket.id} is gone`, 'desk_not_found');
      if (current.state !== SN_STATE.resolved) {
        // Closed and Canceled are terminal; open ones need no reopen. The use case decides what next.
        throw new PermanentError(
          `servicenow: incident ${current.number ?? ticket.id} is in state ${current.state}; only Resolved (6) can be reopened`,
          'desk_not_reopenable',
        );
      }
      const rec = await patch(ticket.id, { state: SN_STATE.inProgress, work_notes: noteText(note) });
      if (rec.state === SN_STATE.resolved) {
        throw new PermanentError(`servicenow: incident ${rec.number ?? ticket.id} stayed resolved after reopen`, DESK_STATE_UNCHANGED);
      }
      return toTicket(rec, ticket.key);
    },
  };
}
