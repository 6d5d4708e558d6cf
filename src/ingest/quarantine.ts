import type { Redis } from 'ioredis';
import { requestSweep } from './sweep-request.ts';

/**
 * The quarantine: mails that failed sender trust (sender-trust.ts), held in Redis until an
 * admin releases them (`syncdesk quarantine`), and the history of those released.
 */

export interface QuarantineEntry {
  mailId: string;
  reason: string;
  sender: string | null;
  origin: string;
  at: string;
  /** The tenants its reports name (name, else domain): whose report is held, for an MSP. Absent in entries of older versions. */
  tenants?: string[];
}

export const quarantineKey = (prefix: string): string => `${prefix}:ingest:quarantine`;
/** Mails released from quarantine by an admin, newest first: the quarantine's history. */
export const releasedKey = (prefix: string): string => `${prefix}:ingest:quarantine:released`;
const RELEASED_KEPT = 1000;

/** Holds a mail that failed sender trust: the newest entry first. */
export async function holdMail(redis: Redis, prefix: string, entry: QuarantineEntry): Promise<void> {
  await redis.lpush(quarantineKey(prefix), JSON.stringify(entry));
}

/** Quarantined mails still held, newest first (the CLI's `syncdesk quarantine`). */
export async function listQuarantine(redis: Redis, prefix: string, limit = 1000): Promise<QuarantineEntry[]> {
  const rows = await redis.lrange(quarantineKey(prefix), 0, limit - 1);
  return rows.map((r) => JSON.parse(r) as QuarantineEntry);
}

export interface ReleasedEntry extends QuarantineEntry {
  released: { by: string; at: string };
}

/** Mails released from quarantine, newest first. */
export async function listReleased(redis: Redis, prefix: string, limit = 1000): Promise<ReleasedEntry[]> {
  const rows = await redis.lrange(releasedKey(prefix), 0, limit - 1);
  return rows.map((r) => JSON.parse(r) as ReleasedEntry);
}

/**
 * The held mails whose id is `mailId` or starts with it (`quarantine list` shows ids cut
 * short), or all of them: the newest quarantine of each mail. Throws when a short id
 * matches several mails.
 */
export async function findQuarantined(redis: Redis, prefix: string, target: { mailId?: string; all?: boolean }): Promise<QuarantineEntry[]> {
  const wanted = target.mailId?.toLowerCase();
  const newest = new Map<string, QuarantineEntry>();
  for (const row of await redis.lrange(quarantineKey(prefix), 0, -1)) {
    const entry = JSON.parse(row) as QuarantineEntry;
    if (!(target.all || (wanted !== undefined && entry.mailId.startsWith(wanted)))) continue;
    if (!newest.has(entry.mailId)) newest.set(entry.mailId, entry);
  }
  if (!target.all && newest.size > 1) throw new Error(`${target.mailId} starts ${newest.size} quarantined mail ids: give more of it`);
  return [...newest.values()];
}

/**
 * Takes every held row of `entry.mailId` off the quarantine and keeps `entry` in its history.
 * One key per command (the two lists hash to different Redis Cluster slots): the history
 * first, so a crash in between leaves the mail both held and in the history, never released without a record.
 */
export async function recordRelease(redis: Redis, prefix: string, entry: ReleasedEntry): Promise<void> {
  await redis.lpush(releasedKey(prefix), JSON.stringify(entry));
  await redis.ltrim(releasedKey(prefix), 0, RELEASED_KEPT - 1);
  await forgetHeld(redis, prefix, new Set([entry.mailId]));
  // the mail is still unmarked in its mailbox: the listener marks it at its next resync
  await requestSweep(redis, prefix);
}

/**
 * Takes every held row of these mails off the quarantine, with no record kept (an admin
 * dropped them, or their mail left the store and can no longer be released): each names a
 * sender, kept no longer than the mail. Returns how many of the mails were held.
 */
export async function forgetHeld(redis: Redis, prefix: string, mailIds: ReadonlySet<string>): Promise<number> {
  if (!mailIds.size) return 0;
  const forgotten = new Set<string>();
  for (const row of await redis.lrange(quarantineKey(prefix), 0, -1)) {
    const { mailId } = JSON.parse(row) as QuarantineEntry;
    if (!mailIds.has(mailId)) continue;
    await redis.lrem(quarantineKey(prefix), 0, row);
    forgotten.add(mailId);
  }
  return forgotten.size;
}

/** Drops the history's entries of mails released before `before` (kept as long as the mails themselves). */
export async function forgetReleasedBefore(redis: Redis, prefix: string, before: Date): Promise<number> {
  let forgotten = 0;
  for (const row of await redis.lrange(releasedKey(prefix), 0, -1)) {
    if (Date.parse((JSON.parse(row) as ReleasedEntry).released.at) >= before.getTime()) continue;
    forgotten += await redis.lrem(releasedKey(prefix), 0, row);
  }
  return forgotten;
}
