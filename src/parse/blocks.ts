/**
 * The layout-neutral form every body is reduced to before extraction: table rows with
 * their cells, lines of text, and breaks. HTML tables, `identity | description |` lines
 * and plain paragraphs all end up here, so one extractor serves every layout.
 */
export type Block =
  | { kind: 'row'; cells: string[]; table: number }
  | { kind: 'line'; text: string }
  | { kind: 'break' };

/** Collapses runs of spaces and tabs (not newlines) and trims. */
export function squeeze(text: string): string {
  return text.replace(/[ \t\u00a0\u2000-\u200b\u3000]+/g, ' ').trim();
}

/** Collapses all whitespace, newlines included: the normalised form of a message. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
