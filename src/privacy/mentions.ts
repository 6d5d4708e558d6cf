/*
 * Whether a text names a value (an address, a UPN, a display name, an id) as a whole: an
 * erasure must find the person everywhere syncdesk kept them, and must not take
 * `bigjohn@contoso.com` for `john@contoso.com`.
 */

/** Characters that continue a name or an address: a match may not have one on either side. */
const WORD = /[\p{L}\p{N}._%+-]/u;

/** The shortest value searched for: a shorter one would match too much to remove safely. */
export const MIN_VALUE_LENGTH = 5;

/** Why a value cannot be searched for, or null if it can. */
export function unsearchable(value: string): string | null {
  const v = value.trim();
  if (v.length < MIN_VALUE_LENGTH) return `"${value}" is shorter than ${MIN_VALUE_LENGTH} characters: give a whole address, UPN, name or id`;
  if (!/[\p{L}\p{N}]/u.test(v)) return `"${value}" has no letter or digit`;
  return null;
}

/**
 * Whether the side of a match at `i` (the character next to it) ends the name: nothing there,
 * a character no name has, or a dot or hyphen that ends a sentence rather than a name (no
 * letter or digit beyond it). `out` is the step away from the match (-1 before, 1 after).
 */
function endsName(hay: string, i: number, out: 1 | -1): boolean {
  const c = hay[i];
  if (c === undefined || !WORD.test(c)) return true;
  const beyond = hay[i + out];
  return (c === '.' || c === '-') && (beyond === undefined || !/[\p{L}\p{N}]/u.test(beyond));
}

/** One character in lower case without its accents (é is e: a name is written both ways), if that keeps it one character. */
function foldChar(c: string): string {
  const lower = c.toLowerCase();
  const base = lower.normalize('NFD').replace(/\p{M}+/gu, '');
  return base.length === c.length ? base : lower.length === c.length ? lower : c;
}

/** Lower case without accents, character by character, so that every index still points where it did in the text. */
function fold(text: string): string {
  // most text is ASCII: nothing to take off but the case
  return /^[\x00-\x7f]*$/.test(text) ? text.toLowerCase() : text.replace(/[\s\S]/gu, foldChar);
}

/** The places `value` stands whole in `text`, case and accents aside. */
function* wholeMatches(text: string, value: string): Generator<number> {
  const hay = fold(text);
  const needle = fold(value.trim());
  for (let at = hay.indexOf(needle); at !== -1; ) {
    // a boundary inside the value itself (it starts or ends with a dot, say) is the value's own
    const startOk = !WORD.test(needle[0]!) || endsName(hay, at - 1, -1);
    const endOk = !WORD.test(needle.at(-1)!) || endsName(hay, at + needle.length, 1);
    if (startOk && endOk) yield at;
    at = hay.indexOf(needle, at + (startOk && endOk ? needle.length : 1));
  }
}

/** True if `text` holds `value` (case and accents aside), not as a part of a longer name or address. */
export function mentions(text: string, value: string): boolean {
  return !wholeMatches(text, value).next().done;
}

/** `text` with every whole mention of `value` replaced (a record kept for what it says besides). */
export function withoutMentions(text: string, value: string, replacement = '(forgotten)'): string {
  const length = value.trim().length;
  let out = '';
  let from = 0;
  for (const at of wholeMatches(text, value)) {
    out += text.slice(from, at) + replacement;
    from = at + length;
  }
  return out + text.slice(from);
}
