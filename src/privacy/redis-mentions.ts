import type { Redis } from 'ioredis';
import type { Queues } from '../queues.ts';
import type { RedisClient } from '../redis/connection.ts';
import { scanKeys } from '../redis/scan-keys.ts';
import { forgetKeyState } from '../ticket/ticket-state.ts';
import { mentions, withoutMentions } from './mentions.ts';
import type { Mention } from './mention.ts';

/*
 * Where a value stands in Redis. Every key under the prefix is read whole, whatever wrote it,
 * so a store added later is found too; what each kind of key means decides what forgetting
 * it takes. A kind this file does not know is named and left alone.
 */

/** The texts of one key, by its type: a list's rows, a hash's fields and values, a stream's entries. */
async function keyTexts(redis: RedisClient, key: string): Promise<Array<{ id: string; text: string }>> {
  switch (await redis.type(key)) {
    case 'string':
      return [{ id: '', text: (await redis.get(key)) ?? '' }];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).map(([field, value]) => ({ id: field, text: `${field}\n${value}` }));
    case 'list':
      return (await redis.lrange(key, 0, -1)).map((row) => ({ id: row, text: row }));
    case 'set':
      return (await redis.smembers(key)).map((m) => ({ id: m, text: m }));
    case 'zset':
      return (await redis.zrange(key, 0, -1)).map((m) => ({ id: m, text: m }));
    case 'stream':
      return ((await redis.xrange(key, '-', '+')) as Array<[string, string[]]>).map(([id, fields]) => ({ id, text: fields.join('\n') }));
    default:
      return [];
  }
}

/** Every key of syncdesk's under `prefix` (its own, and its queues' `{prefix}` form on a Cluster), on every master. */
async function* prefixKeys(redis: RedisClient, prefix: string): AsyncGenerator<{ key: string; rest: string }> {
  for (const form of [`${prefix}:`, `{${prefix}}:`]) {
    for await (const keys of scanKeys(redis, `${form}*`)) for (const key of keys) yield { key, rest: key.slice(form.length) };
  }
}

/** A job's key below the queue prefix (`q:<queue>:<jobId>`, and the keys BullMQ keeps beside it: its children's results, its logs), or null. */
function jobOf(rest: string, queues: Queues): { queue: string; jobId: string } | null {
  const m = /^q:([^:]+):(.+?)(:processed|:logs|:dependencies|:failed|:unsuccessful)?$/.exec(rest);
  if (!m || !queues.names.includes(m[1]!)) return null;
  return { queue: m[1]!, jobId: m[2]! };
}

/** The places `value` stands in syncdesk's Redis, each with how to forget it. */
export async function redisMentions(redis: RedisClient, prefix: string, queues: Queues, value: string): Promise<Mention[]> {
  const found: Mention[] = [];
  const jobsSeen = new Set<string>();
  const client = redis as Redis;
  for await (const { key, rest } of prefixKeys(redis, prefix)) {
    if (rest.startsWith('ticket:lock:')) continue;
    const named = mentions(key, value);
    const hits = (await keyTexts(redis, key)).filter((t) => mentions(t.text, value));
    if (!named && !hits.length) continue;
    if (rest.startsWith('ticket:key:')) {
      const state = JSON.parse(hits[0]?.text ?? '{}') as { ticketId?: string | null; ticketUrl?: string | null; summary?: string };
      const ticket = state.ticketId ? ` (ticket ${state.ticketId}${state.ticketUrl ? `, ${state.ticketUrl}` : ''})` : '';
      // the problem in its own words: whose record it is, for the admin to check before --yes (a name two people share)
      const summary = state.summary ? `: ${state.summary.length > 160 ? `${state.summary.slice(0, 159)}…` : state.summary}` : '';
      found.push({
        store: 'ticket state',
        what: `${rest.slice('ticket:key:'.length)}${ticket}${summary}`,
        forget: () => forgetKeyState(client, prefix, rest.slice('ticket:key:'.length)),
        ...(ticket ? { note: 'the ticket itself is the desk’s record: delete or edit it there if the request covers it' } : {}),
      });
    } else if (rest.startsWith('ticket:tenant:') && (named || rest.endsWith(':names'))) {
      // a stream's bookkeeping (its open problems, newest run, reports applied), named by its tenant: a customer leaving;
      // or the keys a tenant's own name was applied under (ticket-state.ts), which hold its keys
      found.push({ store: 'ticket state', what: `${rest} (the tenant's report bookkeeping)`, forget: async () => void (await client.del(key)) });
    } else if (rest === 'ingest:quarantine' || rest === 'ingest:quarantine:released') {
      for (const row of hits) found.push({ store: 'quarantine', what: `${rest === 'ingest:quarantine' ? 'held' : 'released'} mail ${(JSON.parse(row.text) as { mailId: string }).mailId}`, forget: async () => void (await client.lrem(key, 0, row.id)) });
    } else if (rest.startsWith('graph-cache:')) {
      found.push({ store: 'lookup cache', what: key, forget: async () => void (await client.del(key)) });
    } else if (rest.startsWith('ingest:ledger:') && !named) {
      // the ledger keeps a mail known (a copy of it is not ingested again): its words go, not the entry
      found.push({ store: 'ledger', what: `mail ${rest.slice('ingest:ledger:'.length)}`, forget: async () => void (await client.set(key, withoutMentions(hits[0]!.text, value), 'KEEPTTL')) });
    } else if (/^q:[^:]+:events$/.test(rest)) {
      found.push({ store: 'queue events', what: `${key} (${hits.length} event${hits.length === 1 ? '' : 's'})`, forget: async () => void (await client.xdel(key, ...hits.map((h) => h.id))) });
    } else if (jobOf(rest, queues)) {
      const { queue, jobId } = jobOf(rest, queues)!;
      if (jobsSeen.has(`${queue}:${jobId}`)) continue;
      jobsSeen.add(`${queue}:${jobId}`);
      found.push({
        store: 'queue job',
        what: `${queue} ${jobId}`,
        forget: async () => {
          // a job a worker holds cannot be removed: it is said, and a run after it finished takes it
          if ((await queues.byName(queue).remove(jobId)) !== 1 && (await client.exists(key))) throw new Error(`job ${jobId} of ${queue} is being worked: run again once it is done`);
        },
      });
    } else {
      found.push({ store: 'other', what: key, note: 'a key syncdesk does not know how to forget: look at it, and delete it if it is not needed' });
    }
  }
  return found;
}
