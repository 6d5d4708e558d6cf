import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { freePorts } from './ports.ts';

const run = promisify(execFile);

/**
 * A real Redis Cluster of three masters on loopback (scripts/redis-cluster.sh), started by the
 * test file that needs it (beforeAll) and stopped by it (afterAll): other files never see it.
 */
export interface RedisClusterHandle {
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, the value of REDIS_CLUSTER_NODES. */
  nodes: string;
  ports: number[];
  dir: string;
  /** A new ioredis Cluster client (`maxRetriesPerRequest: null`, like syncdesk's); the caller quits it. */
  client(): Cluster;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-redis-cluster-'));
  // client and cluster-bus ports both free: ephemeral ports + 10000 can pass 65535
  const all = await freePorts(6);
  const ports = all.slice(0, 3);
  const specs = ports.map((p, i) => `${p}:${all[3 + i]}`);
  const script = join(import.meta.dirname, '../../scripts/redis-cluster.sh');
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, 'start', dir, ...specs], { timeout: 60_000 }));
  } catch (err) {
    await run('bash', [script, 'stop', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const nodes = /^REDIS_CLUSTER_NODES=(.*)$/m.exec(stdout)?.[1];
  if (!nodes) throw new Error(`redis-cluster.sh start printed no REDIS_CLUSTER_NODES:\n${stdout}`);
  return {
    nodes,
    ports,
    dir,
    client: () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { maxRetriesPerRequest: null } }),
    async stop() {
      await run('bash', [script, 'stop', dir], { timeout: 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
