import { randomBytes } from 'node:crypto';
import { DeltaQueryError, decodeToken, encodeToken, initialToken, pendingEntries, type DeltaToken } from './mail-delta.ts';
import { createFolder, findFolder, messagesIn, moveMessage, type FakeMailbox, type FakeMessage } from './mailbox.ts';
import type { TokenClaims } from './token.ts';

/**
 * The Outlook mail endpoints of the fake Graph, as Microsoft documents them and with the
 * refusals real Graph gives:
 * - `GET /users/{m}/mailFolders/{id|wellKnown}`, `…/mailFolders?$filter=displayName eq '…'`,
 *   `…/childFolders`, `POST` to create (409 ErrorFolderExists on a duplicate name);
 * - `GET …/mailFolders/{id}/messages/delta` (see mail-delta.ts); delta on `/messages` without a
 *   folder is refused; expired tokens answer 410 `syncStateNotFound`, a reset 410
 *   `resyncRequired` with a Location header;
 * - `GET …/mailFolders/{id}/messages` with `$filter` on receivedDateTime, `$orderby` only on a
 *   property the filter names first (else 400 InefficientFilter), `$top` ≤ 1000, nextLinks;
 * - `GET /users/{m}/messages/{id}/$value` (raw MIME), `POST …/move` (201, new id; a display
 *   name as destinationId is 400 ErrorInvalidIdMalformed, a deleted folder's id 404), `PATCH` categories;
 * - permissions from the token's `roles` and Exchange's RBAC for Applications grants on the
 *   mailbox (not in the token): reading needs Mail.Read or Mail.ReadWrite
 *   (Mail.ReadBasic.All reads no MIME), writing needs Mail.ReadWrite, else 403 ErrorAccessDenied;
 *   a mailbox outside the app's Exchange scope answers 403 ErrorAccessDenied as well;
 * - at most 4 requests in flight per app and mailbox (429 ApplicationThrottled,
 *   "MailboxConcurrency"), and throttling storms with Retry-After on demand.
 */

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface MailStats {
  requests: number;
  /** Most requests in flight at once to one mailbox. */
  maxInFlight: number;
  throttled: number;
  deltaRequests: number;
  valueRequests: number;
  moves: number;
  patches: number;
  gone: number;
  /** When each throttled answer and each request arrived (ms), for Retry-After checks. */
  log: Array<{ at: number; method: string; path: string; status: number }>;
}

export interface FakeMail {
  stats: MailStats;
  /** Milliseconds each mail request takes (lets concurrency show). */
  latencyMs: number;
  /** Expire every delta token handed out so far: 410 `syncStateNotFound` (or a reset: 410 `resyncRequired`). */
  expireDeltaTokens(kind?: 'syncStateNotFound' | 'resyncRequired'): void;
  /** The next `n` mail requests answer 429 with this Retry-After. */
  throttleNext(n: number, retryAfterSeconds?: number): void;
  /**
   * `$value` of this message answers with this error `times` times (for ever without): Exchange's
   * 500 ErrorMimeContentConversionFailed for an S/MIME item (LogicLabs-OU/OpenArchiver#487), say.
   */
  failValue(internetMessageId: string, status: number, code: string, message: string, times?: number, headers?: Record<string, string>): void;
  resetStats(): void;
  handle(req: MailRequest): Promise<Answer | null>;
}

export interface MailRequest {
  claims: TokenClaims;
  mailboxes: FakeMailbox[];
  method: string;
  /** Path and query after `/v1.0`. */
  url: URL;
  body: () => Promise<string>;
  headers: Record<string, string | string[] | undefined>;
}

const READ = ['Mail.Read', 'Mail.ReadWrite'];
const READ_BASIC = ['Mail.ReadBasic.All', ...READ];
const WRITE = ['Mail.ReadWrite'];
/** Exchange: concurrent requests an app may have against one mailbox. */
export const MAILBOX_CONCURRENCY = 4;

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({ status, headers: { 'Content-Type': 'application/json', ...headers }, body });
const error = (status: number, code: string, message: string, headers: Record<string, string> = {}): Answer =>
  json(status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } }, headers);
const denied = (): Answer => error(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

function view(m: FakeMessage, select: string[] | null): Record<string, unknown> {
  const full: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.message',
    '@odata.etag': `W/"${Buffer.from(String(m.changedSeq)).toString('base64')}"`,
    id: m.id,
    receivedDateTime: m.receivedDateTime,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    categories: m.categories,
    parentFolderId: m.folderId,
  };
  if (!select) return full;
  return Object.fromEntries(Object.entries(full).filter(([k]) => k.startsWith('@') || k === 'id' || select.includes(k)));
}

export function createFakeMail(baseUrl: () => string): FakeMail {
  let epoch = 1;
  let expiredAs: 'syncStateNotFound' | 'resyncRequired' = 'syncStateNotFound';
  let storm = 0;
  let stormRetryAfter = 1;
  const inFlight = new Map<string, number>();
  const valueFailures = new Map<string, { status: number; code: string; message: string; times: number; headers: Record<string, string> }>();
  const newStats = (): MailStats => ({ requests: 0, maxInFlight: 0, throttled: 0, deltaRequests: 0, valueRequests: 0, moves: 0, patches: 0, gone: 0, log: [] });

  const mail: FakeMail = {
    stats: newStats(),
    latencyMs: 0,
    expireDeltaTokens(kind = 'syncStateNotFound') {
      epoch++;
      expiredAs = kind;
    },
    throttleNext(n, retryAfterSeconds = 1) {
      storm = n;
      stormRetryAfter = retryAfterSeconds;
    },
    resetStats() {
      mail.stats = newStats();
    },
    failValue(internetMessageId, status, code, message, times = Infinity, headers = {}) {
      valueFailures.set(internetMessageId, { status, code, message, times, headers });
    },
    async handle(req) {
      // Graph's own links name folders in key form: mailFolders('id')
      const path = req.url.pathname.replace(/\/mailFolders\('([^']*)'\)/g, (_, id: string) => `/mailFolders/${id}`);
      const m = /^\/users\/([^/]+)(\/.*)$/.exec(path);
      if (!m || !/^\/(mailFolders|messages)(\/|$)/.test(m[2]!)) return null;
      const address = decodeURIComponent(m[1]!).toLowerCase();
      const started = Date.now();
      mail.stats.requests++;
      const answer = await guarded(req, address, m[2]!);
      mail.stats.log.push({ at: started, method: req.method, path: m[2]!, status: answer.status });
      return answer;
    },
  };

  async function guarded(req: MailRequest, address: string, rest: string): Promise<Answer> {
    const mb = req.mailboxes.find((b) => b.address.toLowerCase() === address);
    if (!mb) return error(404, 'ErrorInvalidUser', `The requested user '${address}' is invalid.`);
    const key = `${req.claims.appid}|${address}`;
    const now = (inFlight.get(key) ?? 0) + 1;
    inFlight.set(key, now);
    mail.stats.maxInFlight = Math.max(mail.stats.maxInFlight, now);
    try {
      if (now > MAILBOX_CONCURRENCY) {
        mail.stats.throttled++;
        return error(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'Retry-After': '1' });
      }
      if (mail.latencyMs) await new Promise((r) => setTimeout(r, mail.latencyMs));
      if (storm > 0) {
        storm--;
        mail.stats.throttled++;
        return error(429, 'ApplicationThrottled', 'Application is over its rate limit.', { 'Retry-After': String(stormRetryAfter) });
      }
      // Entra's grant (the token) and Exchange's (RBAC for Applications) add up
      const granted = mb.exchangeGrants?.[req.claims.appid] ?? [];
      const withGrants: MailRequest = granted.length ? { ...req, claims: { ...req.claims, roles: [...req.claims.roles, ...granted] } } : req;
      if (!withGrants.claims.roles.some((r) => READ_BASIC.includes(r))) return denied();
      if (mb.scopedApps && !granted.length && !mb.scopedApps.includes(req.claims.appid)) {
        // what an application access policy or an RBAC-for-Applications scope answers
        return error(403, 'ErrorAccessDenied', 'Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.');
      }
      return await route(withGrants, mb, rest);
    } finally {
      inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    }
  }

  const can = (req: MailRequest, roles: string[]) => req.claims.roles.some((r) => roles.includes(r));

  async function route(req: MailRequest, mb: FakeMailbox, rest: string): Promise<Answer> {
    const q = req.url.searchParams;
    const user = `${baseUrl()}/v1.0/users/${encodeURIComponent(mb.address)}`;
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && rest === '/messages/delta') {
      return error(400, 'ErrorInvalidRequest', "Change tracking is not supported against 'microsoft.graph.message'.");
    }
    if ((m = /^\/mailFolders\/([^/]+)\/messages\/delta$/.exec(rest)) && req.method === 'GET') {
      mail.stats.deltaRequests++;
      return delta(req, mb, decodeURIComponent(m[1]!), user);
    }
    if ((m = /^\/mailFolders\/([^/]+)\/messages$/.exec(rest)) && req.method === 'GET') {
      if (!can(req, READ)) return denied();
      return list(mb, decodeURIComponent(m[1]!), q, `${user}/mailFolders/${m[1]}/messages`);
    }
    if ((m = /^\/messages\/([^/]+)\/\$value$/.exec(rest)) && req.method === 'GET') {
      mail.stats.valueRequests++;
      if (!can(req, READ)) return denied();
      const msg = mb.messages.find((x) => x.id === decodeURIComponent(m![1]!));
      if (!msg) return notFound();
      const failure = msg.internetMessageId ? valueFailures.get(msg.internetMessageId) : undefined;
      if (failure && failure.times > 0) {
        failure.times--;
        return error(failure.status, failure.code, failure.message, failure.headers);
      }
      return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: msg.mime };
    }
    if ((m = /^\/messages\/([^/]+)\/move$/.exec(rest)) && req.method === 'POST') {
      if (!can(req, WRITE)) return denied();
      const msg = mb.messages.find((x) => x.id === decodeURIComponent(m![1]!));
      if (!msg) return notFound();
      let body: { destinationId?: unknown };
      try { body = JSON.parse(await req.body()) as typeof body; } catch { return error(400, 'RequestBodyRead', 'Invalid JSON in the request body.'); }
      if (typeof body.destinationId !== 'string' || !body.destinationId) return error(400, 'ErrorInvalidRequest', "The parameter 'destinationId' is required.");
      const dest = findFolder(mb, body.destinationId);
      // a display name is no id (400); an id of the right form no longer there is the store's
      // "not found" (as a move to an In-Place Archive folder answers, msgraph-sdk-php#285)
      if (!dest) return /^AAMk/.test(body.destinationId) ? notFound() : error(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');
      mail.stats.moves++;
      return json(201, view(moveMessage(mb, msg, dest), null));
    }
    if ((m = /^\/messages\/([^/]+)$/.exec(rest)) && req.method === 'PATCH') {
      if (!can(req, WRITE)) return denied();
      const msg = mb.messages.find((x) => x.id === decodeURIComponent(m![1]!));
      if (!msg) return notFound();
      const body = JSON.parse(await req.body()) as { categories?: unknown };
      if (!Array.isArray(body.categories)) return error(400, 'ErrorInvalidRequest', 'Only categories can be updated by this fake.');
      msg.categories = body.categories.map(String);
      msg.changedSeq = ++mb.seq;
      mail.stats.patches++;
      return json(200, view(msg, null));
    }
    return folders(req, mb, rest);
  }

  function notFound(): Answer {
    mail.stats.gone++;
    return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
  }

  async function folders(req: MailRequest, mb: FakeMailbox, rest: string): Promise<Answer> {
    const m = /^\/mailFolders(?:\/([^/]+))?(\/childFolders)?$/.exec(rest);
    if (!m) return error(400, 'BadRequest', `Resource not found for the segment '${rest.split('/')[1]}'.`);
    const parent = m[1] ? findFolder(mb, decodeURIComponent(m[1])) : findFolder(mb, 'msgfolderroot');
    if (!parent) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const asJson = (f: typeof parent) => ({ id: f.id, displayName: f.displayName, parentFolderId: f.parentId, totalItemCount: messagesIn(mb, f.id).length });
    if (m[1] && !m[2]) return req.method === 'GET' ? json(200, asJson(parent)) : error(405, 'BadRequest', 'Method not allowed.');
    if (req.method === 'POST') {
      if (!can(req, WRITE)) return denied();
      const body = JSON.parse(await req.body()) as { displayName?: string };
      if (!body.displayName) return error(400, 'ErrorInvalidRequest', 'displayName is required.');
      if (mb.folders.some((f) => f.parentId === parent.id && f.displayName.toLowerCase() === body.displayName!.toLowerCase())) {
        return error(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
      }
      return json(201, asJson(createFolder(mb, parent.id, body.displayName)));
    }
    const filter = req.url.searchParams.get('$filter');
    let children = mb.folders.filter((f) => f.parentId === parent.id);
    if (filter !== null) {
      const fm = /^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(filter);
      if (!fm) return error(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
      const name = fm[1]!.replace(/''/g, "'");
      children = children.filter((f) => f.displayName === name);
    }
    return json(200, { value: children.map(asJson) });
  }

  function delta(req: MailRequest, mb: FakeMailbox, folderRef: string, user: string): Answer {
    const q = req.url.searchParams;
    const folder = findFolder(mb, folderRef);
    if (!folder) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const stateText = q.get('$skiptoken') ?? q.get('$deltatoken');
    let token: DeltaToken;
    try {
      if (stateText) {
        const t = decodeToken(stateText);
        if (!t || t.f !== folder.id) return error(400, 'ErrorInvalidUrlQuery', 'The sync state is invalid.');
        if (t.e < epoch) {
          const location = { Location: `${user}/mailFolders/${folder.id}/messages/delta?$deltatoken=` };
          return expiredAs === 'resyncRequired'
            ? error(410, 'resyncRequired', 'Resync required. Replace any local cached items with the items in the full sync.', location)
            : error(410, 'syncStateNotFound', 'The sync state is not found; the delta token is expired. Synchronize again from the start.');
        }
        token = q.get('$deltatoken') ? { ...t, s: t.t, a: 0, t: mb.seq } : t;
      } else {
        token = { ...initialToken(folder.id, q, epoch), t: mb.seq };
      }
    } catch (err) {
      if (err instanceof DeltaQueryError) return error(err.status, err.code, err.message);
      throw err;
    }
    const prefer = /odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer ?? ''));
    const size = Math.max(1, Math.min(prefer ? Number(prefer[1]) : 10, 1000));
    const entries = pendingEntries(mb, token);
    const page = entries.slice(0, size);
    const value = page.map((e) => (e.message ? view(e.message, token.select) : { '@odata.type': '#microsoft.graph.message', id: e.removedId, '@removed': { reason: 'deleted' } }));
    const base = `${user}/mailFolders('${folder.id}')/messages/delta`;
    const body: Record<string, unknown> = { '@odata.context': `${baseUrl()}/v1.0/$metadata#Collection(message)`, value };
    if (entries.length > size) body['@odata.nextLink'] = `${base}?$skiptoken=${encodeToken({ ...token, a: page.at(-1)!.seq })}`;
    else body['@odata.deltaLink'] = `${base}?$deltatoken=${encodeToken({ ...token, a: 0 })}`;
    return json(200, body);
  }

  function list(mb: FakeMailbox, folderRef: string, q: URLSearchParams, self: string): Answer {
    const folder = findFolder(mb, folderRef);
    if (!folder) return error(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    let items = messagesIn(mb, folder.id);
    const filter = q.get('$filter');
    const filtered: string[] = [];
    if (filter !== null) {
      for (const clause of filter.split(/\s+and\s+/i)) {
        const c = /^\s*(receivedDateTime)\s+(ge|gt|le|lt)\s+(\d{4}-\d\d-\d\dT[\d:.]+Z)\s*$/i.exec(clause);
        if (!c) return error(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
        const at = new Date(c[3]!).toISOString();
        const op = c[2]!.toLowerCase();
        filtered.push(c[1]!);
        items = items.filter((x) => {
          const v = new Date(x.receivedDateTime).toISOString();
          return op === 'ge' ? v >= at : op === 'gt' ? v > at : op === 'le' ? v <= at : v < at;
        });
      }
    }
    const orderby = q.get('$orderby');
    if (orderby !== null) {
      const [prop, dir] = orderby.trim().split(/\s+/);
      // Graph: "The restriction or sort order is too complex" unless the $orderby properties lead the $filter
      if (filter !== null && filtered[0]?.toLowerCase() !== prop?.toLowerCase()) return error(400, 'InefficientFilter', 'The restriction or sort order is too complex for this operation.');
      if (prop !== 'receivedDateTime') return error(400, 'ErrorInvalidProperty', `The property '${prop}' is not supported by this fake.`);
      items = [...items].sort((a, b) => a.receivedDateTime.localeCompare(b.receivedDateTime) * (dir?.toLowerCase() === 'desc' ? -1 : 1));
    }
    const top = Number(q.get('$top') ?? 10);
    if (!Number.isInteger(top) || top < 1 || top > 1000) return error(400, 'ErrorInvalidUrlQuery', `The value of '$top' must be between 1 and 1000.`);
    const skip = Number(q.get('$skip') ?? 0);
    const select = q.get('$select')?.split(',').map((s) => s.trim()) ?? null;
    const body: Record<string, unknown> = { value: items.slice(skip, skip + top).map((x) => view(x, select)) };
    if (skip + top < items.length) {
      const next = new URLSearchParams(q);
      next.set('$skip', String(skip + top));
      body['@odata.nextLink'] = `${self}?${next.toString()}`;
    }
    return json(200, body);
  }

  return mail;
}
