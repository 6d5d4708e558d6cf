import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import type { Runtime } from '../app/runtime.ts';
import { openRuntime } from '../app/runtime.ts';
import { onShutdownSignal } from '../app/run-worker.ts';

/** `syncdesk listen`: the IMAP listener only; mails it stores are queued for `syncdesk worker`. */

export interface Listener {
  stop(): Promise<void>;
  /** For /readyz: is the IMAP session up, and the last error if not. */
  health(): { connected: boolean; lastError: string | null };
}

export async function startListener(runtime: Runtime): Promise<Listener> {
  if (!runtime.config.imap.host) throw new Error('IMAP is not configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD');
  const { createImapListener } = await import('../ingest/imap-listener.ts');
  const listener = createImapListener({
    config: runtime.config,
    redis: runtime.redis.client as Redis,
    ingestor: runtime.ingestor(),
    logger: runtime.logger.child({ component: 'imap' }),
  });
  listener.start();
  return listener;
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('watch the IMAP mailbox and queue every report mail (workers run elsewhere)')
    .option('--admin-port <port>', 'port of the admin server (metrics, health); 0: off (default: ADMIN_PORT or 9464)')
    .action(async (opts: { adminPort?: string }) => {
      const config = cliConfig({ 'admin.port': opts.adminPort });
      const logger = cliLogger(config, false);
      const metrics = createMetrics();
      const runtime = await openRuntime(config, logger, metricsHooks(metrics));
      const listener = await startListener(runtime);
      const admin = await startAdmin(runtime, metrics, { imap: listener });
      logger.info({ action: 'listen-ready', mailbox: config.imap.mailbox, redis: runtime.redis.describe }, 'listening');
      await new Promise<void>(() => {
        onShutdownSignal(async () => {
          await admin?.close();
          await listener.stop();
          await runtime.close();
        }, logger);
      });
    });
}
