import type { OnPremObjectData } from '../../../schemas/resolution.schema.ts';
import { normaliseLookup, splitProxyAddress, type NormalisedLookup } from '../lookup-key.ts';

/**
 * The values of an on-premises object as directory searches, and which of them an object
 * holds. Pure: the onprem worker and the resolver share it, and it is tested without AD.
 */

/** Proxy address types that Entra keeps unique across the tenant (the others never conflict). */
const UNIQUE_TYPES = new Set(['smtp', 'sip']);

function add(out: NormalisedLookup[], l: NormalisedLookup | null): void {
  if (l && !out.some((o) => o.key === l.key)) out.push(l);
}

/** Every value of the object that Entra Connect syncs and Entra keeps unique: UPN, mail, SMTP and SIP addresses. */
export function objectLookups(o: OnPremObjectData): NormalisedLookup[] {
  const out: NormalisedLookup[] = [];
  if (o.userPrincipalName) add(out, normaliseLookup({ attribute: 'userPrincipalName', value: o.userPrincipalName }));
  if (o.mail) add(out, normaliseLookup({ attribute: 'mail', value: o.mail }));
  for (const p of o.proxyAddresses) {
    if (UNIQUE_TYPES.has(splitProxyAddress(p).type)) add(out, normaliseLookup({ attribute: 'proxyAddresses', value: p }));
  }
  if (o.sipAddress) add(out, normaliseLookup({ attribute: 'proxyAddresses', value: o.sipAddress }));
  return out;
}

/** What an error's holders are searched by: the values it names, else every value its failing object holds. */
export function valuesToSearch(named: NormalisedLookup[], object: OnPremObjectData | null | undefined): NormalisedLookup[] {
  return named.length || !object ? named : objectLookups(object);
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Which of `lookups` the object holds, as `{ attribute, value }` with the value as stored in
 * AD (so a command can remove exactly it). An SMTP value (or a UPN) is held as UPN, mail or an
 * SMTP proxy address; a SIP value as a SIP proxy address or msRTCSIP-PrimaryUserAddress.
 */
export function matchedValues(o: OnPremObjectData, lookups: NormalisedLookup[]): Array<{ attribute: string; value: string }> {
  const out: Array<{ attribute: string; value: string }> = [];
  const push = (attribute: string, value: string) => {
    if (!out.some((m) => m.attribute === attribute && m.value === value)) out.push({ attribute, value });
  };
  for (const l of lookups) {
    if (l.addressType === 'smtp') {
      if (o.userPrincipalName && same(o.userPrincipalName, l.value)) push('userPrincipalName', o.userPrincipalName);
      if (o.mail && same(o.mail, l.value)) push('mail', o.mail);
    }
    for (const p of o.proxyAddresses) {
      const { type, bare } = splitProxyAddress(p);
      if (type === l.addressType && same(bare, l.value)) push('proxyAddresses', p);
    }
    if (l.addressType === 'sip' && o.sipAddress && same(splitProxyAddress(o.sipAddress).bare, l.value)) push('msRTCSIP-PrimaryUserAddress', o.sipAddress);
  }
  return out;
}

const GUID = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i;

/**
 * A report's on-premises object id as the base64 anchor AD stores. Reports show the
 * sourceAnchor as base64, some tools as a GUID string: objectGUID bytes are the GUID with
 * its first three groups little-endian.
 */
export function anchorBase64(id: string): string | null {
  const v = id.trim();
  const g = GUID.exec(v);
  if (g) {
    const le = (hex: string) => Buffer.from(hex, 'hex').reverse();
    return Buffer.concat([le(g[1]!), le(g[2]!), le(g[3]!), Buffer.from(g[4]! + g[5]!, 'hex')]).toString('base64');
  }
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 && v.length >= 8) return v;
  return null;
}
