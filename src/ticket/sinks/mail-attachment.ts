import { join } from 'node:path';
import type { ContentBlock, TicketDraft } from '../../../schemas/ticket.schema.ts';
import { createMailStore, type MailStore } from '../../ingest/mail-store.ts';
import type { Logger } from '../../logger.ts';

/**
 * The report mail on its tickets. The mail store is an archive on the host that received the
 * mail; a worker on another host has only Redis. So attaching is optional and fails soft: when
 * the bytes are not readable here (another host, pruned, truncated, too large) the ticket names
 * the mail id and its path in the store instead, and nothing about the attachment ever fails a
 * ticket.
 */

export interface MailAttachment {
  fileName: string;
  contentType: 'message/rfc822';
  bytes: Buffer;
}

/** What a desk puts on a new ticket: the attachment when there is one, and a line naming the mail. */
export interface OriginalMail {
  mailId: string;
  /** Where the host that received it keeps it. */
  path: string;
  attachment: MailAttachment | null;
  /** Appended to the ticket's body: attached as …, or not attached (why) and where it is kept. */
  block: ContentBlock;
}

export interface MailAttacher {
  /** The report mail of a draft, or null for a draft without one (a Graph poll). Never throws. */
  forDraft(draft: TicketDraft): Promise<OriginalMail | null>;
  /** Where the host that received a mail keeps it. */
  pathOf(mailId: string): string;
}

export interface MailAttacherOptions {
  /** The mail store folder (MAIL_STORE_DIR), as this host sees it. */
  storeDir: string;
  /** Attach at all (TICKET_ATTACH_MAIL); off: the mail is only named. */
  attach: boolean;
  /** Larger mails are named, not attached (TICKET_ATTACH_MAX_BYTES). */
  maxBytes: number;
  logger?: Logger;
  /** Injected for tests. */
  store?: Pick<MailStore, 'get'>;
}

export function attachmentName(mailId: string): string {
  return `report-${mailId.slice(0, 12)}.eml`;
}

export function createMailAttacher(options: MailAttacherOptions): MailAttacher {
  // only get() is used: the size cap and retention are the ingestor's business
  const store = options.store ?? createMailStore({ dir: options.storeDir, maxMailBytes: Number.MAX_SAFE_INTEGER, retentionDays: 36_500 });
  const pathOf = (mailId: string) => join(options.storeDir, `${mailId}.eml`);
  // One report makes many tickets from one mail: keep the last one read.
  let last: { mailId: string; read: Promise<MailAttachment | string> } | null = null;

  async function read(mailId: string): Promise<MailAttachment | string> {
    try {
      const mail = await store.get(mailId);
      if (!mail) return 'not in the mail store on this host';
      if (mail.truncated) return `kept truncated (${mail.size} bytes, larger than MAX_MAIL_BYTES)`;
      if (mail.raw.length > options.maxBytes) return `${mail.raw.length} bytes, more than TICKET_ATTACH_MAX_BYTES (${options.maxBytes})`;
      return { fileName: attachmentName(mailId), contentType: 'message/rfc822', bytes: mail.raw };
    } catch (err) {
      options.logger?.warn({ mailId, err }, 'report mail unreadable: named on the ticket instead of attached');
      return `unreadable here: ${(err as Error).message}`;
    }
  }

  return {
    pathOf,
    async forDraft(draft) {
      const mailId = draft.mailId;
      if (!mailId) return null;
      const path = pathOf(mailId);
      if (!options.attach) return { mailId, path, attachment: null, block: namedBlock(mailId, path, 'TICKET_ATTACH_MAIL is off') };
      if (last?.mailId !== mailId) last = { mailId, read: read(mailId) };
      const got = await last.read;
      if (typeof got === 'string') return { mailId, path, attachment: null, block: namedBlock(mailId, path, got) };
      return {
        mailId,
        path,
        attachment: got,
        block: { kind: 'paragraph', text: `Original report mail: attached as ${got.fileName} (mail id ${mailId}, kept in the mail store as ${pathOf(mailId)}).` },
      };
    },
  };
}

function namedBlock(mailId: string, path: string, why: string): ContentBlock {
  return { kind: 'paragraph', text: `Original report mail: not attached (${why}); the host that received it keeps it as ${path} (mail id ${mailId}).` };
}

/**
 * The line naming the mail whatever this host can read: the same on every host, for a desk
 * whose create must send the same body when retried elsewhere (Zendesk's Idempotency-Key).
 */
export function mailNamed(mail: Pick<OriginalMail, 'mailId' | 'path'>): ContentBlock {
  return { kind: 'paragraph', text: `Original report mail: mail id ${mail.mailId}, kept in the mail store of the host that received it as ${mail.path}.` };
}

/** The note a desk adds when the attachment it sent after the create was refused: the mail is named instead. */
export function notAttachedNote(mail: OriginalMail, why: string): ContentBlock[] {
  return [namedBlock(mail.mailId, mail.path, `the desk refused the attachment: ${why}`)];
}
