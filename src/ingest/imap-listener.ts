import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { Logger } from '../logger.ts';
import { createCursorStore, type CursorStore } from './cursor.ts';
import { imapErrorText } from './imap-error.ts';
import { createImapMailSource } from './imap-mail-source.ts';
import type { Ingestor } from './ingest-mail.ts';
import type { MailConnection, MailSource } from './mail-source.ts';
import { createListenerPresence } from './listener-presence.ts';
import { backoffDelay, createListenerLoop, newListenerHealth, RECONNECT_BACKOFF, type ListenerHealth, type MailListener, type ReconnectBackoff } from './mail-listener.ts';
import { sweepRequest } from './sweep-request.ts';

/**
 * The IMAP listener: one supervised session on one mailbox.
 *
 * - A fresh session per connection; when it ends, a new one after a capped exponential
 *   backoff with jitter. The backoff resets only when the lost session had lived
 *   `stableMs`, so a server that accepts logins and drops them is not hammered.
 * - Catch-up (serialized, never two at once) after every connect, on EXISTS (at once, and
 *   at most one more queued behind a running one), and every `resyncMs` (IDLE can be
 *   silently dead; without IDLE it is the poll). The resync selects the mailbox again: a
 *   mailbox deleted and recreated under the session shows only so (Dovecot stays silent in
 *   IDLE and answers NOOP and SEARCH from the old one until it drops the session, ~5 min).
 * - The cursor says where to look; the ledger (inside the ingestor) decides what is new.
 *   The cursor moves past a message only after `ingest()` returned (its job is durably
 *   queued or it was judged), and the message is marked on the server only after that.
 * - UIDVALIDITY changed: the mailbox is a new generation, every message in it goes
 *   through the ledger again (the same bytes are duplicates, so nothing is re-ingested)
 *   and the cursor is re-baselined.
 * - The catch-up after a connect also sweeps messages left unmarked below the cursor
 *   (a crash between enqueue and marking): the ledger answers "duplicate, handled" and
 *   they get marked. So does the next resync after a quarantine release asked for it.
 */

export interface ListenerTiming extends ReconnectBackoff {
  /** A session that lived this long resets the backoff. */
  stableMs: number;
  resyncMs: number;
  /** Resync interval when the server has no IDLE. */
  pollMs: number;
  /** Replace the session after this long, whatever happens (dead-but-open sockets, token lifetime). */
  maxSessionMs: number;
  batchSize: number;
}

export const DEFAULT_TIMING: ListenerTiming = {
  ...RECONNECT_BACKOFF,
  stableMs: 5 * 60_000,
  // a minute, not ten: it is what finds a mailbox recreated under the session; a SELECT and a
  // SEARCH a minute are nothing to a server
  resyncMs: 60_000,
  pollMs: 60_000,
  maxSessionMs: 55 * 60_000,
  batchSize: 25,
};

export type ImapListener = MailListener;

export interface ImapListenerDeps {
  config: Config;
  redis: Redis;
  ingestor: Ingestor;
  logger: Logger;
  /** Defaults to the imapflow adapter over `config.imap`. */
  source?: MailSource;
  /** Cursor account name (defaults to `config.imap.user`). */
  account?: string;
  mailbox?: string;
  timing?: Partial<ListenerTiming>;
  random?: () => number;
}

export function createImapListener(deps: ImapListenerDeps): ImapListener {
  const { config, redis, ingestor } = deps;
  const mailbox = deps.mailbox ?? config.imap.mailbox;
  const t: ListenerTiming = { ...DEFAULT_TIMING, ...deps.timing };
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ component: 'imap-listener', mailbox });
  const source = deps.source ?? createImapMailSource(config, { logger: deps.logger, mailbox });
  const account = deps.account ?? config.imap.user ?? 'default';
  const cursors: CursorStore = createCursorStore(redis, { prefix: config.redis.prefix, account, mailbox });
  // kept past two resyncs: a listener that stopped is forgotten soon after
  const presence = createListenerPresence(redis, `${config.redis.prefix}:imap:listener:${account}:${mailbox}`, Math.ceil((2.5 * Math.max(t.resyncMs, t.pollMs)) / 1000));
  const othersWarned = new Set<string>();
  let seenBefore: string | null = null;

  async function noteOtherListeners(): Promise<void> {
    const other = await presence.announce();
    // a name seen once may be a listener that just stopped (a restart): one seen again wrote it again, and is alive
    const alive = other !== null && other === seenBefore;
    seenBefore = other;
    if (!alive || othersWarned.has(other)) return;
    othersWarned.add(other);
    log.warn({ code: 'second_listener', other, me: presence.me }, `another syncdesk listener (${other}) watches this mailbox too: nothing is ingested twice, but every mail is fetched and read by both; one listener is enough`);
  }

  const health: ListenerHealth = newListenerHealth();
  let current: MailConnection | null = null;
  let chain: Promise<void> = Promise.resolve();
  let attempt = 0;
  const loop = createListenerLoop(sessionThenBackoff, async () => void (await current?.close()));

  async function processUids(conn: MailConnection, uidValidity: string, uids: number[]): Promise<void> {
    for (let i = 0; i < uids.length && !loop.stopped; i += t.batchSize) {
      const mails = await conn.fetch(uids.slice(i, i + t.batchSize));
      const toMark: number[] = [];
      for (const mail of mails) {
        const res = await ingestor.ingest(mail.source, { origin: 'imap', receivedAt: mail.internalDate });
        if (res.status === 'queued') health.ingested++;
        if (res.handled) toMark.push(mail.uid);
        await cursors.advance(uidValidity, mail.uid);
      }
      if (toMark.length) {
        const how = await conn.markHandled(toMark);
        log.debug({ uids: toMark, how }, 'marked handled');
      }
    }
  }

  /** The sweep request (sweep-request.ts) the last sweep answered: another value asks for another. */
  let answered: string | null = null;

  async function catchUp(conn: MailConnection, sweepAsked: boolean, reselect: boolean): Promise<void> {
    if (reselect || sweepAsked) await noteOtherListeners();
    const requested = reselect || sweepAsked ? await sweepRequest(redis, config.redis.prefix) : null;
    const sweep = sweepAsked || (requested !== null && requested !== answered);
    if (sweep && requested !== null) answered = requested;
    const box = await conn.refresh(reselect);
    const cursor = await cursors.get();
    let uids: number[];
    if (!cursor || cursor.uidValidity !== box.uidValidity) {
      if (cursor) log.warn({ code: 'mailbox_reset', was: cursor.uidValidity, now: box.uidValidity }, 'UIDVALIDITY changed: re-baselining through the ledger');
      await cursors.rebaseline(box.uidValidity, 0);
      uids = await conn.unmarkedUids();
    } else {
      uids = await conn.uidsAfter(cursor.lastUid);
      if (sweep) uids = [...new Set([...(await conn.unmarkedUids()), ...uids])].sort((a, b) => a - b);
    }
    await processUids(conn, box.uidValidity, uids);
    health.lastSyncAt = new Date();
  }

  /** `starting` hears when this catch-up's turn has come (it reads every message there is by then). */
  function schedule(conn: MailConnection, how: { sweep?: boolean; reselect?: boolean }, starting?: () => void): Promise<void> {
    chain = chain
      .then(() => {
        starting?.();
        return loop.stopped || current !== conn ? undefined : catchUp(conn, how.sweep ?? false, how.reselect ?? false);
      })
      .catch((err: Error) => {
        // a stop closes the session under a running catch-up: that is no failure to report
        if (loop.stopped) return void log.debug({ err: { message: err.message } }, 'catch-up ended by the stop');
        health.lastError = err.message;
        log.warn({ err: { message: err.message } }, 'catch-up failed; dropping the session to start over');
        void conn.close();
      });
    return chain;
  }

  async function session(): Promise<void> {
    const conn = await source.connect();
    if (loop.stopped) {
      await conn.close();
      return;
    }
    current = conn;
    health.connected = true;
    health.connectedAt = new Date();
    log.info({ idle: conn.idleSupported }, 'imap session open');
    // A catch-up reads every message past the cursor, so an EXISTS while one is still queued
    // adds nothing to it: a burst of arrivals costs two catch-ups, and a lone mail is read at
    // once (a trailing debounce here cost every report a second before its first ticket).
    let queued = false;
    conn.onExists(() => {
      health.lastExistsAt = new Date();
      if (queued) return;
      queued = true;
      void schedule(conn, {}, () => (queued = false));
    });
    const resync = setInterval(() => void schedule(conn, { reselect: true }), conn.idleSupported ? t.resyncMs : t.pollMs);
    const maxAge = setTimeout(() => {
      log.info('replacing the session (maximum age)');
      void conn.close();
    }, t.maxSessionMs);
    try {
      void schedule(conn, { sweep: true });
      const err = await conn.closed;
      if (err) health.lastError = err.message;
    } finally {
      clearInterval(resync);
      clearTimeout(maxAge);
      current = null;
      health.connected = false;
      await chain; // let a running catch-up fail out before the next session
    }
  }

  /** One session, then how long to wait before the next (the backoff starts over after a stable one). */
  async function sessionThenBackoff(): Promise<number> {
    const started = Date.now();
    try {
      await session();
    } catch (err) {
      health.lastError = imapErrorText(err);
      log.warn({ err: { message: health.lastError, code: (err as { code?: string }).code } }, `imap connect failed: ${health.lastError}`);
    }
    if (loop.stopped) return 0;
    if (Date.now() - started >= t.stableMs) attempt = 0;
    const delay = backoffDelay(attempt++, t, random);
    health.reconnects++;
    log.info({ delayMs: delay, attempt }, 'imap session ended, reconnecting');
    return delay;
  }

  return {
    start: () => loop.start(),
    stop: () => loop.stop(),
    health: () => ({ ...health }),
    async syncNow() {
      if (current) await schedule(current, {});
    },
  };
}
