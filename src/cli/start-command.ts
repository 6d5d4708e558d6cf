import type { Command } from 'commander';
import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import { openRuntime } from '../app/runtime.ts';
import { ensureSchedules, parseRoles, startWorkers, stopWorkers } from '../app/workers.ts';
import { onShutdownSignal } from '../app/run-worker.ts';
import { mailSourceConfigured, startListener, type Listener } from './listen-command.ts';
import { stopWithin } from './stop-deadline.ts';
import { portNumber, wholeNumber } from './usage.ts';

/**
 * `syncdesk start`: everything in one process: the IMAP listener (when IMAP is configured)
 * and the parse, resolve and ticket workers. SIGTERM stops the listener first, then lets
 * running jobs finish, for at most SHUTDOWN_TIMEOUT_SECONDS.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the IMAP listener and all workers in one process')
    .option('--concurrency <n>', 'jobs per queue at once', wholeNumber(1), 2)
    .option('--no-listen', 'workers only, even when IMAP is configured')
    .option('--admin-port <port>', 'port of the admin server (metrics, health, dashboard); 0: off (default: ADMIN_PORT or 9464)', portNumber)
    .action(async (opts: { concurrency: number; listen: boolean; adminPort?: number }) => {
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
      await new Promise<void>(() => {
        onShutdownSignal(
          () =>
            stopWithin(
              async () => {
                await admin?.close();
                await listener?.stop();
                await stopWorkers(workers, runtime);
              },
              config.shutdownTimeoutSeconds,
              logger,
            ),
          logger,
        );
      });
    });
}
