import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../../schemas/config.schema.ts';
import { createRedisClient, redisTarget, type RedisClient } from '../redis/connection.ts';
import { embeddedUrl, findEmbeddedRedis } from '../redis/embedded-redis.ts';
import { maxmemoryPolicy } from '../redis/eviction.ts';
import { errorText, fail, isUnreachable, pass, warn, withTimeout, type CheckResult } from './check.ts';

const run = promisify(execFile);

/** BullMQ needs Redis 6.2 or newer (it uses commands added there). */
export const MIN_REDIS = [6, 2, 0] as const;

export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

/** Version and eviction policy of a live server; the policy is null when CONFIG is disabled (managed Redis). */
async function inspect(client: RedisClient): Promise<{ version: string; policy: string | null }> {
  const info = await client.info('server');
  const version = /redis_version:([^\r\n]+)/.exec(info)?.[1]?.trim() ?? 'unknown';
  return { version, policy: await maxmemoryPolicy(client) };
}

function verdict(where: string, version: string, policy: string | null): CheckResult {
  if (!versionAtLeast(version, MIN_REDIS)) {
    return fail('redis', `${where}: Redis ${version} is too old`, `BullMQ needs Redis ${MIN_REDIS.join('.')} or newer: upgrade the server`);
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
    const { version, policy } = await withCheckClient(target, timeoutMs, inspect);
    return verdict(where, version, policy);
  } catch (err) {
    const text = errorText(err);
    if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(text)) {
      return fail('redis', `${where}: authentication refused (${text})`, 'check the password in REDIS_URL (redis://:password@host:port) or REDIS_PASSWORD');
    }
    return fail(
      'redis',
      `${where}: not reachable (${text})`,
      isUnreachable(err) || /timeout|no answer|Connection is closed/i.test(text)
        ? 'start Redis, or correct REDIS_URL (redis.url); without REDIS_URL syncdesk runs its own embedded Redis'
        : 'check REDIS_URL (redis.url) and that the server speaks Redis',
    );
  }
}

export async function checkRedis(config: Config, timeoutMs = 5_000): Promise<CheckResult> {
  const target = redisTarget(config.redis);
  if (target.kind === 'embedded') return checkEmbedded(target.dir, timeoutMs);
  const where =
    target.kind === 'url' ? target.url.replace(/\/\/[^@/]*@/, '//***@') : target.kind === 'sentinel' ? `sentinel ${target.name}` : `cluster (${target.nodes.length} seed nodes)`;
  return checkServer(target, where, timeoutMs);
}
