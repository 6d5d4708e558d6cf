import type { Command } from 'commander';
import { portNumber } from './usage.ts';

/**
 * `syncdesk listen`: the mail listener only (IMAP, or Microsoft Graph with MAIL_SOURCE=graph);
 * mails it stores are queued for `syncdesk worker`.
 */
export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('watch the mailbox (IMAP, or Graph with MAIL_SOURCE=graph) and queue every report mail (workers run elsewhere)')
    .option('--admin-port <port>', 'port of the admin server (metrics, health); 0: off (default: ADMIN_PORT or 9464)', portNumber)
    .action(async (opts: { adminPort?: number }) => {
      const { runListen } = await import('./listen.ts');
      await runListen(opts);
    });
}
