import { describe, expect, it } from 'vitest';
import { burn } from '@kenjiuno/msgreader/lib/Burner.js';
import { TypeEnum } from '@kenjiuno/msgreader/lib/Reader.js';
import { OutlookMsgError, decodeOutlookMsg } from '../../src/parse/outlook-msg.ts';
import { MSG_TAG, writeMsg, type MsgProp } from '../fixtures/builders/msg-writer.ts';
import { compressRtfLzfu, encapsulateHtml, encapsulateText, writeTnef } from '../fixtures/builders/tnef-writer.ts';
import { seededRandom } from '../helpers/seed.ts';

// @kenjiuno/msgreader ships no sample .msg in its npm package (only lib/), so every .msg here is
// written by test/fixtures/builders/msg-writer.ts (MSG layout) on msgreader's own CFB burner.

const REPORT_HTML = `<html><body>
<p>The following errors occurred during synchronization:</p>
<table border="1">
<tr><th>Object</th><th>Error</th><th>On-premises object ID</th></tr>
<tr><td>john@contoso.com</td><td>Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [UserPrincipalName john@contoso.com;].</td><td>k3YhFwZ4lEStqLUMQEp2Xw==</td></tr>
</table>
</body></html>`;

const HEADERS = [
  'Received: from mail.protection.outlook.com (10.0.0.1) by exchange.contoso.com;',
  ' Mon, 4 Mar 2024 06:02:11 +0000',
  'From: =?utf-8?B?TWljcm9zb2Z0IE9ubGluZSBTZXJ2aWNlcyBUZWFt?=',
  '\t<MSOnlineServicesTeam@MicrosoftOnline.com>',
  'To: Contoso Admin <admin@contoso.com>',
  'Subject: Directory Synchronization Error Report',
  'Date: Mon, 4 Mar 2024 06:02:00 +0000',
  'Message-ID: <report-1@microsoftonline.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/html; charset="utf-8"',
  '',
  '',
].join('\r\n');

const EML = 'From: a@contoso.com\r\nSubject: inner\r\n\r\nbody\r\n';

function reportMsg(extra: MsgProp[] = []): Buffer {
  return writeMsg({
    props: [
      { tag: MSG_TAG.MESSAGE_CLASS, value: 'IPM.Note' },
      { tag: MSG_TAG.SUBJECT, value: 'Directory Synchronization Error Report' },
      { tag: MSG_TAG.TRANSPORT_HEADERS, value: HEADERS },
      { tag: MSG_TAG.SENDER_NAME, value: 'Microsoft Online Services Team' },
      { tag: MSG_TAG.SENDER_SMTP_ADDRESS, value: 'MSOnlineServicesTeam@MicrosoftOnline.com' },
      { tag: MSG_TAG.CLIENT_SUBMIT_TIME, value: new Date('2024-03-04T06:01:59Z') },
      { tag: MSG_TAG.BODY, value: 'john@contoso.com | duplicate' },
      { tag: MSG_TAG.INTERNET_CPID, value: 65001 },
      { tag: MSG_TAG.HTML_BINARY, value: Buffer.from(REPORT_HTML, 'utf8') },
      ...extra,
    ],
    attachments: [
      {
        props: [
          { tag: MSG_TAG.ATTACH_METHOD, value: 1 },
          { tag: MSG_TAG.ATTACH_LONG_FILENAME, value: 'original.eml' },
          { tag: MSG_TAG.ATTACH_MIME_TAG, value: 'message/rfc822' },
          { tag: MSG_TAG.ATTACH_DATA_BIN, value: Buffer.from(EML) },
        ],
      },
      {
        props: [
          { tag: MSG_TAG.ATTACH_METHOD, value: 1 },
          { tag: MSG_TAG.ATTACH_LONG_FILENAME, value: 'big.bin' },
          // Over 4096 bytes: a regular-FAT stream instead of the mini stream.
          { tag: MSG_TAG.ATTACH_DATA_BIN, value: Buffer.alloc(9000, 0x5a) },
        ],
      },
    ],
  });
}

function expectMsgError(data: Buffer, code?: string): void {
  try {
    decodeOutlookMsg(data);
  } catch (err) {
    expect(err).toBeInstanceOf(OutlookMsgError);
    if (code) expect((err as OutlookMsgError).code).toBe(code);
    return;
  }
  throw new Error('expected an OutlookMsgError');
}

describe('decodeOutlookMsg', () => {
  it('reads subject, sender and date from the transport headers, both bodies and the attachments', () => {
    const out = decodeOutlookMsg(reportMsg());
    expect(out.subject).toBe('Directory Synchronization Error Report');
    expect(out.from).toBe('Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>');
    expect(out.fromAddress).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
    expect(out.sentAt).toBe('2024-03-04T06:02:00.000Z');
    expect(out.messageId).toBe('<report-1@microsoftonline.com>');
    expect(out.headers).toBe(HEADERS);
    expect(out.bodyText).toBe('john@contoso.com | duplicate');
    expect(out.bodyHtml).toBe(REPORT_HTML);
    expect(out.attachments.map((a) => [a.filename, a.mimeType, a.content.length])).toEqual([
      ['original.eml', 'message/rfc822', EML.length],
      ['big.bin', null, 9000],
    ]);
    expect(out.attachments[0]!.content.toString()).toBe(EML);
    expect(out.attachments[1]!.content.equals(Buffer.alloc(9000, 0x5a))).toBe(true);
  });

  it('falls back to the sender properties and PR_CLIENT_SUBMIT_TIME without transport headers', () => {
    const out = decodeOutlookMsg(
      writeMsg({
        props: [
          { tag: MSG_TAG.MESSAGE_CLASS, value: 'IPM.Note' },
          { tag: MSG_TAG.SUBJECT, value: 'FW: Directory Synchronization Error Report' },
          { tag: MSG_TAG.SENDER_NAME, value: 'Contoso Admin' },
          { tag: MSG_TAG.SENDER_ADDRTYPE, value: 'EX' },
          { tag: MSG_TAG.SENDER_EMAIL, value: '/O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=ADMIN' },
          { tag: MSG_TAG.SENDER_SMTP_ADDRESS, value: 'admin@contoso.com' },
          { tag: MSG_TAG.CLIENT_SUBMIT_TIME, value: new Date('2024-03-04T07:15:30Z') },
          { tag: MSG_TAG.BODY_HTML_STRING, value: '<p>string html</p>' },
          { tag: MSG_TAG.INTERNET_MESSAGE_ID, value: '<fw-1@contoso.com>' },
        ],
      }),
    );
    expect(out).toEqual({
      subject: 'FW: Directory Synchronization Error Report',
      from: 'Contoso Admin <admin@contoso.com>',
      fromAddress: 'admin@contoso.com',
      toAddress: null,
      sentAt: '2024-03-04T07:15:30.000Z',
      messageId: '<fw-1@contoso.com>',
      bodyText: null,
      bodyHtml: '<p>string html</p>',
      headers: null,
      attachments: [],
    });
  });

  it('de-encapsulates the HTML or text of PR_RTF_COMPRESSED when it is the only body', () => {
    const html = decodeOutlookMsg(writeMsg({ props: [{ tag: MSG_TAG.MESSAGE_CLASS, value: 'IPM.Note' }, { tag: MSG_TAG.RTF_COMPRESSED, value: compressRtfLzfu(encapsulateHtml(REPORT_HTML)) }] }));
    expect(html.bodyHtml!.replace(/\r\n/g, '\n')).toBe(REPORT_HTML);
    expect(html.bodyText).toBeNull();
    const text = decodeOutlookMsg(writeMsg({ props: [{ tag: MSG_TAG.MESSAGE_CLASS, value: 'IPM.Note' }, { tag: MSG_TAG.RTF_COMPRESSED, value: compressRtfLzfu(encapsulateText('Identity: john@contoso.com')) }] }));
    expect(text.bodyText).toBe('Identity: john@contoso.com');
    // A broken RTF body is dropped, not fatal.
    const bad = compressRtfLzfu(encapsulateText('x'));
    bad[bad.length - 1]! ^= 1;
    const broken = decodeOutlookMsg(writeMsg({ props: [{ tag: MSG_TAG.SUBJECT, value: 's' }, { tag: MSG_TAG.RTF_COMPRESSED, value: bad }] }));
    expect(broken).toMatchObject({ subject: 's', bodyText: null, bodyHtml: null });
  });

  it('rejects garbage, TNEF, and compound files that are not messages', () => {
    expectMsgError(Buffer.alloc(0), 'msg_corrupt');
    expectMsgError(Buffer.from('hello, this is not a msg file at all'.repeat(20)), 'msg_corrupt');
    expectMsgError(writeTnef({ subject: 'x' }), 'msg_corrupt');
    const junk = Buffer.alloc(4096, 0xab);
    Buffer.from('d0cf11e0a1b11ae1', 'hex').copy(junk);
    expectMsgError(junk, 'msg_corrupt');
    const other = Buffer.from(
      burn([
        { name: 'Root Entry', type: TypeEnum.ROOT, length: 0, children: [1] },
        { name: 'WordDocument', type: TypeEnum.DOCUMENT, length: 3, binaryProvider: () => new Uint8Array([1, 2, 3]) },
      ]),
    );
    expectMsgError(other, 'msg_not_message');
    expect(() => decodeOutlookMsg(reportMsg(), { maxInputBytes: 1000 })).toThrow(/cap/);
  });

  describe('refuses structures that would make msgreader loop or over-allocate', () => {
    const good = reportMsg();
    const dirStart = good.readInt32LE(0x30);
    const fat0 = good.readInt32LE(0x4c);
    const dirOffset = (i: number): number => (dirStart + 1) * 512 + 128 * i;

    it('a directory chain that loops', () => {
      const bad = Buffer.from(good);
      bad.writeInt32LE(dirStart, (fat0 + 1) * 512 + 4 * dirStart);
      expectMsgError(bad, 'msg_corrupt');
    });

    it('a directory tree that loops', () => {
      const bad = Buffer.from(good);
      const child = bad.readInt32LE(dirOffset(0) + 0x4c);
      bad.writeInt32LE(child, dirOffset(child) + 0x48);
      expectMsgError(bad, 'msg_corrupt');
      const toRoot = Buffer.from(good);
      toRoot.writeInt32LE(0, dirOffset(child) + 0x44);
      expectMsgError(toRoot, 'msg_corrupt');
    });

    it('a mini stream chain that loops', () => {
      const bad = Buffer.from(good);
      const sbat = bad.readInt32LE(0x3c);
      // Find a small stream and make its first mini sector point to itself.
      for (let i = 1; i < 40; i++) {
        const off = dirOffset(i);
        if (bad[off + 0x42] === 2 && bad.readInt32LE(off + 0x78) > 64 && bad.readInt32LE(off + 0x78) < 4096) {
          const start = bad.readInt32LE(off + 0x74);
          bad.writeInt32LE(start, (sbat + 1) * 512 + 4 * start);
          break;
        }
      }
      expectMsgError(bad, 'msg_corrupt');
    });

    it('a stream size larger than the file', () => {
      const bad = Buffer.from(good);
      for (let i = 1; i < 40; i++) {
        const off = dirOffset(i);
        if (bad[off + 0x42] === 2 && bad.readInt32LE(off + 0x78) >= 4096) bad.writeInt32LE(0x7fffffff, off + 0x78);
      }
      expectMsgError(bad, 'msg_corrupt');
    });
  });

  it('survives thousands of random mutations: only OutlookMsgError, never a hang', () => {
    const seed = reportMsg();
    const r = seededRandom('outlook-msg mutations', 99);
    const started = Date.now();
    let decoded = 0;
    for (let n = 0; n < 2500; n++) {
      const buf = Buffer.from(seed);
      const flips = 1 + Math.floor(r() * 6);
      for (let k = 0; k < flips; k++) {
        // Bias towards the header, FAT, directory and mini FAT sectors where structure lives.
        const i = r() < 0.6 ? Math.floor(r() * Math.min(buf.length, 4096)) : Math.floor(r() * buf.length);
        buf[i] = r() < 0.5 ? Math.floor(r() * 256) : [0x00, 0xff, 0xfe, 0x01][Math.floor(r() * 4)]!;
      }
      const input = n % 10 === 9 ? buf.subarray(0, Math.floor(r() * buf.length)) : buf;
      try {
        decodeOutlookMsg(input);
        decoded++;
      } catch (err) {
        if (!(err instanceof OutlookMsgError)) throw err;
      }
    }
    expect(decoded).toBeGreaterThan(100);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});
