import type { Redis } from 'ioredis';
import type { Dropped } from './ledger.ts';
import { requestSweep } from './sweep-request.ts';

/**
 * Messages of a Graph mailbox whose content Exchange will not give (`$value` refused every
 * time: an S/MIME item or a bounce of one, 500 ErrorMimeContentConversionFailed; a corrupted
 * item). There are no bytes to keep, so each is recorded here instead, left in its folder, and
 * passed over by the listener: one such message must not hold back every report after it.
 * `syncdesk failed list` shows them; `failed retry` takes one off the list and asks the listener
 * for a full round, which tries it again; `failed drop` keeps it passed over and unlisted.
 */

export interface SetAsideMessage {
  /** Graph's id of the message (in the watched folder). */
  id: string;
  mailbox: string;
  internetMessageId: string | null;
  receivedAt: string;
  /** Graph's answer, with its code. */
  reason: string;
  /** The reads it failed (rounds of the listener); absent from entries written before it was kept. */
  attempts?: number;
  at: string;
  /** The admin took it off `failed list` (`failed drop`): still passed over, no longer listed. */
  dropped?: Dropped;
}

const key = (prefix: string): string => `${prefix}:ingest:set-aside`;

export async function setAside(redis: Redis, prefix: string, message: SetAsideMessage): Promise<void> {
  await redis.hset(key(prefix), message.id, JSON.stringify(message));
}

export async function setAsideMessages(redis: Redis, prefix: string): Promise<SetAsideMessage[]> {
  return (await redis.hvals(key(prefix))).map((v) => JSON.parse(v) as SetAsideMessage).sort((a, b) => b.at.localeCompare(a.at));
}

/** Keeps messages passed over but off `failed list`: the admin has dealt with them in the mailbox. */
export async function dropSetAside(redis: Redis, prefix: string, id: string, dropped: Dropped): Promise<void> {
  const entry = await redis.hget(key(prefix), id);
  if (entry) await redis.hset(key(prefix), id, JSON.stringify({ ...(JSON.parse(entry) as SetAsideMessage), dropped }));
}

/** The ids set aside, for a round to pass over. */
export async function setAsideIds(redis: Redis, prefix: string): Promise<Set<string>> {
  return new Set(await redis.hkeys(key(prefix)));
}

/** Puts messages back: the next poll reads the folder in full, and tries them again. */
export async function releaseSetAside(redis: Redis, prefix: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await redis.hdel(key(prefix), ...ids);
  await requestSweep(redis, prefix);
}
