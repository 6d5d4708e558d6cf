import type { Command } from 'commander';
import type { ReplayOptions } from './replay.ts';
import { dateValue, UsageError } from './usage.ts';

/**
 * `syncdesk replay <files|dirs|mbox...>`, `syncdesk replay --imap --mailbox NAME --since DATE` and
 * `syncdesk replay --graph --mailbox ADDRESS [--folder NAME] --since DATE`:
 * feeds old mails through the pipeline. Mails seen before are skipped unless `--force`.
 * Files and mbox skip sender trust unless `--verify-senders`; IMAP and Graph follow TRUST_POLICY.
 * `--dry-run` takes the ingestor's own decisions (ledger, sender trust, duplicates, size)
 * read-only and plans the ticket actions of what a real run would queue: each mail gets the
 * outcome a real run would print, and nothing changes (no queue, ticket, ledger or mail store).
 * `--json` prints one JSON document (every mail, its outcome and ticket actions; totals).
 */
export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description('feed old mails (files, folders, mbox, an IMAP folder or a Graph mailbox folder) through the pipeline')
    .argument('[paths...]', 'mail files, folders or mbox files')
    .option('--imap', 'read from the IMAP server instead of files')
    .option('--graph', 'read a mailbox folder through Microsoft Graph (graph.* credentials)')
    .option('--mailbox <name>', 'IMAP: folder to read (default: IMAP_MAILBOX); Graph: the mailbox address (default: GRAPH_MAILBOX)')
    .option('--folder <name>', 'Graph: folder to read (default: GRAPH_MAIL_FOLDER)')
    .option('--since <date>', 'IMAP/Graph: mails received on or after this date', dateValue)
    .option('--until <date>', 'IMAP/Graph: mails received before this date', dateValue)
    .option('--dry-run', 'say what a real run would do with each mail (same ledger, sender trust and ticket decisions); change nothing')
    .option('--force', 'run mails again even if they were seen before')
    .option('--verify-senders', 'files and mbox: check sender trust as the listener does (default: trusted, the admin vouches for them)')
    .option('--wait', 'process in this process and wait, even when other workers are running')
    .option('--json', 'one JSON document on stdout: each mail, its outcome and ticket actions, and totals')
    .action(async (paths: string[], opts: ReplayOptions) => {
      const source = opts.imap ? '--imap' : opts.graph ? '--graph' : null;
      if (opts.imap && opts.graph) throw new UsageError('give --imap or --graph, not both');
      if (source && !opts.since) throw new UsageError(`${source} needs --since DATE`);
      if (source && paths.length) throw new UsageError(`give files or ${source}, not both`);
      if (!source && !paths.length) throw new UsageError('give files, folders or mbox files to replay, or --imap/--graph with --since DATE');
      // a mailbox's options on files would be ignored: the admin would replay more than meant
      const mailboxOnly = (['since', 'until', 'mailbox'] as const).find((o) => opts[o] !== undefined);
      if (!source && mailboxOnly) throw new UsageError(`--${mailboxOnly} is for --imap or --graph; files are replayed whole`);
      if (opts.folder !== undefined && !opts.graph) throw new UsageError('--folder is for --graph (an IMAP folder is --mailbox)');
      if (opts.since && opts.until && opts.until <= opts.since) throw new UsageError('--until must be after --since');
      const { runReplay } = await import('./replay.ts');
      process.exitCode = await runReplay(paths, opts);
    });
}
