import type { Attribute } from '../../schemas/report.schema.ts';
import { parseAttributeList } from './brackets.ts';
import { canonicalAttribute, cleanAttributeValue } from './vocabulary.ts';

/**
 * The attributes an error text names when no known English sentence places them. Attribute
 * names stay English in every language (real-reports.md §3), so they are found by their
 * form: Microsoft's bracket list, a quoted name, an identifier standing as a word, and, for
 * the proxy-address texts that name no attribute, the words for "proxy address".
 */

/** An attribute list anywhere in a message ("…the attribute [UserPrincipalName x;] contains…"). */
export function bracketIn(message: string): Attribute[] | null {
  // a value's own empty pair ("System.Byte[]", a binary attribute's .NET type name) is no bracket:
  // brackets are found in a copy without it, and the text is read from the message
  const shape = message.includes('[]') ? message.replaceAll('[]', '\0\0') : message;
  // indexOf, not a regex: "[[[[…" without a closing bracket must stay linear
  for (let from = 0; ; ) {
    const open = shape.indexOf('[', from);
    const close = open < 0 ? -1 : shape.indexOf(']', open);
    if (close < 0) return open < 0 ? null : openBracket(message.slice(open + 1));
    const start = shape.lastIndexOf('[', close);
    const list = listIn(message.slice(start + 1, close));
    if (list) return list;
    // a value's own pair ("cn=john[1]"): the list is the bracket still open around it
    const outer = start > from ? shape.lastIndexOf('[', start - 1) : -1;
    if (outer >= from) {
      LIST_WITH_PAIRS.lastIndex = outer;
      const whole = LIST_WITH_PAIRS.exec(shape)?.[0];
      const around = whole && listIn(message.slice(outer + 1, outer + whole.length - 1));
      if (around) return around;
    }
    from = close + 1;
  }
}

/** The attributes of a bracket's inside, when it starts with an attribute's name. */
function listIn(inner: string): Attribute[] | null {
  const first = /^[A-Za-z][\w.]*(?=\s|$)/.exec(inner)?.[0];
  if (!first || !canonicalAttribute(first)) return null;
  const list = parseAttributeList(`[${inner}]`);
  return list.length ? list : null;
}
/** A bracket whose inside holds only simple pairs of its own; sticky, so each scan stops at the first stray `[`. */
const LIST_WITH_PAIRS = /\[(?:[^[\]]|\[[^[\]]*\])*\]/y;

/**
 * A bracket left open: "[SipProxyAddress user01@contoso.com ディレクトリで重複している…" (a
 * Japanese report as Microsoft's Japanese support blog quotes it). The value is the one word
 * after the name where the text after it cannot belong to it (nothing, a `;`, or words not in
 * Latin letters); else only the name, as an X500 value may hold spaces.
 */
const OPEN_BRACKET = /^([A-Za-z][\w.]*)(?:\s+([^\s;\]]+)(?=\s*;|\s+(?![A-Za-z])|\s*$))?/;
function openBracket(rest: string): Attribute[] | null {
  const m = OPEN_BRACKET.exec(rest);
  const name = m && canonicalAttribute(m[1]!);
  if (!name) return null;
  return [{ name, value: m[2] ? cleanAttributeValue(name, m[2]) : null }];
}

/** Names a localized text quotes instead of bracketing: „FederatedUser.UserPrincipalName“, 「ProxyAddresses」. */
function quotedNames(message: string): string[] {
  // most texts quote nothing (or only an apostrophe): one test before the match list
  return QUOTED_NAME.test(message) ? [...message.matchAll(QUOTED_NAMES)].map((m) => m[1]!) : [];
}
const QUOTED_NAMES = /[„“"'«‘「『]\s*([A-Za-z][\w.]*)\s*[“”"'»’」』]/g;
const QUOTED_NAME = new RegExp(QUOTED_NAMES.source);

/**
 * Names written as identifiers (an inner capital or a dot: UserPrincipalName,
 * FederatedUser.UserPrincipalName), never plain words such as "mail", which prose uses.
 */
function identifierNames(message: string): string[] {
  // an identifier has a small letter before a capital somewhere; prose often has none, and the
  // pattern below tries every letter of it
  if (!INNER_CAPITAL.test(message)) return [];
  // each segment starts with one capital: one way to split a word, so no backtracking blow-up
  return [...message.matchAll(/(?<![\w.@:/-])([A-Za-z][a-z]+(?:[A-Z][a-z]*)+(?:\.[A-Za-z]+)*)(?![\w@-])/g)].map((m) => m[1]!);
}

const INNER_CAPITAL = /[a-z][A-Z]/;

// English; German and Norwegian ("Proxyadresse", "Proxy-Adresse" as KB f02a39a4 de-de writes it,
// which a wrap may break after its hyphen), Swedish "proxyadress", Dutch "proxy-adres" (KB 2647098
// nb-no, sv, nl), Ukrainian "адресою проксі" (uk-ua); Japanese, French, Spanish, Italian ("indirizzo proxy", KB 2647098/it)
const PROXY_WORDS = /proxy\s*address|proxy(?:-\s*)?adres|адрес\S*\s+проксі|プロキシ\s*アドレス|adresse\s+proxy|direcci[oó]n\s+(?:de\s+)?proxy|indirizzo\s+proxy/i;

export function mentionedAttributes(message: string): Attribute[] | null {
  const listed = bracketIn(message);
  if (listed) return listed;
  const names = [...quotedNames(message), ...identifierNames(message)].map(canonicalAttribute).filter((n): n is string => !!n);
  if (names.length) return [...new Set(names)].map((name) => ({ name, value: null }));
  return PROXY_WORDS.test(message) ? [{ name: 'ProxyAddresses', value: null }] : null;
}
