import { Cluster } from 'ioredis';
import type { RedisClient } from './connection.ts';

/**
 * The keys matching `pattern`, a SCAN batch at a time. SCAN walks one server's keys, so on a
 * Redis Cluster it runs on every master.
 */
export async function* scanKeys(redis: RedisClient, pattern: string): AsyncGenerator<string[]> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }
}
