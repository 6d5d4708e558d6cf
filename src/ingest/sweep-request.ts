import type { Redis } from 'ioredis';

/**
 * Asks the mail listeners of a prefix to sweep their mailbox's unmarked mail: IMAP at its next
 * resync, Graph at its next poll (a full round instead of the delta). A mail queued from
 * outside the listener (a quarantine release) stayed unmarked on the server when it was held,
 * and a resync reads only past the cursor (a delta only what changed): without the request it
 * would be marked only at the next session's sweep (IMAP, up to an hour later), or never
 * (Graph). A time, not a flag: every listener of the prefix (one per mailbox) sweeps once for
 * each request newer than its last sweep.
 */

const key = (prefix: string): string => `${prefix}:imap:sweep-requested`;
/** Kept a day: a listener that is down sweeps at its next start anyway. */
const TTL_SECONDS = 24 * 60 * 60;

export async function requestSweep(redis: Redis, prefix: string, at = new Date()): Promise<void> {
  await redis.set(key(prefix), at.toISOString(), 'EX', TTL_SECONDS);
}

/** When the newest request was made (ISO time), if one is kept. */
export async function sweepRequestedAt(redis: Redis, prefix: string): Promise<string | null> {
  return redis.get(key(prefix));
}
