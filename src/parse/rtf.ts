/**
 * Compressed RTF (MS-OXRTFCP). The de-encapsulation of the RTF (MS-OXRTFEX) is in
 * rtf-extract.ts, the code pages in codepages.ts; both are re-exported here.
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

export { extractFromRtf, type RtfExtraction } from './rtf-extract.ts';
