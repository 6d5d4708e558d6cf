import type { Command } from 'commander';
import { portNumber, wholeNumber } from './usage.ts';

/**
 * `syncdesk start`: everything in one process: the IMAP listener (when IMAP is configured)
 * and the parse, resolve and ticket workers. SIGTERM stops the listener first, then lets
 * running jobs finish, for at most SHUTDOWN_TIMEOUT_SECONDS.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the mail listener (IMAP, or the Graph mailbox with MAIL_SOURCE=graph) and all workers in one process')
    .option('--concurrency <n>', 'jobs per queue at once (lookups: four times as many)', wholeNumber(1), 2)
    .option('--no-listen', 'workers only, even when a mailbox is configured')
    .option('--admin-port <port>', 'port of the admin server (metrics, health, dashboard); 0: off (default: ADMIN_PORT or 9464)', portNumber)
    .action(async (opts: { concurrency: number; listen: boolean; adminPort?: number }) => {
      const { runStart } = await import('./start.ts');
      await runStart(opts);
    });
}
