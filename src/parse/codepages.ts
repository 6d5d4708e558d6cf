/** Windows code pages, as RTF (`\\ansicpg`, `\\fcharset`, `\\cpg`) and TNEF (`attOemCodepage`) name them. */

/** Windows \fcharset values to code pages. */
export const CHARSET_TO_CODEPAGE: Record<number, number> = {
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

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();

/** Maps a Windows code page to a WHATWG encoding label (what TextDecoder understands). */
function codepageToEncoding(cp: number): string {
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
