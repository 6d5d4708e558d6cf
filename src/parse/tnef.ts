/**
 * TNEF (winmail.dat, application/ms-tnef) reader, per MS-OXTNEF.
 *
 * A TNEF stream is a signature, a legacy key and a run of attributes:
 *   level (1 byte: 1 message, 2 attachment) · id (uint32: low word the attribute, high word its
 *   legacy type) · length (uint32) · data · checksum (uint16, sum of the data bytes mod 65536).
 * attMAPIProps / attAttachment carry MAPI property lists, which is where Outlook keeps the real
 * bodies (PR_BODY, PR_BODY_HTML, PR_RTF_COMPRESSED) and the long attachment names.
 *
 * Everything is read from untrusted input: each length is checked against what is left, counts are
 * checked against the bytes that could hold them, and the output is capped. The only error that
 * leaves {@link decodeTnef} is {@link TnefError}.
 */
import { PermanentError } from '../errors.ts';
import { decodeCodepage } from './codepages.ts';
import { CompressedRtfError, decompressRtf, extractFromRtf } from './rtf.ts';

export class TnefError extends PermanentError {
  constructor(message: string, code = 'tnef_invalid', options?: { cause?: unknown }) {
    super(message, code, options);
    this.name = 'TnefError';
  }
}

export interface TnefAttachment {
  filename: string | null;
  mimeType: string | null;
  content: Buffer;
}

export interface TnefContent {
  subject: string | null;
  bodyText: string | null;
  bodyHtml: string | null;
  attachments: TnefAttachment[];
  /** What was skipped or dropped (embedded messages, output over the cap, unreadable RTF). */
  warnings: string[];
}

export interface TnefOptions {
  /** Cap on the total size of bodies and attachment contents, in bytes (default 64 MiB). */
  maxOutputBytes?: number;
}

export const TNEF_SIGNATURE = 0x223e9f78;

export const LVL_MESSAGE = 0x01;
export const LVL_ATTACHMENT = 0x02;

/** Attribute ids: the low word of the 32-bit attribute id (the high word is the legacy type). */
export const ATT = {
  FROM: 0x8000,
  SUBJECT: 0x8004,
  DATE_SENT: 0x8005,
  DATE_RECD: 0x8006,
  MESSAGE_CLASS: 0x8008,
  MESSAGE_ID: 0x8009,
  BODY: 0x800c,
  PRIORITY: 0x800d,
  ATTACH_DATA: 0x800f,
  ATTACH_TITLE: 0x8010,
  ATTACH_METAFILE: 0x8011,
  ATTACH_CREATE_DATE: 0x8012,
  ATTACH_MODIFY_DATE: 0x8013,
  ATTACH_TRANSPORT_FILENAME: 0x9001,
  ATTACH_REND_DATA: 0x9002,
  MAPI_PROPS: 0x9003,
  RECIP_TABLE: 0x9004,
  ATTACHMENT: 0x9005,
  TNEF_VERSION: 0x9006,
  OEM_CODEPAGE: 0x9007,
} as const;

/** MAPI property types. */
export const PT = {
  UNSPECIFIED: 0x0000,
  NULL: 0x0001,
  SHORT: 0x0002,
  LONG: 0x0003,
  FLOAT: 0x0004,
  DOUBLE: 0x0005,
  CURRENCY: 0x0006,
  APPTIME: 0x0007,
  ERROR: 0x000a,
  BOOLEAN: 0x000b,
  OBJECT: 0x000d,
  I8: 0x0014,
  STRING8: 0x001e,
  UNICODE: 0x001f,
  SYSTIME: 0x0040,
  CLSID: 0x0048,
  SVREID: 0x00fb,
  BINARY: 0x0102,
  MV_FLAG: 0x1000,
} as const;

/** MAPI property ids we read. */
export const PR = {
  SUBJECT: 0x0037,
  BODY: 0x1000,
  RTF_COMPRESSED: 0x1009,
  BODY_HTML: 0x1013,
  DISPLAY_NAME: 0x3001,
  ATTACH_DATA: 0x3701,
  ATTACH_FILENAME: 0x3704,
  ATTACH_METHOD: 0x3705,
  ATTACH_LONG_FILENAME: 0x3707,
  ATTACH_MIME_TAG: 0x370e,
  INTERNET_CPID: 0x3fde,
  MESSAGE_CODEPAGE: 0x3ffd,
} as const;

/** IID_IMessage: PR_ATTACH_DATA_OBJ of an embedded message starts with it. */
const IID_IMESSAGE = Buffer.from('0703020000000000c000000000000046', 'hex');

const FIXED_SIZES: Record<number, number> = {
  [PT.NULL]: 0,
  [PT.SHORT]: 2,
  [PT.LONG]: 4,
  [PT.FLOAT]: 4,
  [PT.DOUBLE]: 8,
  [PT.CURRENCY]: 8,
  [PT.APPTIME]: 8,
  [PT.ERROR]: 4,
  [PT.BOOLEAN]: 2,
  [PT.I8]: 8,
  [PT.SYSTIME]: 8,
  [PT.CLSID]: 16,
};

const VARIABLE_TYPES = new Set<number>([PT.STRING8, PT.UNICODE, PT.BINARY, PT.OBJECT, PT.SVREID]);

export interface MapiPropName {
  guid: string;
  /** MNID_ID */
  id?: number;
  /** MNID_STRING */
  name?: string;
}

export interface MapiProp {
  id: number;
  /** The type without the multi-value flag. */
  type: number;
  multi: boolean;
  name?: MapiPropName;
  /** The raw value(s): fixed-size values at their natural size, variable ones without padding. */
  values: Buffer[];
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
/** Far more than any real message holds; keeps a garbage count from looping for long. */
const MAX_PROPS = 100_000;

const pad4 = (n: number): number => (n + 3) & ~3;

function guidToString(b: Buffer): string {
  const hex = (s: number, e: number): string => b.subarray(s, e).toString('hex');
  const rev = (s: number, e: number): string => Buffer.from(b.subarray(s, e)).reverse().toString('hex');
  return `${rev(0, 4)}-${rev(4, 6)}-${rev(6, 8)}-${hex(8, 10)}-${hex(10, 16)}`;
}

/** Parses a MAPI property list as TNEF writes it (MS-OXTNEF 2.1.3.4). */
export function parseMapiProps(data: Buffer): MapiProp[] {
  const props: MapiProp[] = [];
  let pos = 0;
  const need = (n: number, what: string): void => {
    if (n < 0 || pos + n > data.length) throw new TnefError(`MAPI properties truncated reading ${what} at ${pos}`, 'tnef_truncated');
  };
  const u16 = (): number => {
    need(2, 'uint16');
    const v = data.readUInt16LE(pos);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4, 'uint32');
    const v = data.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const count = u32();
  if (count > MAX_PROPS || count * 4 > data.length - pos) {
    throw new TnefError(`MAPI property count ${count} cannot fit ${data.length - pos} bytes`, 'tnef_corrupt');
  }
  for (let p = 0; p < count; p++) {
    const rawType = u16();
    const id = u16();
    let name: MapiPropName | undefined;
    if (id >= 0x8000) {
      need(16, 'named property GUID');
      const guid = guidToString(data.subarray(pos, pos + 16));
      pos += 16;
      const kind = u32();
      if (kind === 0) {
        name = { guid, id: u32() };
      } else if (kind === 1) {
        const len = u32();
        need(pad4(len), 'named property name');
        name = { guid, name: data.subarray(pos, pos + len).toString('utf16le').replace(/\0+$/, '') };
        pos += pad4(len);
      } else {
        throw new TnefError(`named property kind ${kind} is neither MNID_ID nor MNID_STRING`, 'tnef_corrupt');
      }
    }
    const multi = (rawType & PT.MV_FLAG) !== 0;
    const type = rawType & ~PT.MV_FLAG;
    const values: Buffer[] = [];
    const fixed = FIXED_SIZES[type];
    if (VARIABLE_TYPES.has(type)) {
      // Variable-size values always come with a value count, even single-valued ones.
      const n = u32();
      if (n * 4 > data.length - pos || (!multi && n !== 1)) {
        throw new TnefError(`property 0x${id.toString(16)}: value count ${n} is impossible`, 'tnef_corrupt');
      }
      for (let v = 0; v < n; v++) {
        const len = u32();
        need(pad4(len), `property 0x${id.toString(16)} value`);
        values.push(data.subarray(pos, pos + len));
        pos += pad4(len);
      }
    } else if (fixed !== undefined) {
      let n = 1;
      if (multi) {
        n = u32();
        if (n * pad4(fixed) > data.length - pos) {
          throw new TnefError(`property 0x${id.toString(16)}: value count ${n} is impossible`, 'tnef_corrupt');
        }
      }
      for (let v = 0; v < n; v++) {
        need(pad4(fixed), `property 0x${id.toString(16)} value`);
        values.push(data.subarray(pos, pos + fixed));
        pos += pad4(fixed);
      }
    } else {
      // PtypRestriction, PtypRuleAction and unknown types have no length we could skip by.
      throw new TnefError(`property 0x${id.toString(16)} has unsupported type 0x${rawType.toString(16)}`, 'tnef_corrupt');
    }
    props.push(name ? { id, type, multi, name, values } : { id, type, multi, values });
  }
  return props;
}

interface RawAttachment {
  title: Buffer | null;
  transportName: Buffer | null;
  data: Buffer | null;
  props: MapiProp[];
}

function cString(buf: Buffer, cp: number): string {
  let end = buf.indexOf(0);
  if (end < 0) end = buf.length;
  return decodeCodepage(buf.subarray(0, end), cp);
}

function propString(p: MapiProp | undefined, cp: number): string | null {
  const v = p?.values[0];
  if (!p || !v) return null;
  if (p.type === PT.UNICODE) return v.toString('utf16le').replace(/\0+$/, '');
  if (p.type === PT.STRING8) return cString(v, cp);
  return null;
}

function propLong(p: MapiProp | undefined): number | null {
  const v = p?.values[0];
  if (!p || !v || p.type !== PT.LONG || v.length < 4) return null;
  return v.readInt32LE(0);
}

function findProp(props: MapiProp[], id: number): MapiProp | undefined {
  // A later value overrides an earlier one, like a property set would.
  for (let i = props.length - 1; i >= 0; i--) {
    const p = props[i]!;
    if (p.id === id && !p.name && !p.multi) return p;
  }
  return undefined;
}

/** Decodes HTML bytes: the code page given, else a <meta charset>, else UTF-8 if valid, else 1252. */
export function decodeHtmlBytes(bytes: Buffer, cp: number | null): string {
  if (cp) return decodeCodepage(bytes, cp).replace(/\0+$/, '');
  const head = bytes.subarray(0, 2048).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)/i.exec(head);
  if (m?.[1]) {
    try {
      return new TextDecoder(m[1].toLowerCase()).decode(bytes).replace(/\0+$/, '');
    } catch {
      // Unknown label: fall through.
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\0+$/, '');
  } catch {
    return decodeCodepage(bytes, 1252).replace(/\0+$/, '');
  }
}

/**
 * Decodes a TNEF stream. Throws {@link TnefError} (and nothing else) on input that is not TNEF, is
 * truncated, or is corrupt (bad checksum, impossible counts).
 */
export function decodeTnef(data: Buffer, options: TnefOptions = {}): TnefContent {
  try {
    return decodeTnefInner(data, options);
  } catch (err) {
    if (err instanceof TnefError) throw err;
    throw new TnefError(`TNEF decoding failed: ${err instanceof Error ? err.message : String(err)}`, 'tnef_invalid', { cause: err });
  }
}

/** MS-OXTNEF 2.1.3.3: what the message-level attributes carry that the body needs. */
interface MessageAttributes {
  legacySubject: Buffer | null;
  legacyBody: Buffer | null;
  oemCodepage: number | null;
  props: MapiProp[];
}

/**
 * MS-OXTNEF 2.1.3.1: the attribute stream (signature, legacy key, then level, id, length,
 * value and checksum per attribute), sorted into the message's attributes and, per attachment
 * (each opened by attAttachRendData), its own.
 */
function readAttributes(data: Buffer): { message: MessageAttributes; attachments: RawAttachment[] } {
  if (data.length < 6) throw new TnefError('not TNEF: shorter than its header', 'tnef_not_tnef');
  if (data.readUInt32LE(0) !== TNEF_SIGNATURE) throw new TnefError('not TNEF: bad signature', 'tnef_not_tnef');
  const message: MessageAttributes = { legacySubject: null, legacyBody: null, oemCodepage: null, props: [] };
  const attachments: RawAttachment[] = [];
  let current: RawAttachment | null = null;
  const newAttachment = (): RawAttachment => {
    const a: RawAttachment = { title: null, transportName: null, data: null, props: [] };
    attachments.push(a);
    return a;
  };

  let pos = 6; // signature + legacy key
  while (pos < data.length) {
    if (pos + 9 > data.length) throw new TnefError(`attribute header truncated at ${pos}`, 'tnef_truncated');
    const level = data[pos]!;
    const attrId = data.readUInt32LE(pos + 1);
    const length = data.readUInt32LE(pos + 5);
    const start = pos + 9;
    if (length > data.length - start - 2) {
      throw new TnefError(`attribute 0x${attrId.toString(16)} of ${length} bytes overruns the stream at ${pos}`, 'tnef_truncated');
    }
    const value = data.subarray(start, start + length);
    const checksum = data.readUInt16LE(start + length);
    let sum = 0;
    for (let i = 0; i < value.length; i++) sum += value[i]!;
    if ((sum & 0xffff) !== checksum) {
      throw new TnefError(`attribute 0x${attrId.toString(16)} at ${pos}: checksum mismatch`, 'tnef_corrupt');
    }
    const attrPos = pos;
    pos = start + length + 2;

    const id = attrId & 0xffff;
    if (level === LVL_MESSAGE) {
      switch (id) {
        case ATT.SUBJECT: message.legacySubject = value; break;
        case ATT.BODY: message.legacyBody = value; break;
        case ATT.OEM_CODEPAGE: if (value.length >= 4) message.oemCodepage = value.readUInt32LE(0); break;
        case ATT.MAPI_PROPS: message.props.push(...parseMapiProps(value)); break;
        default: break; // dates, class, priority, recipients...: not needed here
      }
    } else if (level === LVL_ATTACHMENT) {
      if (id === ATT.ATTACH_REND_DATA) {
        current = newAttachment();
        continue;
      }
      current ??= newAttachment();
      switch (id) {
        case ATT.ATTACH_TITLE: current.title = value; break;
        case ATT.ATTACH_DATA: current.data = value; break;
        case ATT.ATTACH_TRANSPORT_FILENAME: current.transportName = value; break;
        case ATT.ATTACHMENT: current.props.push(...parseMapiProps(value)); break;
        default: break; // metafile, dates
      }
    } else {
      throw new TnefError(`attribute at ${attrPos} has unknown level ${level}`, 'tnef_corrupt');
    }
  }
  return { message, attachments };
}

/** The output cap shared by the bodies and the attachments; what does not fit is said in `warnings`. */
class OutputBudget {
  readonly warnings: string[] = [];
  private left: number;

  constructor(readonly max: number) {
    this.left = max;
  }

  spend(n: number): boolean {
    if (n > this.left) return false;
    this.left -= n;
    return true;
  }

  get remaining(): number {
    return this.left;
  }

  capString(s: string | null, what: string): string | null {
    if (s === null) return null;
    if (this.spend(s.length)) return s;
    this.warnings.push(`${what} dropped: over the ${this.max}-byte output cap`);
    return null;
  }
}

/** The code pages strings are in: the message's, else the OEM code page, else the Internet one, else 1252. */
interface Codepages {
  strings: number;
  oem: number;
  internet: number | null;
}

/**
 * The message's subject and bodies: MAPI properties (MS-OXCMSG) first, the legacy attributes
 * as the fallback, and the compressed RTF body (MS-OXRTFCP, MS-OXRTFEX) when the HTML or the
 * text body is missing.
 */
function decodeMessage(message: MessageAttributes, cps: Codepages, budget: OutputBudget): Pick<TnefContent, 'subject' | 'bodyText' | 'bodyHtml'> {
  const props = message.props;
  // Subject: the MAPI one when there is one (it can be Unicode), else the legacy attribute.
  const subject = propString(findProp(props, PR.SUBJECT), cps.strings) ?? (message.legacySubject ? cString(message.legacySubject, cps.oem) : null);

  // Plain text body.
  let bodyText = propString(findProp(props, PR.BODY), cps.strings) ?? (message.legacyBody ? cString(message.legacyBody, cps.oem) : null);

  // HTML body: PR_BODY_HTML / PR_HTML is the HTML itself.
  let bodyHtml: string | null = null;
  const htmlProp = findProp(props, PR.BODY_HTML);
  if (htmlProp?.values[0]) {
    if (htmlProp.type === PT.BINARY) bodyHtml = decodeHtmlBytes(htmlProp.values[0], cps.internet);
    else bodyHtml = propString(htmlProp, cps.internet ?? cps.strings);
  }

  // RTF body: de-encapsulate HTML or text when the other properties are missing.
  const rtfProp = findProp(props, PR.RTF_COMPRESSED);
  if (rtfProp?.values[0] && rtfProp.type === PT.BINARY && (bodyHtml === null || bodyText === null)) {
    try {
      const rtf = decompressRtf(rtfProp.values[0], Math.min(budget.remaining, 32 * 1024 * 1024));
      const extracted = extractFromRtf(rtf, Math.min(budget.remaining, 32 * 1024 * 1024));
      if (extracted.kind === 'html' && bodyHtml === null) bodyHtml = extracted.html;
      else if (extracted.kind !== 'html' && bodyText === null) bodyText = extracted.text;
    } catch (err) {
      if (!(err instanceof CompressedRtfError)) throw err;
      // A broken RTF body is corruption like any other, unless we already have the body.
      if (bodyHtml === null && bodyText === null) throw new TnefError(err.message, 'tnef_corrupt', { cause: err });
      budget.warnings.push(`PR_RTF_COMPRESSED ignored: ${err.message}`);
    }
  }
  return { subject, bodyHtml: budget.capString(bodyHtml, 'HTML body'), bodyText: budget.capString(bodyText, 'text body') };
}

/** One attachment (MS-OXCMSG 2.2.2 attachment properties, legacy attributes as fallback), or null when it is skipped. */
function decodeAttachment(a: RawAttachment, index: number, cps: Codepages, budget: OutputBudget): TnefAttachment | null {
  const method = propLong(findProp(a.props, PR.ATTACH_METHOD));
  const filename = propString(findProp(a.props, PR.ATTACH_LONG_FILENAME), cps.strings)
    ?? propString(findProp(a.props, PR.ATTACH_FILENAME), cps.strings)
    ?? (a.title ? cString(a.title, cps.oem) : null)
    ?? (a.transportName ? cString(a.transportName, cps.oem) : null)
    ?? propString(findProp(a.props, PR.DISPLAY_NAME), cps.strings);
  const mimeType = propString(findProp(a.props, PR.ATTACH_MIME_TAG), cps.strings);
  const dataProp = findProp(a.props, PR.ATTACH_DATA);
  let content: Buffer | null = null;
  if (dataProp?.type === PT.BINARY && dataProp.values[0]) {
    content = dataProp.values[0];
  } else if (dataProp?.type === PT.OBJECT) {
    // PR_ATTACH_DATA_OBJ: an embedded message (IID_IMessage + a nested TNEF stream) or an OLE
    // storage. We do not rebuild messages from TNEF: the report never arrives that way, and the
    // legacy attAttachData next to it, when present, is a rendering we would not want anyway.
    const v = dataProp.values[0];
    const kind = v && v.length >= 16 && v.subarray(0, 16).equals(IID_IMESSAGE) ? 'embedded message' : 'OLE object';
    budget.warnings.push(`attachment ${index} (${filename ?? 'unnamed'}): ${kind} skipped`);
    return null;
  } else if (method === 5) {
    budget.warnings.push(`attachment ${index} (${filename ?? 'unnamed'}): embedded message skipped`);
    return null;
  } else if (a.data) {
    content = a.data;
  }
  if (content === null) {
    if (filename === null) return null; // a rendering record with nothing behind it
    content = Buffer.alloc(0);
  }
  if (!budget.spend(content.length + (filename?.length ?? 0))) {
    budget.warnings.push(`attachment ${index} (${filename ?? 'unnamed'}) dropped: over the ${budget.max}-byte output cap`);
    return null;
  }
  // Copy: the caller should not keep the whole winmail.dat alive through a slice.
  return { filename, mimeType, content: Buffer.from(content) };
}

function decodeTnefInner(data: Buffer, options: TnefOptions): TnefContent {
  const { message, attachments } = readAttributes(data);
  const messageCp = propLong(findProp(message.props, PR.MESSAGE_CODEPAGE));
  const internetCp = propLong(findProp(message.props, PR.INTERNET_CPID));
  const cps: Codepages = { strings: messageCp ?? message.oemCodepage ?? internetCp ?? 1252, oem: message.oemCodepage ?? 1252, internet: internetCp };
  const budget = new OutputBudget(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  const content = decodeMessage(message, cps, budget);
  const out: TnefAttachment[] = [];
  for (const [index, a] of attachments.entries()) {
    const decoded = decodeAttachment(a, index, cps, budget);
    if (decoded) out.push(decoded);
  }
  return { subject: content.subject, bodyText: content.bodyText, bodyHtml: content.bodyHtml, attachments: out, warnings: budget.warnings };
}
