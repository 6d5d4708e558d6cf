import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { metricsHooks } from '../admin/instrument.ts';
import { createMetrics } from '../admin/metrics.ts';
import { startAdmin } from '../admin/start-admin.ts';
import { cliConfig, cliLogger } from '../app/cli-support.ts';
import type { Runtime } from '../app/runtime.ts';
import { openRuntime } from '../app/runtime.ts';
import { onShutdownSignal } from '../app/run-worker.ts';
import { stopWithin } from './stop-deadline.ts';
import { portNumber } from './usage.ts';

/**
 * `syncdesk listen`: the mail listener only (IMAP, or Microsoft Graph with MAIL_SOURCE=graph);
 * mails it stores are queued for `syncdesk worker`.
 */

export interface Listener {
  stop(): Promise<void>;
  /** For /readyz: is the IMAP session up, and the last error if not. */
  health(): { connected: boolean; lastError: string | null };
}

/** A mailbox to listen to: IMAP_HOST, or the Graph mail source (its keys are checked by the config schema). */
export function mailSourceConfigured(config: Runtime['config']): boolean {
  return config.ingest.mailSource === 'graph' || Boolean(config.imap.host);
}

export async function startListener(runtime: Runtime): Promise<Listener> {
  const graph = runtime.config.ingest.mailSource === 'graph';
  if (!graph && !runtime.config.imap.host) throw new Error('IMAP is not configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD');
  const deps = {
    config: runtime.config,
    redis: runtime.redis.client as Redis,
    ingestor: runtime.ingestor(),
    logger: runtime.logger.child({ component: graph ? 'graph-mail' : 'imap' }),
  };
  const listener = graph
    ? (await import('../ingest/graph-mail-listener.ts')).createGraphMailListener(deps)
    : (await import('../ingest/imap-listener.ts')).createImapListener(deps);
  listener.start();
  return listener;
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('watch the mailbox (IMAP, or Graph with MAIL_SOURCE=graph) and queue every report mail (workers run elsewhere)')
    .option('--admin-port <port>', 'port of the admin server (metrics, health); 0: off (default: ADMIN_PORT or 9464)', portNumber)
    .action(async (opts: { adminPort?: number }) => {
      const config = cliConfig({ 'admin.port': opts.adminPort });
      const logger = cliLogger(config, false);
      const metrics = createMetrics();
      const runtime = await openRuntime(config, logger, metricsHooks(metrics));
      const listener = await startListener(runtime);
      const admin = await startAdmin(runtime, metrics, { imap: listener });
      logger.info({ action: 'listen-ready', mailbox: config.imap.mailbox, redis: runtime.redis.describe }, 'listening');
      await new Promise<void>(() => {
        onShutdownSignal(
          () =>
            stopWithin(
              async () => {
                await admin?.close();
                await listener.stop();
                await runtime.close();
              },
              config.shutdownTimeoutSeconds,
              logger,
            ),
          logger,
        );
      });
    });
}
