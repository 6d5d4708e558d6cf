import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { TransientError } from '../errors.ts';
import type { ReportSeen } from './render.ts';

/**
 * What syncdesk remembers per correlation key, in Redis: the ticket, where it stands, and
 * the reports seen. It is the primary lookup (desk searches can lag, e.g. Jira's); the desk
 * search is the fallback that heals a lost write.
 */
export interface KeyState {
  key: string;
  /** The stream that saw the problem last: its tenant, with `|graph` when it came from the Graph poll. */
  tenantKey: string;
  /** Fingerprint of the problem's error, to tell whether a report still has it. */
  fingerprint: string;
  ticketId: string | null;
  ticketUrl: string | null;
  status: DeskStatus;
  resolvedAt: string | null;
  /** When the ticket was created or adopted (ISO). */
  ticketSince: string | null;
  summary: string;
  contentHash: string;
  lastReportId: string;
  lastCoversAt: string;
  /** Newer reports of the tenant without this problem, since it was last seen. */
  missed: number;
  lastMissedReportId: string | null;
  firstSeen: string;
  lastSeen: string;
  seenCount: number;
  reports: ReportSeen[];
}

export interface TicketStateStore {
  get(key: string): Promise<KeyState | null>;
  put(state: KeyState): Promise<void>;
  /** Keys of the tenant whose ticket is open (candidates for auto-resolve). */
  openKeys(tenantKey: string): Promise<string[]>;
  /** Raises the tenant's high-water mark to `coversAt`; returns the previous mark (epoch ms) or null. */
  advanceTenant(tenantKey: string, coversAtMs: number): Promise<number | null>;
  tenantMark(tenantKey: string): Promise<number | null>;
  isApplied(tenantKey: string, reportId: string): Promise<boolean>;
  markApplied(tenantKey: string, reportId: string): Promise<void>;
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
}

// Delete (or extend) the lock only if we still own it: a lock that expired and was taken by
// another worker must not be released by the first one.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const ADVANCE = `local old = redis.call('get', KEYS[1])
if (not old) or tonumber(old) < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
return old`;

const MAX_REPORTS_KEPT = 10;
export const MAX_REPORTS = MAX_REPORTS_KEPT;

export function createTicketStateStore(redis: Redis, options: TicketStateOptions): TicketStateStore {
  const p = `${options.prefix}:ticket`;
  const ttl = options.lockTtlMs ?? 15_000;
  const waitMs = options.lockWaitMs ?? 30_000;
  const stateKey = (key: string) => `${p}:key:${key}`;
  const openKey = (tenant: string) => `${p}:tenant:${tenant}:open`;

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
      return raw ? (JSON.parse(raw) as KeyState) : null;
    },
    async put(state) {
      const s = { ...state, reports: state.reports.slice(-MAX_REPORTS_KEPT) };
      const multi = redis.multi().set(stateKey(state.key), JSON.stringify(s));
      if (s.status === 'open' && s.ticketId) multi.sadd(openKey(s.tenantKey), s.key);
      else multi.srem(openKey(s.tenantKey), s.key);
      await multi.exec();
    },
    async openKeys(tenantKey) {
      return (await redis.smembers(openKey(tenantKey))).sort();
    },
    async advanceTenant(tenantKey, coversAtMs) {
      const old = (await redis.eval(ADVANCE, 1, `${p}:tenant:${tenantKey}:mark`, String(coversAtMs))) as string | null;
      return old === null ? null : Number(old);
    },
    async tenantMark(tenantKey) {
      const v = await redis.get(`${p}:tenant:${tenantKey}:mark`);
      return v === null ? null : Number(v);
    },
    async isApplied(tenantKey, reportId) {
      return (await redis.sismember(`${p}:tenant:${tenantKey}:applied`, reportId)) === 1;
    },
    async markApplied(tenantKey, reportId) {
      await redis.sadd(`${p}:tenant:${tenantKey}:applied`, reportId);
    },
    async withLock(key, fn) {
      const lockKey = `${p}:lock:${key}`;
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
