import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { ensureSchedules, parseRoles, startWorkers, stopWorkers } from '../app/workers.ts';
import { mailSourceConfigured, startListener, type Listener } from './listen.ts';
import { runUntilSignal } from './stop-deadline.ts';

/** What `syncdesk start` does (loaded when it runs; see start-command.ts). */
export async function runStart(opts: { concurrency: number; listen: boolean; adminPort?: number }): Promise<never> {
  const config = cliConfig({ 'admin.port': opts.adminPort });
  const logger = cliLogger(config, false);
  const metrics = createMetrics();
  const runtime = await openRuntime(config, logger, metricsHooks(metrics));
  const roles = parseRoles(undefined);
  const workers = startWorkers(runtime, roles, { concurrency: opts.concurrency });
  await ensureSchedules(runtime, roles);
  let listener: Listener | null = null;
  if (opts.listen && mailSourceConfigured(config)) listener = await startListener(runtime);
  else logger.warn({ action: 'start' }, 'no mailbox is configured (IMAP_HOST or MAIL_SOURCE=graph): feed mails with `syncdesk replay`');
  const admin = await startAdmin(runtime, metrics, { workers, imap: listener });
  logger.info({ action: 'start-ready', redis: runtime.redis.describe, listening: Boolean(listener) }, 'syncdesk started');
  return runUntilSignal(
    async () => {
      await admin?.close();
      await listener?.stop();
      await stopWorkers(workers, runtime);
    },
    config.shutdownTimeoutSeconds,
    logger,
  );
}
