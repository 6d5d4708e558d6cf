import { messagesIn, type FakeMailbox, type FakeMessage } from './mailbox.ts';

/**
 * The message delta query of one folder, as Graph documents it (message: delta, "Get
 * incremental changes to messages in a folder"): a first round returns every message in
 * the folder, page by page (`Prefer: odata.maxpagesize`), each page but the last with an
 * `@odata.nextLink` ($skiptoken), the last with an `@odata.deltaLink` ($deltatoken); the
 * next round from that deltaLink returns what changed since: created and updated messages
 * and `@removed` entries, narrowed by the `changeType` given in the first request (it is
 * encoded in the tokens). Tokens are opaque state; an expired one is refused with 410.
 *
 * Only what the docs allow: `$filter` just `receivedDateTime ge|gt {value}`, `$orderby`
 * just `receivedDateTime desc`, no `$search`.
 */

export interface DeltaToken {
  /** Folder id. */
  f: string;
  /** Changes after this sequence number (0: the first round, every message). */
  s: number;
  /** The round's snapshot: nothing after it is in this round (it comes in the next). */
  t: number;
  /** Keyset: items after this sequence number were not returned yet (pages of one round). */
  a: number;
  /** Generation: tokens of an older one are expired. */
  e: number;
  changeType: 'created' | 'updated' | 'deleted' | null;
  select: string[] | null;
  since: string | null;
  sinceOp: 'ge' | 'gt' | null;
}

export const encodeToken = (t: DeltaToken): string => Buffer.from(JSON.stringify(t)).toString('base64url');
export const decodeToken = (s: string): DeltaToken | null => {
  try {
    return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as DeltaToken;
  } catch {
    return null;
  }
};

export class DeltaQueryError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const ALLOWED = new Set(['$select', '$top', '$expand', '$filter', '$orderby', 'changeType', '$skiptoken', '$deltatoken']);

/** The token of a first request, from its query, refusing what Graph refuses. */
export function initialToken(folderId: string, q: URLSearchParams, epoch: number): DeltaToken {
  for (const key of q.keys()) {
    if (key === '$search') throw new DeltaQueryError(400, 'ErrorInvalidUrlQuery', '$search is not supported with delta query.');
    if (!ALLOWED.has(key)) throw new DeltaQueryError(400, 'ErrorInvalidUrlQuery', `The query parameter '${key}' is invalid.`);
  }
  const changeType = q.get('changeType');
  if (changeType !== null && !['created', 'updated', 'deleted'].includes(changeType)) {
    throw new DeltaQueryError(400, 'ErrorInvalidUrlQuery', `The value '${changeType}' of the query parameter 'changeType' is invalid.`);
  }
  const orderby = q.get('$orderby');
  if (orderby !== null && !/^receivedDateTime\s+desc$/i.test(orderby.trim())) {
    throw new DeltaQueryError(400, 'ErrorInvalidUrlQueryOrderBy', 'Only $orderby=receivedDateTime desc is supported with delta query.');
  }
  const filter = q.get('$filter');
  let since: string | null = null;
  let sinceOp: DeltaToken['sinceOp'] = null;
  if (filter !== null) {
    const m = /^\s*receivedDateTime\s+(ge|gt)\s+(\d{4}-\d\d-\d\dT[\d:.]+Z)\s*$/i.exec(filter);
    if (!m) throw new DeltaQueryError(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid nodes.');
    sinceOp = m[1]!.toLowerCase() as 'ge' | 'gt';
    since = new Date(m[2]!).toISOString();
  }
  const select = q.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
  return { f: folderId, s: 0, t: 0, a: 0, e: epoch, changeType: changeType as DeltaToken['changeType'], select, since, sinceOp };
}

export interface DeltaEntry {
  message?: FakeMessage;
  removedId?: string;
  seq: number;
}

/** Everything of the round `token` belongs to that was not returned yet, in sequence order. */
export function pendingEntries(mb: FakeMailbox, token: DeltaToken): DeltaEntry[] {
  const inWindow = (seq: number) => seq > Math.max(token.s, token.a) && seq <= token.t;
  const want = (kind: 'created' | 'updated' | 'deleted') => token.changeType === null || token.changeType === kind;
  const sinceOk = (m: FakeMessage) =>
    !token.since || (token.sinceOp === 'gt' ? m.receivedDateTime > token.since : m.receivedDateTime >= token.since);
  const out: DeltaEntry[] = [];
  for (const m of messagesIn(mb, token.f)) {
    if (!sinceOk(m)) continue;
    if (token.s === 0 || m.createdSeq > token.s) {
      // first round: what is in the folder; later rounds: what arrived since
      if ((token.s === 0 || want('created')) && inWindow(m.createdSeq)) out.push({ message: m, seq: m.createdSeq });
    } else if (want('updated') && inWindow(m.changedSeq)) {
      out.push({ message: m, seq: m.changedSeq });
    }
  }
  if (token.s > 0 && want('deleted')) {
    for (const r of mb.removed) if (r.folderId === token.f && inWindow(r.seq)) out.push({ removedId: r.id, seq: r.seq });
  }
  return out.sort((x, y) => x.seq - y.seq);
}
