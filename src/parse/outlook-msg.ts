/**
 * Outlook .msg (MS-OXMSG, a Compound File Binary) decoder on top of @kenjiuno/msgreader.
 *
 * msgreader trusts the file: a FAT chain or directory tree with a cycle makes it loop forever, a
 * huge stream size makes it allocate it. So before handing it the bytes we walk the same
 * structures it will walk (header, DIFAT, directory chain, directory tree, mini FAT, stream
 * sizes) with cycle and bounds checks, the way msgreader reads them. The only error that leaves
 * {@link decodeOutlookMsg} is {@link OutlookMsgError}.
 */
import MsgReaderModule from '@kenjiuno/msgreader';
import type { FieldsData } from '@kenjiuno/msgreader';
import { PermanentError } from '../errors.ts';
import { CompressedRtfError, decompressRtf, extractFromRtf } from './rtf.ts';
import { decodeHtmlBytes } from './tnef.ts';

export class OutlookMsgError extends PermanentError {
  constructor(message: string, code = 'msg_invalid', options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'OutlookMsgError';
  }
}

export interface OutlookMsgAttachment {
  filename: string | null;
  mimeType: string | null;
  content: Buffer;
}

export interface OutlookMsgContent {
  subject: string | null;
  /** The sender as a mailbox: the transport headers' From (encoded words decoded), else `Name <address>`. */
  from: string | null;
  /** The sender's address alone, when one is known. */
  fromAddress: string | null;
  /** The first To: address, from the transport headers when the file kept them. */
  toAddress: string | null;
  /** ISO 8601: the transport headers' Date, else PR_CLIENT_SUBMIT_TIME, else PR_MESSAGE_DELIVERY_TIME. */
  sentAt: string | null;
  bodyText: string | null;
  bodyHtml: string | null;
  /** Message-ID: the transport headers' one, else PR_INTERNET_MESSAGE_ID. */
  messageId: string | null;
  /** PR_TRANSPORT_MESSAGE_HEADERS: the RFC 5322 header block, when Outlook kept it (received mail). */
  headers: string | null;
  /** File attachments; an embedded message comes out as its own .msg. */
  attachments: OutlookMsgAttachment[];
}

export interface OutlookMsgOptions {
  /** Refuse larger files (default 64 MiB). */
  maxInputBytes?: number;
}

// Under Node's ESM loader the default import of this CommonJS package is its exports object, whose
// `default` is the class; a bundler with interop may hand us the class itself.
type MsgReaderClass = typeof MsgReaderModule.default;
const MsgReader: MsgReaderClass =
  (MsgReaderModule as unknown as { default?: MsgReaderClass }).default ?? (MsgReaderModule as unknown as MsgReaderClass);

const CFB_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex');
const END_OF_CHAIN = -2;
const NO_INDEX = -1;

/** Walks the CFB structures msgreader walks, refusing cycles, overruns and absurd sizes. */
function validateCfb(buf: Buffer): void {
  const bad = (why: string): never => {
    throw new OutlookMsgError(`not a readable .msg: ${why}`, 'msg_corrupt');
  };
  if (buf.length < 512 || !buf.subarray(0, 8).equals(CFB_MAGIC)) bad('no compound file signature');
  const i32 = (off: number): number => {
    if (!Number.isSafeInteger(off) || off < 0 || off + 4 > buf.length) bad(`read past the end at ${off}`);
    return buf.readInt32LE(off);
  };
  const sectorSize = buf[30] === 12 ? 4096 : 512;
  const perSector = sectorSize / 4;
  const maxSectors = Math.ceil(buf.length / sectorSize);
  const batCount = i32(0x2c);
  const propStart = i32(0x30);
  const sbatStart = i32(0x3c);
  const sbatCount = i32(0x40);
  const xbatStart = i32(0x44);
  const xbatCount = i32(0x48);
  if (batCount < 0 || batCount > maxSectors) bad(`FAT sector count ${batCount}`);
  if (xbatCount < 0 || xbatCount > maxSectors) bad(`DIFAT sector count ${xbatCount}`);
  if (sbatCount < 0) bad(`mini FAT sector count ${sbatCount}`);

  const bat: number[] = [];
  const inHeader = Math.min(batCount, 109);
  for (let i = 0; i < inHeader; i++) bat.push(i32(0x4c + 4 * i));
  if (xbatCount > 0) {
    let remaining = batCount - inHeader;
    let next = xbatStart;
    for (let i = 0; i < xbatCount; i++) {
      const base = (next + 1) * sectorSize;
      const take = Math.min(remaining, perSector - 1);
      for (let j = 0; j < take; j++) {
        const v = i32(base + 4 * j);
        if (v === -1 || v === END_OF_CHAIN) break;
        bat.push(v);
      }
      remaining -= take;
      next = i32(base + 4 * (perSector - 1));
      if (next === -1 || next === END_OF_CHAIN) break;
    }
  }
  const nextIn = (table: number[], o: number): number => {
    const sector = table[Math.floor(o / perSector)];
    if (sector === undefined) return END_OF_CHAIN;
    return i32((sector + 1) * sectorSize + 4 * (o % perSector));
  };
  const walk = (table: number[], start: number, limit: number, what: string): number[] => {
    const seen = new Set<number>();
    const chain: number[] = [];
    for (let cur = start; cur !== END_OF_CHAIN; cur = nextIn(table, cur)) {
      if (seen.has(cur)) bad(`${what} chain loops`);
      if (chain.length >= limit) bad(`${what} chain too long`);
      seen.add(cur);
      chain.push(cur);
    }
    return chain;
  };

  // Directory entries.
  const dirSectors = walk(bat, propStart, maxSectors, 'directory');
  interface Dir { type: number; prev: number; next: number; child: number; start: number; size: number }
  const dirs: Dir[] = [];
  for (const s of dirSectors) {
    for (let k = 0; k < sectorSize / 128; k++) {
      const off = (s + 1) * sectorSize + 128 * k;
      if (buf.length < off + 0x42) break;
      const type = buf[off + 0x42] ?? 0;
      if (type === 1 || type === 2 || type === 5) {
        dirs.push({ type, prev: i32(off + 0x44), next: i32(off + 0x48), child: i32(off + 0x4c), start: i32(off + 0x74), size: i32(off + 0x78) });
      } else {
        dirs.push({ type, prev: NO_INDEX, next: NO_INDEX, child: NO_INDEX, start: 0, size: 0 });
      }
    }
  }
  const root = dirs[0];
  if (!root) bad('no root directory entry');

  // The tree: every entry reachable once, every link in range.
  const seen = new Set<number>([0]);
  const todo: number[] = root!.child === NO_INDEX ? [] : [root!.child];
  while (todo.length > 0) {
    const idx = todo.pop()!;
    const d = dirs[idx];
    if (!d) bad(`directory link ${idx} out of range`);
    if (seen.has(idx)) bad('directory tree loops');
    seen.add(idx);
    if (d!.prev !== NO_INDEX) todo.push(d!.prev);
    if (d!.next !== NO_INDEX) todo.push(d!.next);
    if (d!.type === 1 && d!.child !== NO_INDEX) todo.push(d!.child);
  }

  // Mini FAT and mini stream.
  const sbat: number[] = [];
  {
    const seenS = new Set<number>();
    for (let i = 0, s = sbatStart; i < sbatCount && s && s !== END_OF_CHAIN; i++) {
      if (seenS.has(s) || sbat.length >= maxSectors) bad('mini FAT chain loops');
      seenS.add(s);
      sbat.push(s);
      s = nextIn(bat, s);
    }
  }
  walk(bat, root!.start, maxSectors, 'mini stream');

  let total = 0;
  for (const idx of seen) {
    const d = dirs[idx]!;
    if (d.type !== 2 || d.size <= 0) continue;
    if (d.size > buf.length) bad(`stream of ${d.size} bytes in a ${buf.length}-byte file`);
    total += d.size;
    if (d.size < 4096) walk(sbat, d.start, sbat.length * perSector + 1, 'mini stream');
  }
  if (total > 2 * buf.length + 1024 * 1024) bad('streams add up to more than the file');
}

/** Decodes RFC 2047 encoded words (B and Q) in a header value. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g, (whole, charset: string, enc: string, text: string) => {
      try {
        const bytes = enc.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
            text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          );
        return new TextDecoder(charset.toLowerCase()).decode(bytes);
      } catch {
        return whole;
      }
    });
}

function headerValue(headers: string, name: string): string | null {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  const m = re.exec(unfolded);
  return m?.[1] ? m[1].trim() : null;
}

function toIso(s: string | null | undefined): string | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function addressOf(mailbox: string): string | null {
  const angle = /<([^<>\s]+@[^<>\s]+)>/.exec(mailbox);
  if (angle?.[1]) return angle[1];
  const bare = /[^\s<>"',;:]+@[^\s<>"',;:]+/.exec(mailbox);
  return bare ? bare[0] : null;
}

const nonEmpty = (s: string | undefined | null): string | null => (s && s.length > 0 ? s : null);

/**
 * Decodes an Outlook .msg file. Throws {@link OutlookMsgError} (and nothing else) on anything that
 * is not a readable Outlook message.
 */
export function decodeOutlookMsg(data: Buffer, options: OutlookMsgOptions = {}): OutlookMsgContent {
  const maxInput = options.maxInputBytes ?? 64 * 1024 * 1024;
  if (data.length > maxInput) throw new OutlookMsgError(`.msg of ${data.length} bytes is over the ${maxInput}-byte cap`, 'msg_too_large');
  validateCfb(data);
  let reader: InstanceType<MsgReaderClass>;
  let fields: FieldsData;
  try {
    // msgreader wants an ArrayBuffer of exactly the file.
    const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    reader = new MsgReader(ab);
    fields = reader.getFileData();
  } catch (err) {
    throw new OutlookMsgError(`not a readable .msg: ${err instanceof Error ? err.message : String(err)}`, 'msg_corrupt', { cause: err });
  }
  if (fields.error || fields.dataType !== 'msg') {
    throw new OutlookMsgError(`not a readable .msg: ${fields.error ?? 'no message'}`, 'msg_corrupt');
  }
  const looksLikeMessage = fields.messageClass !== undefined || fields.subject !== undefined || fields.body !== undefined
    || fields.bodyHtml !== undefined || fields.html !== undefined || fields.compressedRtf !== undefined || fields.headers !== undefined;
  if (!looksLikeMessage) throw new OutlookMsgError('compound file holds no Outlook message properties', 'msg_not_message');

  try {
    const headers = nonEmpty(fields.headers);
    const headerFrom = headers ? headerValue(headers, 'From') : null;
    const senderAddress = nonEmpty(fields.senderSmtpAddress)
      ?? (fields.senderAddressType === 'EX' ? null : nonEmpty(fields.senderEmail))
      ?? nonEmpty(fields.sentRepresentingSmtpAddress)
      ?? nonEmpty(fields.creatorSMTPAddress);
    const senderName = nonEmpty(fields.senderName);
    let from: string | null = headerFrom ? decodeEncodedWords(headerFrom) : null;
    if (!from && senderAddress) from = senderName && senderName !== senderAddress ? `${senderName} <${senderAddress}>` : senderAddress;
    if (!from) from = senderName;
    const fromAddress = (from ? addressOf(from) : null) ?? senderAddress;
    const sentAt = toIso(headers ? headerValue(headers, 'Date') : null)
      ?? toIso(fields.clientSubmitTime)
      ?? toIso(fields.messageDeliveryTime);

    const messageId = (headers ? headerValue(headers, 'Message-ID') : null) ?? nonEmpty(fields.messageId);
    let bodyText = nonEmpty(fields.body);
    let bodyHtml = nonEmpty(fields.bodyHtml);
    if (!bodyHtml && fields.html && fields.html.length > 0) {
      bodyHtml = decodeHtmlBytes(Buffer.from(fields.html), fields.internetCodepage ?? null);
    }
    if ((!bodyHtml || !bodyText) && fields.compressedRtf && fields.compressedRtf.length > 0) {
      try {
        const extracted = extractFromRtf(decompressRtf(fields.compressedRtf));
        if (extracted.kind === 'html') bodyHtml ??= extracted.html;
        else bodyText ??= extracted.text;
      } catch (err) {
        // A broken RTF body: keep whatever else we have.
        if (!(err instanceof CompressedRtfError)) throw err;
      }
    }

    const attachments: OutlookMsgAttachment[] = [];
    for (const a of fields.attachments ?? []) {
      const got = reader.getAttachment(a);
      const filename = nonEmpty(got.fileName) ?? nonEmpty(a.fileName) ?? nonEmpty(a.fileNameShort) ?? nonEmpty(a.name);
      const mimeType = a.innerMsgContent ? 'application/vnd.ms-outlook' : nonEmpty(a.attachMimeTag);
      attachments.push({ filename, mimeType, content: Buffer.from(got.content) });
    }

    const headerTo = headers ? headerValue(headers, 'To') : null;
    const toAddress = headerTo ? addressOf(decodeEncodedWords(headerTo)) : null;
    return { subject: nonEmpty(fields.subject), from, fromAddress, toAddress, sentAt, messageId, bodyText, bodyHtml, headers, attachments };
  } catch (err) {
    if (err instanceof OutlookMsgError) throw err;
    throw new OutlookMsgError(`.msg decoding failed: ${err instanceof Error ? err.message : String(err)}`, 'msg_corrupt', { cause: err });
  }
}
