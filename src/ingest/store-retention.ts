import type { Logger } from '../logger.ts';
import type { MailStore } from './mail-store.ts';

const DAY_MS = 86_400_000;

/**
 * Keeps the mail store within MAIL_RETENTION_DAYS in a long-running process (`start`, `listen`):
 * once when it starts, then daily. A mail past it is gone from the store; its ledger entry
 * stays, so a copy of it is still known (blind37 L4: nothing ever called the store's prune).
 * Returns the stop.
 */
export function keepWithinRetention(store: Pick<MailStore, 'prune'>, retentionDays: number, logger: Logger, everyMs = DAY_MS): () => void {
  let running: Promise<void> | null = null;
  const prune = (): void => {
    running ??= store
      .prune()
      .then((removed) => {
        if (removed.length) logger.info({ action: 'store-pruned', removed: removed.length, retentionDays }, `mail store: ${removed.length} mail(s) kept longer than ${retentionDays} days removed`);
      })
      .catch((err: Error) => logger.warn({ action: 'store-prune-failed', err: err.message }, 'mail store: old mails could not be removed (tried again tomorrow)'))
      .finally(() => (running = null));
  };
  prune();
  const timer = setInterval(prune, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
