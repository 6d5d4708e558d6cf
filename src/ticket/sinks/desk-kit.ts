import { DEFAULT_TICKET_PRIORITY, DESK_REQUIRED, type TicketPriorityConfig } from '../../../schemas/config.schema.ts';
import type { ContentBlock, DeskRoute, DeskTicket, PriorityLevel, TicketDraft } from '../../../schemas/ticket.schema.ts';
import { envNameOf } from '../../config.ts';
import { PermanentError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { createDeskHttp, type DeskHttp, type DeskHttpOptions } from './http.ts';
import { notAttachedNote, type MailAttacher, type MailAttachment, type OriginalMail } from './mail-attachment.ts';

/**
 * What the desk adapters share, decided once: which settings a desk needs, how a base URL
 * is written, how a title is cut to the desk's field. (HTTP errors: http-errors.ts.)
 */

export type DeskName = keyof typeof DESK_REQUIRED;
type Required<D extends DeskName> = (typeof DESK_REQUIRED)[D][number];

/** The variables of the desk's required settings that are not set (`RT_URL`, …), in schema order. */
function missingDeskSettings<D extends DeskName>(desk: D, config: Partial<Record<Required<D>, unknown>>): string[] {
  return (DESK_REQUIRED[desk] as readonly Required<D>[]).filter((field) => !config[field]).map((field) => envNameOf(`ticket.${desk}.${field}`));
}

/** The list as a sentence: `A`, `A and B`, `A, B and C`. */
export function listNames(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

type Ready<D extends DeskName, C> = C & { [K in Required<D>]: NonNullable<C[K & keyof C]> };

/** The desk's config with its required settings present, or the variables of those missing. */
export function checkDeskSettings<D extends DeskName, C extends Partial<Record<Required<D>, unknown>>>(
  desk: D,
  config: C,
): { ready: Ready<D, C> } | { missing: string[] } {
  const missing = missingDeskSettings(desk, config);
  return missing.length ? { missing } : { ready: config as Ready<D, C> };
}

/** The desk's config with its required settings present, or a PermanentError naming every missing one. */
export function requireDeskSettings<D extends DeskName, C extends Partial<Record<Required<D>, unknown>>>(desk: D, config: C): Ready<D, C> {
  const checked = checkDeskSettings(desk, config);
  if ('ready' in checked) return checked.ready;
  const { missing } = checked;
  throw new PermanentError(`${desk}: ${listNames(missing)} ${missing.length === 1 ? 'is' : 'are'} required`, 'desk_not_configured');
}

/** A configured desk URL without trailing slashes, so paths can be appended. */
export function deskBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Text a desk field can hold: line ends as `\n`, control characters (tab and line feed kept) dropped. */
export function deskText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');
}

/** A one-line field (a subject, a summary) of at most `max` characters: desk text, its line ends and runs of spaces one space. */
export function deskLine(value: string, max: number): string {
  return fitText(deskText(value).replace(/\s+/g, ' ').trim(), max);
}

/** `text` cut to `max` characters, ending in `…` when it was cut. */
export function fitText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The JSON API client of a desk signed in with basic auth (retries and error mapping: http.ts); `overrides` come from tests. */
export function jsonDeskHttp(
  desk: DeskName,
  baseURL: string,
  auth: { username: string; password: string },
  logger: Logger,
  overrides: Partial<Omit<DeskHttpOptions, 'desk' | 'baseURL' | 'auth'>> = {},
): DeskHttp {
  return createDeskHttp({ desk, baseURL, auth, headers: { 'Content-Type': 'application/json' }, logger, ...overrides });
}

/** What every desk reads besides its own settings: how urgent a draft is, and the report mail to attach. */
export interface DeskExtras {
  /** Levels per problem scope and each desk's values for them (TICKET_PRIORITY_*, RT_PRIORITIES, …). @defaultValue the schema's defaults */
  priority?: TicketPriorityConfig;
  /** Reads the report mail of a draft; absent: tickets neither carry nor name it. */
  mail?: MailAttacher;
  /** Every route of the tenants file (`desk:`): places besides the desk's own settings where tickets may be. */
  routes?: readonly DeskRoute[];
}

/** What a desk reached over its REST API (ServiceNow, Jira, Zendesk) is handed beside its configuration. */
export interface RestDeskDeps extends DeskExtras {
  logger: Logger;
  /** Overrides for the HTTP layer (tests inject sleep, retries, timeouts). */
  http?: Partial<Omit<DeskHttpOptions, 'desk' | 'baseURL' | 'auth'>>;
}

/** The priority level of a draft: the configured one for its scope (a tenant-wide stop, or one object). */
export function draftLevel(draft: TicketDraft, priority: TicketPriorityConfig = DEFAULT_TICKET_PRIORITY): PriorityLevel {
  return priority[draft.scope ?? 'object'];
}

/** The report mail of a draft, or null (none, or no reader). */
export async function originalMail(draft: TicketDraft, extras: DeskExtras): Promise<OriginalMail | null> {
  return extras.mail ? extras.mail.forDraft(draft) : null;
}

/** The draft's body with the line about its report mail (attached, or where it is kept). */
export function bodyWithMail(draft: TicketDraft, mail: OriginalMail | null): ContentBlock[] {
  return mail ? [...draft.body, mail.block] : draft.body;
}

/**
 * Attaches the report mail to a ticket just created, failing soft: the ticket exists, so a
 * refusal or a failure is logged and named in a note (itself best effort), never thrown.
 */
export async function attachAfterCreate(
  mail: OriginalMail | null,
  ticket: DeskTicket,
  calls: { upload(a: MailAttachment): Promise<void>; note(blocks: ContentBlock[]): Promise<void> },
  log: Logger,
): Promise<void> {
  if (!mail?.attachment) return;
  try {
    await calls.upload(mail.attachment);
  } catch (err) {
    log.warn({ ticketId: ticket.id, mailId: mail.mailId, err }, 'report mail not attached: named on the ticket instead');
    try {
      await calls.note(notAttachedNote(mail, (err as Error).message));
    } catch (noteErr) {
      log.warn({ ticketId: ticket.id, mailId: mail.mailId, err: noteErr }, 'the note naming the report mail failed too');
    }
  }
}

/**
 * What a desk is asked once per key and process (a queue's key field, a group's sys_id, a
 * project's create screen): a failed answer is asked again next time, so a desk briefly down
 * leaves nothing behind. `learn` puts an answer found otherwise in its place.
 */
export function oncePerKey<K, V>(ask: (key: K) => Promise<V>): { get(key: K): Promise<V>; learn(key: K, value: V): void } {
  const answers = new Map<K, Promise<V>>();
  return {
    get(key) {
      let answer = answers.get(key);
      if (!answer) {
        answer = ask(key).catch((err: unknown) => {
          answers.delete(key);
          throw err;
        });
        answers.set(key, answer);
      }
      return answer;
    },
    learn: (key, value) => void answers.set(key, Promise.resolve(value)),
  };
}
