import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis/connection.ts';
import { scanKeys } from '../redis/scan-keys.ts';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { TransientError } from '../errors.ts';
import type { SeenInfo } from './render.ts';

/**
 * What syncdesk remembers per correlation key, in Redis: the ticket, where it stands, and
 * the reports seen. It is the primary lookup (desk searches can lag, e.g. Jira's); the desk
 * search is the fallback that heals a lost write.
 */
export interface KeyState extends SeenInfo {
  key: string;
  /**
   * The ordered stream of reports that saw the problem last: the tenant key, `<tenant>|graph`
   * for the Graph poll, `digest:<tenant>` for a digest ticket. Only that stream can find
   * the problem gone (auto-resolve).
   */
  stream: string;
  /** Fingerprint of the problem's error, to tell whether a report still has it. */
  fingerprint: string;
  /** The problem's family (`problemFamily`): the object's conflict whatever its values. Absent in older states, and for errors that name no value. */
  family?: string;
  /**
   * The problem was last seen as a value Entra ID set aside (a duplicate attribute resiliency
   * notice), which Microsoft reports once: its absence from later reports is no sign it is gone.
   */
  quarantined?: boolean;
  ticketId: string | null;
  /**
   * The key the desk's ticket holds, where it is not `key`: a state moved from a name its tenant
   * had before keeps its ticket, which still holds the old key. Absent: the ticket holds `key`.
   */
  ticketKey?: string;
  /** How the desk shows the ticket to agents where that is not its id (DeskTicket.name): a follow-up names it even when the ticket is gone. */
  ticketName?: string;
  ticketUrl: string | null;
  status: DeskStatus;
  resolvedAt: string | null;
  /**
   * The sync run (`coversAt`) of the report that resolved the ticket, when syncdesk did: the
   * reopen window counts from it in report time, so a replay of months decides as the live
   * service did. Absent in states written before it was kept.
   */
  resolvedCoversAt?: string | null;
  /** When the ticket was created or adopted (ISO). */
  ticketSince: string | null;
  summary: string;
  contentHash: string;
  /** The `CONTENT_VERSION` the hash was made by (absent: 1). */
  contentVersion?: number;
  lastReportId: string;
  lastCoversAt: string;
  /** Newer reports of the tenant without this problem, since it was last seen. */
  missed: number;
  lastMissedReportId: string | null;
  /** The sync run last counted in `missed`: another copy of that run (a forward of the report) is not counted again. */
  lastMissedCoversAt?: string | null;
  /** The problem's state lives under this key now: its tenant is named otherwise (ReportRef.tenantAliases). */
  movedTo?: string;
}

/** Whether the state is an open ticket of its stream (a candidate for "no longer listed"). */
export function isOpenState(s: KeyState): boolean {
  return s.status === 'open' && Boolean(s.ticketId) && !s.movedTo;
}

export interface TicketStateStore {
  get(key: string): Promise<KeyState | null>;
  put(state: KeyState): Promise<void>;
  /**
   * Keys last seen by the stream whose ticket is open (candidates for auto-resolve). A crash
   * inside `put` can leave a key in a set it no longer belongs to: read its state before acting.
   */
  openKeys(stream: string): Promise<string[]>;
  /** The key last written open for a family in the stream (a candidate: read its state before acting). */
  familyOwner(stream: string, family: string): Promise<string | null>;
  /** Raises the stream's high-water mark to `coversAt`; returns the previous mark (epoch ms) or null. */
  advanceStream(stream: string, coversAtMs: number): Promise<number | null>;
  streamMark(stream: string): Promise<number | null>;
  isApplied(stream: string, reportId: string): Promise<boolean>;
  markApplied(stream: string, reportId: string): Promise<void>;
  /**
   * The tenant keys reports that name their tenant `name` (its own name, domain or id, which
   * the configuration renamed) have been applied under.
   */
  keysNamed(name: string): Promise<string[]>;
  /** Remembers that a report naming its tenant `name` is applied under `tenantKey`. */
  addKeyNamed(name: string, tenantKey: string): Promise<void>;
  /** Runs `fn` holding the key's lock; waits for a busy key, then gives up with a TransientError. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface TicketStateOptions {
  /** Key prefix, e.g. `syncdesk`: keys become `<prefix>:ticket:…`. */
  prefix: string;
  /** Lock lifetime; renewed every third of it while the holder runs, so a crashed worker blocks its keys this long at most. @defaultValue 15000 */
  lockTtlMs?: number;
  /** How long to wait for a busy key before handing the job back to the queue. @defaultValue 30000 */
  lockWaitMs?: number;
  /** A settled problem's state (not open, or moved) expires this long after its last write; 0 or absent: never (TICKET_STATE_RETENTION_DAYS). */
  settledRetentionMs?: number;
}

// Delete (or extend) the lock only if we still own it: a lock that expired and was taken by
// another worker must not be released by the first one.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const ADVANCE = `local old = redis.call('get', KEYS[1])
if (not old) or tonumber(old) < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
return old`;

/** The reports a problem's state lists (its newest sightings). */
export const MAX_REPORTS = 10;

/**
 * A KeyState as stored. `leftStream`: the stream whose open set the key was leaving when the
 * state was written; `put` removes it from that set after the write, and again on the next
 * put, in case the first removal never ran.
 */
type StoredKeyState = KeyState & { tenantKey?: string; leftStream?: string };

function parseStored(raw: string): StoredKeyState {
  const stored = JSON.parse(raw) as StoredKeyState;
  return { ...stored, stream: stored.stream ?? stored.tenantKey ?? 'unknown' };
}

/** A stored KeyState; states written before `stream` was named carry it as `tenantKey`. */
function readKeyState(raw: string): KeyState {
  const { tenantKey: _tenantKey, leftStream: _leftStream, ...state } = parseStored(raw);
  return state;
}

/**
 * Every stored ticket state, a batch at a time (`syncdesk status`). Each value is read on its
 * own (an MGET of keys in several Cluster slots fails). A value that is no state is passed over.
 */
export async function* scanKeyStates(redis: RedisClient, prefix: string): AsyncGenerator<KeyState[]> {
  for await (const keys of scanKeys(redis, `${prefix}:ticket:key:*`)) {
    const states: KeyState[] = [];
    for (const raw of await Promise.all(keys.map((k) => redis.get(k)))) {
      try {
        if (raw) states.push(readKeyState(raw));
      } catch {
        // not JSON: nothing syncdesk wrote
      }
    }
    if (states.length) yield states;
  }
}

/**
 * Forgets a problem's state (an erasure request: `syncdesk forget`): the state, its place in
 * its stream's open set and its family's pointer to it. Its ticket stays the desk's; a report
 * that names the problem again finds that ticket through the desk's search, as after a lost Redis.
 */
export async function forgetKeyState(redis: Redis, prefix: string, key: string): Promise<void> {
  const keys = ticketKeys(prefix);
  const raw = await redis.get(keys.state(key));
  if (!raw) return;
  const state = parseStored(raw);
  await redis.srem(keys.open(state.stream), key);
  if (state.leftStream) await redis.srem(keys.open(state.leftStream), key);
  const family = state.family ? keys.family(state.stream, state.family) : null;
  if (family && (await redis.get(family)) === key) await redis.del(family);
  await redis.del(keys.state(key));
}

/** The Redis keys of the ticket state under a prefix. Their `tenant:` segment stays: state written before streams were named stays readable. */
function ticketKeys(prefix: string) {
  const p = `${prefix}:ticket`;
  return {
    state: (key: string) => `${p}:key:${key}`,
    open: (stream: string) => `${p}:tenant:${stream}:open`,
    family: (stream: string, family: string) => `${p}:tenant:${stream}:family:${family}`,
    mark: (stream: string) => `${p}:tenant:${stream}:mark`,
    applied: (stream: string) => `${p}:tenant:${stream}:applied`,
    names: (name: string) => `${p}:tenant:${name}:names`,
    lock: (key: string) => `${p}:lock:${key}`,
  };
}

export function createTicketStateStore(redis: Redis, options: TicketStateOptions): TicketStateStore {
  const ttl = options.lockTtlMs ?? 15_000;
  const waitMs = options.lockWaitMs ?? 30_000;
  const retentionMs = options.settledRetentionMs ?? 0;
  const { state: stateKey, open: openKey, family: familyKey, mark: markKey, applied: appliedKey, names: namesKey, lock: lockKeyOf } = ticketKeys(options.prefix);

  async function acquire(lockKey: string, token: string): Promise<void> {
    const deadline = Date.now() + waitMs;
    let delay = 20;
    for (;;) {
      if ((await redis.set(lockKey, token, 'PX', ttl, 'NX')) === 'OK') return;
      if (Date.now() >= deadline) throw new TransientError(`ticket key ${lockKey} is busy`, 'ticket_key_busy', 1000);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  return {
    async get(key) {
      const raw = await redis.get(stateKey(key));
      return raw ? readKeyState(raw) : null;
    },
    async put(state) {
      const { tenantKey: _tenantKey, leftStream: _leftStream, ...s } = { ...(state as StoredKeyState), reports: state.reports.slice(-MAX_REPORTS) };
      // Called under the key's lock, so the state read here is still the stored one.
      const raw = await redis.get(stateKey(s.key));
      const before = raw ? parseStored(raw) : null;
      const open = isOpenState(s);
      const leaving = before && before.stream !== s.stream ? before.stream : undefined;
      // One key per command, so the keys may live in different cluster slots. The state key is
      // the authority (a set member is only a candidate, whose state is read again before
      // anything is done), so every set stays a superset of the truth whichever step a crash
      // interrupts: additions, then the state (naming the set it leaves), then removals.
      if (before?.leftStream && before.leftStream !== s.stream) await redis.srem(openKey(before.leftStream), s.key);
      if (open) await redis.sadd(openKey(s.stream), s.key);
      if (open && s.family) await redis.set(familyKey(s.stream, s.family), s.key);
      const json = JSON.stringify(leaving ? { ...s, leftStream: leaving } : s);
      // an open problem is kept whatever its age (a SET without a TTL clears one an earlier settled write gave)
      if (retentionMs && (s.status !== 'open' || s.movedTo)) {
        await redis.set(stateKey(s.key), json, 'PX', retentionMs);
        // its family's pointer to it goes with it (a SET when the family is open again clears the TTL)
        if (s.family && (await redis.get(familyKey(s.stream, s.family))) === s.key) await redis.pexpire(familyKey(s.stream, s.family), retentionMs);
      } else await redis.set(stateKey(s.key), json);
      if (leaving) await redis.srem(openKey(leaving), s.key);
      if (!open) await redis.srem(openKey(s.stream), s.key);
    },
    async openKeys(stream) {
      return (await redis.smembers(openKey(stream))).sort();
    },
    familyOwner: (stream, family) => redis.get(familyKey(stream, family)),
    async advanceStream(stream, coversAtMs) {
      const old = (await redis.eval(ADVANCE, 1, markKey(stream), String(coversAtMs))) as string | null;
      return old === null ? null : Number(old);
    },
    async streamMark(stream) {
      const v = await redis.get(markKey(stream));
      return v === null ? null : Number(v);
    },
    async isApplied(stream, reportId) {
      return (await redis.sismember(appliedKey(stream), reportId)) === 1;
    },
    async markApplied(stream, reportId) {
      await redis.sadd(appliedKey(stream), reportId);
    },
    keysNamed: (name) => redis.smembers(namesKey(name)),
    async addKeyNamed(name, tenantKey) {
      await redis.sadd(namesKey(name), tenantKey);
      // kept as long as a settled problem's state: a tenant quiet longer has no state left to find
      if (retentionMs) await redis.pexpire(namesKey(name), retentionMs);
    },
    async withLock(key, fn) {
      const lockKey = lockKeyOf(key);
      const token = randomUUID();
      await acquire(lockKey, token);
      const timer = setInterval(() => {
        redis.eval(RENEW, 1, lockKey, token, String(ttl)).catch(() => undefined);
      }, Math.max(100, Math.floor(ttl / 3)));
      timer.unref();
      try {
        return await fn();
      } finally {
        clearInterval(timer);
        await redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
      }
    },
  };
}
