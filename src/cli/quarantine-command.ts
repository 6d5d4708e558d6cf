import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { listQuarantine } from '../ingest/sender-trust.ts';
import { cliConfig, cliLogger, writeRows } from '../app/cli-support.ts';
import { openRedis } from '../redis/connection.ts';
import { wholeNumber } from './usage.ts';

/** `syncdesk quarantine list`: mails held back because their sender could not be trusted. */
export function registerQuarantineCommand(program: Command): void {
  const quarantine = program.command('quarantine').description('mails held back by sender trust');
  quarantine
    .command('list')
    .description('list quarantined mails, newest first')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'at most this many', wholeNumber(1), 100)
    .action(async (opts: { json?: boolean; limit: number }) => {
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
    });
}
