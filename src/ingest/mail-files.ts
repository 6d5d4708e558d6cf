import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

/**
 * Reads mails from files for `syncdesk parse` and `syncdesk replay`: single mail files
 * (.eml, .msg, Apple Mail's .emlx, anything), directories (recursively: mail stores such as
 * Maildir, MH, Thunderbird and Apple Mail folders) and mbox files.
 *
 * An mbox is recognised by its content (a first line starting with `From `), not by its
 * name. It is split on its From_ lines (`From `, the sender, a date) and streamed line by line, so a multi-gigabyte
 * export never sits in memory whole. mboxrd quoting is undone (`>From ` → `From `,
 * `>>From ` → `>From `), the separator line is dropped, and the one blank line an mbox
 * writer appends after each message is removed; line endings (CRLF or LF) stay as they
 * are, so the bytes are the message as it was written into the mbox.
 */

export type MailInput = { raw: Buffer; label: string; kind: 'file' | 'mbox' };

/** A path that cannot be read: missing, unreadable, or neither a file nor a directory. */
export class MailInputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read mail input ${path}: ${reason}`, options);
    this.name = 'MailInputError';
  }
}

/**
 * Names a directory walk always reads. Any other file is read when its first bytes are a
 * mail's (a header line, an mbox From line, an .emlx byte count): mail
 * stores name their mails by number (MH), by delivery (Maildir's "1709632800.M1P2.host:2,S")
 * or not at all (Thunderbird's "Inbox"), and keep their indexes, lists and plists beside them.
 */
const MAIL_EXTENSIONS = new Set(['.eml', '.msg', '.mbox', '.emlx']);
const HEAD_BYTES = 512;
const FROM_LINE = Buffer.from('From ');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** A header field's name and colon at the start of a file ("Return-Path:", "From:"; not "C:" or '{"a":'). */
const HEADER_LINE_RE = /^[A-Za-z][A-Za-z0-9-]{1,75}:/;
/** Apple Mail's .emlx: the message's length in bytes on the first line, then the message, then a plist. */
const EMLX_LENGTH_RE = /^(\d{1,12})[ \t]*\r?\n/;
const LF = 0x0a;
const CR = 0x0d;
const GT = 0x3e;

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error).message;
}

export interface ReadMailOptions {
  /**
   * Hears each path that cannot be read (missing, unreadable, cut off mid-mbox), which is then
   * passed over so the rest is still read. Without it the first one throws.
   */
  onUnreadable?: (err: MailInputError) => void;
  /**
   * Hears each file of a directory that is no mail (an index, a plist, a report saved as .htm):
   * not an error, but the admin should know a file in the folder gave nothing.
   */
  onPassedOver?: (path: string) => void;
}

/**
 * Yields every mail found under `paths`, in order: each path as given; the mails of a
 * directory sorted by path (MH's numbered files by number), recursively. A path that cannot
 * be read throws MailInputError, or goes to `onUnreadable`.
 */
export async function* readMailInputs(paths: string[], options: ReadMailOptions = {}): AsyncGenerator<MailInput> {
  const passOver: PassOver = (err) => {
    if (!(err instanceof MailInputError) || !options.onUnreadable) throw err;
    options.onUnreadable(err);
  };
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      passOver(new MailInputError(path, describe(err), { cause: err }));
      continue;
    }
    if (info.isDirectory()) {
      for (const file of await listDirectory(path, passOver, options.onPassedOver)) yield* guarded(readMailFile(file), passOver);
    } else if (info.isFile()) {
      yield* guarded(readMailFile(path), passOver);
    } else {
      passOver(new MailInputError(path, 'not a regular file or directory'));
    }
  }
}

type PassOver = (err: unknown) => void;

/** One file's mails; a read failure (before or after some of an mbox's) goes to `passOver`. */
async function* guarded(mails: AsyncGenerator<MailInput>, passOver: PassOver): AsyncGenerator<MailInput> {
  try {
    yield* mails;
  } catch (err) {
    passOver(err);
  }
}

/** The files under `dir` a walk reads: hidden entries skipped, but for Maildir++ folders (".Reports") and never a Maildir's tmp/. */
async function listDirectory(dir: string, passOver: PassOver, notMail: (path: string) => void = () => undefined): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (err) {
      passOver(new MailInputError(current, describe(err), { cause: err }));
      return;
    }
    const names = new Set(entries.map((e) => e.name));
    const maildir = names.has('cur') && names.has('new');
    for (const entry of entries) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) {
        // tmp/ holds mails still being delivered; a Maildir++ folder is a Maildir named ".Folder"
        if (maildir && entry.name === 'tmp') continue;
        if (entry.name.startsWith('.') && !(maildir && (await isMaildir(full)))) continue;
        await walk(full);
      } else if (entry.isFile() && !entry.name.startsWith('.')) {
        if (MAIL_EXTENSIONS.has(extname(entry.name).toLowerCase()) || (await hasMailHead(full))) found.push(full);
        // the mail store's record beside its mail (named "no mail" at every replay of the store)
        else if (!isStoreSidecar(entry.name, names)) notMail(full);
      }
    }
  };
  await walk(dir);
  return found.sort(byPath);
}

/** `<sha256>.json` beside `<sha256>.eml`: the mail store's record of that mail (mail-store.ts). */
function isStoreSidecar(name: string, names: ReadonlySet<string>): boolean {
  return /^[0-9a-f]{64}\.json$/.test(name) && names.has(name.replace(/\.json$/, '.eml'));
}

/** A file of no mail name whose first bytes are a mail's; one we may not read (a root-only index) is none. */
async function hasMailHead(path: string): Promise<boolean> {
  try {
    return isMailHead(await readHead(path));
  } catch {
    return false;
  }
}

/** Paths in order, a run of digits by its number ("inbox/2" before "inbox/10", as MH numbers its mails). */
function byPath(a: string, b: string): number {
  return PATH_ORDER.compare(a, b);
}
const PATH_ORDER = new Intl.Collator('en', { numeric: true, sensitivity: 'variant', caseFirst: 'upper' });

async function isMaildir(path: string): Promise<boolean> {
  try {
    const names = new Set(await readdir(path));
    return names.has('cur') && names.has('new');
  } catch {
    return false;
  }
}

async function readHead(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } catch (err) {
    throw new MailInputError(path, describe(err), { cause: err });
  } finally {
    await handle?.close();
  }
}

/**
 * Whether a file's first bytes are a mail's, an mbox's or an .emlx's. An Outlook .msg is read
 * by its name only: Windows' Thumbs.db is the same compound file format.
 */
function isMailHead(head: Buffer): boolean {
  if (startsWithFrom(head)) return true;
  const text = head.subarray(head.subarray(0, 3).equals(UTF8_BOM) ? 3 : 0).toString('latin1');
  const emlx = EMLX_LENGTH_RE.exec(text);
  return HEADER_LINE_RE.test(emlx ? text.slice(emlx[0].length) : text);
}

function startsWithFrom(head: Buffer): boolean {
  return head.length >= FROM_LINE.length && head.subarray(0, FROM_LINE.length).equals(FROM_LINE);
}

/**
 * A line that starts the next message of an mbox: "From ", the envelope sender, then a date,
 * asctime's as mbox writers put it ("From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
 * Thunderbird's "From - Mon Jan  1 …") or RFC 2822's ("Sat, 04 Jan 2020 10:48:32 +0000").
 * A body line an mboxo writer left unquoted ("From the previous report at 06:00 on 5 May
 * 2026, …") has no date right after its second word: it is the body's.
 */
function isSeparator(line: Buffer): boolean {
  return startsWithFrom(line) && SEPARATOR_RE.test(line.toString('latin1', FROM_LINE.length, 200));
}
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const SEPARATOR_RE = new RegExp(`^\\S+ +(?:${DAY},? +)?(?:${MONTH} +\\d{1,2}|\\d{1,2} +${MONTH} +\\d{4}) +\\d{1,2}:\\d{2}`);

async function* readMailFile(path: string): AsyncGenerator<MailInput> {
  if (startsWithFrom(await readHead(path))) {
    yield* readMbox(path);
    return;
  }
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    throw new MailInputError(path, describe(err), { cause: err });
  }
  const mail = emlxMessage(raw) ?? raw;
  // Windows tools save .eml files with a UTF-8 byte order mark, before which no header is read
  yield { raw: mail.subarray(0, 3).equals(UTF8_BOM) ? mail.subarray(3) : mail, label: path, kind: 'file' };
}

/**
 * The message inside an .emlx: the stated length after the first line (the plist after it is
 * Apple Mail's), or up to the plist when the length runs past the end of a cut-short file.
 */
function emlxMessage(raw: Buffer): Buffer | null {
  const m = EMLX_LENGTH_RE.exec(raw.subarray(0, 32).toString('latin1'));
  if (!m || !HEADER_LINE_RE.test(raw.subarray(m[0].length, m[0].length + 80).toString('latin1'))) return null;
  const start = m[0].length;
  const end = start + Number(m[1]);
  if (end <= raw.length) return raw.subarray(start, end);
  const plist = raw.indexOf(PLIST_START, start);
  return raw.subarray(start, plist < 0 ? raw.length : plist);
}
const PLIST_START = Buffer.from('<?xml');

/** Lines of a byte stream, each with its own terminator (LF or CRLF; the last may have none). */
async function* readLines(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  for await (const chunk of stream) {
    let start = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, start)) {
      const piece = chunk.subarray(start, i + 1);
      if (pending.length) {
        pending.push(piece);
        yield Buffer.concat(pending);
        pending = [];
      } else {
        yield piece;
      }
      start = i + 1;
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length) yield Buffer.concat(pending);
}

/** `>From `, `>>From ` … (mboxrd-quoted): drop one `>`. */
function unquote(line: Buffer): Buffer {
  let i = 0;
  while (i < line.length && line[i] === GT) i++;
  if (i === 0) return line;
  return line.subarray(i, i + FROM_LINE.length).equals(FROM_LINE) ? line.subarray(1) : line;
}

function isBlankLine(line: Buffer): boolean {
  return (line.length === 1 && line[0] === LF) || (line.length === 2 && line[0] === CR && line[1] === LF);
}

function finishMessage(lines: Buffer[]): Buffer {
  // The mbox writer's separator blank line after each message is not part of the message.
  const last = lines.at(-1);
  if (last && isBlankLine(last)) lines.pop();
  return Buffer.concat(lines);
}

/**
 * One message of an mbox as its lines arrive. mboxcl2 (Solaris mail, public-inbox's lei)
 * measures each body in a Content-Length header and quotes nothing, so a body line starting
 * "From " within the measured bytes is the body's, not the next message. A Content-Length the
 * body does not bear out (a stale one copied by some tool) counts for nothing: the message is
 * cut at those lines after all, as in any other mbox.
 */
class MboxMessage {
  private readonly lines: Buffer[] = [];
  private inHeader = true;
  private contentLength: number | null = null;
  private bodyBytes = 0;
  /** The lines the Content-Length measured: [start, end) in `lines`, kept as written. */
  private measured: [number, number] = [0, 0];
  /** Where the "From " lines kept as body on the Content-Length's word are. */
  private readonly heldFrom: number[] = [];

  /** Whether a "From " line now is the body's. */
  measuring(): boolean {
    return this.contentLength !== null && !this.inHeader && this.bodyBytes < this.contentLength;
  }

  /** A line as read; `left` is how many bytes of the file come after it (a count beyond them is stale). */
  add(line: Buffer, left: number): void {
    if (this.inHeader) {
      if (!isBlankLine(line)) this.contentLength ??= contentLengthOf(line);
      else {
        this.inHeader = false;
        if (this.contentLength !== null && this.contentLength > left) this.contentLength = null;
        this.measured = [this.lines.length + 1, this.lines.length + 1];
      }
    } else if (this.measuring()) {
      if (isSeparator(line)) this.heldFrom.push(this.lines.length);
      this.bodyBytes += line.length;
      this.measured[1] = this.lines.length + 1;
    }
    this.lines.push(line);
  }

  /** The message, or the messages it was when its Content-Length did not hold; mboxrd quoting undone where it applies. */
  finish(): Buffer[] {
    const [from, to] = this.measured;
    if (this.contentLength === null || this.bodyBytes === this.contentLength || !this.heldFrom.length) {
      return [finishMessage(this.lines.map((line, i) => (i >= from && i < to ? line : unquote(line))))];
    }
    const pieces: Buffer[] = [];
    let start = 0;
    for (const at of [...this.heldFrom, this.lines.length]) {
      pieces.push(finishMessage(this.lines.slice(start, at).map(unquote)));
      start = at + 1;
    }
    return pieces;
  }
}

const CONTENT_LENGTH_RE = /^Content-Length:[ \t]*(\d{1,12})\s*$/i;
function contentLengthOf(line: Buffer): number | null {
  if (line.length > 40 || (line[0] !== 0x43 && line[0] !== 0x63)) return null;
  const m = CONTENT_LENGTH_RE.exec(line.toString('latin1'));
  return m ? Number(m[1]) : null;
}

async function* readMbox(path: string): AsyncGenerator<MailInput> {
  let left: number;
  try {
    left = (await stat(path)).size;
  } catch (err) {
    throw new MailInputError(path, describe(err), { cause: err });
  }
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  let message: MboxMessage | null = null;
  let index = 0;
  const finished = function* (m: MboxMessage): Generator<MailInput> {
    for (const raw of m.finish()) if (raw.length) yield { raw, label: `${path}#${++index}`, kind: 'mbox' };
  };
  try {
    for await (const line of readLines(stream)) {
      left -= line.length;
      // the file's first line opens the first message whatever it holds (it made the file an mbox)
      if ((message ? isSeparator(line) : startsWithFrom(line)) && !message?.measuring()) {
        if (message) yield* finished(message);
        message = new MboxMessage();
      } else {
        message?.add(line, left);
      }
    }
  } catch (err) {
    if (err instanceof MailInputError) throw err;
    throw new MailInputError(path, describe(err), { cause: err });
  } finally {
    stream.destroy();
  }
  if (message) yield* finished(message);
}
