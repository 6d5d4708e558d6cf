import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { MailStore } from './mail-store.ts';
import { forgetHeld, forgetReleasedBefore } from './quarantine.ts';

const DAY_MS = 86_400_000;

/**
 * Keeps the mail store within MAIL_RETENTION_DAYS in a long-running process (`start`, `listen`):
 * once when it starts, then daily. A mail past it is gone from the store, and so are its
 * quarantine entries (a held mail can no longer be released without its bytes) and the
 * release history as old; its ledger entry stays, so a copy of it is still known.
 * Returns the stop.
 */
export function keepWithinRetention(
  { store, redis, prefix }: { store: Pick<MailStore, 'prune'>; redis: Redis; prefix: string },
  retentionDays: number,
  logger: Logger,
  everyMs = DAY_MS,
): () => void {
  let running: Promise<void> | null = null;
  const prune = async (): Promise<void> => {
    const removed = await store.prune();
    const held = await forgetHeld(redis, prefix, new Set(removed));
    const released = await forgetReleasedBefore(redis, prefix, new Date(Date.now() - retentionDays * DAY_MS));
    if (removed.length || released)
      logger.info(
        { action: 'store-pruned', removed: removed.length, quarantined: held, released, retentionDays },
        `mail store: ${removed.length} mail(s) kept longer than ${retentionDays} days removed` +
          (held || released ? `, with ${held} held in quarantine and ${released} entr${released === 1 ? 'y' : 'ies'} of the release history` : ''),
      );
  };
  const pruneOnce = (): void => {
    running ??= prune()
      .catch((err: Error) => logger.warn({ action: 'store-prune-failed', err: err.message }, 'mail store: old mails could not be removed (tried again tomorrow)'))
      .finally(() => (running = null));
  };
  pruneOnce();
  const timer = setInterval(pruneOnce, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
