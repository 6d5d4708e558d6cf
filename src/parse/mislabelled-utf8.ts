import { isUtf8 } from 'node:buffer';

/**
 * UTF-8 sent under a single-byte label, and the opposite (`relabelledAsWindows1252`): a relay or script that writes UTF-8 bytes but
 * declares windows-1252, ISO-8859-1 or KOI8-R makes mailparser decode "Équipe" as "Ã‰quipe",
 * and a byte the label leaves undefined (0x81 in windows-1252) as U+FFFD. Such a mail is
 * decoded again with its labels rewritten to UTF-8, and that reading is kept when it has no
 * U+FFFD: text that really is in its label practically never reads as UTF-8 (an "é" is one
 * byte there, which UTF-8 never allows before an ASCII character).
 */

/** WHATWG single-byte encodings (what a label of one of them decodes to with TextDecoder). */
const SINGLE_BYTE = /^(?:windows-125\d|windows-874|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/;
const REPLACEMENT = '\ufffd';

/**
 * The one single-byte encoding the mail's text parts are labelled with, or null (none, a
 * multi-byte charset, or two different single-byte labels: then neither is suspect alone).
 * UTF-8 and ASCII labels beside it do not count: text rightly decoded from them never reads
 * back as UTF-8 bytes (an HTML part's own "<meta charset=utf-8>" under a windows-1252 header
 * only confirms what the bytes say). Read from the mail's first 64 KiB by a byte search: a
 * relay that mislabels one part mislabels them all, and the first part's header is there.
 */
export function singleByteLabel(mail: Buffer): string | null {
  const raw = mail.subarray(0, LABEL_SCAN_BYTES);
  let found: string | null = null;
  for (const needle of NEEDLES) {
    for (let at = raw.indexOf(needle); at >= 0; at = raw.indexOf(needle, at + needle.length)) {
      const encoding = singleByteEncoding(LABEL_RE.exec(raw.toString('latin1', at + needle.length, at + needle.length + 40))?.[1]);
      if (encoding === undefined) continue;
      if (encoding === null || (found !== null && found !== encoding)) return null;
      found = encoding;
    }
  }
  return found;
}
const LABEL_SCAN_BYTES = 64 * 1024;
// "charset=" and "Charset=" alike
const NEEDLES = ['harset=', 'HARSET='].map((s) => Buffer.from(s, 'latin1'));
// a quoted-printable "=3D" may stand for the "=" of a <meta> tag's charset
const LABEL_RE = /^(?:3D)?["']?([\w.:-]+)/;
// WHATWG decodes "us-ascii" as windows-1252: an ASCII label says nothing about bytes beyond it
const ASCII_LABELS = new Set(['us-ascii', 'ascii']);

/** A label's single-byte encoding; undefined for a label that does not count (UTF-8, ASCII, unknown), null for a multi-byte one. */
function singleByteEncoding(label: string | undefined): string | null | undefined {
  if (!label || ASCII_LABELS.has(label.toLowerCase())) return undefined;
  let encoding: string;
  try {
    encoding = new TextDecoder(label).encoding;
  } catch {
    return undefined;
  }
  if (encoding === 'utf-8') return undefined;
  return SINGLE_BYTE.test(encoding) ? encoding : null;
}

/**
 * Whether decoded text looks like UTF-8 read as `encoding`: it has a U+FFFD (a byte the label
 * leaves undefined), or its characters, turned back into the label's bytes, are UTF-8 with
 * characters beyond ASCII. mailparser decodes ISO-8859-1 as windows-1252, as TextDecoder does.
 */
export function looksMislabelled(text: string | null, encoding: string): boolean {
  if (!text || !NON_ASCII_RE.test(text)) return false;
  if (text.includes(REPLACEMENT)) return true;
  const bytes = reverseTable(encoding);
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < 0x80 ? code : bytes.get(code);
    if (byte === undefined) return false;
    out[i] = byte;
  }
  return isUtf8(out);
}
const NON_ASCII_RE = /[^\x00-\x7f]/;

/** The mail with every single-byte charset label made "utf-8", to decode it again. */
export function relabelledAsUtf8(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  return Buffer.from(
    text.replace(CHARSET_PARAM_RE, (whole: string, head: string, label: string) => (singleByteEncoding(label) ? `${head}utf-8` : whole)),
    'latin1',
  );
}
const CHARSET_PARAM_RE = /(charset\s*=\s*(?:3D)?["']?)([\w.:-]+)/gi;

/**
 * The opposite mislabel: windows-1252 bytes under a UTF-8 label (a gateway or script that
 * re-labels what it relays: "Renée" comes out "Ren\uFFFDe", and the display names the lookups
 * search for are lost). The mail with every UTF-8 label made windows-1252, to
 * decode again; that reading is kept only where it reads cleanly and holds no UTF-8 sequence
 * (`holdsUtf8`): real UTF-8 with one stray byte keeps its UTF-8 reading.
 */
export function relabelledAsWindows1252(raw: Buffer): Buffer | null {
  const text = raw.toString('latin1');
  const out = text.replace(CHARSET_PARAM_RE, (whole: string, head: string, label: string) => (/^utf-?8$/i.test(label) ? `${head}windows-1252` : whole));
  return out === text ? null : Buffer.from(out, 'latin1');
}

/**
 * Whether text decoded as `encoding` holds UTF-8 sequences once turned back into its bytes (a
 * lead byte and its continuation bytes: "Ã©"): the mark of UTF-8 read in a single-byte
 * encoding, even where a stray byte keeps the whole from being UTF-8.
 */
export function holdsUtf8(text: string | null | undefined, encoding: string): boolean {
  if (!text || !NON_ASCII_RE.test(text)) return false;
  const bytes = reverseTable(encoding);
  let latin1 = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    latin1 += code < 0x80 ? ' ' : String.fromCharCode(bytes.get(code) ?? 0x20);
  }
  return UTF8_SEQUENCE_RE.test(latin1);
}
const UTF8_SEQUENCE_RE = /[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}/;

/** Whether a second decoding reads cleanly where the first did not: no U+FFFD in it. */
export function readsCleanly(...texts: Array<string | null | undefined>): boolean {
  return texts.every((t) => !t?.includes(REPLACEMENT));
}

const tables = new Map<string, ReadonlyMap<number, number>>();

/** Character → byte for the upper half of a single-byte encoding. */
function reverseTable(encoding: string): ReadonlyMap<number, number> {
  let table = tables.get(encoding);
  if (!table) {
    const map = new Map<number, number>();
    const decoder = new TextDecoder(encoding);
    for (let b = 0x80; b <= 0xff; b++) {
      const char = decoder.decode(Uint8Array.of(b));
      if (char.length === 1 && char !== REPLACEMENT) map.set(char.charCodeAt(0), b);
    }
    table = map;
    tables.set(encoding, table);
  }
  return table;
}
