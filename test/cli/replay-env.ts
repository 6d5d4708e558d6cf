import { join } from 'node:path';
import { Redis } from 'ioredis';
import { services } from '../helpers/services.ts';
import { tempDir } from '../prove/helpers.ts';

/** The suite's Redis under `prefix`, a mail store and the file desk in `dir`. */
export function fileDeskEnv(dir: string, prefix: string): Record<string, string> {
  return { REDIS_URL: services().REDIS_URL!, REDIS_PREFIX: prefix, MAIL_STORE_DIR: join(dir, 'mail'), TICKET_SINK: 'file', TICKET_DIR: join(dir, 'tickets') };
}

/**
 * What a replay test runs `syncdesk` with: the suite's Redis under a prefix of its own, the
 * file desk and a mail store in a fresh folder, and no DNS (offline-dns.mjs). `drop` removes the
 * prefix's keys and closes `redis`.
 */
export function replayEnv(prefix: string, extra: Record<string, string> = {}): { redis: Redis; dir: string; env: Record<string, string>; drop: () => Promise<void> } {
  const redis = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: null });
  const dir = tempDir(`replay-${prefix}`);
  const env = {
    ...fileDeskEnv(dir, prefix),
    TICKET_RESOLVE_AFTER_MISSING: '1',
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./offline-dns.mjs', import.meta.url).href}`.trim(),
    ...extra,
  };
  const drop = async (): Promise<void> => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  };
  return { redis, dir, env, drop };
}
