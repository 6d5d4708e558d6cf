import type { Redis } from 'ioredis';

/**
 * Asks the mail listeners of a prefix to sweep their mailbox's unmarked mail: IMAP at its next
 * resync, Graph at its next poll (a full round instead of the delta). A mail queued from
 * outside the listener (a quarantine release) stayed unmarked on the server when it was held,
 * and a resync reads only past the cursor (a delta only what changed): without the request it
 * would be marked only at the next session's sweep (IMAP, up to an hour later), or never
 * (Graph). A counter, not a flag: every listener of the prefix (one per mailbox) sweeps once
 * for each value it has not answered yet. Not a time either: the releasing host's clock and
 * the listener's need not agree.
 */

const key = (prefix: string): string => `${prefix}:ingest:sweep-request`;
/** Kept a day: a listener that is down sweeps at its next start anyway. */
const TTL_SECONDS = 24 * 60 * 60;

export async function requestSweep(redis: Redis, prefix: string): Promise<void> {
  await redis.multi().incr(key(prefix)).expire(key(prefix), TTL_SECONDS).exec();
}

/** The newest request, if one is kept: a value other than the one a listener last answered asks it to sweep. */
export async function sweepRequest(redis: Redis, prefix: string): Promise<string | null> {
  return redis.get(key(prefix));
}
