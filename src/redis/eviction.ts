import type { Logger } from '../logger.ts';
import type { RedisClient } from './connection.ts';

/**
 * Redis's maxmemory-policy: BullMQ's queues, the ledger and ticket state are lost when Redis
 * evicts keys, so `noeviction` is the one safe setting (BullMQ: "Going to production"). Read
 * with CONFIG GET, or from INFO where a managed Redis disables CONFIG; null when neither says.
 */
export async function maxmemoryPolicy(client: RedisClient): Promise<string | null> {
  try {
    const res = (await client.config('GET', 'maxmemory-policy')) as string[];
    return res[1] ?? null;
  } catch {
    const mem = await client.info('memory').catch(() => '');
    return /maxmemory_policy:([^\r\n]+)/.exec(mem)?.[1]?.trim() ?? null;
  }
}

/**
 * A long-running command says once, in its own log, when Redis may evict keys: BullMQ's
 * plain-text line alone is easy to miss among JSON lines (blind test 25).
 */
export async function warnIfEvicting(client: RedisClient, logger: Logger): Promise<void> {
  const policy = await maxmemoryPolicy(client).catch(() => null);
  if (policy && policy !== 'noeviction') {
    logger.warn(
      { action: 'redis-eviction', policy },
      `Redis may evict keys (maxmemory-policy ${policy}): queued jobs, the mail ledger and ticket state can vanish; set maxmemory-policy noeviction`,
    );
  }
}

/**
 * What to do when Redis refused a write for want of memory, or null for other errors: a
 * command ended with Redis's own "OOM command not allowed…" or "EXECABORT Transaction
 * discarded…" and nothing else.
 */
export function outOfMemoryFix(err: unknown): string | null {
  const e = err as { message?: string; previousErrors?: Array<{ message?: string }> } | null;
  const said = [e?.message, ...(e?.previousErrors ?? []).map((p) => p.message)].join(' ');
  if (!/\bOOM command not allowed/.test(said)) return null;
  return 'Redis is out of memory (its maxmemory is reached) and refuses writes: raise maxmemory (CONFIG SET maxmemory <bytes>, or redis.conf) or give it more memory, then run the command again (mails already read are kept, and what was done is skipped); `syncdesk doctor` shows its memory';
}
