import { odataString } from './odata.ts';

/**
 * Quoting for the commands we hand to agents. Values come from report mails and
 * directories, so they are quoted as PowerShell literals: nothing in them may expand
 * (`$x`, backticks, subexpressions) or end the string. PowerShell also treats the
 * typographic quotes ‘ ’ ‚ ‛ as single quotes and “ ” „ as double quotes.
 */

const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;
const DOUBLE_QUOTE_UNSAFE = /[`$"\u201C\u201D\u201E\u2018\u2019\u201A\u201B\r\n]/;

/** A single-quoted PowerShell string: every (typographic) single quote doubled, nothing expands. */
export function psQuote(value: string): string {
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/**
 * A `-Filter` argument holding an OData expression. Double quotes read naturally
 * (`"mail eq 'a@b'"`, as Microsoft's docs write them) and are used when nothing in the
 * expression could expand; otherwise the whole expression is single-quoted.
 */
export function psFilter(odataExpression: string): string {
  return DOUBLE_QUOTE_UNSAFE.test(odataExpression) ? psQuote(odataExpression) : `"${odataExpression}"`;
}

/** An OData `eq` clause for a -Filter, value quoted the OData way first. */
export function odataEq(property: string, value: string): string {
  return `${property} eq ${odataString(value)}`;
}

/** An RFC 4515 LDAP filter value (for Get-ADObject -LDAPFilter): `*()\` and NUL escaped. */
export function ldapValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
