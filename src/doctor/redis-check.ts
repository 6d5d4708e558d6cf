import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../../schemas/config.schema.ts';
import { createRedisClient, describeTarget, isClusterNode, isLoopbackHost, redisTarget, unreachableFix, type RedisClient } from '../redis/connection.ts';
import { embeddedUrl, findEmbeddedRedis } from '../redis/embedded-redis.ts';
import { maxmemoryPolicy } from '../redis/eviction.ts';
import { errorText, fail, isUnreachable, pass, warn, withTimeout, type CheckResult } from './check.ts';

const run = promisify(execFile);

/** BullMQ needs Redis 6.2 or newer (it uses commands added there). */
const MIN_REDIS = [6, 2, 0] as const;

export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

interface ServerFacts {
  version: string;
  /** Null when CONFIG is disabled (managed Redis). */
  policy: string | null;
  /** The server is a Redis Cluster node (INFO cluster). */
  clusterNode: boolean;
  /** INFO memory's used_memory and maxmemory, in bytes (maxmemory 0: no limit). */
  memory: { used: number; max: number };
}

async function inspect(client: RedisClient): Promise<ServerFacts> {
  const info = await client.info('server');
  const version = /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? 'unknown';
  const mem = await client.info('memory');
  const bytes = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
  return { version, policy: await maxmemoryPolicy(client), clusterNode: await isClusterNode(client), memory: { used: bytes('used_memory'), max: bytes('maxmemory') } };
}

/** The host other than loopback that a target reaches with no password (the server let us in without one), or null. */
export function openTo(target: ServerTarget): string | null {
  if (target.kind === 'url') {
    const url = new URL(target.url);
    return url.password || url.username || isLoopbackHost(url.hostname) ? null : url.hostname;
  }
  if (target.kind === 'cluster' && !target.password) return target.nodes.find((n) => !isLoopbackHost(n.host))?.host ?? null;
  return null;
}

/** Where Redis's memory is that full, writes are near refusal: an OOM stops every queue write. */
const FULL_SHARE = 0.9;
const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;

function verdict(target: ServerTarget, where: string, { version, policy, clusterNode, memory }: ServerFacts): CheckResult {
  if (target.kind === 'url' && clusterNode) {
    return fail('redis', `${where}: a node of a Redis Cluster, named as one server (queue commands would fail with MOVED and CROSSSLOT)`, "set REDIS_CLUSTER_NODES to the cluster's nodes (host:port,…) and unset REDIS_URL");
  }
  if (!versionAtLeast(version, MIN_REDIS)) {
    return fail('redis', `${where}: Redis ${version} is too old`, `BullMQ needs Redis ${MIN_REDIS.join('.')} or newer: upgrade the server`);
  }
  if (memory.max > 0 && memory.used >= memory.max * FULL_SHARE) {
    return fail(
      'redis',
      `${where}: Redis ${version} uses ${mb(memory.used)} of its maxmemory ${mb(memory.max)}: ${policy === 'noeviction' ? 'writes are refused (OOM) when it is reached' : `it evicts keys (${policy ?? 'policy unknown'}) when it is reached`}`,
      'raise maxmemory (CONFIG SET maxmemory <bytes>, or redis.conf), or give Redis more memory: queued jobs, the mail ledger and ticket state all live there',
    );
  }
  const open = openTo(target);
  if (open) {
    return warn(
      'redis',
      `${where}: Redis ${version} answers ${open} without a password`,
      'set a password (requirepass, or an ACL user) and give it in REDIS_URL (redis://:password@host:port) or REDIS_PASSWORD: whoever reaches the server reads the ticket state, which names people, and can change it',
    );
  }
  if (policy !== 'noeviction') {
    return warn(
      'redis',
      `${where}: Redis ${version}, maxmemory-policy ${policy ?? 'unknown (CONFIG disabled)'}`,
      'set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction): evicted keys lose queued jobs',
    );
  }
  return pass('redis', `${where}: Redis ${version}, maxmemory-policy noeviction`);
}

/** The embedded default: a running one is inspected; otherwise the redis-server it would start. */
async function checkEmbedded(dir: string, timeoutMs: number): Promise<CheckResult> {
  const running = await findEmbeddedRedis(dir);
  if (running) return checkServer({ kind: 'url', url: embeddedUrl(running) }, `embedded (running, port ${running.port}, data in ${dir})`, timeoutMs);
  try {
    const { stdout } = await run('redis-server', ['--version'], { timeout: timeoutMs });
    const version = /v=([\d.]+)/.exec(stdout)?.[1] ?? 'unknown';
    if (!versionAtLeast(version, MIN_REDIS)) {
      return fail('redis', `embedded: redis-server ${version} is too old`, `install Redis ${MIN_REDIS.join('.')} or newer, or set REDIS_URL`);
    }
    return pass('redis', `embedded: not running now; redis-server ${version} found, started with data in ${dir} by syncdesk start`);
  } catch {
    return fail('redis', 'embedded: no REDIS_URL, and redis-server is not installed', 'install Redis (apt-get install redis-server), or set REDIS_URL (redis.url) to a Redis 6.2+ server');
  }
}

type ServerTarget = Exclude<ReturnType<typeof redisTarget>, { kind: 'embedded' }>;

/** The server a configuration names (a running embedded one included), or null when the embedded Redis is not running. */
export async function serverTarget(config: Config): Promise<ServerTarget | null> {
  const target = redisTarget(config.redis);
  if (target.kind !== 'embedded') return target;
  const running = await findEmbeddedRedis(target.dir);
  return running ? { kind: 'url', url: embeddedUrl(running) } : null;
}

/** Runs `fn` on a client that fails fast (no retries, no offline queue); a refused connect throws its real cause. */
export async function withCheckClient<T>(target: ServerTarget, timeoutMs: number, fn: (client: RedisClient) => Promise<T>): Promise<T> {
  const client = createRedisClient(target, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    reconnectOnError: () => false,
  });
  // ioredis rejects connect() with a bare "Connection is closed."; the cause came as an event
  let cause: unknown;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await withTimeout(client.connect(), timeoutMs, 'redis');
    return await withTimeout(fn(client), timeoutMs, 'redis');
  } catch (thrown) {
    throw /Connection is closed/.test(String((thrown as Error)?.message)) && cause ? cause : thrown;
  } finally {
    client.disconnect();
  }
}

async function checkServer(target: ServerTarget, where: string, timeoutMs: number): Promise<CheckResult> {
  try {
    return verdict(target, where, await withCheckClient(target, timeoutMs, inspect));
  } catch (err) {
    const text = errorText(err);
    if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(text)) {
      return fail('redis', `${where}: authentication refused (${text})`, 'check the password in REDIS_URL (redis://:password@host:port) or REDIS_PASSWORD');
    }
    return fail(
      'redis',
      `${where}: not reachable (${text})`,
      target.kind !== 'url'
        ? unreachableFix(target)
        : isUnreachable(err) || /timeout|no answer|Connection is closed/i.test(text)
          ? 'start Redis, or correct REDIS_URL (redis.url); without REDIS_URL syncdesk runs its own embedded Redis'
          : 'check REDIS_URL (redis.url) and that the server speaks Redis',
    );
  }
}

export async function checkRedis(config: Config, timeoutMs = 5_000): Promise<CheckResult> {
  const target = redisTarget(config.redis);
  if (target.kind === 'embedded') return checkEmbedded(target.dir, timeoutMs);
  if (target.kind === 'cluster') return checkCluster(target, timeoutMs);
  return checkServer(target, describeTarget(target), timeoutMs);
}

type ClusterTarget = Extract<ServerTarget, { kind: 'cluster' }>;

/** What is wrong with one seed node, asked alone (not through the cluster client), or null. */
async function seedProblem(node: { host: string; port: number }, password: string | undefined, timeoutMs: number): Promise<string | null> {
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  try {
    return await withCheckClient({ kind: 'url', url: `redis://${auth}${node.host}:${node.port}` }, timeoutMs, async (c) => {
      if (!(await isClusterNode(c))) return 'answers, but is not a cluster node (cluster_enabled:0)';
      const state = /^cluster_state:(\w+)/m.exec((await c.call('CLUSTER', 'INFO')) as string)?.[1];
      return state && state !== 'ok' ? `says cluster_state:${state} (a master without a replica is down?)` : null;
    });
  } catch (err) {
    return `does not answer (${errorText(err, 80)})`;
  }
}

/**
 * A cluster is checked through the cluster client, as syncdesk uses it, and each seed alone:
 * the client only says it got no answer, the seeds say why (a node down, one that is no
 * cluster node, the cluster failed); a bad seed beside good ones works until the good ones
 * are down at a start.
 */
async function checkCluster(target: ClusterTarget, timeoutMs: number): Promise<CheckResult> {
  const where = describeTarget(target);
  const [whole, seeds] = await Promise.all([
    checkServer(target, where, timeoutMs),
    Promise.all(target.nodes.map(async (n) => ({ node: `${n.host}:${n.port}`, problem: await seedProblem(n, target.password, timeoutMs) }))),
  ]);
  const bad = seeds.filter((s) => s.problem);
  const said = bad.map((s) => `${s.node} ${s.problem}`).join('; ');
  if (!whole.ok) return bad.length ? fail('redis', `${whole.detail}; ${said}`, whole.fix!) : whole;
  if (bad.length) return warn('redis', `${whole.detail}; but ${said}`, 'correct REDIS_CLUSTER_NODES: a seed that cannot serve is only noticed when the others are down at a start');
  return whole;
}
