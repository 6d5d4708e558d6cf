import type { Command } from 'commander';
import { oneOrAll, wholeNumber } from './usage.ts';

/**
 * `syncdesk quarantine list`: mails held back because their sender could not be trusted,
 * and those released; `syncdesk quarantine release <mailId> | --all`: an admin vouches for
 * held mails, which are then ingested again without sender trust and get their tickets;
 * `syncdesk quarantine drop <mailId> | --all`: an admin rejects held mails, which are forgotten.
 */
export function registerQuarantineCommand(program: Command): void {
  const quarantine = program.command('quarantine').description('mails held back by sender trust: list them, release them, drop them');
  quarantine
    .command('list')
    .description('list held mails, newest first, then those released')
    .option('--json', 'one JSON object per line')
    .option('--limit <n>', 'at most this many of each', wholeNumber(1), 100)
    .action(async (opts: { json?: boolean; limit: number }) => {
      const { listQuarantined } = await import('./quarantine.ts');
      await listQuarantined(opts);
    });
  quarantine
    .command('release [mailId]')
    .description('accept a held mail after checking it (its id, or the start of it, from `quarantine list`): ingest it again without sender trust')
    .option('--all', 'release every held mail')
    .option('--by <name>', 'who releases, for the record (default: the login running the command)')
    .action(async (mailId: string | undefined, opts: { all?: boolean; by?: string }) => {
      oneOrAll(mailId, opts.all, 'a mail id', 'syncdesk quarantine list');
      const { releaseQuarantined } = await import('./quarantine.ts');
      process.exitCode = await releaseQuarantined({ mailId, all: opts.all, by: opts.by });
    });
  quarantine
    .command('drop [mailId]')
    .description('reject a held mail (its id, or the start of it, from `quarantine list`): it leaves the quarantine and the mail store; its ledger entry keeps only who dropped it and when, so the same mail is not ticketed if it comes again')
    .option('--all', 'drop every held mail')
    .option('--by <name>', 'who drops it, kept in the ledger (default: the login running the command)')
    .action(async (mailId: string | undefined, opts: { all?: boolean; by?: string }) => {
      oneOrAll(mailId, opts.all, 'a mail id', 'syncdesk quarantine list');
      const { dropQuarantined } = await import('./quarantine.ts');
      process.exitCode = await dropQuarantined({ mailId, all: opts.all, by: opts.by });
    });
}
