import type { Command } from 'commander';
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
      const { listQuarantined } = await import('./quarantine.ts');
      await listQuarantined(opts);
    });
}
