import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliConfig, cliLogger, formatCounts } from '../app/cli-support.ts';
import { waitForDrain } from '../app/queue-drain.ts';
import { openRuntime } from '../app/runtime.ts';
import { watchWorkers } from '../app/worker-tally.ts';
import { DRAINED_CLOSE_GRACE_MS, startWorkers, stopWorkers } from '../app/workers.ts';
import { terminalText } from '../terminal-text.ts';
import { fileInputs, inRunOrder } from './replay-order.ts';

/** What `syncdesk demo` does (loaded when it runs; see demo-command.ts). */

const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

async function countTicketFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).filter((n) => n.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

export interface DemoOptions {
  dir?: string;
  /** Seconds to wait for the queues. @defaultValue 300 */
  timeout?: number;
}

export async function runDemo(options: DemoOptions, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  // the samples are not DKIM-signed by Microsoft: trust them unless the admin chose a policy
  const defaults: Record<string, unknown> = { 'ingest.trustPolicy': 'off' };
  const inputDir = resolve(options.dir ?? EXAMPLES_DIR);
  // the sample tenants' directories ship as snapshots: the tickets name who holds each value
  if (inputDir === resolve(EXAMPLES_DIR)) defaults['graph.snapshotDir'] = resolve(EXAMPLES_DIR, 'snapshots');
  const config = cliConfig({ overrides: { 'ticket.sink': 'file' }, defaults });
  const logger = cliLogger(config);
  // reasons can quote a mail of --dir: a control character in it is shown, not obeyed
  const print = (line = '') => out.write(`${terminalText(line)}\n`);

  const runtime = await openRuntime(config, logger);
  // quick stall detection: a demo should not sit 30 s on a job whose worker vanished
  const workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4, stalledIntervalMs: 5_000 });
  const tally = watchWorkers(workers);
  try {
    print(`syncdesk demo`);
    print(`  Redis:    ${runtime.redis.describe}`);
    const ingest = runtime.ingestor();
    const statuses: Record<string, number> = {};
    const rejected: string[] = [];
    let mails = 0;
    // in the order of their runs, as replay reads them (a folder's file order made
    // an older report come after a newer one, and the demo skipped what replay applied)
    for await (const input of inRunOrder(fileInputs([inputDir]), config.ingest.maxMailBytes, () => {})) {
      mails++;
      const result = await ingest.ingest(input.raw, { origin: input.origin, receivedAt: input.receivedAt });
      statuses[result.status] = (statuses[result.status] ?? 0) + 1;
      if (result.status === 'rejected') rejected.push(result.reason ?? 'rejected');
      // one mail at a time, as they would arrive: the ticket stage applies a tenant's
      // reports in order, and the demo's result should not depend on which worker wins
      if (result.status === 'queued') await waitForDrain(runtime.queues, { timeoutMs: (options.timeout ?? 300) * 1000 });
    }
    print(`  Mails:    ${mails} read from ${inputDir}: ${formatCounts(statuses)}`);
    const drained = await waitForDrain(runtime.queues, { timeoutMs: (options.timeout ?? 300) * 1000 });
    if (!drained) print(`  Warning:  the queues did not empty within ${options.timeout ?? 300} s; see \`syncdesk status\``);

    const errors = Object.values(tally.errorsByCategory).reduce((a, b) => a + b, 0);
    const t = tally.ticketActions;
    const updated = (t.note ?? 0) + (t.reopen ?? 0) + (t.resolve ?? 0) + (t.followup ?? 0);
    print(`  Reports:  ${tally.reports} parsed (${tally.tenants.size} tenant${tally.tenants.size === 1 ? '' : 's'}), ${errors} errors`);
    if (errors) print(`  Errors:   ${formatCounts(tally.errorsByCategory)}`);
    if (rejected.length) print(`  Rejected: ${rejected.length} (${rejected.map((r) => r.split(':')[0]).join(', ')}); kept, see \`syncdesk failed list\``);
    print(`  Tickets:  ${t.create ?? 0} created, ${updated} updated, ${t.unchanged ?? 0} unchanged` + (Object.keys(t).length ? ` (${formatCounts(t)})` : ''));
    print(`  Ticket files: ${resolve(config.ticket.fileDir)}`);
    if (tally.failed.length) {
      print(`  Failed jobs: ${tally.failed.length}; see \`syncdesk failed list\``);
      for (const f of tally.failed.slice(0, 5)) print(`    ${f.queue} ${f.jobId}: ${f.reason}`);
    }
    if (!(statuses.queued ?? 0) && mails) {
      const existing = await countTicketFiles(config.ticket.fileDir);
      print(`  (every mail was seen before: nothing new to do; ${existing} ticket${existing === 1 ? '' : 's'} already in the folder above)`);
    }
    return tally.failed.length || !drained ? 1 : 0;
  } finally {
    await stopWorkers(workers, runtime, { graceMs: DRAINED_CLOSE_GRACE_MS });
  }
}
