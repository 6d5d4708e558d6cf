import { findFamilies } from './families.ts';
import { isAnchorShaped } from './flat-rows.ts';
import { EMAIL_RE, KNOWN_ERROR_CODES, OBJECT_CLASSES, canonicalObjectType, fieldRole, isKnownCode, type FieldRole } from './vocabulary.ts';

/**
 * A table as html-to-text writes it by default, which is what mailparser puts in a mail's
 * `text` when the mail has HTML alone (and so what tools built on it forward): no separator
 * between the cells of a row, one space between rows, the whole table one paragraph wrapped
 * at 80 columns. "IdentityError DescriptionSource Anchor amy@contoso.comUnable to update …
 * services.1CnF/RnI9Uyx0ofuAsnZTg== ben@contoso.comUnable …". The header's names are parted
 * where a capital follows a small letter, each row is found by its error sentence, and the
 * text between two sentences is the cells after the one and before the next (parted at the
 * space between the rows). Written back as lynx's flattened rows (a header line of column
 * names, a row per line, cells one space apart), which flat-rows.ts reads.
 */

/** Where a small letter meets a capital, or a space: the joints of a glued header. */
const JOINT_RE = /(?<=[a-z)])(?=[A-Z])| +/g;
/** A header name has at most this many words ("On-premises object ID" is three). */
const MAX_NAME_WORDS = 3;

interface GluedHeader {
  names: string[];
  roles: FieldRole[];
  /** Where the first row starts in the text. */
  end: number;
}

/** The column names glued at the start of `text`, if it starts with two or more, one glued to the next and one the description's. */
export function gluedHeader(text: string): GluedHeader | null {
  const words: Array<{ word: string; end: number; glued: boolean }> = [];
  let from = 0;
  for (const m of text.matchAll(JOINT_RE)) {
    if (m.index > from) words.push({ word: text.slice(from, m.index), end: m.index, glued: m[0] === '' });
    from = m.index + m[0].length;
    if (words.length > 16) break;
  }
  if (from < text.length && words.length <= 16) words.push({ word: text.slice(from), end: text.length, glued: false });
  const names: string[] = [];
  const roles: FieldRole[] = [];
  let glued = false;
  let end = 0;
  for (let w = 0; w < words.length; ) {
    let taken = 0;
    for (let n = Math.min(MAX_NAME_WORDS, words.length - w); n > 0 && !taken; n--) {
      const name = words.slice(w, w + n).map((x) => x.word).join(' ');
      const role = fieldRole(name);
      if (!role || role === 'ignore') continue;
      names.push(name);
      roles.push(role);
      glued ||= words[w + n - 1]!.glued;
      end = words[w + n - 1]!.end;
      taken = n;
    }
    if (!taken) break;
    w += taken;
  }
  return glued && roles.length >= 2 && roles.includes('description') ? { names, roles, end } : null;
}

/**
 * `lines` with each paragraph that starts with a glued header written as flattened rows; other
 * lines as they are. A paragraph in which no error sentence is found stays as it was.
 */
export function unglueTables(lines: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // a tab parts cells (Outlook's plain text): that table is text-blocks.ts's to read
    const startsParagraph = line !== '' && !line.includes('\t') && (i === 0 || !lines[i - 1]!.trim());
    // most lines end at these tests: a paragraph's first line, starting with a label glued to a value or with glued names
    const header = startsParagraph && /[a-z][A-Z]/.test(line.slice(0, 80)) ? gluedHeader(line) : null;
    const fields = !header && startsParagraph && gluedLabelAt(line.split(' '), 0) !== null;
    if (header || fields) {
      let last = i;
      while (last + 1 < lines.length && lines[last + 1]!.trim()) last++;
      const text = lines.slice(i, last + 1).map((l) => l.trim()).join(' ');
      const rows = header ? rowsOf(text.slice(header.end), header.roles) : fieldsOf(text);
      if (rows) {
        out.push(...(header ? [header.names.join(' ')] : []), ...rows);
        i = last;
        continue;
      }
    }
    out.push(lines[i]!);
  }
  return out;
}

/** One line per error sentence in `text`, the cells around it parted from the next row's. */
function rowsOf(text: string, roles: FieldRole[]): string[] | null {
  const sentences = findFamilies(text).filter((m) => !m.codeWord);
  if (!sentences.length) return null;
  const at = roles.indexOf('description');
  const before = roles.slice(0, at);
  const after = roles.slice(at + 1);
  const rows: string[] = [];
  let lead = text.slice(0, sentences[0]!.start).trim();
  sentences.forEach((m, k) => {
    const gap = text.slice(m.end, sentences[k + 1]?.start ?? text.length).trim();
    const [trail, nextLead] = k + 1 === sentences.length ? [gap, ''] : partGap(gap, before, after);
    rows.push([unglueCells(lead, before), text.slice(m.start, m.end).trim(), unglueCells(trail, after)].filter(Boolean).join(' '));
    lead = nextLead;
  });
  return rows;
}

/**
 * The text between two sentences: the cells after the first, a space, the cells before the
 * next. Cells after a sentence without the name hold no space (an anchor, a class, an error
 * name): as many first words as fit them, leaving the next row its name. With the name after
 * the sentence and none before it, the next row's cells are the last word.
 */
function partGap(gap: string, before: FieldRole[], after: FieldRole[]): [string, string] {
  if (!before.length) return [gap, ''];
  if (!after.length) return ['', gap];
  const words = gap.split(' ');
  if (after.includes('identity') && !before.includes('identity')) {
    const lead = fits(words.at(-1)!, before) ? words.pop()! : '';
    return [words.join(' '), lead];
  }
  let n = 0;
  while (n < words.length - (before.includes('identity') ? 1 : 0) && n < after.length && fits(words[n]!, after)) n++;
  return [words.slice(0, n).join(' '), words.slice(n).join(' ')];
}

/** A word that is cells of `roles` without a name: anchors, classes, error names, glued or not. */
function fits(word: string, roles: FieldRole[]): boolean {
  return unglueCells(word, roles)
    .split(' ')
    .every((w) => (roles.includes('objectId') && isAnchorShaped(w)) || (roles.includes('objectType') && canonicalObjectType(w) !== null) || (roles.includes('errorCode') && isKnownCode(w)));
}

/**
 * One side's cells, glued ("UserP+G+TjKAr5wAeNYNlwhEDw==", "ann@contoso.comUser"): parted
 * around an object class or an error name the side has a column for, where it starts with a
 * capital and no small letter, `@` or `.` goes on after it. Not inside an address: what is
 * before it holds no `@` unless it is a whole address ("svcUser@contoso.com" stays whole).
 */
function unglueCells(text: string, roles: FieldRole[]): string {
  if (!text) return text;
  const known = [...(roles.includes('objectType') ? OBJECT_CLASSES : []), ...(roles.includes('errorCode') ? KNOWN_ERROR_CODES : [])];
  if (!known.length) return text;
  return text.split(' ').map((word) => partWord(word, known)).join(' ');
}

function partWord(word: string, known: readonly string[]): string {
  for (let p = 0; p < word.length; p++) {
    if (!/[A-Z]/.test(word[p]!)) continue;
    // a small letter after it goes on a word ("Groups"), unless an anchor starts there
    const k = known.find((w) => word.startsWith(w, p) && (!/[a-z@._-]/.test(word[p + w.length] ?? '') || isAnchorShaped(word.slice(p + w.length))));
    if (!k || (p === 0 && k.length === word.length)) continue;
    const left = word.slice(0, p);
    if (left.includes('@') && !EMAIL_RE.test(left)) continue;
    return [left, k, partWord(word.slice(p + k.length), known)].filter(Boolean).join(' ');
  }
  return word;
}

/**
 * A "label | value" table as html-to-text writes it: each label glued to its value, the
 * fields one space apart ("IdentityChloé Lefèvre Object typeContact Source
 * anchorY2hs…== Error descriptionUnable to update …"). A label is up to three words the
 * vocabulary knows, the last cut where its value starts, and the value must fit it (an address
 * or a capital for a name, an anchor, a class, a capital for the rest): "objects" in a sentence
 * is no label. Written back a field per line, as lynx writes them.
 */
function fieldsOf(text: string): string[] | null {
  const words = text.split(' ');
  const fields: string[] = [];
  let current: string[] | null = null;
  for (let w = 0; w < words.length; ) {
    const label = gluedLabelAt(words, w);
    if (label) {
      if (current) fields.push(current.join(' '));
      current = [label.label, label.value];
      w = label.next;
    } else {
      (current ??= []).push(words[w]!);
      w++;
    }
  }
  if (current) fields.push(current.join(' '));
  return fields.length >= 2 ? fields : null;
}

/** The label glued to its value at word `w` ("Source", "anchorY2hs…"), with the value's first word and the word after it. */
function gluedLabelAt(words: readonly string[], w: number): { label: string; value: string; next: number } | null {
  // a label starts with a capital: the words of a sentence mostly do not, and cost one test
  if (!CAPITAL_FIRST_RE.test(words[w]!)) return null;
  for (let n = Math.min(MAX_NAME_WORDS, words.length - w); n > 0; n--) {
    // a label is words of letters ("On-premises object ID"): "Identity:" starts a field of another kind
    if (!words.slice(w, w + n - 1).every((x) => LABEL_WORD_RE.test(x))) continue;
    const last = words[w + n - 1]!;
    // the longest label ("Fehlerbeschreibung") is well under 24 characters
    for (let cut = Math.min(last.length - 1, 24); cut > 0; cut--) {
      const value = last.slice(cut);
      // what could be a value comes first: the vocabulary is asked only then
      if ((!CAPITAL_FIRST_RE.test(value) && !value.includes('@') && !isAnchorShaped(value)) || !LABEL_WORD_RE.test(last.slice(0, cut))) continue;
      const label = [...words.slice(w, w + n - 1), last.slice(0, cut)].join(' ');
      const role = fieldRole(label);
      if (role && role !== 'ignore' && fitsLabel(value, role)) return { label, value, next: w + n };
    }
  }
  return null;
}

const LABEL_WORD_RE = /^[\p{L}-]+$/u;
/** Starts with a capital, in any script that has them: how labels and most values begin. */
const CAPITAL_FIRST_RE = /^\p{Lu}/u;

function fitsLabel(value: string, role: FieldRole): boolean {
  if (role === 'objectId') return isAnchorShaped(value);
  if (role === 'objectType') return canonicalObjectType(value) !== null;
  if (role === 'identity' && EMAIL_RE.test(value)) return true;
  return CAPITAL_FIRST_RE.test(value);
}
