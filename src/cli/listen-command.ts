import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { cliConfig, cliLogger } from '../pipeline/cli-support.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import { openRuntime } from '../pipeline/runtime.ts';
import { onShutdownSignal } from '../../workers/run-worker.ts';

/** `syncdesk listen`: the IMAP listener only; mails it stores are queued for `syncdesk worker`. */

export interface Listener {
  stop(): Promise<void>;
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
    .action(async () => {
      const config = cliConfig();
      const logger = cliLogger(config, false);
      const runtime = await openRuntime(config, logger);
      const listener = await startListener(runtime);
      logger.info({ action: 'listen-ready', mailbox: config.imap.mailbox, redis: runtime.redis.describe }, 'listening');
      await new Promise<void>(() => {
        onShutdownSignal(async () => {
          await listener.stop();
          await runtime.close();
        }, logger);
      });
    });
}
