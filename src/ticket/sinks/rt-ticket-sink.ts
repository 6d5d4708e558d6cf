import { DEFAULT_TICKET_PRIORITY } from '../../../schemas/config.schema.ts';
import type { ContentBlock, DeskStatus, DeskTicket } from '../../../schemas/ticket.schema.ts';
import { PermanentError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { TicketSink } from '../ticket-sink.ts';
import { createDeskHttp, type DeskHttp, type DeskHttpOptions } from './http.ts';
import { toHtml } from './markup.ts';
import { bodyWithMail, deskBaseUrl, deskLine, draftLevel, oncePerKey, originalMail, requireDeskSettings, type DeskExtras } from './desk-kit.ts';
import { notAttachedNote, type OriginalMail } from './mail-attachment.ts';

/**
 * Request Tracker 5 over REST2. The key lives in a ticket custom field (DedupKey), notes are
 * `comment`s (never `correspond`, which mails the requestor and reopens), status changes are
 * explicit, and every write's message list is read: RT reports many failures with HTTP 200.
 */

export interface RtSinkConfig {
  /** RT base URL (`https://rt.example.com/rt`), or its REST2 URL. */
  url?: string;
  token?: string;
  queue: string;
  keyField: string;
}

export interface RtSinkDeps extends DeskExtras {
  logger?: Logger;
  /** Overrides for the HTTP layer (timeouts, retries, injected sleep in tests). */
  http?: Partial<DeskHttpOptions>;
}

interface RtTicket {
  id: string | number;
  Status?: string;
  Resolved?: string;
  Created?: string;
  /** `""` (not a list) for a ticket in a queue the key field is not applied to. */
  CustomFields?: Array<{ name: string; values: string[] }> | string;
}

/** RT's Subject column holds 200 characters. */
const SUBJECT_MAX = 200;
/** Messages RT returns with HTTP 200 when it refused part of a write. */
const REFUSED = /isn't a valid|is not a valid|not allowed|permission denied|no permission|couldn't|could not|invalid|doesn't exist|does not exist|failed|illegal/i;

function rtStatus(status: string | undefined): DeskStatus {
  switch (status) {
    case 'resolved':
      return 'resolved';
    case 'rejected':
      return 'wontfix';
    case 'deleted':
      return 'closed';
    default:
      // new, open, stalled and custom active statuses
      return 'open';
  }
}

function resolvedAt(t: RtTicket): string | null {
  if (!t.Resolved || t.Resolved.startsWith('1970-01-01')) return null;
  return t.Resolved;
}

function sqlQuote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function messages(data: unknown): string[] {
  return Array.isArray(data) ? data.map(String) : [];
}

/** RT answers many refusals with HTTP 200 and a list of messages: those are failures, thrown as PermanentError. */
export function rtRefusals(call: string, data: unknown): void {
  const bad = messages(data).filter((m) => REFUSED.test(m));
  if (bad.length) throw new PermanentError(`rt ${call}: ${bad.join('; ')}`, 'rt_refused');
}

/** Keys ORed in one search: 50 keys of ~70 characters keep the URL near 8 KB, which proxies take. */
const KEYS_PER_SEARCH = 50;

export function createRtTicketSink(config: RtSinkConfig, deps: RtSinkDeps = {}): TicketSink {
  const { url, token } = requireDeskSettings('rt', config);
  const base = deskBaseUrl(url);
  const rest2 = /\/REST\/2\.0$/.test(base) ? base : `${base}/REST/2.0`;
  const web = rest2.replace(/\/REST\/2\.0$/, '');
  const http: DeskHttp = createDeskHttp({
    desk: 'rt',
    baseURL: rest2,
    headers: { Authorization: `token ${token}` },
    logger: deps.logger,
    ...deps.http,
  });
  const log = deps.logger;
  const priority = deps.priority ?? DEFAULT_TICKET_PRIORITY;
  /** Checks once per queue (the desk's own, and a tenant's `desk.rt.queue` when it first gets a ticket) that it exists and carries the key field. */
  const setups = oncePerKey(async (queue: string): Promise<{ cfName: string }> => {
    // queue sub-resources need numeric ids
    const res = await http.request<{ id: number; TicketCustomFields?: Array<{ id: string; name: string }> }>({
      method: 'GET',
      url: `/queue/${encodeURIComponent(queue)}`,
    });
    const cf = res.data.TicketCustomFields?.find((f) => f.name === config.keyField);
    if (!cf) {
      const whose = queue === config.queue ? '' : " (a tenant's desk.rt.queue)";
      throw new PermanentError(
        `RT queue '${queue}'${whose} (id ${res.data.id}) has no ticket custom field '${config.keyField}' (RT_KEY_FIELD): create it and apply it to the queue`,
        'rt_key_field_missing',
      );
    }
    log?.debug({ queue, queueId: res.data.id, customFieldId: cf.id }, 'rt key field found');
    return { cfName: cf.name };
  });
  const ensureSetup = (queue = config.queue) => setups.get(queue);

  function toDesk(t: RtTicket, key: string): DeskTicket {
    const id = String(t.id);
    return { id, key, url: `${web}/Ticket/Display.html?id=${id}`, status: rtStatus(t.Status), resolvedAt: resolvedAt(t) };
  }

  /** A ticket by id with the key it holds, or keyUnknown where its queue has no key field (an agent moved it there). */
  async function read(id: string): Promise<DeskTicket | null> {
    const res = await http.request<RtTicket>({ method: 'GET', url: `/ticket/${encodeURIComponent(id)}`, acceptStatus: [404] });
    if (res.status === 404) return null;
    const field = Array.isArray(res.data.CustomFields) ? res.data.CustomFields.find((f) => f.name === config.keyField) : undefined;
    const desk = { ...toDesk(res.data, field?.values[0] ?? ''), ...(!field && { keyUnknown: true as const }) };
    // RT answers for a merged ticket with the one it was merged into
    return desk.id === String(id) ? desk : { ...desk, mergedFrom: String(id) };
  }

  /**
   * Every ticket whose key field is one of `keys`, newest first per key, in one TicketSQL
   * search (ORed, KEYS_PER_SEARCH at a time: the query travels in the URL).
   */
  async function search(keys: string[]): Promise<Map<string, DeskTicket[]>> {
    const { cfName } = await ensureSetup();
    const found = new Map<string, DeskTicket[]>(keys.map((k) => [k, []]));
    for (let i = 0; i < keys.length; i += KEYS_PER_SEARCH) {
      const batch = keys.slice(i, i + KEYS_PER_SEARCH);
      let tickets = await searchBatch(batch, cfName);
      if (!tickets) {
        // a ticket an agent moved to a queue the key field is not applied to is listed without
        // its fields (RT 5 gives `CustomFields: ""`), so whose key it holds is not said: each key
        // of the batch is searched alone, where a match can only be that key's
        log?.debug({ keys: batch.length }, 'rt listed a ticket without its key field: the keys searched one by one');
        tickets = [];
        for (const key of batch) tickets.push(...((await searchBatch([key], cfName)) ?? []));
      }
      for (const t of tickets) found.get(t.key)?.push(t);
    }
    return found;
  }

  /** The tickets of one ORed search, each under the key it holds; null when a ticket of a search of several keys came without its fields. */
  async function searchBatch(batch: string[], cfName: string): Promise<DeskTicket[] | null> {
    const query = batch.map((k) => `'CF.{${cfName}}' = ${sqlQuote(k)}`).join(' OR ');
    const tickets: DeskTicket[] = [];
    for (let page = 1; ; page++) {
      const res = await http.request<{ items: RtTicket[]; pages: number }>({
        method: 'GET',
        url: '/tickets',
        params: { query, fields: 'Status,Resolved,Created,CustomFields', orderby: 'Created', order: 'DESC', per_page: 100, page },
      });
      for (const t of res.data.items) {
        const listed = Array.isArray(t.CustomFields) ? t.CustomFields.find((f) => f.name === cfName)?.values : undefined;
        if (!listed && batch.length > 1) return null;
        // TicketSQL `=` on a CF is case-insensitive in some databases: keep exact matches only
        for (const value of listed ?? batch) if (batch.includes(value)) tickets.push(toDesk(t, value));
      }
      if (page >= Math.ceil(Number(res.data.pages) || 0)) return tickets;
    }
  }

  /** A comment, optionally changing the status in the same transaction, then the status confirmed by a read. */
  async function comment(ticket: DeskTicket, blocks: ContentBlock[], status?: 'open' | 'resolved'): Promise<DeskTicket> {
    const body: Record<string, string> = { Content: toHtml(blocks), ContentType: 'text/html' };
    if (status) body.Status = status;
    const res = await http.request({ method: 'POST', url: `/ticket/${ticket.id}/comment`, data: body });
    rtRefusals(`comment on ticket ${ticket.id}`, res.data);
    if (!status) return ticket;
    const now = await read(ticket.id);
    const wanted: DeskStatus = status === 'open' ? 'open' : 'resolved';
    if (!now || now.status !== wanted) {
      throw new PermanentError(
        `rt ticket ${ticket.id}: status not changed to ${status} (${messages(res.data).join('; ') || 'no message'})`,
        'rt_refused',
      );
    }
    return { ...now, key: ticket.key };
  }

  return {
    name: 'rt',
    where: web,
    async findByKey(key) {
      return (await search([key])).get(key)!;
    },
    findByKeys: search,
    get: read,
    async create(draft, options) {
      const queue = options.route?.rt?.queue ?? config.queue;
      const { cfName } = await ensureSetup(queue);
      const mail = await originalMail(draft, deps);
      const data = (body: ContentBlock[], withMail: OriginalMail | null): Record<string, unknown> => ({
        Queue: queue,
        Subject: deskLine(draft.summary, SUBJECT_MAX),
        Content: toHtml(body),
        ContentType: 'text/html',
        Priority: priority.rt[draftLevel(draft, priority)],
        CustomFields: { [cfName]: draft.key },
        // REST2 attaches files to the create's first transaction: FileName, FileType, FileContent (base64)
        ...(withMail?.attachment
          ? { Attachments: [{ FileName: withMail.attachment.fileName, FileType: withMail.attachment.contentType, FileContent: withMail.attachment.bytes.toString('base64') }] }
          : {}),
        // RT refuses links to deleted tickets (our "closed"); the body names the old ticket anyway.
        ...(options.followUpOf && options.followUpOf.status !== 'closed' ? { RefersTo: options.followUpOf.id } : {}),
      });
      const send = (body: Record<string, unknown>) => http.request<{ id?: string | number }>({ method: 'POST', url: '/ticket', data: body });
      let res;
      try {
        res = await send(data(bodyWithMail(draft, mail), mail));
      } catch (err) {
        // A refused create created nothing: a proxy's body limit (413) or RT's own must not cost the ticket.
        if (!(err instanceof PermanentError) || !mail?.attachment) throw err;
        log?.warn({ correlationKey: draft.key, mailId: mail.mailId, err }, 'rt refused the create with the report mail: created without it');
        res = await send(data([...draft.body, ...notAttachedNote(mail, err.message)], null));
      }
      if (res.data.id === undefined) throw new PermanentError(`rt create: no ticket id in the answer (${JSON.stringify(res.data)})`, 'rt_refused');
      return { id: String(res.data.id), key: draft.key, url: `${web}/Ticket/Display.html?id=${res.data.id}`, status: 'open', resolvedAt: null };
    },
    async addNote(ticket, note) {
      await comment(ticket, note);
    },
    async updateFields(ticket, fields) {
      if (fields.summary === undefined) return;
      const subject = deskLine(fields.summary, SUBJECT_MAX);
      const res = await http.request({ method: 'PUT', url: `/ticket/${ticket.id}`, data: { Subject: subject } });
      rtRefusals(`update ticket ${ticket.id}`, res.data);
    },
    async resolve(ticket, note) {
      return comment(ticket, note, 'resolved');
    },
    async reopen(ticket, note) {
      return comment(ticket, note, 'open');
    },
  };
}
