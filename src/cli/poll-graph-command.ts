import type { Command } from 'commander';
import { numberAtLeast } from './usage.ts';

/**
 * `syncdesk poll-graph`: asks Microsoft Graph for the tenant's current sync errors
 * (onPremisesProvisioningErrors) and queues them as a report, without waiting for the
 * daily mail. `--every <minutes>` installs it as a schedule run by `syncdesk worker` (the poll role).
 */
export function registerPollGraphCommand(program: Command): void {
  program
    .command('poll-graph')
    .description('fetch current sync errors from Microsoft Graph and queue them (or schedule that with --every)')
    .option('--every <minutes>', 'install a repeating poll run by the workers (0 removes it)', numberAtLeast(0))
    .action(async (opts: { every?: number }) => {
      const { runPollGraph } = await import('./poll-graph.ts');
      await runPollGraph(opts);
    });
}
