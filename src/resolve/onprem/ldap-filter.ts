/**
 * RFC 4515 filter values. Every value that goes into a filter passes through here, so a
 * UPN like `*)(objectClass=*` is matched literally and never widens the search.
 */

/** Escapes `*`, `(`, `)`, `\` and NUL as `\XX`; other characters (UTF-8 included) stay. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** `(attr=value)` with the value escaped. */
export function equals(attribute: string, value: string): string {
  return `(${attribute}=${escapeFilterValue(value)})`;
}

/** `(|…)` of the given filters; one filter stays as it is. */
export function anyOf(filters: string[]): string {
  return filters.length === 1 ? filters[0]! : `(|${filters.join('')})`;
}
