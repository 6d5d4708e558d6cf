import type { ContentBlock, DeskRoute, DeskTicket, TicketDraft } from '../../schemas/ticket.schema.ts';

/**
 * The port every service desk implements, with only the calls the ticket stage makes.
 * Adapters throw TransientError (retry later) or PermanentError (stop) from src/errors.ts.
 * Each adapter is listed once in the desk registry (sinks/index.ts); the scenario table
 * (test/ticket/scenarios.ts) is the contract a new one is run against.
 */
export interface TicketSink {
  /** The desk's name in TICKET_SINK and in logs. */
  readonly name: string;
  /**
   * Where the desk is: the start of its tickets' URLs (its web address; the file desk's folder
   * as a file: URL). A ticket syncdesk knows by a URL elsewhere is another desk's (TICKET_SINK
   * or the desk's URL changed): it is never read here by its id, which may be another
   * customer's ticket in this desk. Absent: every known ticket is taken for this desk's.
   */
  readonly where?: string;
  /**
   * Every ticket whose key field equals `key` exactly, newest first (resolved and closed ones
   * too): the ticket stage works the first. A desk's search may match more or order otherwise;
   * the adapter filters and sorts.
   */
  findByKey(key: string): Promise<DeskTicket[]>;
  /**
   * Optional: `findByKey` for many keys in one search (a chunk of a report costs one search
   * instead of one per problem). Every key asked for is in the map, with [] when none matched.
   */
  findByKeys?(keys: string[]): Promise<Map<string, DeskTicket[]>>;
  /**
   * Optional: one ticket by id, read directly (not through a search index), null when the desk
   * no longer has it. Used when a known ticket is missing from `findByKey` (a deleted RT ticket,
   * a Jira issue not yet searchable) to tell the two apart.
   */
  get?(id: string): Promise<DeskTicket | null>;
  /**
   * Creates a ticket. `idempotencyKey` lets desks that support it (Zendesk) collapse a retried
   * create; `followUpOf` is the closed ticket this one continues (linked where the desk can);
   * `route` is where the report's tenant wants its tickets (the desk's own settings otherwise).
   *
   * A create is never sent twice: a failure after it may have reached the desk is an
   * UnconfirmedError (sinks/http-errors.ts), and the queue's retry searches by key before it
   * creates again. A desk with no idempotency whose search can read its own writes should look
   * for the ticket before letting that error go (ServiceNow's `unlessLost`): the retry would
   * find it, but without the report mail, which only the create attaches.
   *
   * The report mail (`draft.mail`) is the adapter's to attach; one that does not upload it
   * ends the body with `mailNamed` (where the mail is kept), never with `bodyWithMail`'s
   * "attached as …" line.
   */
  create(draft: TicketDraft, options: { idempotencyKey: string; followUpOf?: DeskTicket; route?: DeskRoute }): Promise<DeskTicket>;
  /** An internal note, never visible to (nor mailed to) the requester. */
  addNote(ticket: DeskTicket, note: ContentBlock[]): Promise<void>;
  updateFields(ticket: DeskTicket, fields: { summary?: string }): Promise<void>;
  /**
   * Resolves the ticket with the note, and returns it as the desk has it after, `resolvedAt`
   * then. A desk that answers but leaves the status as it was (a workflow rule refused) is a
   * PermanentError coded DESK_STATE_UNCHANGED, not a success.
   */
  resolve(ticket: DeskTicket, note: ContentBlock[]): Promise<DeskTicket>;
  /**
   * Reopens the ticket with the note, as `resolve` does (DESK_STATE_UNCHANGED when it stays
   * resolved). Throws a PermanentError coded CANNOT_REOPEN, before changing anything, when the
   * desk offers the ticket no way back (a Jira status with no reopen transition): the ticket
   * stage then follows it up with a new ticket, as a closed one.
   */
  reopen(ticket: DeskTicket, note: ContentBlock[]): Promise<DeskTicket>;
}

export const CANNOT_REOPEN = 'desk_cannot_reopen';
export const DESK_STATE_UNCHANGED = 'desk_state_unchanged';

/** Whether a ticket known by `ticketUrl` is another desk's than the one at `where` (TicketSink.where). */
export function atAnotherDesk(ticketUrl: string | null | undefined, where: string | undefined): boolean {
  return !!(ticketUrl && where && !ticketUrl.startsWith(`${where.replace(/\/+$/, '')}/`));
}
