import type { Attribute } from '../../schemas/report.schema.ts';
import { canonicalAttribute, cleanAttributeValue, gluedAttribute } from './vocabulary.ts';

/**
 * Parses the attribute list Microsoft appends to duplicate errors:
 * `[UserPrincipalName john@contoso.com;]`, `[ProxyAddresses SMTP:a@x.com;smtp:b@x.com;]`,
 * `[UserPrincipalName u@x;ProxyAddresses SMTP:u@x;]`, `[FederatedUser.UserPrincipalName]`,
 * or bare names after the colon (`…local directory services: UserPrincipalName.`).
 * Entries are `;`-separated; an entry that starts with a known attribute name opens a new
 * attribute, anything else is another value of the previous one. Values may hold spaces (X500).
 */
export function parseAttributeList(list: string): Attribute[] {
  const text = list.trim();
  if (!text) return [];
  if (!text.startsWith('[')) {
    return text
      .split(NAME_SEPARATOR)
      .map((name) => name.replace(FINAL_STOP, ''))
      .filter(Boolean)
      .map((name) => ({ name: canonicalAttribute(name) ?? name, value: null }));
  }
  const inner = text.slice(1, text.endsWith(']') ? -1 : undefined);
  const attributes: Attribute[] = [];
  let current: string | null = null;
  // the `;`-separated entries, as split(';') gives them, without the array (a list per duplicate error)
  for (let from = 0; from <= inner.length; ) {
    let end = entryEnd(inner, from);
    let entry = inner.slice(from, end);
    // an X.400 or a UM address holds `;` of its own ("X400:c=US;a= ;p=Contoso;o=Exchange;s=Smith;",
    // "EUM:1234;phone-context=contoso.com"): its parts, each "key=value", stay with it,
    // and so does its own final `;` before the list's (";;")
    if (OWN_SEMICOLONS_RE.test(entry)) {
      while (end < inner.length && ADDRESS_PART_RE.test(inner.slice(end + 1, entryEnd(inner, end + 1)))) end = entryEnd(inner, end + 1);
      if (inner.charCodeAt(end) === 0x3b && inner.charCodeAt(end + 1) === 0x3b) end++;
      entry = inner.slice(from, end);
    }
    if (entry.includes(',')) for (const piece of splitCommaForm(entry)) current = addEntry(piece, current, attributes);
    else current = addEntry(entry, current, attributes);
    from = end + 1;
  }
  return attributes;
}

/** Where the `;`-separated entry that starts at `from` ends. */
function entryEnd(inner: string, from: number): number {
  const semi = inner.indexOf(';', from);
  return semi < 0 ? inner.length : semi;
}
/** Proxy addresses whose text holds `;`: X.400's and Exchange Unified Messaging's. */
const OWN_SEMICOLONS_RE = /\b(?:x400|eum):/i;
/** One part of such an address: a key and `=` (X.400's c, a, p, o, s, g, ou1…; EUM's phone-context). */
const ADDRESS_PART_RE = /^\s*[A-Za-z][\w-]*=/;

/** Adds what one entry of a bracket list says to `attributes`; returns the attribute its values now belong to. */
function addEntry(rawEntry: string, current: string | null, attributes: Attribute[]): string | null {
  // a name in a paste's markdown bold ("[**ProxyAddresses**SMTP:…]", a chat or a page's source)
  const trimmed = rawEntry.trim();
  const entry = trimmed.charCodeAt(0) === 0x2a ? trimmed.replace(MARKDOWN_BOLD_NAME, '$1 ') : trimmed;
  // "[UserPrincipalName john@contoso.com;.]" (a localized template's stray full stop) and "[None]" name nothing
  if (!entry || (isStop(entry.charCodeAt(0)) && STOPS_ONLY.test(entry)) || (entry.length === 4 && NONE.test(entry) && !current)) return current;
  // the entry is trimmed: its first word ends at its first whitespace, if it has any
  const space = entry.search(WHITESPACE);
  const first = space < 0 ? entry : entry.slice(0, space);
  const named: string | null = canonicalAttribute(first) ?? (space < 0 && isAttributeWord(first) && !current ? first : null);
  const glued = named ? null : gluedAttribute(first);
  if (glued) {
    attributes.push({ name: glued.name, value: cleanAttributeValue(glued.name, glued.value + entry.slice(first.length)) });
    return glued.name;
  }
  if (named) {
    const raw = entry.slice(first.length);
    attributes.push({ name: named, value: raw.trim() ? cleanAttributeValue(named, raw) : null });
    return named;
  }
  if (current) {
    attributes.push({ name: current, value: cleanAttributeValue(current, entry) });
  } else {
    // A value with no attribute before it: keep it under the name Microsoft would have used.
    attributes.push({ name: guessAttribute(entry), value: cleanAttributeValue(guessAttribute(entry), entry) });
  }
  return current;
}

// made once: a regex literal in a function is a new RegExp object each time it runs
const MARKDOWN_BOLD_NAME = /^\*\*([A-Za-z][\w.]*)\*\*\s*/;
const NAME_SEPARATOR = /\s*(?:,|\band\b)\s*/;
const FINAL_STOP = /\.$/;
const STOPS_ONLY = /^[.,\s]*$/;
const NONE = /^none$/i;
const WHITESPACE = /\s/;

/** A full stop or comma: what an entry of punctuation alone starts with (entries are trimmed). */
function isStop(c: number): boolean {
  return c === 0x2e || c === 0x2c;
}

const PROXY_PREFIX_RE = /^(?:smtp|x500|x400|sip|eum|spo|fax|mapi|notes|ccmail|ms|gwise):/i;

/**
 * Sync Service Manager writes several values, and several attributes, in one entry with commas:
 * `ProxyAddresses SMTP:a@x,smtp:b@y,Mail a@x`. A comma starts a new piece only where a proxy
 * prefix or a known attribute name follows; elsewhere it belongs to the value (X500, DNs).
 */
function splitCommaForm(entry: string): string[] {
  if (!entry.includes(',')) return [entry];
  const pieces: string[] = [];
  for (const piece of entry.split(',')) {
    const t = piece.trim();
    const startsNew = pieces.length === 0 || PROXY_PREFIX_RE.test(t) || !!canonicalAttribute(t.split(/\s+/)[0] ?? '') && /\s/.test(t);
    if (startsNew) pieces.push(piece);
    else pieces[pieces.length - 1] += `,${piece}`;
  }
  return pieces;
}

/** `FederatedUser.UserPrincipalName`, `extensionAttribute1`: an identifier, not a value. */
function isAttributeWord(word: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*$/.test(word);
}

function guessAttribute(value: string): string {
  if (/^(smtp|x500|sip|x400|eum):/i.test(value)) return 'ProxyAddresses';
  return 'UserPrincipalName';
}
