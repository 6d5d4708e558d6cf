import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import { diskTrouble, writeAtomic } from '../write-atomic.ts';

/**
 * Every mail that may be a report, kept on disk so it can be looked at and re-run later:
 * `<storeDir>/<sha256>.eml` (the raw bytes) and `<storeDir>/<sha256>.json` (the sidecar).
 * An archive only: what became of a mail is the ledger's to say (src/ingest/ledger.ts),
 * and no pipeline stage reads these files (the ingestor parses a mail once and queues
 * its reports), so workers on other hosts never need this disk.
 *
 * Size cap: a mail bigger than `maxMailBytes` is kept **truncated to the cap** with
 * `truncated: true`. The id is still the sha256 of the whole mail, so the same oversized
 * mail arriving again is recognised.
 *
 * Retention: `prune()` deletes mails stored more than `retentionDays` ago.
 */

export interface StoredMailRecord {
  mailId: string;
  origin: MailOrigin;
  receivedAt: string;
  envelopeFrom: string | null;
  /** Size of the whole mail in bytes (may exceed what is stored when truncated). */
  size: number;
  truncated: boolean;
  storedAt: string;
  /**
   * The admin's word the mail was first taken on (a replayed file), null when sender trust
   * judged it: a replay of the store after Redis was lost judges it again. Absent
   * in records kept before it was written.
   */
  vouched?: string | null;
}

export interface StoredMail extends StoredMailRecord {
  raw: Buffer;
}

export interface PutResult {
  record: StoredMailRecord;
  /** False when the mail was already in the store (the existing record is returned unchanged). */
  created: boolean;
}

export interface MailStore {
  /** Keeps a mail (idempotent: the same bytes map to the same id and are written once). */
  put(
    raw: Buffer,
    meta: { origin: MailOrigin; receivedAt: Date; envelopeFrom?: string | null; vouched?: string },
  ): Promise<PutResult>;
  get(mailId: string): Promise<StoredMail | null>;
  getRecord(mailId: string): Promise<StoredMailRecord | null>;
  list(): Promise<StoredMailRecord[]>;
  /** Removes mails older than the retention period; returns the ids removed. */
  prune(): Promise<string[]>;
  /** Removes one mail (an admin dropped it); false if it was not there. */
  remove(mailId: string): Promise<boolean>;
}

export interface MailStoreOptions {
  dir: string;
  maxMailBytes: number;
  retentionDays: number;
  /** Injected clock (tests). */
  now?: () => Date;
}

class MailStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MailStoreError';
  }
}

const MAIL_ID = /^[0-9a-f]{64}$/;

export function mailIdOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

function assertMailId(mailId: string): void {
  if (!MAIL_ID.test(mailId)) throw new MailStoreError(`not a mail id: ${JSON.stringify(mailId)}`);
}

/** Owner only: a kept mail holds a tenant's names and addresses, not for every local account to read. */
const MAIL_MODE = 0o600;

export function createMailStore(options: MailStoreOptions): MailStore {
  const { dir, maxMailBytes, retentionDays } = options;
  const now = options.now ?? (() => new Date());
  const emlPath = (id: string): string => join(dir, `${id}.eml`);
  const jsonPath = (id: string): string => join(dir, `${id}.json`);
  let ready: Promise<void> | null = null;
  const ensureDir = (): Promise<void> => (ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).then(() => undefined));

  async function readRecord(mailId: string): Promise<StoredMailRecord | null> {
    assertMailId(mailId);
    try {
      return JSON.parse(await readFile(jsonPath(mailId), 'utf8')) as StoredMailRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new MailStoreError(`cannot read the record of mail ${mailId}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    async put(raw, meta) {
      await ensureDir();
      const mailId = mailIdOf(raw);
      const existing = await readRecord(mailId);
      if (existing) return { record: existing, created: false };
      const truncated = raw.length > maxMailBytes;
      const record: StoredMailRecord = {
        mailId,
        origin: meta.origin,
        receivedAt: meta.receivedAt.toISOString(),
        envelopeFrom: meta.envelopeFrom ?? null,
        size: raw.length,
        truncated,
        storedAt: now().toISOString(),
        vouched: meta.vouched ?? null,
      };
      // Bytes first, sidecar last: a record on disk always has its bytes.
      try {
        await writeAtomic(emlPath(mailId), truncated ? raw.subarray(0, maxMailBytes) : raw, MAIL_MODE);
        await writeAtomic(jsonPath(mailId), JSON.stringify(record, null, 2), MAIL_MODE);
      } catch (err) {
        throw diskTrouble(err, dir, 'MAIL_STORE_DIR');
      }
      return { record, created: true };
    },

    async get(mailId) {
      const record = await readRecord(mailId);
      if (!record) return null;
      try {
        return { ...record, raw: await readFile(emlPath(mailId)) };
      } catch (err) {
        throw new MailStoreError(`mail ${mailId} has a record but its bytes are unreadable: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },

    getRecord: readRecord,

    async list() {
      await ensureDir();
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && MAIL_ID.test(n.slice(0, -5)));
      const records: StoredMailRecord[] = [];
      for (const name of names) {
        const record = await readRecord(name.slice(0, -5));
        if (record) records.push(record);
      }
      return records.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.mailId.localeCompare(b.mailId));
    },

    async prune() {
      const cutoff = now().getTime() - retentionDays * 86_400_000;
      const removed: string[] = [];
      for (const record of await this.list()) {
        if (Date.parse(record.storedAt) >= cutoff) continue;
        await this.remove(record.mailId);
        removed.push(record.mailId);
      }
      return removed;
    },

    async remove(mailId) {
      if (!MAIL_ID.test(mailId)) return false;
      const there = existsSync(jsonPath(mailId));
      // Sidecar first: a mail without a record is invisible, a record without bytes is an error.
      await rm(jsonPath(mailId), { force: true });
      await rm(emlPath(mailId), { force: true });
      return there;
    },
  };
}
