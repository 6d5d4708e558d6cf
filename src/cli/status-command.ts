import type { Command } from 'commander';
import { wholeNumber } from './usage.ts';

/**
 * `syncdesk status`: where things stand. Recent mails and what became of them (the ledger's word), open
 * problems per tenant and category (from the ticket stage's state), quarantined mails,
 * queue depths and failed jobs.
 */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('recent reports, open problems per tenant, quarantine, queues and failed jobs')
    .option('--recent <n>', 'how many recent mails to show', wholeNumber(0), 10)
    .option('--json', 'one JSON object: the same facts, for scripts and monitoring')
    .action(async (opts: { recent: number; json?: boolean }) => {
      const { printStatus } = await import('./status.ts');
      await printStatus(opts);
    });
}
