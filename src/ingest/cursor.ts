import type { Redis } from 'ioredis';

/**
 * Where to look next in one mailbox: `{ uidValidity, lastUid }`. It only narrows the
 * search; the ledger decides what is new. It moves forward only, through a Lua script
 * that raises `lastUid` when the new value is bigger **and** the UIDVALIDITY matches,
 * so a slow catch-up can never move it back, nor write a UID of an older mailbox
 * generation over a newer one.
 */

export interface MailboxCursor {
  uidValidity: string;
  lastUid: number;
  updatedAt: string;
}

export interface CursorStore {
  get(): Promise<MailboxCursor | null>;
  /** Raises lastUid if bigger and uidValidity matches (or no cursor exists). True when it moved. */
  advance(uidValidity: string, uid: number): Promise<boolean>;
  /** A new mailbox generation (UIDVALIDITY changed): start over from `lastUid`. */
  rebaseline(uidValidity: string, lastUid: number): Promise<void>;
}

const ADVANCE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'uidValidity')
if current and current ~= ARGV[1] then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'lastUid') or '0')
local uid = tonumber(ARGV[2])
if current and uid <= last then return 0 end
redis.call('HSET', KEYS[1], 'uidValidity', ARGV[1], 'lastUid', ARGV[2], 'updatedAt', ARGV[3])
return 1
`;

export function createCursorStore(
  redis: Redis,
  options: { prefix: string; account: string; mailbox: string; now?: () => Date },
): CursorStore {
  const key = `${options.prefix}:imap:cursor:${options.account}:${options.mailbox}`;
  const now = options.now ?? (() => new Date());
  return {
    async get() {
      const h = await redis.hgetall(key);
      if (!h.uidValidity) return null;
      return { uidValidity: h.uidValidity, lastUid: Number(h.lastUid ?? 0), updatedAt: h.updatedAt ?? '' };
    },
    async advance(uidValidity, uid) {
      const res = await redis.eval(ADVANCE_SCRIPT, 1, key, uidValidity, String(uid), now().toISOString());
      return res === 1;
    },
    async rebaseline(uidValidity, lastUid) {
      await redis.hset(key, 'uidValidity', uidValidity, 'lastUid', String(lastUid), 'updatedAt', now().toISOString());
    },
  };
}
