import { Cluster, type Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { RedisClient } from './connection.ts';

/**
 * A write that must survive a failover (the exactly-once ledger): after it, wait until a
 * replica of the key's master has it (WAIT 1), so a Sentinel or Cluster failover right after
 * cannot promote a replica that never saw it. Where the master has no replica connected
 * (the embedded Redis, a single server) there is nothing to wait for. A replica that does
 * not answer within `timeoutMs` is logged, not waited for longer: a lagging replica must not
 * stop ingestion, and every ledger step is idempotent for the next sighting of the mail. Nor
 * is it waited for again for `lagWindowMs`: a frozen replica (its link still open) cost every
 * write its timeout, and a report's writes added up to the whole freeze.
 */

export type ReplicaAck = (key: string) => Promise<boolean>;

/** How long a master's replica count is trusted before INFO is asked again. */
const REPLICAS_TTL_MS = 10_000;

export function createReplicaAck(redis: RedisClient, options: { timeoutMs?: number; lagWindowMs?: number; logger?: Logger; now?: () => number } = {}): ReplicaAck {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const lagWindowMs = options.lagWindowMs ?? 30_000;
  const now = options.now ?? Date.now;
  const known = new Map<Redis, { replicas: number; at: number }>();
  /** Masters whose replica missed a timeout, and until when it is not waited for. */
  const lagging = new Map<Redis, number>();

  /** The connection to the master that holds `key` (WAIT counts the writes of the connection it is sent on). */
  async function masterOf(key: string): Promise<Redis> {
    if (!(redis instanceof Cluster)) return redis;
    const slot = (await redis.cluster('KEYSLOT', key)) as number;
    const owner = redis.slots[slot]?.[0];
    const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    if (!node) throw new Error(`no master known for slot ${slot}`);
    return node;
  }

  async function replicasOf(node: Redis): Promise<number> {
    const cached = known.get(node);
    if (cached && now() - cached.at < REPLICAS_TTL_MS) return cached.replicas;
    const info = await node.info('replication');
    const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    known.set(node, { replicas, at: now() });
    return replicas;
  }

  return async (key) => {
    const node = await masterOf(key);
    if ((lagging.get(node) ?? 0) > now()) return false;
    if (!(await replicasOf(node))) return true;
    const acked = Number(await node.call('WAIT', '1', String(timeoutMs)));
    if (acked >= 1) return true;
    known.delete(node);
    lagging.set(node, now() + lagWindowMs);
    options.logger?.warn(
      { action: 'replica-lag', key, timeoutMs, lagWindowMs },
      `no replica acknowledged a ledger write within ${timeoutMs} ms: a failover now could lose it (the next sighting of the mail would redo it); not waiting for this master's replica for ${lagWindowMs / 1000} s`,
    );
    return false;
  };
}
