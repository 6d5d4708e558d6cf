import type { Command } from 'commander';
import { cliConfig, cliLogger, formatCounts } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { scheduleGraphPoll } from '../app/workers.ts';

/**
 * `syncdesk poll-graph`: asks Microsoft Graph for the tenant's current sync errors
 * (onPremisesProvisioningErrors) and queues them as a report, without waiting for the
 * daily mail. `--every <minutes>` installs it as a schedule run by `syncdesk worker` (the poll role).
 */
export function registerPollGraphCommand(program: Command): void {
  program
    .command('poll-graph')
    .description('fetch current sync errors from Microsoft Graph and queue them (or schedule that with --every)')
    .option('--every <minutes>', 'install a repeating poll run by the workers (0 removes it)')
    .action(async (opts: { every?: string }) => {
      const config = cliConfig();
      const logger = cliLogger(config);
      const runtime = await openRuntime(config, logger);
      try {
        const poll = runtime.pollGraph();
        if (!poll) {
          process.stderr.write('syncdesk poll-graph: Microsoft Graph is not configured (GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity; or GRAPH_TENANTS_FILE)\n');
          process.exitCode = 2;
          return;
        }
        if (opts.every !== undefined) {
          const minutes = Number(opts.every);
          if (!Number.isFinite(minutes) || minutes < 0) throw new Error('--every takes minutes (0 removes the schedule)');
          await scheduleGraphPoll(runtime.queues, minutes * 60_000);
          process.stdout.write(minutes ? `Graph poll scheduled every ${minutes} min (run by \`syncdesk worker\`)\n` : 'Graph poll schedule removed\n');
          return;
        }
        const queued = await poll();
        const counts = { queued: queued.filter((q) => q.added).length, 'already queued': queued.filter((q) => !q.added).length };
        const errors = queued.reduce((n, q) => n + q.errors, 0);
        process.stdout.write(`Graph: ${queued.length} report(s), ${errors} error(s): ${formatCounts(counts)}\n`);
      } finally {
        await runtime.close();
      }
    });
}
