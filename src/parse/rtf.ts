/**
 * Compressed RTF (MS-OXRTFCP) and RTF de-encapsulation (MS-OXRTFEX).
 *
 * Outlook stores message bodies as PR_RTF_COMPRESSED (0x1009). When the original was HTML the
 * RTF carries `\fromhtml1` and the HTML survives inside `{\*\htmltag ...}` groups plus the text
 * between them that is not wrapped in `\htmlrtf ... \htmlrtf0`. When the original was plain text
 * the RTF carries `\fromtext`. Anything else is "native" RTF, of which we only keep the text.
 *
 * Everything here works on untrusted bytes: lengths are bounded, nothing recurses, and the only
 * error thrown is {@link CompressedRtfError}.
 */

export class CompressedRtfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompressedRtfError';
  }
}

/** 'LZFu': compressed. */
export const COMPTYPE_COMPRESSED = 0x75465a4c;
/** 'MELA': stored uncompressed. */
export const COMPTYPE_UNCOMPRESSED = 0x414c454d;

/** The dictionary every LZFu stream starts with (MS-OXRTFCP 2.1.2.1), 207 bytes. */
export const LZFU_PRELOAD =
  '{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript ' +
  '\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par ' +
  '\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx';

const DEFAULT_MAX_RTF_BYTES = 32 * 1024 * 1024;

let crcTable: Uint32Array | undefined;

/** The CRC of MS-OXRTFCP 2.1.3.2: the CRC-32 table (0xEDB88320) with initial value 0 and no final XOR. */
export function rtfCrc32(data: Uint8Array, start = 0, end = data.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc >>> 0;
}

/**
 * Decompresses a PR_RTF_COMPRESSED value. Handles both 'LZFu' and 'MELA'. Verifies the CRC of
 * compressed streams. Output is capped at `maxBytes` (and at the RAWSIZE the header announces,
 * which is itself capped).
 */
export function decompressRtf(data: Uint8Array, maxBytes = DEFAULT_MAX_RTF_BYTES): Buffer {
  if (data.length < 16) throw new CompressedRtfError('compressed RTF: header truncated');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const compSize = dv.getUint32(0, true);
  const rawSize = dv.getUint32(4, true);
  const compType = dv.getUint32(8, true);
  const crc = dv.getUint32(12, true);
  // COMPSIZE counts everything after itself. Some writers pad the property; tolerate extra bytes,
  // never missing ones.
  if (compSize < 12 || compSize + 4 > data.length) {
    throw new CompressedRtfError(`compressed RTF: COMPSIZE ${compSize} does not fit ${data.length} bytes`);
  }
  if (rawSize > maxBytes) throw new CompressedRtfError(`compressed RTF: RAWSIZE ${rawSize} over the cap ${maxBytes}`);
  const end = compSize + 4;
  if (compType === COMPTYPE_UNCOMPRESSED) {
    // MS-OXRTFCP: CRC MUST be 0 here; readers are told not to check it, so we don't.
    const n = Math.min(rawSize, end - 16);
    return Buffer.from(data.subarray(16, 16 + n));
  }
  if (compType !== COMPTYPE_COMPRESSED) {
    throw new CompressedRtfError(`compressed RTF: unknown COMPTYPE 0x${compType.toString(16)}`);
  }
  const actualCrc = rtfCrc32(data, 16, end);
  if (actualCrc !== crc) {
    throw new CompressedRtfError(`compressed RTF: CRC 0x${actualCrc.toString(16)} != header 0x${crc.toString(16)}`);
  }

  const dict = new Uint8Array(4096);
  for (let i = 0; i < LZFU_PRELOAD.length; i++) dict[i] = LZFU_PRELOAD.charCodeAt(i);
  let wp = LZFU_PRELOAD.length;
  const out = Buffer.alloc(rawSize);
  let outLen = 0;
  let pos = 16;
  while (pos < end) {
    const control = data[pos++]!;
    for (let bit = 0; bit < 8; bit++) {
      if (pos >= end) break;
      if ((control & (1 << bit)) === 0) {
        const b = data[pos++]!;
        if (outLen < rawSize) out[outLen++] = b;
        dict[wp] = b;
        wp = (wp + 1) & 0xfff;
      } else {
        if (pos + 2 > end) throw new CompressedRtfError('compressed RTF: reference truncated');
        const token = (data[pos]! << 8) | data[pos + 1]!;
        pos += 2;
        const offset = token >>> 4;
        const length = (token & 0xf) + 2;
        if (offset === wp) {
          // End of stream marker.
          return out.subarray(0, outLen);
        }
        for (let i = 0; i < length; i++) {
          const b = dict[(offset + i) & 0xfff]!;
          if (outLen < rawSize) out[outLen++] = b;
          dict[wp] = b;
          wp = (wp + 1) & 0xfff;
        }
      }
    }
  }
  // Ran out of input without the end marker: the spec's writers always emit it, but what was
  // decoded so far is still the right prefix; the CRC already vouched for the bytes.
  return out.subarray(0, outLen);
}

// ---------------------------------------------------------------------------------------------
// RTF de-encapsulation
// ---------------------------------------------------------------------------------------------

export interface RtfExtraction {
  /** 'html' when the RTF carried \fromhtml, 'text' for \fromtext, 'rtf' for native RTF. */
  kind: 'html' | 'text' | 'rtf';
  /** The de-encapsulated HTML (kind 'html'). */
  html: string | null;
  /** The de-encapsulated or extracted plain text (kinds 'text' and 'rtf'). */
  text: string | null;
}

/** Windows \fcharset values to code pages. */
const CHARSET_TO_CODEPAGE: Record<number, number> = {
  77: 10000,
  128: 932,
  129: 949,
  130: 1361,
  134: 936,
  136: 950,
  161: 1253,
  162: 1254,
  163: 1258,
  177: 1255,
  178: 1256,
  186: 1257,
  204: 1251,
  222: 874,
  238: 1250,
  254: 437,
  255: 850,
};

/** Destinations whose content is never text. Any other `\*` destination is skipped too. */
const SKIP_DESTINATIONS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'object', 'objdata', 'fldinst', 'header',
  'footer', 'headerl', 'headerr', 'headerf', 'footerl', 'footerr', 'footerf', 'listtable',
  'listoverridetable', 'rsidtbl', 'generator', 'xmlnstbl', 'themedata', 'colorschememapping',
  'latentstyles', 'datastore', 'filetbl', 'revtbl', 'pgdsctbl', 'mmathPr', 'footnote', 'nonshppict',
  'author', 'operator', 'title', 'subject', 'keywords', 'comment', 'doccomm', 'company', 'buptim',
  'creatim', 'revtim', 'printim', 'userprops', 'template', 'bkmkstart', 'bkmkend', 'xe', 'tc',
]);

/** Control words that stand for characters. `\par` and `\line` are CRLF (MS-OXRTFEX 2.1.3.1.4). */
const CHAR_WORDS: Record<string, string> = {
  par: '\r\n',
  line: '\r\n',
  tab: '\t',
  lquote: '\u2018',
  rquote: '\u2019',
  ldblquote: '\u201c',
  rdblquote: '\u201d',
  bullet: '\u2022',
  endash: '\u2013',
  emdash: '\u2014',
  enspace: '\u2002',
  emspace: '\u2003',
  qmspace: '\u2005',
  zwj: '\u200d',
  zwnj: '\u200c',
  ltrmark: '\u200e',
  rtlmark: '\u200f',
};

/** Extra characters in native RTF text extraction only. */
const TEXT_ONLY_WORDS: Record<string, string> = { cell: '\t', row: '\r\n', sect: '\r\n', page: '\r\n' };

interface GroupState {
  /** Inside a destination whose content is ignored. */
  skip: boolean;
  /** Inside a {\*\htmltag} group. */
  htmltag: boolean;
  /** \htmlrtf is on: the RTF-only rendering, not part of the original. */
  htmlrtf: boolean;
  /** Font table group (to read \fN \fcharsetN). */
  fonttbl: boolean;
  /** \ucN: fallback characters after \uN. */
  uc: number;
  font: number;
}

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Maps a Windows code page to a WHATWG encoding label (what TextDecoder understands). */
export function codepageToEncoding(cp: number): string {
  if (cp >= 1250 && cp <= 1258) return `windows-${cp}`;
  if (cp >= 28591 && cp <= 28605) return `iso-8859-${cp - 28590}`;
  switch (cp) {
    case 65001: return 'utf-8';
    case 1200: return 'utf-16le';
    case 1201: return 'utf-16be';
    case 20127: return 'us-ascii';
    case 874: return 'windows-874';
    case 932: return 'shift_jis';
    case 936: return 'gbk';
    case 54936: return 'gb18030';
    case 949: return 'euc-kr';
    case 950: return 'big5';
    case 866: return 'ibm866';
    case 20866: return 'koi8-r';
    case 21866: return 'koi8-u';
    case 50220: case 50221: case 50222: return 'iso-2022-jp';
    case 51932: return 'euc-jp';
    case 10000: return 'macintosh';
    default: return 'windows-1252';
  }
}

/** Decodes bytes in a Windows code page; unknown code pages and missing ICU fall back to 1252. */
export function decodeCodepage(bytes: Uint8Array, cp: number): string {
  const label = codepageToEncoding(cp);
  let dec = decoders.get(label);
  if (!dec) {
    try {
      dec = new TextDecoder(label);
    } catch {
      dec = new TextDecoder('windows-1252');
    }
    decoders.set(label, dec);
  }
  return dec.decode(bytes);
}

function isLetter(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function hexVal(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

const MAX_GROUP_DEPTH = 2048;

/**
 * Extracts the original content of an RTF document: the HTML of `\fromhtml` RTF, the text of
 * `\fromtext` RTF, and a best-effort plain text of native RTF. Never throws on bad input; output is
 * capped at `maxChars` characters.
 */
export function extractFromRtf(rtf: Uint8Array, maxChars = DEFAULT_MAX_RTF_BYTES): RtfExtraction {
  let mode: 'html' | 'text' | 'rtf' = 'rtf';
  let ansiCp = 1252;
  const fontCp = new Map<number, number>();
  let defFont = -1;

  const chunks: string[] = [];
  let outChars = 0;
  const pending: number[] = [];
  let pendingCp = 1252;
  let full = false;

  const flush = (): void => {
    if (pending.length === 0) return;
    const s = decodeCodepage(Uint8Array.from(pending), pendingCp);
    pending.length = 0;
    push(s);
  };
  const push = (s: string): void => {
    if (full || s.length === 0) return;
    if (outChars + s.length > maxChars) {
      s = s.slice(0, maxChars - outChars);
      full = true;
    }
    chunks.push(s);
    outChars += s.length;
  };

  const stack: GroupState[] = [];
  let st: GroupState = { skip: false, htmltag: false, htmlrtf: false, fonttbl: false, uc: 1, font: -1 };
  let groupStart = false; // just after '{': the next control word may be a destination
  let starPending = false; // just after '{\*'
  let ucSkip = 0; // fallback characters still to skip after \uN

  const emitting = (): boolean => {
    if (st.skip) return false;
    if (mode === 'html') return st.htmltag || !st.htmlrtf;
    if (mode === 'text') return !st.htmlrtf;
    return true;
  };
  const textCp = (): number => {
    if (st.htmltag) return ansiCp;
    const f = st.font >= 0 ? st.font : defFont;
    return fontCp.get(f) ?? ansiCp;
  };
  const emitByte = (b: number): void => {
    if (ucSkip > 0) {
      ucSkip--;
      return;
    }
    if (!emitting()) return;
    const cp = textCp();
    if (pending.length > 0 && cp !== pendingCp) flush();
    pendingCp = cp;
    pending.push(b);
    if (pending.length >= 65536) flush();
  };
  const emitString = (s: string): void => {
    ucSkip = 0;
    if (!emitting()) return;
    flush();
    push(s);
  };

  const n = rtf.length;
  let i = 0;
  while (i < n && !full) {
    const b = rtf[i]!;
    if (b === 0x7b /* { */) {
      i++;
      if (stack.length >= MAX_GROUP_DEPTH) {
        // Pathological nesting: skip the rest of this group structure as ignorable.
        st = { ...st, skip: true };
        continue;
      }
      stack.push(st);
      st = { ...st };
      groupStart = true;
      starPending = false;
      ucSkip = 0;
      continue;
    }
    if (b === 0x7d /* } */) {
      i++;
      flush();
      const prev = stack.pop();
      if (!prev) break; // closing brace of the document (or unbalanced)
      st = prev;
      groupStart = false;
      starPending = false;
      ucSkip = 0;
      if (stack.length === 0) break;
      continue;
    }
    if (b === 0x0d || b === 0x0a) {
      i++;
      continue;
    }
    if (b !== 0x5c /* \ */) {
      i++;
      groupStart = false;
      emitByte(b);
      continue;
    }
    // Control word or symbol.
    const c = rtf[i + 1];
    if (c === undefined) break;
    if (!isLetter(c)) {
      i += 2;
      const wasGroupStart = groupStart;
      groupStart = false;
      switch (c) {
        case 0x27: { // \'hh
          const hi = hexVal(rtf[i]);
          const lo = hexVal(rtf[i + 1]);
          if (hi >= 0 && lo >= 0) {
            i += 2;
            emitByte(hi * 16 + lo);
          }
          break;
        }
        case 0x2a: // \*
          if (wasGroupStart) {
            starPending = true;
            groupStart = true;
          }
          break;
        case 0x5c: case 0x7b: case 0x7d: // \\ \{ \}
          emitByte(c);
          break;
        case 0x7e: // \~
          emitString('\u00a0');
          break;
        case 0x5f: // \_
          emitString('\u2011');
          break;
        case 0x0d: case 0x0a: // \<newline> = \par
          emitString('\r\n');
          break;
        default:
          // \- \| \: and unknown symbols: nothing.
          break;
      }
      continue;
    }
    let j = i + 1;
    while (j < n && j - i <= 32 && isLetter(rtf[j]!)) j++;
    const word = String.fromCharCode(...rtf.subarray(i + 1, j));
    let param: number | null = null;
    let k = j;
    let neg = false;
    if (rtf[k] === 0x2d && isDigit(rtf[k + 1] ?? 0)) {
      neg = true;
      k++;
    }
    if (isDigit(rtf[k] ?? 0)) {
      let v = 0;
      let digits = 0;
      while (k < n && isDigit(rtf[k]!) && digits < 10) {
        v = v * 10 + (rtf[k]! - 0x30);
        k++;
        digits++;
      }
      while (k < n && isDigit(rtf[k]!)) k++; // absurdly long numbers: ignore the rest
      param = neg ? -v : v;
    }
    if (rtf[k] === 0x20) k++;
    i = k;

    const isDestinationStart = groupStart;
    const starred = starPending;
    groupStart = false;
    starPending = false;

    if (isDestinationStart) {
      if (word === 'htmltag' && starred) {
        flush();
        st.htmltag = true;
        // An htmltag group is HTML even if \htmlrtf was on around it.
        st.htmlrtf = false;
        continue;
      }
      if (word === 'fonttbl') {
        flush();
        st.skip = true;
        st.fonttbl = true;
        continue;
      }
      if (starred || SKIP_DESTINATIONS.has(word)) {
        // Includes \*\mhtmltag: it repeats an \htmltag with MHTML-rewritten URLs; we keep the
        // original tag only.
        flush();
        st.skip = true;
        continue;
      }
    }

    switch (word) {
      case 'fromhtml':
        if (stack.length <= 1 && mode === 'rtf') mode = 'html';
        break;
      case 'fromtext':
        if (stack.length <= 1 && mode === 'rtf') mode = 'text';
        break;
      case 'ansicpg':
        if (param !== null && param > 0) ansiCp = param;
        break;
      case 'deff':
        if (param !== null) defFont = param;
        break;
      case 'f':
        if (param !== null) {
          if (st.fonttbl) st.font = param;
          else {
            if (pending.length > 0) flush();
            st.font = param;
          }
        }
        break;
      case 'fcharset':
        if (st.fonttbl && st.font >= 0 && param !== null) {
          const cp = CHARSET_TO_CODEPAGE[param];
          if (cp !== undefined) fontCp.set(st.font, cp);
        }
        break;
      case 'cpg':
        if (st.fonttbl && st.font >= 0 && param !== null && param > 0) fontCp.set(st.font, param);
        break;
      case 'htmlrtf':
        flush();
        st.htmlrtf = param !== 0;
        break;
      case 'uc':
        if (param !== null && param >= 0 && param < 16) st.uc = param;
        break;
      case 'u':
        if (param !== null) {
          const code = param < 0 ? param + 65536 : param;
          emitString(String.fromCharCode(code & 0xffff));
          ucSkip = st.uc;
        }
        break;
      case 'bin':
        // Binary data: skip it whole.
        if (param !== null && param > 0) i = Math.min(n, i + param);
        break;
      default: {
        const ch = CHAR_WORDS[word] ?? (mode === 'rtf' ? TEXT_ONLY_WORDS[word] : undefined);
        if (ch !== undefined) {
          emitString(ch);
        } else if (ucSkip > 0) {
          // A control word counts as one fallback character.
          ucSkip--;
        }
      }
    }
  }
  flush();
  const result = chunks.join('');
  if (mode === 'html') return { kind: 'html', html: result, text: null };
  const text = mode === 'rtf' ? result.replace(/^\s+/, '') : result;
  return { kind: mode, html: null, text };
}
