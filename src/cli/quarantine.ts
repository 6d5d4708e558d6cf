import type { Redis } from 'ioredis';
import { listQuarantine } from '../ingest/sender-trust.ts';
import { cliConfig, cliLogger, writeRows } from '../app/cli-support.ts';
import { openRedis } from '../redis/connection.ts';

/** What `syncdesk quarantine …` does (loaded when it runs; see quarantine-command.ts). */
export async function listQuarantined(opts: { json?: boolean; limit: number }): Promise<void> {
  const config = cliConfig();
  const redis = await openRedis(config, cliLogger(config));
  try {
    const rows = await listQuarantine(redis.client as Redis, config.redis.prefix, opts.limit);
    writeRows(rows, {
      json: opts.json,
      empty: 'no quarantined mails',
      line: (r) => `${r.at}\t${r.mailId.slice(0, 12)}\t${r.sender ?? '-'}\t${r.origin}\t${r.reason}`,
      footer: (n) => `${n} quarantined; to accept one after checking it: \`TRUST_POLICY=off syncdesk replay --force ${config.ingest.storeDir}/<mailId>.eml\``,
    });
  } finally {
    await redis.close();
  }
}
