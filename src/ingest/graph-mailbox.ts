import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError, TransientError } from '../errors.ts';
import { classifyThrown } from '../resolve/graph-errors.ts';
import type { GraphObserver } from '../resolve/graph-observer.ts';
import { createLimiter, type Limiter } from '../resolve/rate-limit.ts';
import { singleTenant, tenantGraphClient } from '../resolve/tenant-client.ts';

/**
 * The mailbox operations syncdesk makes through Microsoft Graph, and nothing more: the
 * delta query of one folder, a message's MIME (`$value`), a move, a category, folder ids,
 * and a date-range listing for replays. Every request of one mailbox goes through one
 * limiter: Exchange lets an app have at most 4 requests in flight per mailbox
 * (MailboxConcurrency) and answers a fifth with 429. 429/503/504 with Retry-After are
 * retried by the Graph client's RetryHandler; what is left is mapped here to
 * TransientError (retry later, `retryAfterMs` when Graph said) or PermanentError.
 */

export interface MailItem {
  id: string;
  receivedDateTime: string;
  internetMessageId: string | null;
  categories: string[];
}

export interface DeltaPage {
  /** Messages created in the folder (the first round: every message in it). */
  messages: MailItem[];
  /** Ids Graph reports as gone from the folder (moved or deleted). */
  removed: string[];
  /** More pages in this round: follow it (and keep it, to resume after a crash). */
  nextLink: string | null;
  /** The round is complete: keep it for the next round. */
  deltaLink: string | null;
}

export interface GraphMailbox {
  readonly address: string;
  /** Id of a folder named by a well-known name (`inbox`) or a display-name path (`Inbox/DirSync`); `fresh` asks again instead of the id kept. */
  folderId(path: string, options?: { create?: boolean; fresh?: boolean }): Promise<string>;
  /** One delta page: the first of a new round when `link` is null, else the page `link` names. */
  deltaPage(folderId: string, link: string | null): Promise<DeltaPage>;
  /**
   * The raw MIME of a message, or null when it is no longer in the mailbox (moved or deleted).
   * A message whose content Exchange refuses throws MESSAGE_REFUSED (never given: set it aside)
   * or MESSAGE_FAILED (a 5xx that may pass); anything else concerns the whole mailbox.
   */
  mime(id: string): Promise<Buffer | null>;
  /** False when Graph answers that the message or the folder is not there (moved by someone, or the folder deleted). */
  move(id: string, destinationFolderId: string): Promise<boolean>;
  /** Adds `category` to the message's categories (PATCH replaces the whole list). */
  addCategory(item: MailItem, category: string): Promise<void>;
  /** Messages of a folder received in `[since, until)`, oldest first. */
  listReceived(folderId: string, since: Date, until?: Date): AsyncGenerator<MailItem>;
}

/** Exchange's limit on an app's concurrent requests to one mailbox. */
export const MAILBOX_CONCURRENCY = 4;

/** Graph's well-known folder names (mailFolder resource), usable wherever a folder id is. */
const WELL_KNOWN = new Set([
  'archive', 'clutter', 'conflicts', 'conversationhistory', 'deleteditems', 'drafts', 'inbox', 'junkemail',
  'localfailures', 'msgfolderroot', 'outbox', 'recoverableitemsdeletions', 'scheduled', 'searchfolders',
  'sentitems', 'serverfailures', 'syncissues',
]);

const SELECT = 'id,receivedDateTime,internetMessageId,categories';

/** A message whose content Exchange will not give, the same on every attempt (an S/MIME item, a corrupted one). */
export const MESSAGE_REFUSED = 'MessageContentRefused';
/** A message whose content failed with a 5xx that may pass: tried again, a few rounds. */
export const MESSAGE_FAILED = 'MessageContentFailed';
/**
 * What Exchange answers, the same every time, for an item it cannot turn into MIME: S/MIME items
 * and bounces of them (500 ErrorMimeContentConversionFailed, LogicLabs-OU/OpenArchiver#487), a
 * corrupted item (ErrorContentConversionFailed, microsoft-graph-docs-contrib#7758).
 */
const CONTENT_REFUSED = /^Error(?:Mime)?ContentConversionFailed$|^ErrorCorruptData$/;

/**
 * The Graph client reads a failed `$value` (an ArrayBuffer request) without parsing its body:
 * its code and message are in the bytes. Read them, so the log and the operator see Graph's words.
 */
function withErrorBody(err: unknown): GraphErrorLike {
  const e = err as GraphErrorLike & { body?: unknown };
  const body = e?.body;
  const bytes = body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : null;
  if (!bytes?.length) return e;
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { error?: { code?: string; message?: string } };
    // in place: the error keeps its headers (Retry-After) for the classification
    if (parsed.error) Object.assign(e, { code: parsed.error.code ?? e.code, message: parsed.error.message ?? e.message });
  } catch {
    // not JSON: the error stays as the client made it
  }
  return e;
}

/** An expired or reset delta state: the round must start over (full resync through the ledger). */
const DELTA_EXPIRED = 'DeltaExpired';

export function isDeltaExpired(err: unknown): boolean {
  return err instanceof TransientError && err.code === DELTA_EXPIRED;
}

interface GraphErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
}

const quote = (v: string): string => `'${v.replace(/'/g, "''")}'`;
const enc = encodeURIComponent;

/** Maps what Graph threw for a mail request; `what` names the request in the message. */
function mailError(err: unknown, what: string, mailbox: string): TransientError | PermanentError {
  const e = err as GraphErrorLike;
  const code = e?.code ?? '';
  // Delta tokens of Outlook items expire when Exchange's token cache drops them (40x
  // syncStateNotFound), and a mailbox move resets them (410 Gone, resyncRequired).
  if (e?.statusCode === 410 || /^(syncStateNotFound|resyncRequired|SyncStateNotFound)$/.test(code)) {
    return new TransientError(`${what}: the delta state is gone (${e?.statusCode ?? ''} ${code}); starting a full resync`, DELTA_EXPIRED);
  }
  if (e?.statusCode === 403 || code === 'ErrorAccessDenied') {
    return new PermanentError(
      `${what}: access to mailbox ${mailbox} denied (${code || 403}: ${e?.message ?? ''}); the app lacks Mail.ReadWrite or its Exchange scope (RBAC for Applications, application access policy) excludes the mailbox. Run \`syncdesk doctor\``,
      'MailboxAccessDenied',
    );
  }
  if (e?.statusCode === 404 && /ErrorInvalidUser|MailboxNotEnabledForRESTAPI|ResourceNotFound/.test(code)) {
    return new PermanentError(`${what}: no mailbox ${mailbox} (${code}: ${e?.message ?? ''})`, 'MailboxNotFound');
  }
  const mapped = classifyThrown(err);
  return mapped;
}

const itemGone = (err: unknown): boolean => {
  const e = err as GraphErrorLike;
  return e?.statusCode === 404 && (e.code === 'ErrorItemNotFound' || e.code === 'ErrorInvalidIdMalformed' || e.code === 'ResourceNotFound');
};

const toItem = (raw: Record<string, unknown>): MailItem => ({
  id: String(raw.id),
  receivedDateTime: String(raw.receivedDateTime ?? ''),
  internetMessageId: typeof raw.internetMessageId === 'string' ? raw.internetMessageId : null,
  categories: Array.isArray(raw.categories) ? raw.categories.map(String) : [],
});

export interface GraphMailboxOptions {
  /** Messages per delta page. @defaultValue 50 */
  pageSize?: number;
  /** @defaultValue 4 (MAILBOX_CONCURRENCY) */
  concurrency?: number;
  limiter?: Limiter;
}

function createGraphMailbox(client: Client, address: string, options: GraphMailboxOptions = {}): GraphMailbox {
  // Rate: Exchange allows 10,000 requests per 10 minutes per app and mailbox (~16/s); stay under it.
  const limiter = options.limiter ?? createLimiter({ concurrency: Math.min(MAILBOX_CONCURRENCY, options.concurrency ?? MAILBOX_CONCURRENCY), ratePerSecond: 15 });
  const pageSize = options.pageSize ?? 50;
  const user = `/users/${enc(address)}`;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await limiter.run(fn);
    } catch (err) {
      throw mailError(err, what, address);
    }
  };
  const folderIds = new Map<string, string>();

  async function childByName(parentId: string | null, name: string, create: boolean): Promise<string | null> {
    const base = parentId ? `${user}/mailFolders/${enc(parentId)}/childFolders` : `${user}/mailFolders`;
    const found = await call(`find folder ${name}`, () =>
      client.api(`${base}?$filter=${enc(`displayName eq ${quote(name)}`)}&$select=id,displayName`).get() as Promise<{ value: Array<{ id: string }> }>,
    );
    if (found.value[0]) return found.value[0].id;
    if (!create) return null;
    const made = await call(`create folder ${name}`, () => client.api(base).post({ displayName: name }) as Promise<{ id: string }>);
    return made.id;
  }

  return {
    address,

    async folderId(path, { create = false, fresh = false } = {}) {
      const key = `${create}:${path.toLowerCase()}`;
      const cached = fresh ? undefined : folderIds.get(key);
      if (cached) return cached;
      const parts = path.split('/').map((p) => p.trim()).filter(Boolean);
      if (!parts.length) throw new PermanentError(`empty folder name for mailbox ${address}`, 'GraphMailConfig');
      let id: string | null = null;
      for (const [i, part] of parts.entries()) {
        if (i === 0 && WELL_KNOWN.has(part.toLowerCase())) {
          const wk = part.toLowerCase();
          const folder = await call(`folder ${wk}`, () => client.api(`${user}/mailFolders/${wk}?$select=id`).get() as Promise<{ id: string }>);
          id = folder.id;
          continue;
        }
        id = await childByName(id, part, create);
        if (!id) throw new PermanentError(`mailbox ${address} has no folder ${parts.slice(0, i + 1).join('/')}`, 'FolderNotFound');
      }
      folderIds.set(key, id!);
      return id!;
    },

    async deltaPage(folderId, link) {
      const url = link ?? `${user}/mailFolders/${enc(folderId)}/messages/delta?changeType=created&$select=${SELECT}`;
      const body = await call('delta', () =>
        client.api(url).header('Prefer', `odata.maxpagesize=${pageSize}`).get() as Promise<{
          value?: Array<Record<string, unknown>>;
          '@odata.nextLink'?: string;
          '@odata.deltaLink'?: string;
        }>,
      );
      const value = body.value ?? [];
      return {
        messages: value.filter((m) => !m['@removed']).map(toItem),
        removed: value.filter((m) => m['@removed']).map((m) => String(m.id)),
        nextLink: body['@odata.nextLink'] ?? null,
        deltaLink: body['@odata.deltaLink'] ?? null,
      };
    },

    async mime(id) {
      try {
        const data = await limiter.run(() => client.api(`${user}/messages/${enc(id)}/$value`).responseType(ResponseType.ARRAYBUFFER).get() as Promise<ArrayBuffer>);
        return Buffer.from(data);
      } catch (err) {
        const e = withErrorBody(err);
        if (e.statusCode === 404) return null;
        const said = `$value of message ${id}: ${e.statusCode} ${e.code || 'no code'}: ${e.message || 'no message'}`;
        const itemLevel = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 && ![401, 403, 408, 429].includes(e.statusCode);
        if (CONTENT_REFUSED.test(e.code ?? '') || itemLevel) throw new PermanentError(`Exchange will not give its content (${said})`, MESSAGE_REFUSED);
        // a 5xx for one message while the delta answered (the client retried 503/504 already): that
        // message's trouble, counted round by round like a 500 (a 503 every time was the whole mailbox's)
        if (e.statusCode !== undefined && e.statusCode >= 500) throw new TransientError(`Exchange failed to give its content (${said})`, MESSAGE_FAILED);
        throw mailError(e, `$value of ${id}`, address);
      }
    },

    async move(id, destinationFolderId) {
      try {
        await limiter.run(() => client.api(`${user}/messages/${enc(id)}/move`).post({ destinationId: destinationFolderId }));
        return true;
      } catch (err) {
        // gone already (moved by a person, or by us before a crash), or the destination folder is
        if (itemGone(err)) return false;
        throw mailError(err, `move ${id}`, address);
      }
    },

    async addCategory(item, category) {
      if (item.categories.includes(category)) return;
      try {
        await limiter.run(() => client.api(`${user}/messages/${enc(item.id)}`).patch({ categories: [...item.categories, category] }));
      } catch (err) {
        if (itemGone(err)) return;
        throw mailError(err, `categorize ${item.id}`, address);
      }
    },

    async *listReceived(folderId, since, until) {
      // Graph wants $orderby properties in the $filter too, first and in the same order.
      const clauses = [`receivedDateTime ge ${since.toISOString()}`, ...(until ? [`receivedDateTime lt ${until.toISOString()}`] : [])];
      let url: string | null =
        `${user}/mailFolders/${enc(folderId)}/messages?$filter=${enc(clauses.join(' and '))}&$orderby=${enc('receivedDateTime asc')}&$select=${SELECT}&$top=${pageSize}`;
      while (url) {
        const target: string = url;
        const body = await call('list messages', () => client.api(target).get() as Promise<{ value: Array<Record<string, unknown>>; '@odata.nextLink'?: string }>);
        for (const m of body.value) yield toItem(m);
        url = body['@odata.nextLink'] ?? null;
      }
    },
  };
}

/** The mailbox of `graphMail.mailbox`, signed in as the `graph.*` app (one tenant; a tenants file is for lookups). */
export function graphMailboxFromConfig(config: Config, options: { observe?: GraphObserver; mailbox?: string } = {}): GraphMailbox {
  const address = options.mailbox ?? config.graphMail.mailbox;
  if (!address) throw new PermanentError('GRAPH_MAILBOX (graphMail.mailbox) is not set', 'GraphMailConfig');
  const tenant = singleTenant(config.graph);
  if (!tenant) throw new PermanentError('reading mail through Graph needs GRAPH_TENANT_ID, GRAPH_CLIENT_ID and a secret, certificate or managed identity', 'GraphMailConfig');
  const client = tenantGraphClient(tenant, config.graph, undefined, options.observe);
  return createGraphMailbox(client, address, { pageSize: config.graphMail.pageSize, concurrency: config.graphMail.maxConcurrency });
}
