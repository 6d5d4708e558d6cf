import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import { parseLooseDate } from './dates.ts';
import { addressOf, isSentAtLabel } from './forwarded.ts';
import { holdsUtf8, looksMislabelled, readsCleanly, relabelledAsUtf8, relabelledAsWindows1252, singleByteLabel } from './mislabelled-utf8.ts';
import { decodeOutlookMsg } from './outlook-msg.ts';
import { isOpaqueSigned, signedEntity } from './smime.ts';
import { decodeTnef } from './tnef.ts';

/**
 * Opens a raw mail and every mail inside it (attached `message/rfc822` or `.eml`, Outlook
 * `.msg`, and the body that Outlook wraps in `winmail.dat`) into a flat list of documents,
 * each with its own headers and body. The MIME work (transfer encodings, charsets, RFC 2047
 * headers) is mailparser's.
 */

export interface MailDocument {
  subject: string;
  from: string | null;
  /** The first To: address. */
  to: string | null;
  sentAt: string | null;
  messageId: string | null;
  html: string | null;
  text: string | null;
  /**
   * The sender of the outermost mail, the one that reached our mailbox: this document's own
   * sender when it is that mail (or when the mails around it name none).
   */
  outerFrom: string | null;
  /**
   * The sender a group or list put its own From over (Google Groups' "X via Group", keeping
   * the original in X-Original-From): whom the mail is from, where `from` is who relayed it.
   */
  relayedFrom: string | null;
  depth: number;
  /**
   * Header fields by lower-case name, each value unfolded but not decoded (every occurrence
   * kept). Only for the checks that tell automatic and bulk mail apart; empty for .msg files.
   */
  headers: ReadonlyMap<string, readonly string[]>;
  /** The bytes this document was decoded from (null for a .msg): sender trust checks their signatures. */
  raw: Buffer | null;
}

const MAX_DEPTH = 4;
/** mailparser's options for every decode of a mail: none of its own text conversions (the parser reads the html itself). */
export const PARSER_OPTIONS = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } as const;

/** Compound File Binary: an Outlook .msg saved to disk and handed to us as is. */
const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

export function isOutlookMsg(raw: Buffer): boolean {
  return raw.subarray(0, 8).equals(CFB_MAGIC);
}

export async function openMail(raw: Buffer): Promise<MailDocument[]> {
  const docs: MailDocument[] = [];
  if (isOutlookMsg(raw)) docs.push(msgDocument(decodeOutlookMsg(raw), null, 0));
  else await visit(raw, 0, null, docs);
  return docs;
}

function msgDocument(msg: ReturnType<typeof decodeOutlookMsg>, outerFrom: string | null, depth: number): MailDocument {
  const from = msg.fromAddress ?? msg.from;
  return {
    subject: msg.subject ?? '',
    from,
    to: msg.toAddress,
    sentAt: msg.sentAt,
    messageId: msg.messageId ?? null,
    html: msg.bodyHtml,
    text: msg.bodyText,
    outerFrom: outerFrom ?? from,
    relayedFrom: null,
    depth,
    headers: new Map(),
    raw: null,
  };
}

async function visit(raw: Buffer, depth: number, outerFrom: string | null, docs: MailDocument[]): Promise<void> {
  const mail = await decodeMislabelledUtf8(raw, await decodeWithMetaCharset(raw, await simpleParser(raw, PARSER_OPTIONS)));
  const from = firstAddress(mail.from);
  const headers = headerFields(mail.headerLines ?? []);
  const relayedFrom = otherAddress(headers.get('x-original-from')?.[0], from);
  const doc: MailDocument = {
    subject: mail.subject ?? '',
    from,
    to: firstAddress(mail.to),
    sentAt: sentAtOf(mail),
    messageId: mail.messageId ?? null,
    html: typeof mail.html === 'string' ? mail.html : null,
    text: mail.text ?? null,
    // a redirect (RFC 5322 Resent-From: Outlook's and mutt's "redirect", an Exchange rule's) and
    // Gmail's automatic forward ("X-Forwarded-For: <forwarding account> <destination>", as
    // ajaxtower.jp/gmail/auto-forwarding shows its headers) keep the
    // report's From: the one who sent it on to our mailbox is named there
    outerFrom: outerFrom ?? otherAddress(headers.get('resent-from')?.[0], from) ?? otherAddress(headers.get('x-forwarded-for')?.[0]?.trim().split(/\s+/)[0], from) ?? from,
    relayedFrom,
    depth,
    headers,
    raw,
  };
  docs.push(doc);
  if (depth >= MAX_DEPTH) return;
  for (const att of mail.attachments ?? []) {
    try {
      await visitAttachment(att, mail, doc, depth, docs);
    } catch {
      // A broken winmail.dat or .msg must not cost us the rest of the mail: its own body still counts.
    }
  }
}

async function visitAttachment(att: Attachment, mail: ParsedMail, doc: MailDocument, depth: number, docs: MailDocument[]): Promise<void> {
  const type = (att.contentType ?? '').toLowerCase();
  const name = (att.filename ?? '').toLowerCase();
  const content = att.content as Buffer | undefined;
  if (!content?.length) return;
  if (type === 'message/rfc822' || type === 'message/global' || name.endsWith('.eml')) {
    await visit(content, depth + 1, doc.outerFrom, docs);
  } else if (type === 'application/ms-tnef' || type === 'application/vnd.ms-tnef' || name === 'winmail.dat') {
    // Outlook's RTF forwards put the real body (and attachments) inside winmail.dat
    const tnef = decodeTnef(content);
    doc.html ??= tnef.bodyHtml;
    if (!doc.html) doc.text = [doc.text, tnef.bodyText].filter(Boolean).join('\n\n') || null;
    for (const inner of tnef.attachments) {
      await visitAttachment(
        { ...att, content: inner.content, contentType: inner.mimeType ?? 'application/octet-stream', filename: inner.filename ?? undefined } as Attachment,
        mail,
        doc,
        depth,
        docs,
      );
    }
  } else if (isOpaqueSigned(type, name)) {
    // the signed entity is this mail's own body, under its headers: read into this document, as winmail.dat's is
    const entity = signedEntity(content);
    if (!entity) return;
    const signed = await simpleParser(entity, PARSER_OPTIONS);
    doc.html ??= typeof signed.html === 'string' ? signed.html : null;
    if (!doc.html) doc.text = [doc.text, signed.text].filter(Boolean).join('\n\n') || null;
    for (const inner of signed.attachments ?? []) await visitAttachment(inner, mail, doc, depth, docs);
  } else if (type === 'application/vnd.ms-outlook' || name.endsWith('.msg')) {
    docs.push(msgDocument(decodeOutlookMsg(content), doc.outerFrom, depth + 1));
  } else if ((type === 'text/plain' || name.endsWith('.txt')) && SAVED_AS_TEXT.test(content.subarray(0, 16).toString('latin1'))) {
    await visit(savedAsText(content), depth + 1, doc.outerFrom, docs);
  }
}

/** Outlook's "Save As" text of a mail starts with its From line: "From:<TAB>MSOnlineServicesTeam@…". */
const SAVED_AS_TEXT = /^From:[ \t]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const WINDOWS_1252 = new TextDecoder('windows-1252');

/**
 * A mail saved as text: its From/Sent/To/Subject lines are headers enough to read it as a mail.
 * It names no charset: Outlook writes the machine's code page where the text is not UTF-8.
 */
function savedAsText(content: Buffer): Buffer {
  let text: string;
  try {
    text = UTF8.decode(content);
  } catch {
    text = WINDOWS_1252.decode(content);
  }
  return Buffer.from(`Content-Type: text/plain; charset=utf-8\r\n${text}`, 'utf8');
}

/**
 * An HTML part whose Content-Type names no charset may name it in a `<meta>` tag instead (RFC
 * 6657 lets text/html do so; relays and scripts send such mail): mailparser reads the part as
 * UTF-8 and turns its other bytes into U+FFFD. Then the mail is decoded once more with the
 * meta's charset written into the parts that named none.
 */
async function decodeWithMetaCharset(raw: Buffer, mail: ParsedMail): Promise<ParsedMail> {
  if (typeof mail.html !== 'string') return mail;
  // where a browser looks for it (HTML's prescan reads the first 1,024 bytes): a look at the
  // head first spares most mails a scan of their whole body for U+FFFD
  const charset = META_CHARSET_RE.exec(mail.html.slice(0, META_PRESCAN_CHARS))?.[1]?.toLowerCase();
  if (!charset || charset === 'utf-8' || charset === 'utf8' || !mail.html.includes('\uFFFD')) return mail;
  const text = raw.toString('latin1');
  const patched = text.replace(HTML_WITHOUT_CHARSET_RE, (line: string, head: string, end: string) => (/charset\s*=/i.test(line) ? line : `${head}; charset="${charset}"${end}`));
  return patched === text ? mail : simpleParser(Buffer.from(patched, 'latin1'), PARSER_OPTIONS);
}
const META_PRESCAN_CHARS = 1024;

/** A mail whose single-byte label hides UTF-8 bytes (mislabelled-utf8.ts), decoded as UTF-8. */
async function decodeMislabelledUtf8(raw: Buffer, mail: ParsedMail): Promise<ParsedMail> {
  const encoding = singleByteLabel(raw);
  const html = typeof mail.html === 'string' ? mail.html : null;
  if (!encoding) return readsCleanly(html, mail.text) ? mail : decodeMislabelledSingleByte(raw, mail);
  if (!(looksMislabelled(html, encoding) || looksMislabelled(mail.text ?? null, encoding))) return mail;
  const again = await simpleParser(relabelledAsUtf8(raw), PARSER_OPTIONS);
  return readsCleanly(typeof again.html === 'string' ? again.html : null, again.text) ? again : mail;
}

/** A mail with U+FFFD under a UTF-8 label, decoded again as windows-1252 where that reads it (mislabelled-utf8.ts). */
async function decodeMislabelledSingleByte(raw: Buffer, mail: ParsedMail): Promise<ParsedMail> {
  const relabelled = relabelledAsWindows1252(raw);
  if (!relabelled) return mail;
  const again = await simpleParser(relabelled, PARSER_OPTIONS);
  const html = typeof again.html === 'string' ? again.html : null;
  const clean = readsCleanly(html, again.text) && !holdsUtf8(html, 'windows-1252') && !holdsUtf8(again.text, 'windows-1252');
  return clean ? again : mail;
}
const META_CHARSET_RE = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i;
const HTML_WITHOUT_CHARSET_RE = /^(Content-Type:[ \t]*text\/html[^\r\n]*?)(\r?\n)(?![ \t])/gim;

/** Raw header lines: mailparser's own `headers` map merges List-* fields into one object. */
function headerFields(lines: ReadonlyArray<{ key: string; line: string }>): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const { key, line } of lines) {
    const colon = line.indexOf(':');
    const value = (colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
    const name = key.toLowerCase();
    fields.set(name, [...(fields.get(name) ?? []), value]);
  }
  return fields;
}

/**
 * The Date header's time. mailparser puts the time of parsing in place of a Date it cannot
 * read, which would date a saved report today: such a header ("8 March 2022 at 23:32:40 CET",
 * Apple Mail's as a saved text gives it) is read as a loose date instead, or is no date.
 */
function sentAtOf(mail: ParsedMail): string | null {
  const lines = mail.headerLines ?? [];
  const line = lines.find((h) => h.key === 'date')?.line;
  const value = line ? headerValue(line) : '';
  // a Date in a client's own words ("Montag, 2. März 2026 07:34") comes as UTF-8 bytes, as a saved text's labels do
  const dated = !line ? savedSentAt(lines) : !value ? null : Number.isNaN(Date.parse(value)) ? parseLooseDate(utf8OrAsIs(value)) : plausibleDate(mail.date);
  return dated ?? deliveredAt(lines);
}

/**
 * With no Date to read, the first relay's time in the Received headers (after each one's `;`):
 * the mail's own record of when it was sent, where else a replay could only date it by when
 * it is replayed, which would make an old report the newest.
 */
function deliveredAt(lines: ReadonlyArray<{ key: string; line: string }>): string | null {
  const times = lines
    .filter((h) => h.key === 'received')
    .map((h) => Date.parse(headerValue(h.line).split(';').pop() ?? ''))
    .filter((t) => plausibleDate(new Date(t)) !== null);
  return times.length ? new Date(Math.min(...times)).toISOString() : null;
}

/**
 * A mail Outlook saved as text has no Date: it names its time "Sent:" ("Gesendet:", "Envoyé :"
 * in a localised Outlook), the labels of its forward headers, which forwarded.ts knows. No zone
 * is written: the time is read as UTC, and a numeric date only in the order its From label's
 * language writes (day first unless the label is English "From").
 */
function savedSentAt(lines: ReadonlyArray<{ key: string; line: string }>): string | null {
  // the label from the line, not the key: mailparser lower-cases the key's bytes one by one
  const line = lines.find((h) => isSentAtLabel(utf8OrAsIs(h.line.slice(0, h.line.indexOf(':')))))?.line;
  if (!line) return null;
  const english = lines.some((h) => h.key === 'from');
  return parseLooseDate(utf8OrAsIs(headerValue(line)), { order: english ? undefined : 'dmy' });
}

function headerValue(line: string): string {
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** mailparser hands header lines over byte for byte (latin1): a saved text's "Envoyé" is UTF-8 bytes. */
function utf8OrAsIs(text: string): string {
  if (/[^\x00-\xff]/.test(text)) return text;
  try {
    return UTF8.decode(Buffer.from(text, 'latin1'));
  } catch {
    return text;
  }
}

/** A mangled Date header can parse to the year 72014: such a date is no date. */
function plausibleDate(date: Date | undefined): string | null {
  if (!date || Number.isNaN(date.getTime())) return null;
  const year = date.getUTCFullYear();
  return year >= 1990 && year <= 2100 ? date.toISOString() : null;
}

/** The address a header field names, when it is one other than `from`. */
function otherAddress(field: string | undefined, from: string | null): string | null {
  const address = field ? addressOf(field) : null;
  return address && address.toLowerCase() !== from?.toLowerCase() ? address : null;
}

function firstAddress(value: AddressObject | AddressObject[] | undefined): string | null {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  for (const obj of list) for (const a of obj.value) if (a.address) return a.address;
  return null;
}
