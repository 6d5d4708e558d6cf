import type { Config } from '../../schemas/config.schema.ts';
import { graphMailboxFromConfig, type GraphMailbox } from './graph-mailbox.ts';

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
}

export async function* readGraphFolder(config: Config, options: ReadGraphFolderOptions): AsyncGenerator<GraphFolderMail> {
  const mailbox = options.graphMailbox ?? graphMailboxFromConfig(config, { mailbox: options.mailbox });
  const folder = options.folder ?? config.graphMail.folder;
  const folderId = await mailbox.folderId(folder);
  for await (const item of mailbox.listReceived(folderId, options.since, options.until)) {
    const raw = await mailbox.mime(item.id);
    if (!raw) continue; // moved or deleted while we read
    yield { raw, id: item.id, receivedAt: new Date(item.receivedDateTime), label: `graph:${mailbox.address}/${folder}/${item.id}` };
  }
}
