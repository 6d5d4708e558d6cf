import type { Redis } from 'ioredis';
import type { MailboxHealth } from '../admin/server.ts';
import type { Runtime } from '../app/runtime.ts';
import { announce } from '../app/workers.ts';
import { forgetHost } from '../app/hosts.ts';
import { ConfigError } from '../config.ts';
import type { GraphMailListener, GraphMailListenerDeps } from '../ingest/graph-mail-listener.ts';
import { keepWithinRetention } from '../ingest/store-retention.ts';
import { runService } from './service.ts';

/** What `syncdesk listen` does (loaded when it runs; see listen-command.ts); `start` listens the same way. */

export interface Listener {
  stop(): Promise<void>;
  /** For /readyz: which mailbox source, is its session up, and the last error if not. */
  health(): MailboxHealth;
}

/** A mailbox to listen to: IMAP_HOST, or the Graph mail source (its keys are checked by the config schema). */
export function mailSourceConfigured(config: Runtime['config']): boolean {
  return config.ingest.mailSource === 'graph' || Boolean(config.imap.host);
}

/** The Graph mailbox's listener, its requests and 429s seen by the Graph metrics as the lookups' are. */
async function graphListener(runtime: Runtime, deps: Omit<GraphMailListenerDeps, 'mailbox'>): Promise<GraphMailListener> {
  const [{ createGraphMailListener }, { graphMailboxFromConfig }] = await Promise.all([import('../ingest/graph-mail-listener.ts'), import('../ingest/graph-mailbox.ts')]);
  return createGraphMailListener({ ...deps, mailbox: graphMailboxFromConfig(runtime.config, { observe: runtime.observeGraph }) });
}

export async function startListener(runtime: Runtime): Promise<Listener> {
  const graph = runtime.config.ingest.mailSource === 'graph';
  if (!graph && !runtime.config.imap.host) throw new ConfigError(['IMAP is not configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD (or MAIL_SOURCE=graph)']);
  const deps = {
    config: runtime.config,
    redis: runtime.redis.client as Redis,
    ingestor: runtime.ingestor(),
    // each listener names its own component: a second binding here would put the key twice in every line
    logger: runtime.logger,
  };
  const listener = graph ? await graphListener(runtime, deps) : (await import('../ingest/imap-listener.ts')).createImapListener(deps);
  listener.start();
  announce(runtime, ['listen']);
  const source = graph ? 'graph-mailbox' : 'imap';
  return {
    stop: async () => {
      await listener.stop();
      // stopped cleanly: no longer a host that must agree (hosts.ts)
      await forgetHost(runtime.redis.client, runtime.redis.queuePrefix).catch(() => undefined);
    },
    health: () => {
      const { connected, lastError } = listener.health();
      return { source, connected, lastError };
    },
  };
}

export async function runListen(opts: { adminPort?: number }): Promise<never> {
  return runService(opts, async (runtime, adding) => {
    const { config, logger } = runtime;
    adding({ stops: [keepWithinRetention({ store: runtime.store, redis: runtime.redis.client as Redis, prefix: config.redis.prefix }, config.ingest.retentionDays, logger)] });
    const listener = await startListener(runtime);
    adding({ mailbox: listener, stops: [() => listener.stop()] });
    const graph = config.ingest.mailSource === 'graph';
    const mailbox = graph ? `${config.graphMail.mailbox}/${config.graphMail.folder}` : config.imap.mailbox;
    return { ready: () => logger.info({ action: 'listen-ready', source: graph ? 'graph-mailbox' : 'imap', mailbox, redis: runtime.redis.describe }, 'listening') };
  });
}
