import type { ContentBlock, DeskRoute, DeskTicket, TicketDraft } from '../../schemas/ticket.schema.ts';

/**
 * The port every service desk implements, with only the calls the ticket stage makes.
 * Adapters throw TransientError (retry later) or PermanentError (stop) from src/errors.ts.
 */
export interface TicketSink {
  /** `rt`, `servicenow`, `jira`, `zendesk`, `file`. */
  readonly name: string;
  /** Every ticket whose key field equals `key` exactly, newest first (resolved and closed ones too). */
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
   */
  create(draft: TicketDraft, options: { idempotencyKey: string; followUpOf?: DeskTicket; route?: DeskRoute }): Promise<DeskTicket>;
  /** An internal note, never visible to (nor mailed to) the requester. */
  addNote(ticket: DeskTicket, note: ContentBlock[]): Promise<void>;
  updateFields(ticket: DeskTicket, fields: { summary?: string }): Promise<void>;
  resolve(ticket: DeskTicket, note: ContentBlock[]): Promise<DeskTicket>;
  /**
   * Throws a PermanentError coded CANNOT_REOPEN, before changing anything, when the desk offers
   * the ticket no way back (a Jira status with no reopen transition): the ticket stage then
   * follows it up with a new ticket, as a closed one.
   */
  reopen(ticket: DeskTicket, note: ContentBlock[]): Promise<DeskTicket>;
}

export const CANNOT_REOPEN = 'desk_cannot_reopen';
