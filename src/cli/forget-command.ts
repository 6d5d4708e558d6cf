import type { Command } from 'commander';
import { unsearchable } from '../privacy/mentions.ts';
import { UsageError } from './usage.ts';

/**
 * `syncdesk forget <value> [--yes]`: an access or erasure request about one person (or a
 * customer's domain): where syncdesk keeps the value, and with --yes, forgets it there.
 */
export function registerForgetCommand(program: Command): void {
  program
    .command('forget <value>')
    .description("find where syncdesk keeps a person's address, UPN, name or id (ticket state, queues, quarantine, mail store, snapshots) and, with --yes, forget it there; desk tickets are named, not touched")
    .option('--yes', 'remove what was found (without it, only list it)')
    .action(async (value: string, opts: { yes?: boolean }) => {
      const why = unsearchable(value);
      if (why) throw new UsageError(why);
      const { forget } = await import('./forget.ts');
      process.exitCode = await forget(value, { remove: opts.yes === true });
    });
}
