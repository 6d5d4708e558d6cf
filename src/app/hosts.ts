import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { RedisClient } from '../redis/connection.ts';
import { defaultForestQueued } from './onprem-routing.ts';

/**
 * The hosts that share one Redis (one REDIS_PREFIX), as each process announces itself when
 * it starts listening or working, so `doctor` can tell whether they agree on what they must
 * agree on. One hash, one field per process: slot-safe on a Cluster.
 */

/** What every host sharing a Redis must set alike: the shape of a report's flow, and where its tickets go. */
export interface SharedSettings {
  /** TICKET_DIGEST: a report applied whole, or chunk by chunk. */
  digest: boolean;
  /** TICKET_SINK: one desk holds each problem's ticket. */
  sink: string;
  /** ONPREM_URL set (without ONPREM_FOREST): the reports of tenants without a forest of their own wait for an onprem job. */
  onprem: boolean;
}

export interface HostRecord {
  host: string;
  pid: number;
  /** `listen`, and/or the worker roles. */
  roles: string[];
  at: string;
  shared: SharedSettings;
}

export function sharedSettings(config: Config): SharedSettings {
  return { digest: config.ticket.digest, sink: config.ticket.sink, onprem: defaultForestQueued(config) };
}

const hostsKey = (prefix: string) => `${prefix}:hosts`;

/** Records this process (host, pid, roles, shared settings); best effort: a failure is only logged by the caller. */
export async function announceHost(redis: RedisClient, prefix: string, config: Config, roles: string[], now = new Date()): Promise<void> {
  const record: HostRecord = { host: hostname(), pid: process.pid, roles, at: now.toISOString(), shared: sharedSettings(config) };
  await (redis as Redis).hset(hostsKey(prefix), `${record.host}:${record.pid}`, JSON.stringify(record));
}

/** Removes this process's record as it stops cleanly: a stopped process is no host that must agree (four stopped ones were warned of after a desk change). */
export async function forgetHost(redis: RedisClient, prefix: string): Promise<void> {
  await (redis as Redis).hdel(hostsKey(prefix), `${hostname()}:${process.pid}`);
}

/** The processes that announced themselves within `maxAgeMs`, newest first; older records are removed. */
export async function listHosts(redis: RedisClient, prefix: string, maxAgeMs = 7 * 86_400_000, now = new Date()): Promise<HostRecord[]> {
  const all = await (redis as Redis).hgetall(hostsKey(prefix));
  const fresh: HostRecord[] = [];
  for (const [field, raw] of Object.entries(all)) {
    const record = JSON.parse(raw) as HostRecord;
    // one of this host's that is gone (killed: no clean stop took its record out) is no host that must agree
    const dead = record.host === hostname() && !alive(record.pid);
    if (dead || now.getTime() - Date.parse(record.at) > maxAgeMs) await (redis as Redis).hdel(hostsKey(prefix), field);
    else fresh.push(record);
  }
  return fresh.sort((a, b) => b.at.localeCompare(a.at));
}

/** Whether a process of this host still runs (signal 0 asks without sending; EPERM: it runs as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where `theirs` differs from `ours`, as `NAME=value (here: value)` phrases. */
export function disagreements(ours: SharedSettings, theirs: SharedSettings): string[] {
  const names: Record<keyof SharedSettings, string> = { digest: 'TICKET_DIGEST', sink: 'TICKET_SINK', onprem: 'ONPREM_URL set' };
  return (Object.keys(names) as Array<keyof SharedSettings>).filter((k) => ours[k] !== theirs[k]).map((k) => `${names[k]}=${String(theirs[k])} (here: ${String(ours[k])})`);
}
