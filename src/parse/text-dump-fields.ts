import { canonicalObjectType, fieldRole, looksLikeObjectId } from './vocabulary.ts';
import { centredRow, chunks, columnsOf, joinWrapped, MAX_DUMP_WIDTH, MAX_ROW_LINES } from './text-dump-tables.ts';

/**
 * The fields of a "label | value" table as text dumps write them (w3m, lynx, html-to-text,
 * html2text): a label in the first column and its value in the second, either wrapped
 * ("Source / anchor"), the label beside its value's first line or centred beside its lines.
 * Each field becomes the line `label: value`.
 */

/**
 * The fields of a two-column "label | value" table as a dump writes it: a paragraph whose
 * lines hold text only at the left edge (a label) and at one column further right (its value,
 * wrapped onto lines of its own). Each field becomes the line `label: value`, read as any
 * labelled field. Two shapes:
 * - one field per paragraph (w3m: a blank line between rows), its label wrapped and centred
 *   as it may be, one the vocabulary knows;
 * - several, each label on its value's first line (html-to-text's tables: no blank line
 *   between rows), all of them label-like: two, most of them known; or three or more.
 */
export function alignedFields(lines: string[], start: number): { fields: string[]; end: number } | null {
  // a dump's line is as wide as its page; the first says at once whether this can be a field
  const first = lines[start]!;
  if (first.length > MAX_DUMP_WIDTH || !/^(?:\S+(?: \S+){0,3} {2,}\S| {2,}\S)/.test(first)) return null;
  let end = start;
  while (end < lines.length && lines[end]!.trim() && end - start < MAX_ROW_LINES) {
    if (lines[end]!.length > MAX_DUMP_WIDTH) return null;
    end++;
  }
  let valueAt = -1;
  let longestLabel = 0;
  const fields: Array<{ label: string[]; value: string[] }> = [];
  // a centred label may come after its value's first lines: then the paragraph is one field
  const topAligned = first[0] !== ' ';
  for (let l = start; l < end; l++) {
    const pieces = chunks(lines[l]!);
    if (pieces.length > 2 || (pieces.length === 2 && pieces[0]!.at !== 0)) return null;
    for (const p of pieces) {
      const field = fields.at(-1);
      if (p.at === 0) {
        longestLabel = Math.max(longestLabel, columnsOf(p.text));
        // the next line of a label (one with no value yet, or one a dump wrapped: "Error" over
        // "description"), or a new field
        if (field && (!topAligned || !field.value.length || fieldRole(`${field.label.join(' ')} ${p.text}`))) field.label.push(p.text);
        else fields.push({ label: [p.text], value: [] });
        continue;
      }
      if (valueAt < 0) valueAt = p.at;
      if (p.at !== valueAt) return null;
      if (field) field.value.push(p.text);
      else fields.push({ label: [], value: [p.text] });
    }
  }
  // a label reaching into the value column is a label and its value one space apart: centredFields' shape
  if (longestLabel >= valueAt) return null;
  const named = fields.map((f) => ({ name: f.label.join(' '), value: f.value.join(' ') }));
  if (!named.length || named.some((f) => !f.name || !f.value)) return null;
  const known = named.filter((f) => fieldRole(f.name)).length;
  // labels the vocabulary does not know (another language) pass in a run of three or more:
  // the values tell what each holds (extract-lines.ts reads "label: value" lines by them)
  if (named.length === 1 ? !known : (known * 2 < named.length && named.length < 3) || !named.every((f) => LABEL_SHAPE.test(f.name))) return null;
  return { fields: named.map(fieldLine), end };
}

/**
 * A field written as a paragraph of its own, the label alone on its first line and the value
 * on the lines after it: a "label | value" table turned into text one cell per line
 * (every record once lost its object, class and anchor). The label must be a name the vocabulary
 * knows and the value none (the names of a table's header, one per line, are no field).
 */
export function labelOverValue(lines: string[], start: number): { fields: string[]; end: number } | null {
  const label = lines[start]!.trim();
  // a label is short, and the line after it holds its value
  if (label.length > 40 || !lines[start + 1]?.trim() || (start > 0 && lines[start - 1]!.trim()) || !fieldRole(label)) return null;
  let end = start + 1;
  while (end < lines.length && lines[end]!.trim() && end - start <= MAX_ROW_LINES) end++;
  const value = lines.slice(start + 1, end).map((l) => l.trim());
  // a value that is a column name too is a header's next name, unless it is a class under "Object type" ("User")
  const role = fieldRole(label);
  if ((fieldRole(value[0]!) && !(role === 'objectType' && canonicalObjectType(value[0]!))) || end - start > MAX_ROW_LINES) return null;
  return { fields: [fieldLine({ name: label, value: value.join(' ') })], end };
}

/** A field as the line `label: value`; a label that has its colon ("From:   x", Outlook's printed memo) keeps just that one. */
function fieldLine(f: { name: string; value: string }): string {
  return `${f.name.replace(/\s*[:：]$/, '')}: ${f.value}`;
}

/** A field's label: a few words, none of them an address, a number or a sentence's end. */
const LABEL_SHAPE = /^[^\d@.!?]{1,40}$/;

/**
 * The fields of a "label | value" table whose cells a dump centres (html2text, w3m): no
 * blank line between fields, a label standing beside the middle of its value's lines, one
 * space from it when the label column is just wide enough. The value column is where every
 * indented line starts. The lines are cut into fields as the dump centres cells (each field
 * a label and a value, each one run of lines centred in the field: `centredRow`), as many
 * fields as fit; each becomes the line `label: value`. Labels as `alignedFields` takes them.
 */
export function centredFields(lines: string[], start: number): { fields: string[]; end: number } | null {
  // a label and a value's line of its own come within a field or two (checked first: most
  // paragraphs have neither); columns count from the paragraph's left edge, as a dump may
  // indent its whole page (lynx and elinks by three spaces)
  const margins: number[] = [];
  for (let l = start; l < Math.min(lines.length, start + 8) && lines[l]!.trim(); l++) margins.push(lines[l]!.search(/\S/));
  const margin = Math.min(...margins);
  if (!margins.some((m) => m > margin)) return null;
  let end = start;
  while (end < lines.length && lines[end]!.trim() && end - start < MAX_FIELD_LINES) {
    if (lines[end]!.length > MAX_DUMP_WIDTH) return null;
    end++;
  }
  const paragraph = lines.slice(start, end).map((l) => l.slice(Math.min(margin, l.search(/\S/))));
  const indents = paragraph.filter((l) => l[0] === ' ').map((l) => l.search(/\S/));
  const at = indents[0] ?? -1;
  if (paragraph.length < 2 || at < 2) return null;
  // each line as [label, value], cut at the value column, up to a line that is no such pair
  const grid: string[][] = [];
  for (const line of paragraph) {
    if (line[0] === ' ' ? line.search(/\S/) !== at : line.length > at && line[at - 1] !== ' ') break;
    grid.push([line.slice(0, at).trim(), line.slice(at).trim()]);
  }
  const ends = centredPartition(grid);
  if (!ends) return null;
  end = start + ends.at(-1)!;
  const named = ends.map((to, r) => {
    const its = grid.slice(r ? ends[r - 1] : 0, to);
    return { name: its.map((l) => l[0]).filter(Boolean).join(' '), value: joinWrapped(its.map((l) => l[1]!)) };
  });
  const known = named.filter((f) => fieldRole(f.name)).length;
  if (named.length < 2 || (known * 2 < named.length && named.length < 3) || !named.every((f) => LABEL_SHAPE.test(f.name))) return null;
  return { fields: named.map(fieldLine), end };
}

/**
 * 2 when a row's value is what its label says it holds (an id under "Source anchor", a class
 * under "Object type", a sentence's end under a description), else 0: where two cuts centre
 * alike, the one whose values fit.
 */
function valueFits(rows: string[][]): number {
  const role = fieldRole(rows.map((l) => l[0]).filter(Boolean).join(' '));
  const value = rows.map((l) => l[1]).filter(Boolean).join(' ');
  if (role === 'objectId') return looksLikeObjectId(value) ? 2 : 0;
  if (role === 'objectType') return canonicalObjectType(value) ? 2 : 0;
  if (role === 'description') return /[.。]$/.test(value) ? 2 : 0;
  return 0;
}

/** A field of a dump may wrap a long error over many lines; a record of them, a few fields more. */
const MAX_FIELD_LINES = MAX_ROW_LINES * 4;
/** The tallest field: a 600-character error wrapped at 40 columns takes 15 lines. */
const MAX_FIELD_HEIGHT = 24;

/**
 * The longest run of first lines cut into the most rows that each hold a label and a value
 * centred as a dump centres them (`centredRow`), as the end of each row; null when none fits.
 */
function centredPartition(grid: string[][]): number[] | null {
  // labels of a language the vocabulary knows: then every row's is one ("Thank you," after the last is not)
  const known = grid.some((l) => l[0] && fieldRole(l[0]));
  // best[i]: the best cut of the first i lines (rows, then how many centre as w3m does), and where its last row starts
  const best: Array<{ score: number; from: number } | null> = [{ score: 0, from: -1 }];
  // how many of the first i lines hold a label, and a value: whether a row has both, at once
  const labels = [0];
  const values = [0];
  grid.forEach((l, i) => {
    labels.push(labels[i]! + (l[0] ? 1 : 0));
    values.push(values[i]! + (l[1] ? 1 : 0));
  });
  for (let to = 1; to <= grid.length; to++) {
    best.push(null);
    for (let from = Math.max(0, to - MAX_FIELD_HEIGHT); from < to; from++) {
      const before = best[from];
      if (!before || labels[to] === labels[from] || values[to] === values[from]) continue;
      const fit = centredRow(grid, from, to);
      if (!fit) continue;
      const its = grid.slice(from, to);
      if (known && !fieldRole(its.map((l) => l[0]).filter(Boolean).join(' '))) continue;
      const score = before.score + 10 + fit + valueFits(its);
      if (!best[to] || score > best[to]!.score) best[to] = { score, from };
    }
  }
  // the longest run of lines that cuts into such rows: a closing line after them ("Thank you,") is text
  let last = grid.length;
  while (last > 0 && !best[last]) last--;
  if (!last) return null;
  const ends: number[] = [];
  for (let to = last; to > 0; to = best[to]!.from) ends.unshift(to);
  return ends;
}
