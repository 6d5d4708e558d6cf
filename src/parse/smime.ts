import { Constructed, fromBER, ObjectIdentifier, OctetString, Sequence, type AsnType } from 'asn1js';

/**
 * The MIME entity an opaque-signed S/MIME message carries ("application/pkcs7-mime;
 * smime-type=signed-data", smime.p7m): a forward an admin's Outlook signed with "clear text
 * signed" off, or a gateway signed so. Unlike a clear-signed one (multipart/signed), its body is
 * only readable out of the signature's CMS structure: RFC 5652 SignedData, whose
 * encapContentInfo holds the signed MIME entity as an OCTET STRING (RFC 8551 §3.5.2). Reading it
 * needs no key. The signature is not checked: sender trust judges the mail by its DKIM and DMARC.
 * An enveloped (encrypted) message is no SignedData, and stays unread.
 */
const SIGNED_DATA = '1.2.840.113549.1.7.2';

/** The signed entity's bytes, or null when `der` is no CMS SignedData with its content inside. */
export function signedEntity(der: Uint8Array): Buffer | null {
  const { offset, result } = fromBER(der);
  if (offset === -1) return null;
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
  const [type, wrapped] = childrenOf(result);
  if (!(type instanceof ObjectIdentifier) || type.valueBlock.toString() !== SIGNED_DATA) return null;
  const signedData = childrenOf(wrapped)[0];
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo, … }
  const encap = childrenOf(signedData)[2];
  // EncapsulatedContentInfo ::= SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
  const content = childrenOf(childrenOf(encap)[1])[0];
  return content instanceof OctetString ? Buffer.from(content.getValue()) : null;
}

function childrenOf(node: AsnType | undefined): AsnType[] {
  return node instanceof Sequence || node instanceof Constructed ? (node.valueBlock.value as AsnType[]) : [];
}

/** The MIME types (and the file name) an opaque-signed message's part goes by. */
export function isOpaqueSigned(contentType: string, filename: string): boolean {
  return /^application\/(?:x-)?pkcs7-mime$/.test(contentType) || filename.endsWith('.p7m');
}
