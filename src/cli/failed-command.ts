import type { Command } from 'commander';
import { oneOrAll } from './usage.ts';

/**
 * `syncdesk failed list` and `syncdesk failed retry <id> | --all`: jobs that failed for
 * good stay in Redis with their reason until retried here, and so do mails the parser
 * could not read (kept in the mail store, `rejected` in the ledger): retrying one parses
 * it again, after a fix, and queues its reports; `failed drop` takes one off the list for good.
 */
export function registerFailedCommand(program: Command): void {
  const failed = program.command('failed').description('jobs that failed for good and mails that could not be read: list them, retry them, drop them');
  failed
    .command('list')
    .description('list failed jobs and unreadable mails with their reason')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }) => {
      const { printFailed } = await import('./failed.ts');
      await printFailed(opts);
    });
  failed
    .command('retry [id]')
    .description('put a failed job (or all of them) back in its queue; parse a kept mail again, a replayed one without sender trust (the start of an id will do); with no worker running, work them here')
    .option('--all', 'retry every failed job and mail')
    .action(async (id: string | undefined, opts: { all?: boolean }) => {
      oneOrAll(id, opts.all, 'a job id', 'syncdesk failed list');
      const { retryFailedCommand } = await import('./failed.ts');
      process.exitCode = await retryFailedCommand(id, opts);
    });
  failed
    .command('drop [id]')
    .description('take a failed mail (even one no longer in the mail store), a mailbox message set aside, or a lookup its report went on without off the list for good, once dealt with; a ticket job is retried, not dropped')
    .option('--all', 'drop every failed mail, message and lookup')
    .option('--by <name>', 'who drops it, kept in the ledger (default: the login behind sudo, else the current user)')
    .action(async (id: string | undefined, opts: { all?: boolean; by?: string }) => {
      oneOrAll(id, opts.all, 'a job or mail id', 'syncdesk failed list');
      const { dropFailedCommand } = await import('./failed.ts');
      process.exitCode = await dropFailedCommand(id, opts);
    });
}
