import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { CompressedRtfError, decompressRtf, extractFromRtf, rtfCrc32 } from '../../src/parse/rtf.ts';
import { TnefError, decodeTnef, parseMapiProps } from '../../src/parse/tnef.ts';
import {
  ATP,
  ATT,
  PR,
  PT,
  attribute,
  compressRtfLzfu,
  encapsulateHtml,
  encapsulateText,
  mapiProps,
  storeRtfUncompressed,
  tnefStream,
  writeTnef,
} from '../fixtures/builders/tnef-writer.ts';
import { FORWARDED_HTML, buildWinmailEml } from '../fixtures/builders/build-winmail-fixture.ts';
import { seededRandom } from '../helpers/seed.ts';

const here = dirname(fileURLToPath(import.meta.url));
const crlf = (s: string): string => s.replace(/\r\n/g, '\n');

/** MS-OXRTFCP 4.1 and 4.2: the two worked examples, compressed bytes as the spec publishes them. */
const SPEC_SIMPLE_RAW = '{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n';
const SPEC_SIMPLE = Buffer.from(
  '2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af32068656c090020627705b06c647d0a800fa0',
  'hex',
);
const SPEC_CROSS_RAW = '{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}';
const SPEC_CROSS = Buffer.from('1a0000001c0000004c5a4675e2d44b51410004205758595a0d6e7d010eb0', 'hex');


const ERROR_TEXT =
  'Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName john@contoso.com;]. Correct or remove the duplicate values in your local directory.';

const REPORT_HTML = `<html><head><meta charset="utf-8"><title>Directory Synchronization Error Report</title></head>
<body>
<p>The following errors occurred during synchronization for tenant Contoso – Zürich.</p>
<table border="1">
<tr><th>Object</th><th>Error</th><th>On-premises object ID</th></tr>
<tr><td>john@contoso.com</td><td>${ERROR_TEXT}</td><td>k3YhFwZ4lEStqLUMQEp2Xw==</td></tr>
</table>
<p>Thank you,<br>The Azure Active Directory Team</p>
</body>
</html>`;

const EML = [
  'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
  'Subject: Directory Synchronization Error Report',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  'john@contoso.com | duplicate UPN',
  '',
].join('\r\n');

function reportTnef(): Buffer {
  return writeTnef({
    subject: 'FW: Directory Synchronization Error Report',
    body: 'legacy body',
    props: [
      { id: PR.SUBJECT, type: PT.UNICODE, value: 'FW: Directory Synchronization Error Report – Zürich' },
      { id: PR.BODY, type: PT.UNICODE, value: 'plain text version\r\nof the report' },
      { id: PR.INTERNET_CPID, type: PT.LONG, value: 65001 },
      { id: PR.BODY_HTML, type: PT.BINARY, value: Buffer.from(REPORT_HTML, 'utf8') },
      // Named properties, one by id and one by name, and a multi-valued string, a time, a bool.
      { id: 0x8001, type: PT.LONG, name: { guid: '00062008-0000-0000-C000-000000000046', id: 0x8552 }, value: 133 },
      { id: 0x8002, type: PT.UNICODE, name: { guid: '00020329-0000-0000-C000-000000000046', name: 'Keywords-x' }, value: 'abc' },
      { id: 0x1092, type: PT.UNICODE, multi: true, value: ['one', 'two', 'three'] },
      { id: 0x0039, type: PT.SYSTIME, value: new Date('2024-03-04T05:02:00Z') },
      { id: 0x0e1f, type: PT.BOOLEAN, value: true },
    ],
    attachments: [
      // Legacy-only attachment: attAttachTitle + attAttachData.
      { title: 'REPORT~1.CSV', data: Buffer.from('identity,error\r\njohn@contoso.com,dup\r\n') },
      // MAPI attachment: long name, data, MIME tag; an attached .eml.
      {
        title: 'FORWAR~1.EML',
        props: [
          { id: PR.ATTACH_LONG_FILENAME, type: PT.UNICODE, value: 'Directory Synchronization Error Report.eml' },
          { id: PR.ATTACH_MIME_TAG, type: PT.STRING8, value: 'message/rfc822' },
          { id: PR.ATTACH_METHOD, type: PT.LONG, value: 1 },
          { id: PR.ATTACH_DATA, type: PT.BINARY, value: Buffer.from(EML, 'latin1') },
        ],
      },
      // An embedded message (PR_ATTACH_DATA_OBJ with IID_IMessage): skipped with a warning.
      {
        props: [
          { id: PR.DISPLAY_NAME, type: PT.UNICODE, value: 'Inner message' },
          { id: PR.ATTACH_METHOD, type: PT.LONG, value: 5 },
          {
            id: PR.ATTACH_DATA,
            type: PT.OBJECT,
            value: Buffer.concat([Buffer.from('0703020000000000c000000000000046', 'hex'), writeTnef({ subject: 'inner' })]),
          },
        ],
      },
    ],
  });
}

describe('compressed RTF (MS-OXRTFCP)', () => {
  it('decompresses the spec examples', () => {
    expect(decompressRtf(SPEC_SIMPLE).toString('latin1')).toBe(SPEC_SIMPLE_RAW);
    expect(decompressRtf(SPEC_CROSS).toString('latin1')).toBe(SPEC_CROSS_RAW);
    expect(rtfCrc32(SPEC_SIMPLE, 16)).toBe(SPEC_SIMPLE.readUInt32LE(12));
  });

  it('the test compressor reproduces the spec examples byte for byte', () => {
    expect(compressRtfLzfu(SPEC_SIMPLE_RAW).toString('hex')).toBe(SPEC_SIMPLE.toString('hex'));
    expect(compressRtfLzfu(SPEC_CROSS_RAW).toString('hex')).toBe(SPEC_CROSS.toString('hex'));
  });

  it('round-trips long RTF that wraps the 4096-byte dictionary, and stays compressed', () => {
    const rtf = encapsulateHtml(REPORT_HTML.repeat(12));
    expect(rtf.length).toBeGreaterThan(8192);
    const packed = compressRtfLzfu(rtf);
    expect(packed.readUInt32LE(8)).toBe(0x75465a4c);
    expect(packed.length).toBeLessThan(rtf.length / 3);
    expect(decompressRtf(packed).toString('latin1')).toBe(rtf);
  });

  it('agrees with an independent decompressor (@kenjiuno/decompressrtf, installed with msgreader)', () => {
    let decompressRTF: ((input: number[]) => number[]) | undefined;
    try {
      decompressRTF = (createRequire(import.meta.url)('@kenjiuno/decompressrtf') as { decompressRTF: (i: number[]) => number[] }).decompressRTF;
    } catch {
      return; // not installed: nothing to compare against
    }
    const r = seededRandom('rtf decompression against @kenjiuno/decompressrtf', 7);
    for (let n = 0; n < 20; n++) {
      const words = ['\\par ', 'john', '@contoso.com', '{\\*\\htmltag64 <td>}', 'k3YhFwZ4', ' ', 'x'];
      let s = '{\\rtf1 ';
      while (s.length < 200 + n * 400) s += words[Math.floor(r() * words.length)]!;
      const packed = compressRtfLzfu(`${s}}`);
      expect(Buffer.from(decompressRTF!([...packed])).toString('latin1')).toBe(`${s}}`);
    }
  });

  it('reads the uncompressed MELA form', () => {
    expect(decompressRtf(storeRtfUncompressed('{\\rtf1 plain}')).toString('latin1')).toBe('{\\rtf1 plain}');
  });

  it('rejects bad CRC, bad sizes, unknown types and over-cap RAWSIZE', () => {
    const badCrc = Buffer.from(SPEC_SIMPLE);
    badCrc[20]! ^= 0xff;
    expect(() => decompressRtf(badCrc)).toThrow(CompressedRtfError);
    const tooLong = Buffer.from(SPEC_SIMPLE);
    tooLong.writeUInt32LE(0x1000, 0);
    expect(() => decompressRtf(tooLong)).toThrow(/COMPSIZE/);
    const badType = Buffer.from(SPEC_SIMPLE);
    badType.writeUInt32LE(0x12345678, 8);
    expect(() => decompressRtf(badType)).toThrow(/COMPTYPE/);
    expect(() => decompressRtf(SPEC_SIMPLE, 10)).toThrow(/RAWSIZE/);
    expect(() => decompressRtf(SPEC_SIMPLE.subarray(0, 10))).toThrow(CompressedRtfError);
  });
});

describe('RTF de-encapsulation (MS-OXRTFEX)', () => {
  it('recovers HTML written by the encapsulating writer', () => {
    const out = extractFromRtf(Buffer.from(encapsulateHtml(REPORT_HTML), 'latin1'));
    expect(out.kind).toBe('html');
    expect(crlf(out.html!)).toBe(REPORT_HTML);
  });

  it('handles Outlook-style RTF: htmlrtf runs, mhtmltag, \\par in tags, code pages, \\u with fallback', () => {
    const rtf = [
      '{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 \\fbidis \\deff0{\\fonttbl',
      '{\\f0\\fswiss\\fcharset0 Arial;}',
      '{\\f1\\fmodern Courier New;}',
      '{\\f2\\fnil\\fcharset2 Symbol;}',
      '{\\f3\\fmodern\\fcharset0 Courier New;}',
      '{\\f4\\fswiss\\fcharset204 Arial Cyr;}}',
      '{\\colortbl\\red0\\green0\\blue0;\\red5\\green99\\blue193;}',
      '\\uc1\\pard\\plain\\deftab360 \\f0\\fs24 ',
      '{\\*\\htmltag19 <html>}{\\*\\htmltag34 <head>}{\\*\\htmltag1 \\par }',
      '{\\*\\htmltag241 <style>}{\\*\\htmltag241 \\par p \\{ margin:0 \\}\\par }{\\*\\htmltag249 </style>}',
      '{\\*\\htmltag41 </head>}{\\*\\htmltag50 <body lang=EN-US>}\\htmlrtf \\lang1033 \\htmlrtf0 ',
      '{\\*\\htmltag64 <p class=MsoNormal>}\\htmlrtf {\\htmlrtf0 Caf\\\'e9 \\u8364\\\'80 na\\\'efve\\htmlrtf \\par }\\htmlrtf0',
      '{\\*\\htmltag72 </p>}',
      '{\\*\\htmltag84 <a href="cid:image001.png@01DA">}{\\*\\mhtmltag84 <a href="image001.png">}link{\\*\\htmltag92 </a>}',
      '{\\*\\htmltag64 <p>}{\\f4 \\\'cf\\\'f0\\\'e8\\\'e2\\\'e5\\\'f2}{\\*\\htmltag72 </p>}',
      '{\\*\\htmltag64 <p>}a\\~b\\{c\\}\\\\d\\tab e\\line{\\*\\htmltag72 </p>}',
      '\\htmlrtf {\\field{\\*\\fldinst HYPERLINK "x"}{\\fldrslt ignored}}\\htmlrtf0 ',
      '{\\*\\htmltag58 </body>}{\\*\\htmltag27 </html>}}',
    ].join('\r\n');
    const out = extractFromRtf(Buffer.from(rtf, 'latin1'));
    expect(out.kind).toBe('html');
    expect(out.html).toBe(
      '<html><head>\r\n<style>\r\np { margin:0 }\r\n</style></head><body lang=EN-US>' +
        '<p class=MsoNormal>Café € naïve</p>' +
        '<a href="cid:image001.png@01DA">link</a>' +
        '<p>Привет</p>' +
        '<p>a\u00a0b{c}\\d\te\r\n</p>' +
        '</body></html>',
    );
  });

  it('recovers \\fromtext plain text and extracts text from native RTF', () => {
    const text = 'Line one\nIdentity: john@contoso.com\nSchöne Grüße {braces} \\ backslash';
    const out = extractFromRtf(Buffer.from(encapsulateText(text), 'latin1'));
    expect(out.kind).toBe('text');
    expect(crlf(out.text!)).toBe(text);

    const native = '{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}{\\info{\\title t}}\\f0 Hello\\par {\\b world}\\cell x\\row}';
    expect(extractFromRtf(Buffer.from(native, 'latin1'))).toEqual({ kind: 'rtf', html: null, text: 'Hello\r\nworld\tx\r\n' });
  });

  it('never throws on random bytes or deep nesting, and caps its output', () => {
    const r = seededRandom('rtf random bytes', 1);
    for (let n = 0; n < 500; n++) {
      const len = Math.floor(r() * 400);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = r() < 0.3 ? '{}\\\'*u0123456789abcdef '.charCodeAt(Math.floor(r() * 23)) : Math.floor(r() * 256);
      extractFromRtf(b);
    }
    extractFromRtf(Buffer.from(`{\\rtf1\\fromhtml1 ${'{'.repeat(100_000)}x${'}'.repeat(100_000)}}`));
    const big = `{\\rtf1\\fromhtml1 {\\*\\htmltag0 ${'a'.repeat(10_000)}}}`;
    expect(extractFromRtf(Buffer.from(big), 100).html).toHaveLength(100);
  });
});

describe('MAPI property lists', () => {
  it('parses fixed, variable, multi-valued and named properties with padding', () => {
    const props = parseMapiProps(
      mapiProps([
        { id: 0x0017, type: PT.LONG, value: 2 },
        { id: 0x0e1f, type: PT.BOOLEAN, value: true },
        { id: 0x0036, type: PT.SHORT, value: -3 },
        { id: 0x0039, type: PT.SYSTIME, value: new Date('2024-01-01T00:00:00Z') },
        { id: 0x0037, type: PT.STRING8, value: 'abcde' },
        { id: 0x3001, type: PT.UNICODE, value: 'x' },
        { id: 0x1090, type: PT.BINARY, multi: true, value: [Buffer.from([1]), Buffer.from([2, 3, 4, 5, 6])] },
        { id: 0x1091, type: PT.LONG, multi: true, value: [7, 8, 9] },
        { id: 0x8005, type: PT.BOOLEAN, name: { guid: '00062008-0000-0000-C000-000000000046', name: 'abc' }, value: false },
        { id: 0x8006, type: PT.CLSID, name: { guid: '00020329-0000-0000-C000-000000000046', id: 0x1234 }, value: '00062008-0000-0000-C000-000000000046' },
      ]),
    );
    expect(props.map((p) => [p.id, p.type, p.multi, p.values.length])).toEqual([
      [0x0017, PT.LONG, false, 1],
      [0x0e1f, PT.BOOLEAN, false, 1],
      [0x0036, PT.SHORT, false, 1],
      [0x0039, PT.SYSTIME, false, 1],
      [0x0037, PT.STRING8, false, 1],
      [0x3001, PT.UNICODE, false, 1],
      [0x1090, PT.BINARY, true, 2],
      [0x1091, PT.LONG, true, 3],
      [0x8005, PT.BOOLEAN, false, 1],
      [0x8006, PT.CLSID, false, 1],
    ]);
    expect(props[0]!.values[0]!.readInt32LE(0)).toBe(2);
    expect(props[2]!.values[0]!.readInt16LE(0)).toBe(-3);
    expect(props[4]!.values[0]!.toString('latin1')).toBe('abcde\0');
    expect(props[6]!.values[1]).toEqual(Buffer.from([2, 3, 4, 5, 6]));
    expect(props[7]!.values.map((v) => v.readInt32LE(0))).toEqual([7, 8, 9]);
    expect(props[8]!.name).toEqual({ guid: '00062008-0000-0000-c000-000000000046', name: 'abc' });
    expect(props[9]!.name).toEqual({ guid: '00020329-0000-0000-c000-000000000046', id: 0x1234 });
    expect(props[9]!.values[0]).toEqual(Buffer.from('0820060000000000c000000000000046', 'hex'));
  });

  it('rejects impossible counts and unknown types with TnefError', () => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(() => parseMapiProps(huge)).toThrow(TnefError);
    const unknownType = Buffer.from('01000000fd003700', 'hex');
    expect(() => parseMapiProps(unknownType)).toThrow(/unsupported type/);
  });
});

describe('decodeTnef', () => {
  it('decodes an HTML report with a table, the text body, the subject and attachments', () => {
    const out = decodeTnef(reportTnef());
    expect(out.subject).toBe('FW: Directory Synchronization Error Report – Zürich');
    expect(out.bodyHtml).toBe(REPORT_HTML);
    expect(out.bodyText).toBe('plain text version\r\nof the report');
    expect(out.attachments).toHaveLength(2);
    expect(out.attachments[0]).toEqual({ filename: 'REPORT~1.CSV', mimeType: null, content: Buffer.from('identity,error\r\njohn@contoso.com,dup\r\n') });
    expect(out.attachments[1]!.filename).toBe('Directory Synchronization Error Report.eml');
    expect(out.attachments[1]!.mimeType).toBe('message/rfc822');
    expect(out.attachments[1]!.content.toString('latin1')).toBe(EML);
    expect(out.warnings).toEqual(['attachment 2 (Inner message): embedded message skipped']);
  });

  it('uses the legacy subject and body when there are no MAPI ones', () => {
    const out = decodeTnef(writeTnef({ subject: 'Caf\u00e9', body: 'legacy text' }));
    expect(out).toMatchObject({ subject: 'Café', bodyText: 'legacy text', bodyHtml: null, attachments: [] });
  });

  it('reads PR_BODY_HTML as a string and PT_STRING8 in the message code page', () => {
    const out = decodeTnef(
      writeTnef({
        props: [
          { id: PR.MESSAGE_CODEPAGE, type: PT.LONG, value: 1251 },
          { id: PR.SUBJECT, type: PT.STRING8, value: Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0]) },
          { id: PR.BODY_HTML, type: PT.UNICODE, value: '<p>html as a string</p>' },
        ],
      }),
    );
    expect(out.subject).toBe('Привет');
    expect(out.bodyHtml).toBe('<p>html as a string</p>');
  });

  it('de-encapsulates HTML from LZFu- and MELA-stored PR_RTF_COMPRESSED', () => {
    for (const pack of [compressRtfLzfu, storeRtfUncompressed]) {
      const out = decodeTnef(writeTnef({ props: [{ id: PR.RTF_COMPRESSED, type: PT.BINARY, value: pack(encapsulateHtml(REPORT_HTML)) }] }));
      expect(crlf(out.bodyHtml!)).toBe(REPORT_HTML);
      expect(out.bodyText).toBeNull();
    }
  });

  it('takes \\fromtext RTF as the text body', () => {
    const out = decodeTnef(writeTnef({ props: [{ id: PR.RTF_COMPRESSED, type: PT.BINARY, value: compressRtfLzfu(encapsulateText('Identity: john@contoso.com\nDone')) }] }));
    expect(out.bodyHtml).toBeNull();
    expect(out.bodyText).toBe('Identity: john@contoso.com\r\nDone');
  });

  it('a broken RTF next to a good HTML body is a warning; alone it is a TnefError', () => {
    const bad = compressRtfLzfu(encapsulateText('x'));
    bad[bad.length - 1]! ^= 0x55;
    const withText = decodeTnef(writeTnef({ props: [{ id: PR.BODY, type: PT.UNICODE, value: 't' }, { id: PR.RTF_COMPRESSED, type: PT.BINARY, value: bad }] }));
    expect(withText.bodyText).toBe('t');
    expect(withText.warnings[0]).toMatch(/PR_RTF_COMPRESSED ignored: .*CRC/);
    expect(() => decodeTnef(writeTnef({ props: [{ id: PR.RTF_COMPRESSED, type: PT.BINARY, value: bad }] }))).toThrow(TnefError);
  });

  it('caps its output: attachments over the cap are dropped with a warning', () => {
    const big = Buffer.alloc(10_000, 0x41);
    const tnef = writeTnef({ props: [{ id: PR.BODY, type: PT.UNICODE, value: 'body' }], attachments: [{ title: 'a.bin', data: big }, { title: 'b.bin', data: big }] });
    const out = decodeTnef(tnef, { maxOutputBytes: 15_000 });
    expect(out.bodyText).toBe('body');
    expect(out.attachments.map((a) => a.filename)).toEqual(['a.bin']);
    expect(out.warnings).toEqual(['attachment 1 (b.bin) dropped: over the 15000-byte output cap']);
  });

  it('rejects what is not TNEF', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('hello world'), Buffer.from('78 9f 3e 22', 'hex')]) {
      expect(() => decodeTnef(bad)).toThrow(TnefError);
    }
    try {
      decodeTnef(Buffer.from('not tnef at all'));
    } catch (err) {
      expect(err).toBeInstanceOf(TnefError);
      expect((err as TnefError).code).toBe('tnef_not_tnef');
    }
  });

  it('rejects every truncation inside an attribute, and checksum errors', () => {
    const whole = reportTnef();
    // Attribute boundaries: cutting exactly there leaves a valid, shorter stream.
    const boundaries = new Set<number>([6]);
    for (let pos = 6; pos < whole.length; ) {
      pos += 9 + whole.readUInt32LE(pos + 5) + 2;
      boundaries.add(pos);
    }
    for (let cut = 0; cut < whole.length; cut++) {
      const part = whole.subarray(0, cut);
      if (boundaries.has(cut)) expect(() => decodeTnef(part)).not.toThrow();
      else expect(() => decodeTnef(part), `cut at ${cut}`).toThrow(TnefError);
    }
    const corrupt = Buffer.from(whole);
    corrupt[whole.indexOf('FW: Directory') + 4]! ^= 0x01;
    expect(() => decodeTnef(corrupt)).toThrow(/checksum/);
    const badLevel = tnefStream([{ ...attribute(7, ATT.SUBJECT, ATP.STRING, Buffer.from('x\0')) }]);
    expect(() => decodeTnef(badLevel)).toThrow(/level/);
  });

  it('survives thousands of random mutations: only TnefError, never a hang', () => {
    const seeds = [reportTnef(), writeTnef({ props: [{ id: PR.RTF_COMPRESSED, type: PT.BINARY, value: compressRtfLzfu(encapsulateHtml(REPORT_HTML)) }] })];
    const r = seededRandom('tnef mutations', 42);
    const started = Date.now();
    let decoded = 0;
    for (let n = 0; n < 4000; n++) {
      const seed = seeds[n % seeds.length]!;
      let buf = Buffer.from(seed);
      const kind = n % 4;
      if (kind === 0) {
        // Flip a few bytes anywhere.
        for (let k = 0; k < 1 + Math.floor(r() * 4); k++) buf[Math.floor(r() * buf.length)] = Math.floor(r() * 256);
      } else if (kind === 1) {
        // Cut or splice.
        const a = Math.floor(r() * buf.length);
        const b = Math.floor(r() * buf.length);
        buf = Buffer.concat([buf.subarray(0, Math.min(a, b)), buf.subarray(Math.max(a, b))]);
      } else {
        // Mutate inside an attribute's data and fix its checksum, so parsing gets past the checksum
        // into the MAPI properties and the compressed RTF.
        const attrs: { start: number; len: number }[] = [];
        for (let pos = 6; pos + 9 <= buf.length; ) {
          const len = buf.readUInt32LE(pos + 5);
          attrs.push({ start: pos + 9, len });
          pos += 9 + len + 2;
        }
        const big = attrs.filter((a) => a.len > 16);
        const at = big[Math.floor(r() * big.length)]!;
        for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
          const i = at.start + Math.floor(r() * at.len);
          buf[i] = kind === 2 ? Math.floor(r() * 256) : [0x00, 0xff, 0x7f, 0x80][Math.floor(r() * 4)]!;
        }
        let sum = 0;
        for (let i = at.start; i < at.start + at.len; i++) sum += buf[i]!;
        buf.writeUInt16LE(sum & 0xffff, at.start + at.len);
      }
      try {
        decodeTnef(buf);
        decoded++;
      } catch (err) {
        if (!(err instanceof TnefError)) throw err;
      }
    }
    expect(decoded).toBeGreaterThan(100);
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe('fixture forward-outlook-winmail.eml', () => {
  const emlPath = join(here, '..', 'fixtures', 'reports', 'forward-outlook-winmail.eml');

  it('is what its builder writes', () => {
    expect(readFileSync(emlPath, 'latin1')).toBe(buildWinmailEml());
  });

  it('carries the report in winmail.dat as RTF-encapsulated HTML', async () => {
    const mail = await simpleParser(readFileSync(emlPath));
    expect(mail.from?.value[0]?.address).toBe('admin@contoso.com');
    expect(mail.attachments).toHaveLength(1);
    const winmail = mail.attachments[0]!;
    expect(winmail.contentType).toBe('application/ms-tnef');
    expect(winmail.filename).toBe('winmail.dat');
    const out = decodeTnef(winmail.content);
    expect(out.subject).toBe('FW: Directory Synchronization Error Report');
    expect(crlf(out.bodyHtml!)).toBe(FORWARDED_HTML);
    expect(out.bodyHtml).toContain('<td style="vertical-align:top;padding:4px">john@contoso.com</td>');
    expect(out.bodyHtml).toContain('k3YhFwZ4lEStqLUMQEp2Xw==');
    expect(out.bodyHtml).toContain('[UserPrincipalName john@contoso.com;]');
    const golden = JSON.parse(readFileSync(emlPath.replace(/\.eml$/, '.expected.json'), 'utf8')) as { reports: { errors: { identity: string }[] }[] };
    expect(golden.reports[0]!.errors[0]!.identity).toBe('john@contoso.com');
  });
});
