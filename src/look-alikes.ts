/**
 * Characters in a value that do not show as what they are: formatting characters (bidi
 * overrides and isolates, zero-width joiners, word joiners: a viewer reorders or hides them)
 * and letters of another script or width that look like Latin ones in an address (Cyrillic
 * а, fullwidth ＠). The report and the commands keep the value as it is; the ticket says what
 * is in it, so an agent does not act on the value a screen shows.
 */

const NAMES: Record<number, string> = {
  0x00ad: 'soft hyphen',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space',
};

/** Always suspect: formatting characters and fullwidth ASCII. */
const HIDDEN_RE = /[\p{Cf}\uff01-\uff5e]/u;
/** Suspect beside Latin letters only: a Russian or Greek name is no look-alike, а Cyrillic а in an address is. */
const MIXED_RE = /[\p{Cf}\p{Script=Cyrillic}\p{Script=Greek}\uff01-\uff5e]/u;
const suspectIn = (value: string): RegExp => (/\p{Script=Latin}/u.test(value) ? MIXED_RE : HIDDEN_RE);

/** `U+202E` */
const codePoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

const describe = (c: string): string => {
  const code = c.codePointAt(0)!;
  const hex = codePoint(c);
  if (NAMES[code]) return `${hex} (${NAMES[code]})`;
  if (/\p{Cf}/u.test(c)) return `${hex} (an invisible formatting character)`;
  if (code >= 0xff01 && code <= 0xff5e) return `${hex} (fullwidth ${String.fromCodePoint(code - 0xfee0)})`;
  return `${hex} (${/\p{Script=Cyrillic}/u.test(c) ? 'Cyrillic' : 'Greek'} ${c})`;
};

/** What in `value` is not what it looks like, each with its place (1-based), or [] for a plain value. */
export function lookAlikes(value: string): string[] {
  const suspect = suspectIn(value);
  if (!suspect.test(value)) return [];
  const out: string[] = [];
  let at = 0;
  for (const c of value) {
    at++;
    if (suspect.test(c)) out.push(`${describe(c)} at ${at}`);
  }
  return out;
}

/** `value` with each such character written as its code point (`SMTP:[U+0430]dmin@contoso.com`): safe to show. */
export function spelledOut(value: string): string {
  const suspect = suspectIn(value);
  return [...value].map((c) => (suspect.test(c) ? `[${codePoint(c)}]` : c)).join('');
}

/** `text` with each formatting character (bidi, zero-width) written as its code point: a one-line title that shows what it holds. */
export function formatCharsShown(text: string): string {
  return text.replace(FORMAT_CHARS, (c) => `[${codePoint(c)}]`);
}
const FORMAT_CHARS = /\p{Cf}/gu;
