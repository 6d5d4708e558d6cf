import { ImapFlow } from 'imapflow';
import type { Config } from '../../schemas/config.schema.ts';
import type { Logger } from '../logger.ts';
import { imapClientOptions, type AccessTokenProvider } from './imap-mail-source.ts';

/**
 * Reads a mailbox by date range for `syncdesk replay --imap`. Its own short-lived session
 * (auto-IDLE off), so a replay never disturbs the listener's IDLE. It touches nothing on
 * the server: no flags, no moves, and not the listener's cursor.
 *
 * IMAP SINCE/BEFORE compare INTERNALDATE by calendar day in the server's time zone, so
 * the search is padded by a day on each side and the result filtered on the exact
 * INTERNALDATE: `since <= internalDate < until`.
 */

export interface ImapFolderMail {
  raw: Buffer;
  uid: number;
  internalDate: Date;
  label: string;
}

export interface ReadImapFolderOptions {
  mailbox: string;
  since: Date;
  until?: Date;
  logger: Logger;
  getAccessToken?: AccessTokenProvider;
  /** UIDs fetched per round trip. @defaultValue 25 */
  batchSize?: number;
}

const DAY_MS = 86_400_000;

export async function* readImapFolder(config: Config, options: ReadImapFolderOptions): AsyncGenerator<ImapFolderMail> {
  const logger = options.logger.child({ component: 'imap-replay', mailbox: options.mailbox });
  const client = new ImapFlow({
    ...(await imapClientOptions(config, logger, options.getAccessToken)),
    disableAutoIdle: true,
  });
  client.on('error', (err: Error) => logger.warn({ err: { message: err.message } }, 'imap replay connection error'));
  const batchSize = options.batchSize ?? 25;
  const since = options.since.getTime();
  const until = options.until?.getTime() ?? Number.POSITIVE_INFINITY;
  await client.connect();
  try {
    const lock = await client.getMailboxLock(options.mailbox, { readOnly: true });
    let uids: number[];
    try {
      const query: { since: Date; before?: Date } = { since: new Date(since - DAY_MS) };
      if (Number.isFinite(until)) query.before = new Date(until + DAY_MS);
      uids = ((await client.search(query, { uid: true })) || []).sort((a, b) => a - b);
    } finally {
      lock.release();
    }
    for (let i = 0; i < uids.length; i += batchSize) {
      const batch: ImapFolderMail[] = [];
      const lock2 = await client.getMailboxLock(options.mailbox, { readOnly: true });
      try {
        // Collect the whole batch first: no other command may run inside a FETCH.
        for await (const m of client.fetch(uids.slice(i, i + batchSize).join(','), { uid: true, source: true, internalDate: true }, { uid: true })) {
          const internalDate = m.internalDate instanceof Date ? m.internalDate : new Date(m.internalDate ?? 0);
          const at = internalDate.getTime();
          if (!m.source || at < since || at >= until) continue;
          batch.push({ raw: m.source, uid: m.uid, internalDate, label: `imap:${options.mailbox}/${m.uid}` });
        }
      } finally {
        lock2.release();
      }
      batch.sort((a, b) => a.uid - b.uid);
      yield* batch;
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}
