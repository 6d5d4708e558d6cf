import { hostname } from 'node:os';
import type { Config } from '../../schemas/config.schema.ts';
import { disagreements, listHosts, sharedSettings, type HostRecord } from '../app/hosts.ts';
import { isLoopbackHost, queuePrefix, redisTarget } from '../redis/connection.ts';
import { pass, skip, warn, type CheckResult } from './check.ts';
import { serverTarget, withCheckClient } from './redis-check.ts';

/**
 * What hosts running syncdesk together must share, checked from this one: one Redis (the
 * same REDIS_PREFIX) that every host reaches, and the settings that shape a report's flow
 * and its tickets (TICKET_DIGEST, TICKET_SINK, ONPREM_URL), compared with what every other
 * process sharing this Redis announced when it started. Nothing else needs sharing: mails
 * travel in the jobs.
 */

/** Whether only this host can reach the configured Redis (the embedded one, or a loopback address). */
export function redisOfThisHostOnly(config: Config): boolean {
  const target = redisTarget(config.redis);
  if (target.kind === 'embedded') return true;
  const hosts = target.kind === 'url' ? [new URL(target.url).hostname] : target.kind === 'sentinel' ? target.sentinels.map((s) => s.host) : target.nodes.map((n) => n.host);
  return hosts.every(isLoopbackHost);
}

function describe(record: HostRecord, now: Date): string {
  const hours = (now.getTime() - Date.parse(record.at)) / 3_600_000;
  const ago = hours < 1 ? `${Math.round(hours * 60)} min ago` : `${Math.round(hours)} h ago`;
  return `${record.host} pid ${record.pid} (${record.roles.join(', ')}; started ${ago})`;
}

/** The scale-out verdict from the processes that announced themselves (pure, for tests). */
export function scaleOutVerdict(config: Config, hosts: HostRecord[], now = new Date()): CheckResult {
  const ours = sharedSettings(config);
  const attach = config.ticket.mail.attach
    ? '; report mails are attached by the host that ingested them, named by path elsewhere (unless MAIL_STORE_DIR is a shared folder)'
    : '';
  const differing = hosts.map((h) => ({ h, diff: disagreements(ours, h.shared) })).filter((d) => d.diff.length);
  if (differing.length) {
    return warn(
      'scale-out',
      `processes sharing this Redis (prefix ${config.redis.prefix}) disagree with this host: ${differing.map((d) => `${describe(d.h, now)}: ${d.diff.join(', ')}`).join('; ')}`,
      'set TICKET_DIGEST, TICKET_SINK and ONPREM_URL alike on every host that shares the Redis and REDIS_PREFIX, then restart the odd ones',
    );
  }
  const machines = new Set(hosts.map((h) => h.host));
  if (redisOfThisHostOnly(config)) {
    return pass(
      'scale-out',
      `one host: this Redis is reachable from ${hostname()} only; for listen and workers on several hosts, point every host at one Redis they all reach (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES) with the same REDIS_PREFIX${attach}`,
    );
  }
  return pass(
    'scale-out',
    `shared Redis (prefix ${config.redis.prefix}): ${hosts.length} process(es) on ${machines.size} host(s) announced in the last 7 days, all with this host's TICKET_DIGEST, TICKET_SINK and ONPREM_URL; nothing else needs sharing (mails travel in the jobs)${attach}`,
  );
}

export async function checkScaleOut(config: Config, timeoutMs = 5_000): Promise<CheckResult> {
  const target = await serverTarget(config);
  if (!target) return scaleOutVerdict(config, []);
  try {
    // where the processes announce themselves: under the queues' prefix (hash-tagged on a cluster)
    return scaleOutVerdict(config, await withCheckClient(target, timeoutMs, (client) => listHosts(client, queuePrefix(config.redis))));
  } catch {
    return skip('scale-out', 'not checked: Redis is not reachable (see the redis check)');
  }
}
