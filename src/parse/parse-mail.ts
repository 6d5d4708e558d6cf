import type { ParseOutcome, ParsedReport, SyncError } from '../../schemas/report.schema.ts';
import { healthNoticeReason, notAReportReason } from './automatic-mail.ts';
import type { Block, BlockSink } from './blocks.ts';
import { headerZoneMinutes } from './dates.ts';
import { cutOffNote } from './cut-off.ts';
import { ErrorExtractor, type Extraction } from './extract-errors.ts';
import { addressOf, findForwardHeaders, isForwardHeaderRow, startsForwardHeader, type ForwardHeaders } from './forwarded.ts';
import { readHtml } from './html-blocks.ts';
import { isOutlookMsg, openMail, type MailDocument } from './mail-tree.ts';
import { isBoilerplate } from './markers.ts';
import { readReportFields, type ReportFields } from './report-fields.ts';
import { unwrapProtectedLinks } from './protected-links.ts';
import { runTime } from './report-ref.ts';
import { isMicrosoftSender, REPLY_PREFIX_RE, REPORT_TEXT_RE, REPORT_TITLE_RE, reportSubject, stripSubjectPrefixes } from './subject.ts';
import { textToBlocks } from './text-blocks.ts';

/**
 * Raw RFC 822 bytes in, one or more reports out, or a typed rejection. Never throws:
 * whatever goes wrong becomes a rejection with a reason the admin can read, and the
 * caller keeps the mail.
 */

export interface ParseOptions {
  /** Mails larger than this are rejected as too large (default 25 MiB). */
  maxBytes?: number;
  /** Give up on a mail after this long (default 20 s). */
  timeoutMs?: number;
  /** Hears the mail's documents once decoded (sender trust reads them instead of decoding the mail again). */
  opened?: (docs: readonly MailDocument[]) => void;
}

const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;
/** Forward headers are looked for in a body's first lines only: a forwarder's note is short. */
const FORWARD_HEADER_LINES = 400;
/** A report that yields no error keeps this many of its lines in `unparsed` for the admin. */
const MAX_UNPARSED_LINES = 50;

export async function parseMail(raw: Buffer, options: ParseOptions = {}): Promise<ParseOutcome> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (raw.length > maxBytes) {
    return reject('too-large', `the mail is ${raw.length} bytes, more than the ${maxBytes}-byte limit`);
  }
  const notMail = notAMail(raw);
  if (notMail) return reject('unreadable', notMail);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ParseOutcome>((resolve) => {
    timer = setTimeout(() => resolve(reject('timeout', `parsing took longer than ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
  });
  try {
    return await Promise.race([parseWithin(raw, options.opened), timeout]);
  } catch (err) {
    return reject('unreadable', `the mail could not be decoded: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** A mail's first line is a header field ("Received:", "From:"), or an mbox writer's "From " line. */
const FIRST_LINE_RE = /^(?:[!-9;-~]+[ \t]*:|From )/;

/**
 * Why the input is no mail at all (no header, not an Outlook .msg): mailparser would read
 * any bytes as a body without headers, and such a file must be kept and reported, not taken
 * for someone else's mail.
 */
function notAMail(raw: Buffer): string | null {
  if (!raw.length) return 'not a mail: the input is empty';
  if (isOutlookMsg(raw) || FIRST_LINE_RE.test(raw.subarray(0, 1000).toString('latin1'))) return null;
  // what a mail export is often downloaded as (Google Takeout: .zip, .tgz): said, so the admin unpacks it
  const archive = ARCHIVES.find((a) => raw.subarray(0, a.magic.length).equals(a.magic));
  if (archive) return `not a mail: a ${archive.name} archive (unpack it, then replay or parse the mails in it)`;
  return 'not a mail: no header lines (nor an Outlook .msg: no compound file signature)';
}
const ARCHIVES = [
  { name: 'zip', magic: Buffer.from([0x50, 0x4b, 0x03, 0x04]) },
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b]) },
  { name: '7-Zip', magic: Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { name: 'bzip2', magic: Buffer.from('BZh', 'latin1') },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
];

async function parseWithin(raw: Buffer, opened: ParseOptions['opened']): Promise<ParseOutcome> {
  const docs = await openMail(raw);
  opened?.(docs);
  // An automatic reply or list mail is no report even when it quotes one in full.
  const outerReason = docs[0] ? notAReportReason(docs[0]) : null;
  if (outerReason) {
    // a desk's notification that quotes a report stays rejected (syncdesk writes to
    // desks: their mail must never loop back in), but the admin learns a report is inside
    const quoted = quotedRows(docs);
    const inside = quoted ? `, though it quotes ${quoted} error row(s) of a report: the report itself, or a person's forward of it, is what is read` : '';
    return reject('not-a-report', `not a sync error report: ${outerReason}${inside}`);
  }
  const found: Array<{ index: number; report: ParsedReport }> = [];
  // Innermost first: an attached report is the report; its carrier's body is only the admin's note.
  const ordered = docs.map((doc, index) => ({ doc, index })).sort((a, b) => b.doc.depth - a.doc.depth);
  const why: string[] = [];
  for (const { doc, index } of ordered) {
    for (const report of readReports(doc, found.length > 0, why)) {
      if (!found.some((f) => sameReport(f.report, report))) found.push({ index, report });
    }
  }
  const subject = (docs[0]?.subject ?? '').slice(0, 120);
  if (!found.length) return reject('not-a-report', `not a sync error report (subject "${subject}", ${why[0] ?? 'no error of a known kind in its text'})`);
  // Microsoft mails a report only when there are errors: one of which not a row (not even an
  // Unknown one) could be read is a mail we could not read, to be kept and read again after a fix.
  const cutOff = found.map((f) => cutOffNote(docs[f.index]!)).find((note) => note !== null);
  if (!found.some((f) => f.report.errors.length)) {
    return reject('unreadable', `recognised as a sync error report (subject "${subject}"), but no error row could be read${cutOff ? `; ${cutOff}` : ''}`);
  }
  // in the order of their runs (a thread forwarded or attached newest first must not make the
  // older report look replayed); else as the mail has them: outer before inner, attachments in
  // MIME order, inline ones in theirs (the sort is stable)
  const reports = found.sort((a, b) => runKey(a.report) - runKey(b.report) || a.index - b.index).map((f) => f.report);
  // a cut-off copy must not pass for the whole report: the admin reads why rows may be missing
  return { ok: true, reports: cutOff ? reports.map((r) => ({ ...r, cutOff: true, unparsed: [`${cutOff}: the report may list more errors than were read`, ...r.unparsed] })) : reports };
}

/** The error rows of the reports documents quote, said of a mail rejected all the same; 0 when they cannot be read. */
function quotedRows(docs: readonly MailDocument[]): number {
  try {
    return docs.flatMap((doc) => readReports(doc, false, [])).reduce((n, r) => n + r.errors.length, 0);
  } catch {
    return 0;
  }
}

/**
 * A document's body read into blocks once: the extractor takes each block as it is read;
 * report-level facts live in the text around the error table, and in small label rows.
 */
function readBody(doc: MailDocument, anyLanguage?: ReadonlySet<number>): { body: ReportBody; extraction: Extraction } {
  const body = new ReportBody(anyLanguage);
  if (doc.html) readHtml(doc.html, body);
  // a gateway rewrites the links of a text body in place (Proofpoint's wrapper of the
  // KB link in every error text went into tickets, the customer's token with it); in HTML it
  // rewrites the href, which is never read
  else for (const block of textToBlocks(unwrapProtectedLinks(doc.text ?? ''))) body.add(block);
  return { body, extraction: body.finish() };
}

/** Whether the document, or a mail it forwards, is from Microsoft or has a report's subject. */
function saysItIsAReport(doc: MailDocument, forwards: readonly ForwardHeaders[]): boolean {
  return [doc.from, doc.relayedFrom, ...forwards.map((f) => f.from)].some(isMicrosoftSender) || [doc.subject, ...forwards.map((f) => f.subject)].some((s) => reportSubject(s).isReport);
}

/** A report's run for ordering: one that says nothing of its run goes after those that do. */
function runKey(report: ParsedReport): number {
  const at = runTime(report);
  return Number.isNaN(at) ? Infinity : at;
}

function hasTenant(fields: ReportFields): boolean {
  return !!(fields.tenant.name || fields.tenant.domain || fields.tenant.id);
}

function namesObject(error: SyncError): boolean {
  return !!(error.identity || error.onPremisesObjectId);
}

/** An object a directory holds: an address-like identity or a source anchor, not a label ("Alert"). */
function namesDirectoryObject(error: SyncError): boolean {
  return !!error.onPremisesObjectId || !!error.identity?.includes('@');
}

function namesSomething(error: SyncError): boolean {
  return namesObject(error) || error.attributes.length > 0 || error.category !== 'Unknown' || !!error.errorCode;
}

/**
 * The same mail twice (a report attached and quoted inline): same message id, same run, same
 * errors in the same order. Two runs with the same errors, forwarded together, are two reports.
 */
function sameReport(a: ParsedReport, b: ParsedReport): boolean {
  return a.messageId === b.messageId && a.reportedAt === b.reportedAt && a.errors.length === b.errors.length && a.errors.every((e, i) => e.fingerprint === b.errors[i]!.fingerprint);
}

/**
 * The reports in one document: none when it is not one (with the reason added to `why`), one
 * as a rule, several when it forwards several inline (Gmail's "Forward all" of a thread of
 * reports: one forward header each). `haveInner` says a document nested in this one already
 * gave a report: then this one counts only if it has errors of its own.
 */
function readReports(doc: MailDocument, haveInner: boolean, why: string[]): ParsedReport[] {
  let { body, extraction } = readBody(doc);
  // A zoneless inner date is the forwarder's local time: the zone of the forwarder's own Date header.
  const forwards = findForwardHeaders(body.lines.slice(0, FORWARD_HEADER_LINES), { offsetMinutes: headerZoneMinutes(doc.headers.get('date')?.[0]), near: doc.sentAt });
  // Rows in a language no rule knows (Norwegian, Ukrainian: neither the sentence nor the column
  // names known) are read once more, a sentence beside an object's name taken for its error: in
  // the tables where other rows were read as errors, or, when none was, in a mail that says it is
  // a report by its sender or subject (a note's or a signature's table is no list of errors).
  const tables = body.tablesToReadAgain();
  if (tables.size && (extraction.errors.length || saysItIsAReport(doc, forwards))) ({ body, extraction } = readBody(doc, tables));
  const lines = body.lines;
  const fromMicrosoft = forwards.filter((f) => isMicrosoftSender(f.from));
  const reportHeaders = fromMicrosoft.length ? fromMicrosoft : forwards.filter((f) => reportSubject(f.subject).isReport);
  // Above the report's own forward header is the forwarder's note: an error text it quotes is no row.
  const under = reportHeaders.map((header, i) => {
    const next = reportHeaders[i + 1]?.line ?? Infinity;
    return extraction.errors.filter((_, k) => body.linesAtRecord[k]! > header.line && body.linesAtRecord[k]! <= next);
  });
  if (under.filter((errors) => errors.length).length >= 2) {
    const reports = reportHeaders.map((header, i) => {
      const end = reportHeaders[i + 1]?.line ?? lines.length;
      return under[i]!.length ? buildReport(doc, { inner: header, errors: under[i]!, unparsed: [], lines: lines.slice(header.line, end) }, haveInner, why) : null;
    });
    // numbered as the mail shows them: ids stay stable (parseWithin hands them on in run order)
    return reports.filter((r): r is ParsedReport => r !== null).map((r, i) => ({ ...r, part: i + 1 }));
  }
  const reportHeader = reportHeaders.at(-1) ?? null;
  const below = reportHeader ? under.at(-1)! : extraction.errors;
  const report = buildReport(
    doc,
    { inner: reportHeader ?? forwards.at(-1) ?? null, errors: below.length ? below : extraction.errors, unparsed: extraction.unparsed, lines },
    haveInner,
    why,
  );
  return report ? [report] : [];
}

/** A report from what one stretch of a document says: its forward header, its errors, its lines. */
function buildReport(
  doc: MailDocument,
  part: { inner: ForwardHeaders | null; errors: SyncError[]; unparsed: string[]; lines: string[] },
  haveInner: boolean,
  why: string[],
): ParsedReport | null {
  const { inner, errors, lines } = part;
  const subject = inner?.subject ?? doc.subject;
  const subjectInfo = reportSubject(subject);
  const outerSubjectInfo = reportSubject(doc.subject);
  const sender = inner?.from ?? doc.relayedFrom ?? doc.from;
  const head = lines.slice(0, 200).join('\n');
  // The sender alone proves nothing (spam uses the same alias): an empty report must say it is one.
  const saidReport = subjectInfo.isReport || outerSubjectInfo.isReport || REPORT_TITLE_RE.test(head);

  // a report in another language may have a subject we cannot read: its sender and its rows still
  // say what it is (rows that name objects: the same senders mail quarantine notices and alerts)
  const saysReport = saidReport || (isMicrosoftSender(sender) && errors.some(namesObject));
  // A health alert's "Description:" or its "Alert | Export … failed" row may read like an error,
  // but names no directory object: only a digest that lists objects is a report.
  const notice = errors.some(namesDirectoryObject) ? null : (healthNoticeReason(subject) ?? healthNoticeReason(doc.subject));
  if (notice) {
    why.push(notice);
    return null;
  }
  if (!errors.length && (haveInner || !saysReport)) return null;

  const fields = readReportFields(lines, subjectInfo.date ?? outerSubjectInfo.date, inner?.sentAt ?? doc.sentAt);
  // A reply whose quoted mail is a colleague's (QQ Mail's "回复：回复：…" over "原始邮件", Notes'
  // reply with history, from a coworker), or that quotes nothing ("Re: Fwd: …" with "Done, my
  // UPN is fixed" alone): talk about a report, with no row, report sentence or tenant of one.
  // A body we cannot read at all has neither header nor words and stays an unreadable report.
  if (!errors.length && (inner || lines.some((l) => l.trim())) && REPLY_PREFIX_RE.test(doc.subject) && !isMicrosoftSender(sender) && !REPORT_TEXT_RE.test(head) && !hasTenant(fields)) {
    why.push(`a reply to ${addressOf(sender ?? '') ?? 'someone'} about a report, quoting none of it`);
    return null;
  }
  // A note that names a report in a line of its own (a procmail log's "Subject: Directory
  // Synchronization Error Report" pasted into "where did the report go?") but holds no row, no
  // report sentence, no report subject and no Microsoft sender: it talks about a report.
  if (!errors.length && !subjectInfo.isReport && !outerSubjectInfo.isReport && !isMicrosoftSender(sender) && !REPORT_TEXT_RE.test(head) && !hasTenant(fields)) {
    why.push('it names a report but holds none of it');
    return null;
  }
  // A reply in a ticket named after the report (a desk's "RE: [Ticket#…] Directory Synchronization
  // Error Report") that quotes PowerShell output or the admin center's wording, not the report:
  // error texts, but no row naming an object, no stated error name (pasted event records state
  // theirs), no report sentence, and no Microsoft sender.
  if (errors.length && !errors.some((e) => namesObject(e) || e.errorCode) && REPLY_PREFIX_RE.test(doc.subject) && !isMicrosoftSender(sender) && !REPORT_TITLE_RE.test(head)) {
    why.push(`a reply from ${addressOf(sender ?? '') ?? 'someone'} that talks about a report's errors but holds no row of one`);
    return null;
  }
  // Error texts without a report's subject, title or tenant sentence: a newsletter or article
  // quoting them, a colleague's pasted event log (a connector's name holds the tenant's domain).
  if (!saysReport && !fields.tenantStated) {
    why.push('it quotes error texts but has no report subject, title or tenant of its own');
    return null;
  }
  // A ticket or alert mail's "Description:" may read like an error: with nothing else to say it is a report, it must name something.
  if (!saysReport && !errors.some(namesSomething)) {
    why.push('its only error-like text names no object, attribute or known error');
    return null;
  }
  let unparsed = part.unparsed;
  if (!errors.length && !unparsed.length) {
    // A report we could not read at all: show the admin what it said instead of an empty list.
    unparsed = lines.filter((l) => !isBoilerplate(l)).slice(0, MAX_UNPARSED_LINES);
  }
  // whoever mailed our mailbox, however the report lies in their mail (forwarded inline, attached,
  // a forward of a forward): that is the person the tenants file's `forwarders` and
  // ALLOWED_FORWARDERS name (sender trust checks the outermost sender too), not a colleague between
  const forwardedBy = doc.outerFrom;
  // an inline forward's To is the report's; the To of the mail that carried it inline is ours
  const recipient = inner ? inner.to : doc.to;
  const sentAt = inner?.sentAt ?? doc.sentAt;
  return {
    messageId: doc.messageId,
    subject: stripSubjectPrefixes(subject),
    from: sender ? (addressOf(sender) ?? sender) : null,
    sentAt,
    reportedAt: runBefore(fields.reportedAt, sentAt, inner?.sentAt ? FORWARD_ZONE_SLACK_MS : 0),
    tenant: fields.tenant,
    trackingId: fields.trackingId,
    forwardedBy: forwardedBy && forwardedBy.toLowerCase() !== (sender ?? '').toLowerCase() ? forwardedBy : null,
    recipient: recipient?.toLowerCase() ?? null,
    errors,
    unparsed,
    ...(inner && { inline: true }),
  };
}

/**
 * The run time a report states, unless it is later than the report was sent: a report is sent
 * after its run, so such a time was read wrong (day and month swapped, a zone not stated) and
 * would make the report newer than reports that came after it; its Date stands then.
 */
function runBefore(reportedAt: string | null, sentAt: string | null, slackMs: number): string | null {
  return reportedAt && sentAt && Date.parse(reportedAt) > Date.parse(sentAt) + slackMs ? null : reportedAt;
}

/**
 * An inline forward's "Sent: Thursday, April 16, 2018 2:13 PM" is the forwarder's local time,
 * read with the offset of the mail that carries it: it may be off by as much as a zone can be.
 * A run stated in GMT four hours after it was no misreading (an Outlook forward
 * lost its run time, and its place among the tenant's reports).
 */
const FORWARD_ZONE_SLACK_MS = 14 * 3_600_000;

/**
 * Where a body's blocks go: the error extractor, except the rows of an inline forward's
 * header ("From: | …", no error), and the report's lines, which are its lines and the lines
 * of small label rows (most blocks of a big report are error rows, none of which count).
 */
class ReportBody implements BlockSink {
  private readonly extractor: ErrorExtractor;
  /** `anyLanguage`: the tables read in any language (ErrorExtractor); none on a first reading. */
  constructor(anyLanguage?: ReadonlySet<number>) {
    this.extractor = new ErrorExtractor(anyLanguage);
  }

  /** The tables whose rows are to be read again in any language (ErrorExtractor.tablesToReadAgain). */
  tablesToReadAgain(): Set<number> {
    return this.extractor.tablesToReadAgain();
  }
  readonly lines: string[] = [];
  /** Per record, how many lines had been read when it was made: tells records above a line from those below it. */
  readonly linesAtRecord: number[] = [];

  add(block: Block): void {
    // the note above a forward header ends there: what it quotes is made a record before the header's lines count
    if (block.kind === 'line' && this.lines.length < FORWARD_HEADER_LINES && startsForwardHeader(block.text)) {
      this.extractor.add(BREAK);
      this.mark();
    }
    if (block.kind === 'line') this.lines.push(block.text);
    else if (block.kind === 'row') {
      if (block.cells.length <= 2) for (const c of block.cells) for (const l of c.split('\n')) this.lines.push(l);
      if (isForwardHeaderRow(block.cells)) return;
    }
    this.extractor.add(block);
    this.mark();
  }

  finish(): Extraction {
    const extraction = this.extractor.finish();
    this.mark();
    return extraction;
  }

  private mark(): void {
    // records the extractor took back (prose around the errors) lose their place here too
    // (in the order taken: each index counts the records left after the one before)
    for (const at of this.extractor.takeDropped()) this.linesAtRecord.splice(at, 1);
    while (this.linesAtRecord.length < this.extractor.count) this.linesAtRecord.push(this.lines.length);
  }
}

const BREAK: Block = { kind: 'break' };

function reject(reason: 'not-a-report' | 'too-large' | 'unreadable' | 'timeout', detail: string): ParseOutcome {
  return { ok: false, rejection: { reason, detail } };
}
