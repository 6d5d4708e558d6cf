import type { LookupQuery } from './directory-lookup.ts';

/**
 * What a report's attribute value means as a directory search. UPNs are searched as UPNs
 * and as addresses (Entra keeps UPN and SMTP proxy values unique across users, groups and
 * contacts together); proxy addresses lose their `smtp:`/`SMTP:` prefix, because the holder
 * may store the other case (primary vs secondary) than the report quotes.
 */
export interface NormalisedLookup {
  kind: 'upn' | 'address';
  /** Address type, lower case: `smtp` (also for bare addresses and mail), `sip`, `x500`, … */
  addressType: string;
  /** The bare value, trimmed, case kept (Graph compares case-insensitively; keeping it reads better in notes). */
  value: string;
  /** Cache and dedup key: kind, type and value, lower-cased. */
  key: string;
}

/** A lookup's value as the directory holds it: the bare UPN, or `type:value` (what holder filters and Graph lookups take). */
export function lookupValue(l: NormalisedLookup): string {
  return l.kind === 'upn' ? l.value : `${l.addressType}:${l.value}`;
}

/** The attribute a lookup's value lives in, as Graph spells it (`userPrincipalName`, `proxyAddresses` in AD). */
export function lookupAttribute(l: NormalisedLookup): 'UserPrincipalName' | 'ProxyAddresses' {
  return l.kind === 'upn' ? 'UserPrincipalName' : 'ProxyAddresses';
}

// SignInName, unique in Entra beside UPN and addresses (AttributeValueMustBeUnique), is the user's UPN
const UPN_ATTRIBUTES = new Set(['userprincipalname', 'upn', 'onpremisesuserprincipalname', 'signinname']);
const ADDRESS_ATTRIBUTES = new Set([
  'proxyaddresses',
  'proxyaddress',
  'mail',
  'targetaddress',
  'sipproxyaddress',
  'emailaddress',
  'emailaddresses',
  'windowsemailaddress',
]);
const PREFIX = /^([a-z][a-z0-9]{1,7}):(.+)$/i;

export function normaliseLookup(query: LookupQuery): NormalisedLookup | null {
  const attribute = query.attribute.replace(/[^a-z]/gi, '').toLowerCase();
  let value = query.value.trim();
  if (!value) return null;
  if (UPN_ATTRIBUTES.has(attribute)) {
    return { kind: 'upn', addressType: 'smtp', value, key: `upn:${value.toLowerCase()}` };
  }
  if (!ADDRESS_ATTRIBUTES.has(attribute)) return null;
  let addressType = attribute === 'sipproxyaddress' ? 'sip' : 'smtp';
  const m = PREFIX.exec(value);
  if (m) {
    addressType = m[1]!.toLowerCase();
    value = m[2]!.trim();
  }
  if (!value) return null;
  return { kind: 'address', addressType, value, key: `address:${addressType}:${value.toLowerCase()}` };
}

/** Strips an address-type prefix from a stored proxy address: `SMTP:a@b` → `{ type: 'smtp', bare: 'a@b' }`. */
export function splitProxyAddress(stored: string): { type: string; bare: string } {
  const m = PREFIX.exec(stored);
  return m ? { type: m[1]!.toLowerCase(), bare: m[2]! } : { type: 'smtp', bare: stored };
}
