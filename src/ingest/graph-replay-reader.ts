import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../errors.ts';
import { graphMailboxFromConfig, MESSAGE_REFUSED, type GraphMailbox } from './graph-mailbox.ts';

/**
 * Reads a mailbox folder by date range through Graph for `syncdesk replay --graph`:
 * `$filter=receivedDateTime ge … [and lt …]` on the folder's messages, then each one's
 * MIME. It changes nothing in the mailbox (no move, no category) and leaves the
 * listener's delta state alone; the ledger decides what is new.
 */

export interface GraphFolderMail {
  raw: Buffer;
  id: string;
  receivedAt: Date;
  label: string;
}

export interface ReadGraphFolderOptions {
  mailbox?: string;
  /** @defaultValue graphMail.folder */
  folder?: string;
  since: Date;
  until?: Date;
  /** Tests inject the mailbox. */
  graphMailbox?: GraphMailbox;
  /** Hears a message whose content Exchange will not give: passed over, the others read. */
  onRefused?: (label: string, reason: string) => void;
}

export async function* readGraphFolder(config: Config, options: ReadGraphFolderOptions): AsyncGenerator<GraphFolderMail> {
  const mailbox = options.graphMailbox ?? graphMailboxFromConfig(config, { mailbox: options.mailbox });
  const folder = options.folder ?? config.graphMail.folder;
  const folderId = await mailbox.folderId(folder);
  for await (const item of mailbox.listReceived(folderId, options.since, options.until)) {
    const label = `graph:${mailbox.address}/${folder}/${item.id}`;
    let raw: Buffer | null;
    try {
      raw = await mailbox.mime(item.id);
    } catch (err) {
      if (!(err instanceof PermanentError && err.code === MESSAGE_REFUSED) || !options.onRefused) throw err;
      options.onRefused(label, err.message);
      continue;
    }
    if (!raw) continue; // moved or deleted while we read
    yield { raw, id: item.id, receivedAt: new Date(item.receivedDateTime), label };
  }
}
