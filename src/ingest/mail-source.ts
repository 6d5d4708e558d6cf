/**
 * The MailSource port: the few mailbox operations the IMAP listener needs, nothing more.
 * One MailConnection is one server session; it never reconnects (the listener makes a
 * new one), and after `closed` resolves it is dead.
 */

export interface MailboxState {
  /** UIDVALIDITY as a string (IMAP gives a 32-bit number; imapflow a bigint). */
  uidValidity: string;
  exists: number;
  /** The mailbox keeps custom keywords (PERMANENTFLAGS has `\*`): handled mail is marked, not moved. */
  keywordsSupported: boolean;
}

export interface FetchedMail {
  uid: number;
  source: Buffer;
  internalDate: Date;
}

export type MarkResult = 'keyword' | 'moved' | 'none';

export interface MailConnection {
  /**
   * Refreshes the server's view (NOOP: the first SEARCH after another client's APPEND is stale
   * otherwise) and reports the mailbox. `reselect` selects it again instead: a mailbox deleted
   * and recreated under the session shows only then (Dovecot answers NOOP and SEARCH from the
   * old one), with its new UIDVALIDITY.
   */
  refresh(reselect?: boolean): Promise<MailboxState>;
  /** UIDs above `afterUid` (the `N:*` range is inclusive of the highest UID, so results are filtered), ascending. */
  uidsAfter(afterUid: number): Promise<number[]>;
  /** Every UID not yet marked handled (all UIDs where the server keeps no keywords), ascending. */
  unmarkedUids(): Promise<number[]>;
  /** Whole sources of these UIDs, collected before anything else runs (never commands inside a FETCH). */
  fetch(uids: number[]): Promise<FetchedMail[]>;
  /** Marks mails handled: the keyword where the mailbox keeps it, else a move to the processed folder. Never `\Seen`. */
  markHandled(uids: number[]): Promise<MarkResult>;
  /** New mail arrived (EXISTS grew). */
  onExists(listener: () => void): void;
  /** True when the server supports IDLE (else the listener polls more often). */
  readonly idleSupported: boolean;
  /** Resolves once the session is gone, with the error that ended it if any. */
  readonly closed: Promise<Error | null>;
  close(): Promise<void>;
}

export interface MailSource {
  /** Opens a fresh session with the mailbox selected. Throws when it cannot. */
  connect(): Promise<MailConnection>;
}
