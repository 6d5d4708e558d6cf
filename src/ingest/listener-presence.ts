import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';

/**
 * Who else listens to a mailbox. Each listener writes its name under the mailbox's key at
 * every session and resync, and reads back the name it replaced: another listener's name
 * means two processes watch the mailbox. That is safe (the ledger takes each mail once), but
 * each mail is fetched and parsed twice, and the admin should know.
 */
export interface ListenerPresence {
  /** This listener's name. */
  readonly me: string;
  /** Says "here", and gives the name it replaced when another listener wrote it since the last call (or before this listener started). */
  announce(): Promise<string | null>;
}

export function createListenerPresence(redis: Redis, key: string, ttlSeconds: number): ListenerPresence {
  const me = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  return {
    me,
    async announce() {
      // SET … GET (Redis 6.2+): the write and the read of what it replaced in one step
      const before = await redis.set(key, me, 'EX', ttlSeconds, 'GET');
      return before && before !== me ? before : null;
    },
  };
}
