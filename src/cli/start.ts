import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { ensureSchedules, guardAgainstWedgedWorkers, parseRoles, startWorkers, stopWorkers } from '../app/workers.ts';
import { mailSourceConfigured, startListener, type Listener } from './listen.ts';
import { runUntilSignal, stopIfStartFails } from '../app/shutdown.ts';
import { warnIfEvicting } from '../redis/eviction.ts';
import { keepWithinRetention } from '../ingest/store-retention.ts';
import type { Worker } from 'bullmq';
import type { AdminServer } from '../admin/server.ts';

/** What `syncdesk start` does (loaded when it runs; see start-command.ts). */
export async function runStart(opts: { concurrency: number; listen: boolean; adminPort?: number }): Promise<never> {
  const config = cliConfig({ overrides: { 'admin.port': opts.adminPort }, interactive: false });
  const logger = cliLogger(config, { interactive: false });
  const metrics = createMetrics();
  const runtime = await openRuntime(config, logger, metricsHooks(metrics));
  await warnIfEvicting(runtime.redis.client, logger);
  const roles = parseRoles(undefined);
  let workers: Worker[] = [];
  let listener: Listener | null = null;
  let admin: AdminServer | null = null;
  // the mail store of this host: a listener's mails, and replays' into the same folder
  const stopPruning = keepWithinRetention(runtime.store, config.ingest.retentionDays, logger);
  const stop = async (): Promise<void> => {
    stopPruning();
    await admin?.close();
    await listener?.stop();
    await stopWorkers(workers, runtime);
  };
  await stopIfStartFails(stop, async () => {
    workers = startWorkers(runtime, roles, { concurrency: opts.concurrency });
    await ensureSchedules(runtime, roles);
    guardAgainstWedgedWorkers(runtime, workers);
    if (opts.listen && mailSourceConfigured(config)) listener = await startListener(runtime);
    else logger.warn({ action: 'start' }, 'no mailbox is configured (IMAP_HOST or MAIL_SOURCE=graph): feed mails with `syncdesk replay`');
    admin = await startAdmin(runtime, metrics, { workers, mailbox: listener });
  });
  logger.info({ action: 'start-ready', redis: runtime.redis.describe, listening: Boolean(listener) }, 'syncdesk started');
  return runUntilSignal(stop, config.shutdownTimeoutSeconds, logger);
}
