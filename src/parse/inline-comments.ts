/**
 * A reply that answers a quoted report inline puts its comments between the quoted rows:
 *
 *   > lee.gu@contoso.com<TAB>Unable to update … values.<TAB>sPi0nyLHGOmST1sRZREaZw==
 *
 *   Lee's old mailbox, I removed the address.
 *
 *   > alex.wilber@contoso.com<TAB>Unable to update …
 *
 * Read in place, the comment ends the quoted table and cuts a row's wrapped lines from it.
 * So a short run of lines quoted less deeply than the lines on both sides of it is lifted out
 * and read after the quoted run: the quoted lines join up again as the report had them, and
 * the comments are still read, as text.
 */

/** Longest run of lines taken for an inline comment; a longer one is the mail's own text. */
const MAX_COMMENT_LINES = 30;

const QUOTE_RE = /^(?:[ \t]*>)+/;

function depthOf(line: string): number {
  const prefix = QUOTE_RE.exec(line)?.[0];
  if (!prefix) return 0;
  let depth = 0;
  for (let i = 0; i < prefix.length; i++) if (prefix.charCodeAt(i) === 0x3e) depth++;
  return depth;
}

export function liftInlineComments(lines: string[]): string[] {
  if (!lines.some((l) => QUOTE_RE.test(l))) return lines;
  const depths = lines.map(depthOf);
  const out: string[] = [];
  let lifted: string[] = [];
  for (let i = 0; i < lines.length; ) {
    const depth = depths[i]!;
    out.push(lines[i]!);
    i++;
    if (depth === 0) continue;
    let end = i;
    while (end < lines.length && end - i <= MAX_COMMENT_LINES && depths[end]! < depth) end++;
    const between = lines.slice(i, end);
    if (end > i && end < lines.length && depths[end]! >= depth && between.some((l) => l.trim())) {
      lifted.push('', ...between, '');
      i = end;
    } else if (lifted.length && end > i) {
      // the quoted run ends here: its comments follow it
      out.push(...lifted);
      lifted = [];
    }
  }
  return lifted.length ? [...out, ...lifted] : out;
}
