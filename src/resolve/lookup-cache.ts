import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { HolderSchema, type Holder } from '../../schemas/resolution.schema.ts';

/**
 * Lookup results in Redis, keyed by tenant and normalised value, with a TTL: the same
 * address in the next report (or the next error of this one) costs no Graph request.
 * Empty answers are cached too: "nobody holds it" is the commonest answer to repeat.
 */
export interface LookupCache {
  getMany(tenant: string, keys: string[]): Promise<Array<Holder[] | null>>;
  setMany(tenant: string, entries: Array<[key: string, holders: Holder[]]>, ttlSeconds: number): Promise<void>;
}

const HoldersSchema = HolderSchema.array();

export function createRedisLookupCache(redis: Redis, prefix: string): LookupCache {
  const keyOf = (tenant: string, key: string): string => {
    const raw = `${tenant.toLowerCase()}:${key}`;
    // Keep keys readable for operators, but bounded: a hostile value can be kilobytes long.
    return `${prefix}:graph-cache:${raw.length > 200 ? createHash('sha256').update(raw).digest('hex') : raw}`;
  };
  // One command per key: the keys of a batch hash to different cluster slots, so MGET and MULTI
  // would fail with CROSSSLOT on a Redis Cluster. ioredis sends them without waiting for each
  // reply, so a batch still costs about one round trip.
  return {
    async getMany(tenant, keys) {
      const raw = await Promise.all(keys.map((k) => redis.get(keyOf(tenant, k))));
      return raw.map((r) => {
        if (r === null) return null;
        const parsed = HoldersSchema.safeParse(JSON.parse(r));
        return parsed.success ? parsed.data : null;
      });
    },
    async setMany(tenant, entries, ttlSeconds) {
      await Promise.all(entries.map(([key, holders]) => redis.set(keyOf(tenant, key), JSON.stringify(holders), 'EX', ttlSeconds)));
    },
  };
}
