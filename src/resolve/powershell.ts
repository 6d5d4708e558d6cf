/**
 * Quoting for the commands we hand to agents. Values come from report mails and
 * directories, so they are quoted as PowerShell literals: nothing in them may expand
 * (`$x`, backticks, subexpressions) or end the string. PowerShell also treats the
 * typographic quotes ‘ ’ ‚ ‛ as single quotes and “ ” „ as double quotes.
 */

const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;
const DOUBLE_QUOTE_UNSAFE = /[`$"\u201C\u201D\u201E\u2018\u2019\u201A\u201B\r\n]/;

/**
 * A single-quoted PowerShell string: every (typographic) single quote doubled, nothing expands.
 * A character a screen or a copy does not keep as it is (a control character, a bidi override,
 * a zero-width joiner) is written as its code, `('nh9' + [char]0x202E + 'moc…')`: the command
 * pasted holds the very value, and shows where it is strange.
 */
export function psQuote(value: string): string {
  if (!UNSEEN.test(value)) return literal(value);
  const parts: string[] = [];
  let run = '';
  for (const c of value) {
    if (!UNSEEN.test(c)) {
      run += c;
      continue;
    }
    if (run) parts.push(literal(run));
    run = '';
    const code = c.codePointAt(0)!;
    const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
    parts.push(code > 0xffff ? `[char]::ConvertFromUtf32(${hex})` : `[char]${hex}`);
  }
  if (run) parts.push(literal(run));
  // a leading [char] would make the + add numbers: a string first keeps it a concatenation
  return `(${UNSEEN.test([...value][0]!) ? "'' + " : ''}${parts.join(' + ')})`;
}
const literal = (value: string): string => `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
/** Control, formatting (bidi, zero-width) and line/paragraph separator characters. */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A `-Filter` argument holding an OData expression. Double quotes read naturally
 * (`"mail eq 'a@b'"`, as Microsoft's docs write them) and are used when nothing in the
 * expression could expand; otherwise the whole expression is single-quoted.
 */
export function psFilter(odataExpression: string): string {
  return DOUBLE_QUOTE_UNSAFE.test(odataExpression) || UNSEEN.test(odataExpression) ? psQuote(odataExpression) : `"${odataExpression}"`;
}

/**
 * The escaping the lookups themselves use, under the names the agent commands call them:
 * an OData `eq` clause for a -Filter (odata.ts), and an RFC 4515 value for
 * Get-ADObject -LDAPFilter (ldap-filter.ts).
 */
export { eq as odataEq } from './odata.ts';
export { escapeFilterValue as ldapValue } from './onprem/ldap-filter.ts';

/** The 16 bytes of a source anchor: base64 (ImmutableId, ms-DS-ConsistencyGuid) or a GUID string; null for anything else. */
function anchorBytes(anchor: string): Buffer | null {
  const a = anchor.trim();
  const guid = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(a);
  if (guid) {
    // .NET's Guid.ToByteArray(): the first three groups little-endian, the rest as written
    const le = (hex: string) => Buffer.from(hex, 'hex').reverse();
    return Buffer.concat([le(guid[1]!), le(guid[2]!), le(guid[3]!), Buffer.from(guid[4]! + guid[5]!, 'hex')]);
  }
  if (!/^[A-Za-z0-9+/]{22}==$/.test(a)) return null;
  const bytes = Buffer.from(a, 'base64');
  return bytes.length === 16 ? bytes : null;
}

/** `1wfM9xV8fUSHbcAbDlqeOA==` → `f7cc07d7-7c15-447d-876d-c01b0e5a9e38`, as `[guid][Convert]::FromBase64String(…)` shows it. */
export function anchorGuid(anchor: string): string | null {
  const b = anchorBytes(anchor);
  if (!b) return null;
  const hex = (from: number, to: number, reverse = false) => {
    const part = Buffer.from(b.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10)}-${hex(10, 16)}`;
}

const AD_SHOW = 'userPrincipalName,mail,proxyAddresses,objectGUID,mS-DS-ConsistencyGuid,whenChanged';

/**
 * Opens the on-premises object a source anchor names, whichever attribute Entra Connect
 * anchors on: objectGUID (the classic default) or ms-DS-ConsistencyGuid (the default since
 * 2017, usually but not always a copy of objectGUID). The anchor's bytes go into the LDAP
 * filter escaped (`\d7\07…`), so one search finds it by either attribute. Null when the
 * anchor is not 16 bytes (base64) or a GUID.
 */
export function adObjectByAnchorCommand(anchor: string, deleted = false): string | null {
  const filter = anchorLdapFilter(anchor);
  if (!filter) return null;
  // an object sync tried to delete is deleted on-premises too: it is in AD's deleted objects
  return `Get-ADObject -LDAPFilter ${psQuote(filter)}${deleted ? ' -IncludeDeletedObjects' : ''} -Properties ${AD_SHOW} | Format-List DistinguishedName,ObjectClass,${AD_SHOW}`;
}

/** The LDAP filter that finds the object a source anchor names by objectGUID or ms-DS-ConsistencyGuid; null when the anchor is not 16 bytes. */
export function anchorLdapFilter(anchor: string): string | null {
  const b = anchorBytes(anchor);
  if (!b) return null;
  const escaped = [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
  return `(|(objectGUID=${escaped})(mS-DS-ConsistencyGuid=${escaped}))`;
}

const GRAPH_SEARCH = /^(Get-Mg(?:User|Group|Contact) -Filter .+?) \| Format-List$/;

/**
 * Several `Get-MgUser/Get-MgGroup/Get-MgContact -Filter … | Format-List` searches for one
 * value as one command: the three searches in one array, listed together. Null when a
 * command is not such a search.
 */
export function oneGraphSearch(commands: string[]): string | null {
  const parts = commands.map((c) => GRAPH_SEARCH.exec(c)?.[1]);
  if (parts.length < 2 || parts.some((p) => p === undefined)) return null;
  return `@(${parts.join('; ')}) | Format-List`;
}

/**
 * ` -Server '<the DN's domain>'`: a Set-AD* or Get-AD* by DN goes to a DC of the object's own
 * domain, which may not be the one the agent's session is in (another domain of the forest,
 * another forest the sync reads). Empty for a DN with no DC= part.
 */
export function onServerOf(dn: string): string {
  const domain = [...dn.matchAll(/(?:^|(?<!\\),)\s*DC=((?:\\.|[^,])+)/gi)].map((m) => m[1]!.trim()).join('.');
  return domain ? ` -Server ${psQuote(domain)}` : '';
}
