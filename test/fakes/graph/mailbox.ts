import { randomBytes } from 'node:crypto';

/**
 * The state of a fake Exchange mailbox: folders (with Graph's well-known names), messages
 * holding their raw MIME, and a change sequence the delta query reads. As in Exchange, a
 * moved message is a new item with a new id in the destination folder, and its old id is
 * gone (a `@removed` entry in the source folder's next delta round).
 */

export interface FakeFolder {
  id: string;
  displayName: string;
  parentId: string | null;
  wellKnownName: string | null;
}

export interface FakeMessage {
  id: string;
  folderId: string;
  mime: Buffer;
  receivedDateTime: string;
  internetMessageId: string | null;
  subject: string;
  categories: string[];
  /** Sequence number of its arrival in this folder (created), and of its last change. */
  createdSeq: number;
  changedSeq: number;
}

export interface FakeMailbox {
  address: string;
  folders: FakeFolder[];
  messages: FakeMessage[];
  /** Ids that left a folder (moved or deleted), for `@removed` entries. */
  removed: Array<{ id: string; folderId: string; seq: number }>;
  seq: number;
  /**
   * Client ids the Exchange scope lets in (RBAC for Applications or an application access
   * policy); absent: every app with the permission.
   */
  scopedApps?: string[];
  /**
   * Mail permissions Exchange's RBAC for Applications gives an app on this mailbox (client id →
   * `Mail.Read` / `Mail.ReadWrite`): they add up with the token's roles, and are not in the token
   * (an app granted this way has no Entra API permission: Microsoft's "Role Based Access Control
   * for Applications in Exchange Online").
   */
  exchangeGrants?: Record<string, string[]>;
}

const newId = (): string => `AAMk${randomBytes(24).toString('base64url')}=`;

const WELL_KNOWN = ['Inbox', 'Deleted Items', 'Drafts', 'Sent Items', 'Junk Email', 'Archive', 'Outbox'];

export function fakeMailbox(address: string, options: { scopedApps?: string[]; exchangeGrants?: Record<string, string[]> } = {}): FakeMailbox {
  const root: FakeFolder = { id: newId(), displayName: 'Top of Information Store', parentId: null, wellKnownName: 'msgfolderroot' };
  const folders = [root, ...WELL_KNOWN.map((name) => ({ id: newId(), displayName: name, parentId: root.id, wellKnownName: name.toLowerCase().replace(/ /g, '') }))];
  return { address, folders, messages: [], removed: [], seq: 0, ...(options.scopedApps ? { scopedApps: options.scopedApps } : {}), ...(options.exchangeGrants ? { exchangeGrants: options.exchangeGrants } : {}) };
}

/** A folder by id or (case-insensitive) well-known name, as Graph accepts either in a path or a destinationId. */
export function findFolder(mb: FakeMailbox, idOrName: string): FakeFolder | undefined {
  const lower = idOrName.toLowerCase();
  return mb.folders.find((f) => f.id === idOrName || f.wellKnownName === lower);
}

export function createFolder(mb: FakeMailbox, parentId: string, displayName: string): FakeFolder {
  const folder: FakeFolder = { id: newId(), displayName, parentId, wellKnownName: null };
  mb.folders.push(folder);
  return folder;
}

/** Puts a raw mail in a folder (default: the inbox), as transport delivery would. */
export function deliver(mb: FakeMailbox, mime: Buffer | string, options: { folder?: string; receivedDateTime?: Date } = {}): FakeMessage {
  const folder = findFolder(mb, options.folder ?? 'inbox');
  if (!folder) throw new Error(`no folder ${options.folder}`);
  const raw = Buffer.isBuffer(mime) ? mime : Buffer.from(mime);
  const head = raw.subarray(0, 16384).toString('latin1');
  const header = (name: string): string | null => new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head)?.[1]?.replace(/\r?\n[ \t]/g, ' ').trim() ?? null;
  const seq = ++mb.seq;
  const message: FakeMessage = {
    id: newId(),
    folderId: folder.id,
    mime: raw,
    receivedDateTime: (options.receivedDateTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    internetMessageId: header('Message-ID'),
    subject: header('Subject') ?? '',
    categories: [],
    createdSeq: seq,
    changedSeq: seq,
  };
  mb.messages.push(message);
  return message;
}

/** Exchange's move: a new item (new id) in the destination, the old id removed from the source. */
export function moveMessage(mb: FakeMailbox, message: FakeMessage, destination: FakeFolder): FakeMessage {
  mb.removed.push({ id: message.id, folderId: message.folderId, seq: ++mb.seq });
  const seq = ++mb.seq;
  Object.assign(message, { id: newId(), folderId: destination.id, createdSeq: seq, changedSeq: seq });
  return message;
}

export function messagesIn(mb: FakeMailbox, folderId: string): FakeMessage[] {
  return mb.messages.filter((m) => m.folderId === folderId).sort((a, b) => a.createdSeq - b.createdSeq);
}

/** Deletes a folder and what is in it (a person cleaning up): its id answers "not found" from now on. */
export function deleteFolder(mb: FakeMailbox, folderId: string): void {
  mb.folders = mb.folders.filter((f) => f.id !== folderId);
  mb.messages = mb.messages.filter((m) => m.folderId !== folderId);
}
