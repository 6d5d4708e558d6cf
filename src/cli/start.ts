import type { Redis } from 'ioredis';
import { ensureSchedules, guardAgainstWedgedWorkers, parseRoles, startWorkers } from '../app/workers.ts';
import { keepWithinRetention } from '../ingest/store-retention.ts';
import { mailSourceConfigured, startListener } from './listen.ts';
import { runService } from './service.ts';

/** What `syncdesk start` does (loaded when it runs; see start-command.ts). */
export async function runStart(opts: { concurrency: number; listen: boolean; adminPort?: number }): Promise<never> {
  return runService(opts, async (runtime, adding) => {
    const { config, logger } = runtime;
    // the mail store of this host: a listener's mails, and replays' into the same folder
    adding({ stops: [keepWithinRetention({ store: runtime.store, redis: runtime.redis.client as Redis, prefix: config.redis.prefix }, config.ingest.retentionDays, logger)] });
    const roles = parseRoles(undefined);
    const workers = startWorkers(runtime, roles, { concurrency: opts.concurrency });
    adding({ workers });
    await ensureSchedules(runtime, roles);
    guardAgainstWedgedWorkers(runtime, workers);
    const listener = opts.listen && mailSourceConfigured(config) ? await startListener(runtime) : null;
    if (listener) adding({ mailbox: listener, stops: [() => listener.stop()] });
    else logger.warn({ action: 'start' }, 'no mailbox is configured (IMAP_HOST or MAIL_SOURCE=graph): feed mails with `syncdesk replay`');
    return { ready: () => logger.info({ action: 'start-ready', redis: runtime.redis.describe, listening: Boolean(listener) }, 'syncdesk started') };
  });
}
