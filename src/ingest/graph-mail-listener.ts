import type { Redis } from 'ioredis';
import { processedFolderOf, type Config } from '../../schemas/config.schema.ts';
import { TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { createDeltaStore, type DeltaStore } from './graph-delta.ts';
import { graphMailboxFromConfig, isDeltaExpired, MESSAGE_FAILED, MESSAGE_REFUSED, type DeltaPage, type GraphMailbox, type MailItem } from './graph-mailbox.ts';
import { backoffDelay, createListenerLoop, newListenerHealth, RECONNECT_BACKOFF, type ListenerHealth, type MailListener } from './mail-listener.ts';
import type { Ingestor } from './ingest-mail.ts';
import { setAside, setAsideIds } from './set-aside.ts';
import { sweepRequest } from './sweep-request.ts';

/**
 * The Graph mail listener: polls one folder of one mailbox with the delta query, every
 * `graphMail.pollSeconds`, and feeds every new message through the same ingestor (and so
 * the same ledger) as the IMAP listener.
 *
 * Per delta page: the MIME of each new message (`$value`, at most 4 requests in flight),
 * `ingest()` in page order, then the handled ones are moved (or tagged with the category)
 * — only after `ingest()` said their job is durably queued. Then the page's nextLink (or,
 * at the end of the round, its deltaLink) is saved. A crash anywhere in a page replays
 * that page: the ledger answers "duplicate, handled" for what was queued, and moved
 * messages answer 404 to `$value` and are skipped.
 *
 * An expired delta (syncStateNotFound, 410 resyncRequired) starts a full round: every
 * message still in the folder goes through the ledger again, so nothing is queued twice.
 * With categories, messages already tagged are skipped before their MIME is fetched. So does
 * a sweep request (a quarantine release, sweep-request.ts): the released mail is still in the
 * folder, and the delta would not show it again.
 */

/** Rounds a message's content may fail with a 5xx before it is set aside (the folder's other mail reads meanwhile). */
const FAILED_ROUNDS_BEFORE_SET_ASIDE = 3;

/** A round that failed for one message's content, not for the mailbox. */
const isMessageLevel = (err: unknown): boolean => (err as { code?: string } | null)?.code === MESSAGE_FAILED;

export interface GraphListenerHealth extends ListenerHealth {
  /** Full rounds forced by an expired delta state. */
  resyncs: number;
}

export type GraphMailListener = MailListener<GraphListenerHealth>;

export interface GraphMailListenerDeps {
  config: Config;
  redis: Redis;
  ingestor: Ingestor;
  logger: Logger;
  /** Defaults to the Graph client over `graph.*` and `graphMail.mailbox`. */
  mailbox?: GraphMailbox;
  /** Overrides `graphMail.pollSeconds` (tests). */
  pollMs?: number;
  random?: () => number;
}

export function createGraphMailListener(deps: GraphMailListenerDeps): GraphMailListener {
  const { config, ingestor } = deps;
  const gm = config.graphMail;
  const mailbox = deps.mailbox ?? graphMailboxFromConfig(config);
  const log = deps.logger.child({ component: 'graph-mail', mailbox: mailbox.address, folder: gm.folder });
  const pollMs = deps.pollMs ?? gm.pollSeconds * 1000;
  const random = deps.random ?? Math.random;
  const store: DeltaStore = createDeltaStore(deps.redis, { prefix: config.redis.prefix, mailbox: mailbox.address, folder: gm.folder });
  const processed = processedFolderOf(gm);

  const health: GraphListenerHealth = { ...newListenerHealth(), resyncs: 0 };
  let chain: Promise<void> = Promise.resolve();
  let attempt = 0;
  const loop = createListenerLoop(roundThenWait, () => chain);
  /** Rounds in which a message's content failed with a 500 that may pass, by message id. */
  const failedRounds = new Map<string, number>();
  /** A move answered "not there": the message was moved by someone, or the processed folder is gone. */
  let destinationInDoubt = false;

  async function mark(items: MailItem[], destination: string | null): Promise<void> {
    if (destination) {
      const moved = await Promise.all(items.map((m) => mailbox.move(m.id, destination)));
      if (moved.includes(false)) destinationInDoubt = true;
    } else await Promise.all(items.map((m) => mailbox.addCategory(m, gm.markCategory!)));
  }

  async function handlePage(page: DeltaPage, destination: string | null): Promise<void> {
    const passedOver = await setAsideIds(deps.redis, config.redis.prefix);
    const todo = page.messages.filter((m) => !(gm.markCategory && m.categories.includes(gm.markCategory)) && !passedOver.has(m.id));
    // fetched together (the limiter keeps 4 in flight), ingested one by one in page order; one
    // that fails costs the others nothing: they are ingested (and marked) before the round is retried
    const fetched = await Promise.all(todo.map((m) => mailbox.mime(m.id).then((source) => ({ source }), (err: unknown) => ({ err }))));
    const handled: MailItem[] = [];
    for (const [i, item] of todo.entries()) {
      if (loop.stopped) throw new TransientError('stopping', 'Stopping');
      const f = fetched[i]!;
      if (!('source' in f)) continue; // failed: below
      if (!f.source) {
        // moved or deleted since the delta listed it: said, so a report a rule or a colleague moved away can be replayed from where it went
        log.info({ code: 'mail_gone', graphId: item.id, messageId: item.internetMessageId, receivedAt: item.receivedDateTime }, 'a mail left the folder before its content was read (moved or deleted; by syncdesk itself before a restart, or by someone): passed over; `syncdesk replay --graph --folder` reads it where it went');
        continue;
      }
      failedRounds.delete(item.id);
      const at = new Date(item.receivedDateTime);
      const res = await ingestor.ingest(f.source, { origin: 'graph', receivedAt: Number.isNaN(at.getTime()) ? new Date() : at });
      if (res.status === 'queued') health.ingested++;
      if (res.handled) handled.push(item);
    }
    await mark(handled, destination);
    if (handled.length) log.debug({ count: handled.length, how: destination ? 'moved' : 'category' }, 'marked handled');
    const again: unknown[] = [];
    for (const [i, item] of todo.entries()) {
      const f = fetched[i]!;
      if ('err' in f && !(await setAsideIfHopeless(item, f.err))) again.push(f.err);
    }
    // the page is read again: for the mailbox's trouble, if any, else for a message's
    if (again.length) throw again.find((e) => !isMessageLevel(e)) ?? again[0];
  }

  /**
   * A message whose content Exchange refuses (every time), or fails for it round after round
   * while the rest of the folder reads: recorded and passed over, so it holds no report back.
   * False for a failure of the mailbox itself (the round is retried).
   */
  async function setAsideIfHopeless(item: MailItem, err: unknown): Promise<boolean> {
    const code = (err as { code?: string }).code;
    if (code !== MESSAGE_REFUSED && code !== MESSAGE_FAILED) return false;
    const rounds = (failedRounds.get(item.id) ?? 0) + 1;
    if (code === MESSAGE_FAILED && rounds < FAILED_ROUNDS_BEFORE_SET_ASIDE) {
      failedRounds.set(item.id, rounds);
      return false;
    }
    failedRounds.delete(item.id);
    const reason = (err as Error).message;
    await setAside(deps.redis, config.redis.prefix, { id: item.id, mailbox: mailbox.address, internetMessageId: item.internetMessageId, receivedAt: item.receivedDateTime, reason, attempts: rounds, at: new Date().toISOString() });
    log.warn(
      { code: 'mail_set_aside', graphId: item.id, messageId: item.internetMessageId, receivedAt: item.receivedDateTime, reason },
      'a mail whose content the mailbox will not give is set aside and left in the folder; the others go on (`syncdesk failed list`, `failed retry` tries it again)',
    );
    return true;
  }

  async function round(): Promise<void> {
    const watched = await mailbox.folderId(gm.folder);
    let destination = processed ? await mailbox.folderId(processed, { create: true }) : null;
    let state = await store.get();
    if (state && state.folderId !== watched) {
      log.warn({ code: 'folder_changed' }, 'the watched folder has a new id: starting a full round');
      await store.clear();
      state = null;
    }
    let link = state?.link ?? null;
    // the request this round answers, kept with its links (a full round answers the newest one)
    const requested = await sweepRequest(deps.redis, config.redis.prefix);
    const answers = requested ?? state?.sweep ?? null;
    if (requested !== null && requested !== state?.sweep) {
      if (link) log.info({ code: 'sweep' }, 'a sweep was asked for (a quarantine release, or a failed retry): full round through the ledger');
      link = null;
    }
    if (processed && destinationInDoubt) {
      // looked up again (made again if deleted): a move to a deleted folder answers as a message already gone does
      destinationInDoubt = false;
      const again = await mailbox.folderId(processed, { create: true, fresh: true });
      if (again !== destination) {
        log.warn({ code: 'processed_folder_gone', folder: processed }, `the folder ${processed} was gone and is made again; a full round moves the mail left behind`);
        link = null;
      }
      destination = again;
    }
    let resynced = false;
    for (;;) {
      let page: DeltaPage;
      try {
        page = await mailbox.deltaPage(watched, link);
      } catch (err) {
        if (!isDeltaExpired(err) || resynced) throw err;
        log.warn({ code: 'delta_expired', err: { message: (err as Error).message } }, 'delta state expired: full round through the ledger');
        health.resyncs++;
        resynced = true;
        await store.clear();
        link = null;
        continue;
      }
      await handlePage(page, destination);
      if (page.nextLink) {
        await store.save(page.nextLink, 'next', watched, answers);
        link = page.nextLink;
        continue;
      }
      if (page.deltaLink) await store.save(page.deltaLink, 'delta', watched, answers);
      return;
    }
  }

  function markConnected(): void {
    if (!health.connected) health.connectedAt = new Date();
    health.connected = true;
    health.lastError = null;
  }

  /** One round at a time: the poll and syncNow() never overlap. */
  function schedule(): Promise<void> {
    const next = chain.then(async () => {
      if (loop.stopped) return;
      await round();
      markConnected();
      health.lastSyncAt = new Date();
    });
    chain = next.catch(() => undefined);
    return next;
  }

  /** One round, then how long to wait before the next: the poll interval, or a backoff while the mailbox fails. */
  async function roundThenWait(): Promise<number> {
    try {
      await schedule();
      attempt = 0;
      return pollMs;
    } catch (err) {
      if (loop.stopped) return 0;
      const e = err as Error & { retryAfterMs?: number; code?: string };
      if (isMessageLevel(e)) {
        // the mailbox answers, one message's content failed: the mailbox is up, and the page is
        // read again at the next poll (the message set aside after FAILED_ROUNDS_BEFORE_SET_ASIDE)
        attempt = 0;
        markConnected();
        log.warn({ code: 'mail_content_failed', err: { message: e.message, code: e.code }, delayMs: pollMs }, "a mail's content failed; read again at the next poll");
        return pollMs;
      }
      health.connected = false;
      health.lastError = e.message;
      health.reconnects++;
      const wait = Math.max(e.retryAfterMs ?? 0, backoffDelay(attempt++, RECONNECT_BACKOFF, random));
      log.warn({ err: { message: e.message, code: e.code }, delayMs: wait }, 'graph mail round failed; retrying');
      return wait;
    }
  }

  return {
    start() {
      if (loop.start()) log.info({ pollMs, mark: processed ? `move to ${processed}` : `category ${gm.markCategory}` }, 'graph mail listener started');
    },
    stop: () => loop.stop(),
    health: () => ({ ...health }),
    syncNow: () => schedule(),
  };
}
