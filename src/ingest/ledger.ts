import type { Redis } from 'ioredis';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import type { ReplicaAck } from '../redis/replica-ack.ts';

/**
 * The exactly-once ledger. One Redis key per mail, keyed by the sha256 of its raw bytes
 * and written with SET NX, so whichever path sees a mail first (IMAP, a file replay, an
 * IMAP replay) owns it and every later sighting is a duplicate.
 *
 * A second index maps the Message-ID of each report in the mail (the inner report's id
 * when it was forwarded) to the mail that first carried it, with the number of errors read
 * from it: the same Microsoft report replayed from an .eml file, or forwarded twice, has
 * different bytes but the same report id, and is still a duplicate, unless it reads more
 * errors than the copy that came first (that one was cut off): then it takes the id over.
 *
 * Entries move `pending` → `queued` around the enqueue, so a crash between claiming and
 * enqueueing leaves a `pending` entry that the next sighting finishes instead of dropping.
 *
 * The ledger is the one authority on what became of a mail (the mail store only keeps its
 * bytes). `recent()` lists the newest mails that may be reports (not-a-report markers are
 * left out: they are other people's mail, and expire), for `status` and `failed list`.
 */

export type LedgerStatus = 'pending' | 'queued' | 'quarantined' | 'rejected' | 'duplicate' | 'not-a-report';

export interface LedgerEntry {
  mailId: string;
  status: LedgerStatus;
  origin: MailOrigin;
  firstSeen: string;
  updatedAt: string;
  /** Set when `replay --force` re-ran the mail: its report flows carry this suffix in their ids. */
  rerun: string | null;
  /** For `duplicate`: the mail that already carried the same report. */
  duplicateOf: string | null;
  reason: string | null;
  /**
   * The admin's word the mail was taken on (a file replay, a quarantine release), so that
   * reading it again (`failed retry`) does not ask sender trust either; null: none. Absent
   * from entries written before it was kept.
   */
  vouched?: string | null;
  /**
   * For `rejected`: the admin took it off `failed list` (`failed drop`); for `quarantined`: the
   * admin rejected it (`quarantine drop`). Who and when. The status stays, so the same bytes
   * seen again are still a mail already handled.
   */
  dropped?: Dropped | null;
}

/** Who took a failed mail or message off `failed list`, and when. */
export interface Dropped {
  by: string;
  at: string;
}

/** The mail that carries a report Message-ID, and how many errors were read of that report (null: claimed before counts were kept). */
export interface ReportClaim {
  mailId: string;
  errors: number | null;
}

/** A report Message-ID and the mail that carried it first. */
export interface ReportTaken {
  messageId: string;
  ownerMailId: string;
}

/** Whether a copy of a report that reads `errors` of it reads more than the claim's copy did. */
export function readsMore(errors: number, claim: ReportClaim): boolean {
  return claim.errors !== null && errors > claim.errors;
}

export interface Ledger {
  get(mailId: string): Promise<LedgerEntry | null>;
  /** SET NX: true when this call created the entry. */
  claim(entry: Omit<LedgerEntry, 'firstSeen' | 'updatedAt'>, ttlSeconds?: number): Promise<boolean>;
  update(mailId: string, patch: Partial<Omit<LedgerEntry, 'mailId' | 'firstSeen'>>): Promise<LedgerEntry>;
  /** The mail that carries this report Message-ID, if any. */
  findByMessageId(messageId: string): Promise<ReportClaim | null>;
  /**
   * Claims report Message-IDs for a mail, with the errors it reads of each (SET NX each; an id
   * whose mail read fewer errors is taken over). Every id is tried: returns those another mail
   * keeps, with that mail's id (none when every id is now owned by `mailId`).
   */
  claimMessageIds(mailId: string, reports: Array<{ messageId: string; errors: number }>): Promise<ReportTaken[]>;
  /** The newest mails first (at most RECENT_KEPT are remembered), with their entries. */
  recent(limit: number): Promise<LedgerEntry[]>;
}

/** How many mails `recent()` remembers: enough for a year of daily reports from many tenants. */
export const RECENT_KEPT = 10_000;

/** A Message-ID's value: `{"mailId","errors"}`, or the bare mail id written before counts were kept. */
function claimOf(value: string): ReportClaim {
  return value.startsWith('{') ? (JSON.parse(value) as ReportClaim) : { mailId: value, errors: null };
}

/** Sets KEYS[1] to ARGV[2] only while it still holds ARGV[1]. */
const SWAP = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";

/** `<Foo@Bar>` and `foo@bar` are the same report id; case of the domain part is irrelevant in practice. */
export function normalizeMessageId(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '').toLowerCase();
}

/**
 * `ack`: waits for a replica to have each write that says what became of a mail
 * (src/redis/replica-ack.ts), so a failover right after cannot forget it.
 */
export function createLedger(redis: Redis, prefix: string, now: () => Date = () => new Date(), ack?: ReplicaAck): Ledger {
  const mailKey = (mailId: string): string => `${prefix}:ingest:ledger:${mailId}`;
  const midKey = (messageId: string): string => `${prefix}:ingest:ledger-mid:${normalizeMessageId(messageId)}`;
  const recentKey = `${prefix}:ingest:recent`;

  async function get(mailId: string): Promise<LedgerEntry | null> {
    const raw = await redis.get(mailKey(mailId));
    return raw ? (JSON.parse(raw) as LedgerEntry) : null;
  }

  return {
    get,

    async claim(entry, ttlSeconds) {
      const at = now().toISOString();
      const value = JSON.stringify({ ...entry, firstSeen: at, updatedAt: at } satisfies LedgerEntry);
      const res = ttlSeconds
        ? await redis.set(mailKey(entry.mailId), value, 'EX', ttlSeconds, 'NX')
        : await redis.set(mailKey(entry.mailId), value, 'NX');
      if (res !== 'OK') return false;
      await ack?.(mailKey(entry.mailId));
      if (entry.status !== 'not-a-report') {
        // two commands, not a MULTI: the keys may live on different Cluster slots
        await redis.zadd(recentKey, now().getTime(), entry.mailId);
        await redis.zremrangebyrank(recentKey, 0, -RECENT_KEPT - 1);
      }
      return true;
    },

    async update(mailId, patch) {
      const current = await get(mailId);
      if (!current) throw new Error(`ledger has no entry for mail ${mailId}`);
      const next: LedgerEntry = { ...current, ...patch, mailId, firstSeen: current.firstSeen, updatedAt: now().toISOString() };
      // Updates drop any TTL: an entry only gets one while it is a not-a-report marker.
      await redis.set(mailKey(mailId), JSON.stringify(next));
      await ack?.(mailKey(mailId));
      return next;
    },

    async findByMessageId(messageId) {
      const value = await redis.get(midKey(messageId));
      return value === null ? null : claimOf(value);
    },

    async claimMessageIds(mailId, reports) {
      const others: ReportTaken[] = [];
      for (const { messageId, errors } of reports) {
        const value = JSON.stringify({ mailId, errors } satisfies ReportClaim);
        let taken = (await redis.set(midKey(messageId), value, 'NX')) === 'OK';
        const current = taken ? null : await redis.get(midKey(messageId));
        const owner = current === null ? null : claimOf(current);
        if (owner && owner.mailId !== mailId) {
          // a fuller copy takes the id over, unless another mail changed it since it was read
          taken = readsMore(errors, owner) && (await redis.eval(SWAP, 1, midKey(messageId), current!, value)) === 1;
          if (!taken) others.push({ messageId, ownerMailId: owner.mailId });
        }
        if (taken) await ack?.(midKey(messageId));
      }
      return others;
    },

    async recent(limit) {
      const ids = await redis.zrevrange(recentKey, 0, Math.max(0, limit - 1));
      const entries = await Promise.all(ids.map(get));
      return entries.filter((e): e is LedgerEntry => e !== null);
    },
  };
}
