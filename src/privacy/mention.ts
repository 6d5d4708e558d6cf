/** One place syncdesk keeps a value that an erasure request names (`syncdesk forget`). */
export interface Mention {
  /** Which store: what the output groups by. */
  store: 'ticket state' | 'queue job' | 'queue events' | 'quarantine' | 'lookup cache' | 'ledger' | 'mail store' | 'snapshot' | 'desk ticket file' | 'other';
  /** What it is there: a key, a mail, a file, a ticket. */
  what: string;
  /** Removes it (or the value from it). Absent: syncdesk leaves it to the admin, and `note` says why. */
  forget?: () => Promise<void>;
  note?: string;
}
