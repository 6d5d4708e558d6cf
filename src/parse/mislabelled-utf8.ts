import { isUtf8 } from 'node:buffer';

/**
 * UTF-8 sent under a single-byte label: a relay or script that writes UTF-8 bytes but
 * declares windows-1252, ISO-8859-1 or KOI8-R (fixmystreet #159, neomutt #462, a Roundcube
 * issue; two blind tests met it) makes mailparser decode "Équipe" as "Ã‰quipe". Such text is
 * read back to the bytes the label gave and, when those bytes are valid UTF-8 with characters
 * beyond ASCII, read as UTF-8. Text that really is windows-1252 practically never is: an "é"
 * is one byte there, which UTF-8 never allows before an ASCII character.
 */

/** WHATWG single-byte encodings (what a label of one of them decodes to with TextDecoder). */
const SINGLE_BYTE = /^(?:windows-125\d|windows-874|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/;

/**
 * The one single-byte charset the mail's text parts are labelled with, or null (none, a
 * multi-byte charset, or two different single-byte labels: then neither is suspect alone).
 * UTF-8 and ASCII labels beside it do not count: text rightly decoded from them never reads
 * back as UTF-8 bytes (an HTML part's own "<meta charset=utf-8>" under a windows-1252 header
 * only confirms what the bytes say). Read from the mail's first 64 KiB by a byte search (a
 * relay that mislabels one part mislabels them all, and the first part's header is there; a
 * search of a whole 4 MB report cost more than a tenth of its parse); a quoted-printable "=3D"
 * after "charset=" is skipped.
 */
export function singleByteLabel(mail: Buffer): string | null {
  const raw = mail.subarray(0, LABEL_SCAN_BYTES);
  let found: string | null = null;
  for (const needle of NEEDLES) {
    for (let at = raw.indexOf(needle); at >= 0; at = raw.indexOf(needle, at + needle.length)) {
      const label = LABEL_RE.exec(raw.toString('latin1', at + needle.length, at + needle.length + 40))?.[1]?.toLowerCase();
      const encoding = label ? whatwgEncoding(label) : null;
      if (!encoding || encoding === 'utf-8' || (encoding === 'windows-1252' && ASCII_LABELS.has(label!))) continue;
      if (!SINGLE_BYTE.test(encoding) || (found !== null && found !== encoding)) return null;
      found = encoding;
    }
  }
  return found;
}
const LABEL_SCAN_BYTES = 64 * 1024;
// "charset=" and "Charset=" alike
const NEEDLES = ['harset=', 'HARSET='].map((s) => Buffer.from(s, 'latin1'));
const LABEL_RE = /^(?:3D)?["']?([\w.:-]+)/;
// WHATWG decodes "us-ascii" as windows-1252: an ASCII label says nothing about bytes beyond it
const ASCII_LABELS = new Set(['us-ascii', 'ascii']);

function whatwgEncoding(label: string): string | null {
  // mailparser reads ISO-8859-1 as Latin-1 proper (0x80–0x9F are C1 controls), TextDecoder as windows-1252
  if (label === 'iso-8859-1' || label === 'latin1' || label === 'iso_8859-1') return 'iso-8859-1';
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

/** The text read as UTF-8, when it is UTF-8 bytes that were decoded as `encoding`; else null. */
export function asMislabelledUtf8(text: string, encoding: string): string | null {
  if (!NON_ASCII_RE.test(text)) return null;
  const bytes = reverseTable(encoding);
  const out = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code < 0x80 ? code : bytes.get(code);
    // a character the label cannot write (mailparser's U+FFFD for an undefined byte among them): no reading
    if (byte === undefined) return null;
    out[i] = byte;
  }
  return isUtf8(out) ? out.toString('utf8') : null;
}
const NON_ASCII_RE = /[^\x00-\x7f]/;

const tables = new Map<string, ReadonlyMap<number, number>>();

/** Character → byte for the upper half of a single-byte encoding. */
function reverseTable(encoding: string): ReadonlyMap<number, number> {
  let table = tables.get(encoding);
  if (!table) {
    const map = new Map<number, number>();
    const decoder = encoding === 'iso-8859-1' ? null : new TextDecoder(encoding);
    for (let b = 0x80; b <= 0xff; b++) {
      const char = decoder ? decoder.decode(Uint8Array.of(b)) : String.fromCharCode(b);
      if (char.length === 1 && char !== '\ufffd') map.set(char.charCodeAt(0), b);
    }
    table = map;
    tables.set(encoding, table);
  }
  return table;
}
