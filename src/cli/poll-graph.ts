import { cliConfig, cliLogger, formatCounts } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { scheduleGraphPoll } from '../app/workers.ts';

/** What `syncdesk poll-graph` does (loaded when it runs; see poll-graph-command.ts). */
export async function runPollGraph(opts: { every?: number }): Promise<void> {
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
      const minutes = opts.every;
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
}
