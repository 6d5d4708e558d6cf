import { createSleeper } from './sleeper.ts';

/**
 * What a mailbox listener is, whichever the mailbox (IMAP: imap-listener.ts; a Graph mail
 * folder: graph-mail-listener.ts): a supervised loop that feeds new mail to the ingestor,
 * reconnecting after a capped exponential backoff with jitter, and says how it is doing.
 */

export interface MailListener<H extends ListenerHealth = ListenerHealth> {
  /** Starts the supervisor in the background; returns at once. */
  start(): void;
  /** Closes the session and stops reconnecting; resolves when everything has stopped. */
  stop(): Promise<void>;
  health(): H;
  /** Runs a catch-up now on the current session (resolves when it finished; no-op when disconnected). */
  syncNow(): Promise<void>;
}

export interface ListenerHealth {
  connected: boolean;
  connectedAt: Date | null;
  lastSyncAt: Date | null;
  lastExistsAt: Date | null;
  reconnects: number;
  ingested: number;
  lastError: string | null;
}

/** A listener's health before its first session. */
export function newListenerHealth(): ListenerHealth {
  return { connected: false, connectedAt: null, lastSyncAt: null, lastExistsAt: null, reconnects: 0, ingested: 0, lastError: null };
}

/** How long a listener waits before it connects again: `backoffBaseMs × backoffFactor^attempt`, at most `backoffMaxMs`, ± `jitterMs`. */
export interface ReconnectBackoff {
  backoffBaseMs: number;
  backoffMaxMs: number;
  backoffFactor: number;
  jitterMs: number;
}

export const RECONNECT_BACKOFF: ReconnectBackoff = { backoffBaseMs: 2000, backoffMaxMs: 30_000, backoffFactor: 1.5, jitterMs: 1000 };

export function backoffDelay(attempt: number, t: ReconnectBackoff, random: () => number): number {
  const base = Math.min(t.backoffMaxMs, t.backoffBaseMs * t.backoffFactor ** attempt);
  return Math.max(0, Math.round(base + (random() * 2 - 1) * t.jitterMs));
}

/** The start and stop of a listener: its cycles run one after another until it is stopped. */
export interface ListenerLoop {
  /** Starts the loop in the background; false if it was running already. */
  start(): boolean;
  /** Stops the loop and resolves once the running cycle is over. */
  stop(): Promise<void>;
  readonly stopped: boolean;
}

/**
 * Runs `cycle` (an IMAP session, a Graph poll) again and again, sleeping between for as long as
 * it says (its poll interval, or a backoff after a failure), until stopped. A cycle answers
 * its own failures: one that throws ends the loop, and `stop()` rethrows it. `interrupt` is what
 * a stop must do for a running cycle to end (close its session, wait out its round); a stop
 * cuts a sleep short.
 */
export function createListenerLoop(cycle: () => Promise<number>, interrupt: () => Promise<void> = async () => {}): ListenerLoop {
  const sleeper = createSleeper();
  let stopped = false;
  let running: Promise<void> | null = null;
  async function loop(): Promise<void> {
    while (!stopped) {
      const wait = await cycle();
      if (!stopped) await sleeper.sleep(wait);
    }
  }
  return {
    start() {
      if (running) return false;
      stopped = false;
      running = loop();
      return true;
    },
    async stop() {
      stopped = true;
      sleeper.wake();
      await interrupt();
      await running;
      running = null;
    },
    get stopped() {
      return stopped;
    },
  };
}
