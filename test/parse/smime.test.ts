import { Constructed, fromBER, Integer, ObjectIdentifier, OctetString, Sequence, Set as AsnSet } from 'asn1js';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { CRLF, renderEntity, textPart } from '../fixtures/builders/mime.ts';
import { FED, LARGE } from './sentences.ts';

/**
 * A forward signed opaquely (application/pkcs7-mime; smime-type=signed-data, smime.p7m): its
 * body is inside the CMS SignedData (RFC 5652, RFC 8551 §3.5.2), where blind29 C1 found it
 * kept as unreadable. The SignedData here is built with asn1js, unsigned (no certificate, no
 * signer): what syncdesk reads of it, the encapsulated content, is the same as in a signed one.
 */

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';
const explicit0 = (value: Constructed['valueBlock']['value']) => new Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value });

/** A ContentInfo of SignedData around `entity`; `chunked`: its content in a constructed OCTET STRING of pieces, as a streaming signer writes it (BER). */
function signedData(entity: Buffer, chunked = false): Buffer {
  const bytes = new Uint8Array(entity);
  const content = chunked
    ? new OctetString({ idBlock: { isConstructed: true }, isConstructed: true, value: [0, 1000, 2000].map((at) => new OctetString({ valueHex: bytes.slice(at, at + 1000) })).concat(new OctetString({ valueHex: bytes.slice(3000) })) })
    : new OctetString({ valueHex: bytes });
  const encap = new Sequence({ value: [new ObjectIdentifier({ value: DATA }), explicit0([content])] });
  const sd = new Sequence({ value: [new Integer({ value: 1 }), new AsnSet({ value: [] }), encap, new AsnSet({ value: [] })] });
  return Buffer.from(new Sequence({ value: [new ObjectIdentifier({ value: SIGNED_DATA }), explicit0([sd])] }).toBER());
}

const forwardBody = [
  'Please fix these.',
  '',
  '-----Original Message-----',
  'From: Microsoft Online Services Team <MSOnlineServicesTeam@MicrosoftOnline.com>',
  'Sent: Tuesday, June 8, 2021 7:59 AM',
  'To: Tom Hale <t.hale@margiestravel.com>',
  'Subject: Directory Synchronization Error Report: Tuesday, 08 June 2021',
  '',
  'The following errors occurred during synchronization:',
  '',
  'Identity\tError Description\tOn-premises Object ID',
  `a.rossi@margiestravel.com\t${FED}\tYW5uMDAwMDAwMDAwMDAwMDAx`,
  `b.kowalski@margiestravel.com\t${LARGE}\tYm9iMDAwMDAwMDAwMDAwMDAx`,
].join('\n');

function opaqueSignedMail(p7m: Buffer, type = 'application/pkcs7-mime'): Buffer {
  const head = [
    'From: Tom Hale <t.hale@margiestravel.com>',
    'To: servicedesk@contoso-msp.example',
    'Subject: FW: Directory Synchronization Error Report: Tuesday, 08 June 2021',
    'Date: Tue, 08 Jun 2021 08:12:44 +0200',
    'Message-ID: <p7m@margiestravel.com>',
    'MIME-Version: 1.0',
    `Content-Type: ${type}; smime-type=signed-data; name="smime.p7m"`,
    'Content-Disposition: attachment; filename="smime.p7m"',
    'Content-Transfer-Encoding: base64',
  ].join(CRLF);
  return Buffer.from(`${head}${CRLF}${CRLF}${p7m.toString('base64').replace(/.{76}/g, `$&${CRLF}`)}${CRLF}`, 'latin1');
}

const entity = Buffer.from(renderEntity(textPart({ subtype: 'plain', text: forwardBody, encoding: 'quoted-printable' })), 'latin1');

describe('an opaque-signed (S/MIME signed-data) forward', () => {
  it('is read from inside its signature: the records, the report sender and the forwarder', async () => {
    for (const type of ['application/pkcs7-mime', 'application/x-pkcs7-mime']) {
      const out = await parseMail(opaqueSignedMail(signedData(entity), type));
      expect(out.ok, JSON.stringify(out)).toBe(true);
      if (!out.ok) continue;
      const [report] = out.reports;
      expect(report!.errors.map((e) => [e.category, e.identity, e.onPremisesObjectId])).toEqual([
        ['FederatedDomainChange', 'a.rossi@margiestravel.com', 'YW5uMDAwMDAwMDAwMDAwMDAx'],
        ['LargeObject', 'b.kowalski@margiestravel.com', 'Ym9iMDAwMDAwMDAwMDAwMDAx'],
      ]);
      expect(report!.from).toBe('MSOnlineServicesTeam@MicrosoftOnline.com');
      expect(report!.forwardedBy).toBe('t.hale@margiestravel.com');
    }
  });

  it('reads content a streaming signer wrote in pieces (a constructed OCTET STRING) the same', async () => {
    const whole = await parseMail(opaqueSignedMail(signedData(entity)));
    const chunked = signedData(entity, true);
    // the content's OCTET STRING is a constructed one, of pieces
    const content = (fromBER(new Uint8Array(chunked)).result as Sequence).valueBlock.value[1] as Constructed;
    const encap = ((content.valueBlock.value[0] as Sequence).valueBlock.value[2] as Sequence).valueBlock.value[1] as Constructed;
    expect(encap.valueBlock.value[0]!.idBlock.isConstructed).toBe(true);
    const pieces = await parseMail(opaqueSignedMail(chunked));
    expect(pieces).toEqual(whole);
  });

  it('keeps a .p7m it cannot open (encrypted, or broken) as unreadable, with the reason, never a crash', async () => {
    const enveloped = Buffer.from(new Sequence({ value: [new ObjectIdentifier({ value: '1.2.840.113549.1.7.3' }), explicit0([new Sequence({ value: [] })])] }).toBER());
    for (const p7m of [enveloped, Buffer.from('not a CMS structure at all')]) {
      const out = await parseMail(opaqueSignedMail(p7m));
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.rejection).toMatchObject({ reason: 'unreadable', detail: expect.stringMatching(/no error row could be read/) });
    }
  });
});
