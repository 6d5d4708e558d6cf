import { maskUrlUserinfo } from '../redact.ts';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import { ConfigError } from '../config.ts';
import { REPEAT_WARNING_MS, throttle } from '../log-throttle.ts';
import type { Logger } from '../logger.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.ts';
import { whenRedisReady } from './ready.ts';

/**
 * Redis connections for BullMQ and the stage stores. Where Redis is comes from the config:
 *
 * | env                                         | Redis used                                   |
 * | ------------------------------------------- | -------------------------------------------- |
 * | (none)                                      | the embedded private redis-server            |
 * | `REDIS_URL=redis://[:pw@]host:port[/db]`    | one server (`rediss://` for TLS)             |
 * | `REDIS_SENTINELS=h1:26379,h2:26379` + `REDIS_SENTINEL_NAME=mymaster` (+ `REDIS_PASSWORD`) | Sentinel-managed master |
 * | `REDIS_CLUSTER_NODES=h1:7000,h2:7001` (+ `REDIS_PASSWORD`) | Redis Cluster (the queue prefix is wrapped in `{…}` so each queue's keys share a slot) |
 *
 * Every connection has `maxRetriesPerRequest: null`, as BullMQ workers require: a command
 * waits for Redis to come back instead of failing the job mid-way.
 */

export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: Array<{ host: string; port: number }>; name: string; password?: string }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; password?: string }
  | { kind: 'embedded'; dir: string };

function hostPorts(list: string, defaultPort: number): Array<{ host: string; port: number }> {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(entry);
      return { host: m?.[1] ?? entry, port: m?.[2] ? Number(m[2]) : defaultPort };
    });
}

/** A host name or address only this machine answers on (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  return /^(localhost|127(\.\d+){3}|\[?::1\]?)$/i.test(host);
}

export function redisTarget(redis: Config['redis']): RedisTarget {
  if (redis.clusterNodes) return { kind: 'cluster', nodes: hostPorts(redis.clusterNodes, 6379), password: redis.password };
  if (redis.sentinels && redis.sentinelName) {
    return { kind: 'sentinel', sentinels: hostPorts(redis.sentinels, 26379), name: redis.sentinelName, password: redis.password };
  }
  if (redis.url) return { kind: 'url', url: redis.url };
  return { kind: 'embedded', dir: redis.embeddedDir };
}

/** Where a target is, for messages and logs (never a password). */
export function describeTarget(target: Exclude<RedisTarget, { kind: 'embedded' }>): string {
  switch (target.kind) {
    case 'url':
      return maskUrlUserinfo(target.url);
    case 'sentinel':
      return `sentinel ${target.name}`;
    case 'cluster':
      return `cluster (seed nodes ${target.nodes.map((n) => `${n.host}:${n.port}`).join(', ')})`;
  }
}

/** What to check when a target does not answer, in the words of its own settings. */
export function unreachableFix(target: RedisTarget): string {
  switch (target.kind) {
    case 'cluster':
      return 'check REDIS_CLUSTER_NODES (host:port of the cluster nodes) and that the cluster serves: `redis-cli -h HOST -p PORT cluster info` must say cluster_state:ok';
    case 'sentinel':
      return 'check REDIS_SENTINELS and REDIS_SENTINEL_NAME, and that the sentinels know a master of that name';
    default:
      return 'start it, or check REDIS_URL';
  }
}

/** The server is a node of a Redis Cluster (INFO cluster; false where INFO is refused). */
export async function isClusterNode(client: RedisClient): Promise<boolean> {
  return /^cluster_enabled:1/m.test(await client.info('cluster').catch(() => ''));
}

/**
 * A REDIS_URL that names one node of a Redis Cluster connects and answers, and then every
 * queue command fails with MOVED or CROSSSLOT: said once here, as the setting to change.
 */
async function refuseClusterNode(client: RedisClient, where: string): Promise<void> {
  if (await isClusterNode(client)) {
    throw new ConfigError([`REDIS_URL (${where}) is a node of a Redis Cluster: set REDIS_CLUSTER_NODES to the cluster's nodes (host:port,…) instead of REDIS_URL`]);
  }
}

const BULLMQ_OPTIONS = { maxRetriesPerRequest: null, enableReadyCheck: true } satisfies RedisOptions;

/** One new client for `target` (not embedded: resolve that to a url first). */
export function createRedisClient(target: Exclude<RedisTarget, { kind: 'embedded' }>, extra: RedisOptions = {}): RedisClient {
  switch (target.kind) {
    case 'url':
      return new Redis(target.url, { ...BULLMQ_OPTIONS, ...extra });
    case 'sentinel':
      return new Redis({
        ...BULLMQ_OPTIONS,
        ...extra,
        sentinels: target.sentinels,
        name: target.name,
        password: target.password,
        sentinelPassword: target.password,
      });
    case 'cluster': {
      // these are the cluster client's own options (given per node, ioredis ignores them)
      const { lazyConnect, enableOfflineQueue, retryStrategy, ...perNode } = extra;
      const options: ClusterOptions = {
        redisOptions: { ...BULLMQ_OPTIONS, ...perNode, password: target.password },
        enableReadyCheck: true,
        ...(lazyConnect !== undefined && { lazyConnect }),
        ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
        ...(retryStrategy && { clusterRetryStrategy: (times: number) => retryStrategy(times) }),
      };
      return new Cluster(target.nodes, options);
    }
  }
}

/**
 * The key prefix BullMQ gets. In a cluster, every key of one queue must hash to one slot,
 * which BullMQ's docs solve with a hash tag in the prefix.
 */
export function queuePrefix(config: Config['redis']): string {
  const target = redisTarget(config);
  const base = target.kind === 'cluster' && !config.prefix.startsWith('{') ? `{${config.prefix}}` : config.prefix;
  // queues live under `<prefix>:q:`, apart from the stages' own keys (`<prefix>:ticket:…`,
  // `<prefix>:ingest:…`), so cleaning a queue can never touch ticket state
  return `${base}:q`;
}

/** The process's Redis: one shared client (BullMQ duplicates it for blocking calls), plus the embedded server if any. */
export interface RedisHandle {
  client: RedisClient;
  /** The queues' key prefix (`<REDIS_PREFIX>:q`, in braces on a Cluster: queuePrefix), not REDIS_PREFIX itself. */
  queuePrefix: string;
  /** Where we are connected, for messages (`redis://127.0.0.1:40123 (embedded, .syncdesk/redis)`). */
  describe: string;
  embedded: EmbeddedRedis | null;
  /** A further client (e.g. for a second process role); closed by `close()`. */
  duplicate(): RedisClient;
  /** Quits every client; stops the embedded server if this process started it. */
  close(options?: { keepEmbedded?: boolean }): Promise<void>;
}

/**
 * Connects, and waits for Redis to answer before any command uses it: unreachable at start
 * (a wrong REDIS_URL, a server not up), every command ends with RedisUnreachableError
 * naming where it looked, instead of retrying for ever. Once connected, a lost Redis is
 * retried for ever, as the workers need.
 */
export async function openRedis(config: Config, logger: Logger): Promise<RedisHandle> {
  const target = redisTarget(config.redis);
  let embedded: EmbeddedRedis | null = null;
  let concrete: Exclude<RedisTarget, { kind: 'embedded' }>;
  if (target.kind === 'embedded') {
    embedded = await startEmbeddedRedis({ dir: target.dir, logger });
    concrete = { kind: 'url', url: embedded.url };
  } else {
    concrete = target;
  }
  const clients: RedisClient[] = [];
  const warn = throttle(REPEAT_WARNING_MS);
  const make = () => {
    const c = createRedisClient(concrete);
    c.on('error', (err: Error) => warn((heldBack) => logger.warn({ action: 'redis-error', err: err.message, heldBack }, 'redis connection error')));
    clients.push(c);
    return c;
  };
  const client = make();
  const describe = target.kind === 'embedded' ? `redis://127.0.0.1:${embedded!.port} (embedded, data in ${embedded!.dir})` : describeTarget(target);
  const handle: RedisHandle = {
    client,
    queuePrefix: queuePrefix(config.redis),
    describe,
    embedded,
    duplicate: make,
    async close(options = {}) {
      await Promise.all(
        clients.map(async (c) => {
          // QUIT to a Redis that is gone waits in the offline queue for a reconnect that may never come
          if (c.status !== 'ready') return c.disconnect();
          try {
            await c.quit();
          } catch {
            c.disconnect();
          }
        }),
      );
      if (embedded && !options.keepEmbedded) await embedded.stop();
    },
  };
  try {
    await whenRedisReady(handle, unreachableFix(target));
    if (target.kind === 'url') await refuseClusterNode(client, describe);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
