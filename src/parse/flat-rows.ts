import { columnRoles } from './text-dump-tables.ts';
import { EMAIL_RE, canonicalObjectType, fieldRole, isKnownCode, looksLikeObjectId, type FieldRole } from './vocabulary.ts';

/**
 * A table row flattened to words one space apart, as `lynx -dump` writes an HTML table
 * ("alex@contoso.com User AttributeValueMustBeUnique Unable to update …", or the description
 * first and "Renée Dubois User Zx9dL2mN8oPq4rSt6uVw0A==" after it): the error sentence is
 * found by its wording, and the cells beside it are told apart by what they hold (a source
 * anchor, an object class, an error name), in the order a header line of column names gives.
 * What is left is the object's name, which may have spaces ("Müller, Jürgen").
 */

export interface FlatCells {
  identity: string | null;
  objectType: string | null;
  objectId: string | null;
  errorCode: string | null;
}

/** No cell read yet. */
export function noCells(): FlatCells {
  return { identity: null, objectType: null, objectId: null, errorCode: null };
}

/** Under a source-anchor column, any word of base64's shape is the anchor; elsewhere it must look like one (looksLikeObjectId). */
export function isAnchorShaped(word: string): boolean {
  return looksLikeObjectId(word) || (word.length % 4 === 0 && /^[A-Za-z0-9+/]{16,}={0,2}$/.test(word));
}

/**
 * The cells a header puts on one side of the description, split by the name column: those
 * before it stand at the start of the words, those after it at their end (all of them at the
 * end on a side without the name). lynx drops empty cells, so any of them may be missing.
 */
export interface Side {
  leading: ReadonlySet<FieldRole>;
  trailing: ReadonlySet<FieldRole>;
  hasIdentity: boolean;
}

/** The header's sides of its description column (the whole header on both sides when it has none). */
export function sidesOf(header: readonly FieldRole[] | null): { before: Side | null; after: Side | null } {
  if (!header) return { before: null, after: null };
  const at = header.indexOf('description');
  const side = (roles: readonly FieldRole[]): Side => {
    const name = roles.indexOf('identity');
    return name < 0
      ? { leading: new Set(), trailing: new Set(roles), hasIdentity: false }
      : { leading: new Set(roles.slice(0, name)), trailing: new Set(roles.slice(name + 1)), hasIdentity: true };
  };
  return at < 0 ? { before: side(header), after: side(header) } : { before: side(header.slice(0, at)), after: side(header.slice(at + 1)) };
}

/** A side of the description with a cell on it. */
export function hasCells(side: Side | null): side is Side {
  return !!side && (side.hasIdentity || side.leading.size + side.trailing.size > 0);
}

/** The first line of column names alone before line `before` (a header row flattened by lynx), and its roles. */
export function flatHeader<L extends { text: string }>(lines: readonly L[], before: number): { line: L; roles: FieldRole[] } | null {
  for (let l = 0; l < before; l++) {
    const roles = columnRoles(lines[l]!.text);
    if (roles) return { line: lines[l]!, roles };
  }
  return null;
}

/** Where the words after a text's last sentence start (after its last `.`, `!` or `?` and a space), or 0. */
export function lastSentenceEnd(text: string): number {
  let end = 0;
  for (const m of text.matchAll(/[.!?。]\s+/g)) end = m.index + m[0].length;
  return end;
}

/**
 * The cells in `text`, the words on one side of an error sentence, as `side` places them (a
 * header was seen) or, without one, read from the end: anchors and documented error names
 * wherever they stand, an object class word only after an address (without a header, "… Help
 * Desk Group" may be a name). What is left is the name.
 */
export function peelCells(text: string, side: Side | null): FlatCells {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const cells = noCells();
  if (side) while (words.length > 1 && takeCell(cells, words[0]!, side.leading, undefined)) words.shift();
  while (words.length > 0 && takeCell(cells, words.at(-1)!, side?.trailing ?? null, words.at(-2))) words.pop();
  cells.identity = words.length ? words.join(' ') : null;
  return cells;
}

/** Puts `word` in the cell it can be among `columns` (any, without a header), if one is still empty: whether it did. */
function takeCell(cells: FlatCells, word: string, columns: ReadonlySet<FieldRole> | null, before: string | undefined): boolean {
  if (!cells.objectId && (columns ? columns.has('objectId') && isAnchorShaped(word) : looksLikeObjectId(word))) cells.objectId = word;
  else if (!cells.errorCode && isKnownCode(word) && (!columns || columns.has('errorCode'))) cells.errorCode = word;
  else if (!cells.objectType && canonicalObjectType(word) && (columns ? columns.has('objectType') : before !== undefined && EMAIL_RE.test(before))) {
    cells.objectType = canonicalObjectType(word);
  } else return false;
  return true;
}

/**
 * Where a row starts when a line is the start of one under a header whose cells before the
 * description include the name: its leading cells, then the name, then the cells after it.
 * The name is an address, or up to six words ended by a cell (an anchor, a class): a name
 * followed by the description alone has no visible end. Null when the line starts no row.
 */
export function rowStart(text: string, side: Side | null): { cells: FlatCells; rest: string } | null {
  if (!side?.hasIdentity) return null;
  const words = text.trim().split(/\s+/);
  const cells = noCells();
  let at = 0;
  while (at < words.length - 1 && takeCell(cells, words[at]!, side.leading, undefined)) at++;
  let end = at + 1;
  if (!EMAIL_RE.test(words[at] ?? '')) {
    const probe: FlatCells = { ...cells };
    while (end < words.length && end - at <= 6 && !/[.!?。:]$/.test(words[end - 1]!) && !takeCell(probe, words[end]!, side.trailing, undefined)) end++;
    if (end >= words.length || end - at > 6 || /[.!?。:]$/.test(words[end - 1]!)) return null;
  }
  cells.identity = words.slice(at, end).join(' ');
  at = end;
  while (at < words.length && takeCell(cells, words[at]!, side.trailing, words[at - 1])) at++;
  return { cells, rest: words.slice(at).join(' ') };
}

/**
 * A row that starts with a name and its error sentence and nothing between (lynx's flattened
 * "Contatto Esterno - Lucerne Un oggetto con lo stesso …", "営業部 同じプロキシ …"), when
 * the line is known to start a row (the caller's test): the name ends where the sentence
 * starts, a capitalised word before a lower-case one, or in Japanese the first word with kana
 * particles in it. The name's words before it are a name's (a capital, a digit, or none of
 * letters: "-", "&"); null when no such start is in its first six words.
 */
export function nameBeforeSentence(text: string, side: Side | null): { cells: FlatCells; rest: string } | null {
  if (!side?.hasIdentity || side.leading.size) return null;
  const words = text.trim().split(/\s+/);
  for (let k = 1; k <= 6 && k < words.length - 1; k++) {
    const name = words[k - 1]!;
    if (SENTENCE_KANA_RE.test(name) || !NAME_WORD_RE.test(name)) return null;
    const word = words[k]!;
    if (SENTENCE_KANA_RE.test(word) || (UPPER_START_RE.test(word) && LOWER_START_RE.test(words[k + 1]!))) {
      return { cells: { ...noCells(), identity: words.slice(0, k).join(' ') }, rest: words.slice(k).join(' ') };
    }
  }
  return null;
}
/** A word of a name: with a capital or digit, or no letter at all ("-", "&"); any word of a script without case. */
const NAME_WORD_RE = /^(?:\P{L}*\p{Lu}|\P{L}*\p{N}|\P{L}+$|[\p{Script=Han}\p{Script=Katakana}\p{Script=Hangul}])/u;
const UPPER_START_RE = /^\p{Lu}/u;
const LOWER_START_RE = /^\p{Ll}/u;
/** Hiragana, which a Japanese sentence's particles are written in (の, を, が) and a name rarely is. */
const SENTENCE_KANA_RE = /\p{Script=Hiragana}/u;

/**
 * Labelled fields whose label and value are one space apart: a two-column "label | value"
 * table flattened by lynx ("Identity Zoë Angström", "Source anchor em9lQW5n…=="). A label is
 * the longest run of up to four first words the vocabulary knows, and the value must fit it
 * (a class, an anchor, a short name). A wrapped description goes on until a line ends a
 * sentence: its next lines may start with a label's word ("attribute [UserPrincipalName], is
 * not valid."). One such line may be prose ("User accounts were…"): they count only as a set
 * of at least two roles among the lines given, one of them with a value that proves it (an
 * anchor, an object class, an address).
 */
export function spacedLabels<L extends { text: string }>(lines: readonly L[]): Map<L, { role: FieldRole; value: string }> {
  // the proof first, cheaply: most runs of lines have no short line ending in an anchor, a class or an address
  if (!lines.some(mayProve)) return NO_FIELDS;
  const found = new Map<L, { role: FieldRole; value: string }>();
  let proven = false;
  let inDescription = false;
  for (const line of lines) {
    const field: { role: FieldRole; value: string } | null = inDescription ? null : spacedLabel(line.text);
    if (field) {
      found.set(line, field);
      proven ||= proves(field);
    }
    const text = line.text.trim();
    if (field || !text) inDescription = field?.role === 'description' && !endsSentence(text);
    else if (inDescription) inDescription = !endsSentence(text);
  }
  const roles = new Set([...found.values()].map((f) => f.role));
  return proven && roles.size >= 2 ? found : NO_FIELDS;
}

const NO_FIELDS = new Map<never, never>();
/** Up to four words of a label, then one word of a value that can prove it. */
const SHORT_FIELD_RE = /^\s*[^\s:：]+(?: [^\s:：]+){0,3} ([^\s:：]+)\s*$/;

/** A line that proves the fields: its last word an anchor, a class or an address first (cheap), then a label before it. */
function mayProve(line: { text: string }): boolean {
  const last = SHORT_FIELD_RE.exec(line.text)?.[1];
  if (!last || !(looksLikeObjectId(last) || canonicalObjectType(last) || EMAIL_RE.test(last))) return false;
  return proves(spacedLabel(line.text));
}

function endsSentence(text: string): boolean {
  return /[.!?。]$/.test(text);
}

function spacedLabel(text: string): { role: FieldRole; value: string } | null {
  const t = text.trim();
  // a colon makes it a field of the usual kind
  if (t.length > 400 || /[:：]/.test(t.split(/\s+/, 5).join(' '))) return null;
  const words = t.split(/\s+/);
  for (let n = Math.min(4, words.length - 1); n >= 1; n--) {
    const role = fieldRole(words.slice(0, n).join(' '));
    if (!role || role === 'ignore') continue;
    const value = words.slice(n).join(' ');
    // column names alone are a header row, not a field
    return fitsRole(role, value) && !columnRoles(t) ? { role, value } : null;
  }
  return null;
}

/** A value that can be a field of this role: what a wrapped sentence's next line rarely is. */
function fitsRole(role: FieldRole, value: string): boolean {
  if (role === 'objectId') return isAnchorShaped(value);
  if (role === 'objectType') return canonicalObjectType(value) !== null;
  if (role === 'attribute') return /^[A-Za-z][\w.]*$/.test(value);
  if (role === 'identity' || role === 'value' || role === 'errorCode') return value.split(/\s+/).length <= 6 && !/[.!?。]$/.test(value) && !value.includes('[');
  return true;
}

function proves(field: { role: FieldRole; value: string } | null): boolean {
  if (field?.role === 'objectId') return looksLikeObjectId(field.value);
  if (field?.role === 'objectType') return canonicalObjectType(field.value) !== null;
  return field?.role === 'identity' && EMAIL_RE.test(field.value);
}
