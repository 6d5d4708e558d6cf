import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { listQuarantine } from '../ingest/sender-trust.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRedis } from '../redis/connection.ts';

/** `syncdesk quarantine list`: mails held back because their sender could not be trusted. */
export function registerQuarantineCommand(program: Command): void {
  const quarantine = program.command('quarantine').description('mails held back by sender trust');
  quarantine
    .command('list')
    .description('list quarantined mails, newest first')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: { json?: boolean; limit: string }) => {
      const config = cliConfig();
      const redis = await openRedis(config, cliLogger(config));
      try {
        const rows = await listQuarantine(redis.client as Redis, config.redis.prefix, Number(opts.limit));
        if (opts.json) {
          for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
          return;
        }
        if (!rows.length) {
          process.stdout.write('no quarantined mails\n');
          return;
        }
        for (const r of rows) process.stdout.write(`${r.at}\t${r.mailId.slice(0, 12)}\t${r.sender ?? '-'}\t${r.origin}\t${r.reason}\n`);
        process.stdout.write(
          `${rows.length} quarantined; to accept one after checking it: \`TRUST_POLICY=off syncdesk replay --force ${config.ingest.storeDir}/<mailId>.eml\`\n`,
        );
      } finally {
        await redis.close();
      }
    });
}
