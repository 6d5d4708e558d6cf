/**
 * OData literals and filters for Microsoft Graph. The Graph client sends `.filter()` and
 * `api(url)` text as-is (it never encodes), so every value we put in a URL goes through
 * here: quotes doubled inside a literal, then the whole expression percent-encoded, so a
 * value holding `'`, `#`, `+`, `&` or ` or 1 eq 1` can only ever be a value.
 */

/** `O'Brien` → `'O''Brien'`: the OData string literal for any text. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `prop eq 'value'`. */
export function eq(property: string, value: string): string {
  return `${property} eq ${odataString(value)}`;
}

/** `prop/any(x:x eq 'value')`: equality on a multi-valued property (Graph requires the lambda). */
export function anyEq(property: string, value: string): string {
  return `${property}/any(x:x eq ${odataString(value)})`;
}

/** `endswith(prop,'value')`: an advanced query (ConsistencyLevel: eventual and $count=true). */
export function endsWith(property: string, value: string): string {
  return `endswith(${property},${odataString(value)})`;
}

export function or(...clauses: string[]): string {
  return clauses.join(' or ');
}

/**
 * A relative Graph URL (no version segment) with query options, every option value
 * percent-encoded with encodeURIComponent (RFC 3986: `+` → %2B, `#` → %23, `&` → %26).
 */
export function graphPath(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

/**
 * An `@odata.nextLink` (absolute, with the version) as a relative url for a `$batch`
 * sub-request or `client.api()`: `https://host/v1.0/users?$skiptoken=…` → `/users?$skiptoken=…`.
 * Only the path and query are kept, so a nextLink can never send us to another host.
 */
export function relativeFromNextLink(nextLink: string): string {
  const url = new URL(nextLink, 'https://graph.invalid');
  return url.pathname.replace(/^\/(v1\.0|beta)(?=\/)/, '') + url.search;
}
