import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MailOriginSchema, type MailOrigin } from '../../schemas/jobs.schema.ts';
import { readMailInputs, type ReadMailOptions } from '../ingest/mail-files.ts';
import type { StoredMailRecord } from '../ingest/mail-store.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { arrivalOf, runTime, UNDATED_RUN } from '../parse/report-ref.ts';

/** One mail a replay reads, from a file, an mbox, an IMAP folder or a Graph mailbox folder. */
export interface ReplayInput {
  raw: Buffer;
  label: string;
  origin: MailOrigin;
  receivedAt: Date;
  /** A mail of the mail store: the word it was first taken on, null when sender trust judged it (and judges it again). */
  vouched?: string | null;
}

/**
 * The mails of files, folders and mbox files, as replay (and demo) read them: received now, as
 * far as anyone can tell. A mail of the mail store that came from the mailbox keeps its origin
 * and its time (its sidecar says them): it is the mailbox's mail, judged by sender trust as it
 * was then, never vouched for as an admin's file (a replay of the store after Redis
 * was lost turned a quarantined forgery into tickets).
 */
export async function* fileInputs(paths: string[], options: ReadMailOptions = {}): AsyncGenerator<ReplayInput> {
  for await (const m of readMailInputs(paths, options)) {
    const stored = m.kind === 'file' ? await storedRecord(m.label) : null;
    if (stored) yield { raw: m.raw, label: m.label, origin: stored.origin, receivedAt: new Date(stored.receivedAt), vouched: stored.vouched };
    else yield { raw: m.raw, label: m.label, origin: m.kind === 'mbox' ? 'replay-mbox' : 'replay-file', receivedAt: new Date() };
  }
}

/**
 * The mail store's record of a `<sha256>.eml` file (its `.json` beside it), or null: its
 * origin, its time, and whether sender trust judged it (null: judged). A record of before the
 * store kept that says it of a mailbox's mail only.
 */
async function storedRecord(path: string): Promise<{ origin: MailOrigin; receivedAt: string; vouched: string | null } | null> {
  if (!STORED_MAIL.test(basename(path))) return null;
  try {
    const record = JSON.parse(await readFile(path.replace(/\.eml$/, '.json'), 'utf8')) as Partial<StoredMailRecord>;
    const origin = MailOriginSchema.safeParse(record.origin);
    if (!origin.success || typeof record.receivedAt !== 'string' || record.mailId !== basename(path, '.eml')) return null;
    const fromMailbox = origin.data === 'imap' || origin.data === 'graph';
    if (record.vouched === undefined && !fromMailbox) return null;
    return { origin: origin.data, receivedAt: record.receivedAt, vouched: record.vouched ?? null };
  } catch {
    return null;
  }
}
const STORED_MAIL = /^[0-9a-f]{64}\.eml$/;

/** Mails held to be put in order, at most (beyond it, the rest follow in the order given). */
export const ORDER_BUDGET_BYTES = 256 * 1024 * 1024;

/**
 * The mails in the order of the sync runs their reports cover, so a replay applies them as
 * they happened: exports name mails by subject or arrival, and a report applied after a newer
 * one of its tenant is old (it resolves and reopens nothing). Each mail is parsed once more for
 * it; beyond ORDER_BUDGET_BYTES held, the rest follow in the order given (memory stays bounded).
 */
export async function* inRunOrder(inputs: AsyncGenerator<ReplayInput>, maxBytes: number, onOverflow: () => void): AsyncGenerator<ReplayInput> {
  const held: Array<{ input: ReplayInput; at: number }> = [];
  let bytes = 0;
  for await (const input of inputs) {
    if (bytes + input.raw.length > ORDER_BUDGET_BYTES) {
      onOverflow();
      yield* byRun(held);
      yield input;
      yield* inputs;
      return;
    }
    bytes += input.raw.length;
    held.push({ input, at: await earliestRun(input.raw, arrivalOf(input.origin, input.receivedAt), maxBytes) });
  }
  yield* byRun(held);
}

function byRun(held: Array<{ input: ReplayInput; at: number }>): ReplayInput[] {
  // stable: mails of one run (a report and its forward) and mails that are no report keep their order
  return held.sort((a, b) => a.at - b.at).map((h) => h.input);
}

/**
 * The earliest run a mail's reports cover (epoch ms), as the ticket stage orders them: a
 * report that says nothing of its run by when the mail came (a mailbox's arrival; for a file or
 * an mbox, UNDATED_RUN, so first), and a mail that is no report last. (A quarantine release
 * orders by it too.)
 */
export async function earliestRun(raw: Buffer, arrival: Date | null, maxBytes: number): Promise<number> {
  const outcome = await parseMail(raw, { maxBytes });
  if (!outcome.ok) return Infinity;
  return Math.min(...outcome.reports.map((r) => (Number.isNaN(runTime(r)) ? (arrival?.getTime() ?? Date.parse(UNDATED_RUN)) : runTime(r))));
}

