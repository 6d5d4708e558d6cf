import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import { readMailInputs, type ReadMailOptions } from '../ingest/mail-files.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { runTime } from '../parse/report-ref.ts';

/** One mail a replay reads, from a file, an mbox, an IMAP folder or a Graph mailbox folder. */
export interface ReplayInput {
  raw: Buffer;
  label: string;
  origin: MailOrigin;
  receivedAt: Date;
}

/** The mails of files, folders and mbox files, as replay (and demo) read them: received now, as far as anyone can tell. */
export async function* fileInputs(paths: string[], options: ReadMailOptions = {}): AsyncGenerator<ReplayInput> {
  for await (const m of readMailInputs(paths, options)) {
    yield { raw: m.raw, label: m.label, origin: m.kind === 'mbox' ? 'replay-mbox' : 'replay-file', receivedAt: new Date() };
  }
}

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
    held.push({ input, at: await earliestRun(input.raw, input.receivedAt, maxBytes) });
  }
  yield* byRun(held);
}

function byRun(held: Array<{ input: ReplayInput; at: number }>): ReplayInput[] {
  // stable: mails of one run (a report and its forward) and mails that are no report keep their order
  return held.sort((a, b) => a.at - b.at).map((h) => h.input);
}

/**
 * The earliest run a mail's reports cover (epoch ms), as the ticket stage orders them: a
 * report that says nothing of its run by when the mail came (a mailbox's arrival; for a file,
 * now, so last), and a mail that is no report last. (A quarantine release orders by it too.)
 */
export async function earliestRun(raw: Buffer, receivedAt: Date, maxBytes: number): Promise<number> {
  const outcome = await parseMail(raw, { maxBytes });
  if (!outcome.ok) return Infinity;
  return Math.min(...outcome.reports.map((r) => (Number.isNaN(runTime(r)) ? receivedAt.getTime() : runTime(r))));
}

