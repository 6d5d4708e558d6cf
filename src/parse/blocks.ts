/**
 * The layout-neutral form every body is reduced to before extraction: table rows with
 * their cells, lines of text, and breaks. HTML tables, `identity | description |` lines
 * and plain paragraphs all end up here, so one extractor serves every layout.
 */
export type Block =
  | {
      kind: 'row';
      cells: string[];
      table: number;
      /** Every cell is in `collapse`d form already (the HTML reader knows it of nearly every row): no need to collapse again. */
      collapsed?: boolean;
      /** The input ended inside this row (a cut-off mail): its last cell may be half a value. */
      cutOff?: boolean;
    }
  | { kind: 'line'; text: string }
  | { kind: 'break' };

/**
 * Takes blocks one at a time, as the reader makes them: a row is worked while it is fresh
 * and gone after, instead of 10,000 rows kept until the last is read.
 */
export interface BlockSink {
  add(block: Block): void;
}

// Most text is already clean: test first, and only rewrite (allocate) when needed.
const SQUEEZABLE = /[\t\u00a0\u00ad\u2000-\u200b\u3000\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]| {2}/;
const COLLAPSIBLE = /[^\S ]| {2}/;

/**
 * Collapses runs of spaces and tabs (not newlines) and trims. Soft hyphens (`&shy;`) go: a
 * break a sender allowed inside a long address is no part of it; so do the marks that set
 * the direction of right-to-left text (Gmail and Outlook in Arabic or Hebrew put them around
 * dates and addresses), which are no part of what they surround.
 */
export function squeeze(text: string): string {
  return (SQUEEZABLE.test(text) ? text.replace(/[ \t\u00a0\u2000-\u200b\u3000]+/g, ' ').replace(INVISIBLE, '') : text).trim();
}
const INVISIBLE = /[\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g;

/** Collapses all whitespace, newlines included: the normalised form of a message. */
export function collapse(text: string): string {
  return (COLLAPSIBLE.test(text) ? text.replace(/\s+/g, ' ') : text).trim();
}

/** Removes all whitespace (a wrapped address or id), copying only a text that has some. */
export function withoutWhitespace(text: string): string {
  return ANY_WHITESPACE.test(text) ? text.replace(/\s+/g, '') : text;
}
// made once: a regex literal in a function is a new RegExp object each time it runs (every id and value)
const ANY_WHITESPACE = /\s/;
