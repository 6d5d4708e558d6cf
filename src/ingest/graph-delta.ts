import type { Redis } from 'ioredis';

/**
 * Where the Graph delta round of one mailbox folder stands, kept in Redis so a restart
 * resumes instead of reading the folder again: the last `@odata.nextLink` (mid-round,
 * saved after each page is handled) or the `@odata.deltaLink` (round complete). Like the
 * IMAP cursor it only says where to look; the ledger decides what is new, so a page
 * handled twice (a crash before its link was saved) queues nothing twice.
 */

export interface DeltaState {
  link: string;
  kind: 'next' | 'delta';
  /** The folder the link belongs to: a recreated folder has a new id and starts over. */
  folderId: string;
  updatedAt: string;
  /**
   * The sweep request (sweep-request.ts) the round behind this link answered: a new process
   * must know it, or it took every kept request for a new one (a full round of the
   * folder at every start for a day after one `failed retry`). Absent: none answered yet.
   */
  sweep?: string;
}

export interface DeltaStore {
  get(): Promise<DeltaState | null>;
  save(link: string, kind: DeltaState['kind'], folderId: string, sweep?: string | null): Promise<void>;
  /** Forget the state (expired token): the next round is a full one. */
  clear(): Promise<void>;
}

export function createDeltaStore(
  redis: Redis,
  options: { prefix: string; mailbox: string; folder: string; now?: () => Date },
): DeltaStore {
  const key = `${options.prefix}:graph-mail:delta:${options.mailbox.toLowerCase()}:${options.folder.toLowerCase()}`;
  const now = options.now ?? (() => new Date());
  return {
    async get() {
      const h = await redis.hgetall(key);
      if (!h.link || !h.folderId) return null;
      return { link: h.link, kind: h.kind === 'next' ? 'next' : 'delta', folderId: h.folderId, updatedAt: h.updatedAt ?? '', ...(h.sweep && { sweep: h.sweep }) };
    },
    async save(link, kind, folderId, sweep) {
      await redis.hset(key, 'link', link, 'kind', kind, 'folderId', folderId, 'updatedAt', now().toISOString(), ...(sweep ? ['sweep', sweep] : []));
    },
    async clear() {
      await redis.del(key);
    },
  };
}
