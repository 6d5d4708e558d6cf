import { squeeze } from './blocks.ts';
import { canonicalObjectType, fieldRole, looksLikeObjectId, type FieldRole } from './vocabulary.ts';

/**
 * Tables as text dumps write them (w3m, as mutt shows HTML mail; lynx; html-to-text;
 * html2text), each reader finding a table's whole extent from its first line:
 * - a table drawn in a box (`┌─┬─┐ │ ├─┼─┤` or, in ASCII, `+---+ | |---+---|`), each cell
 *   wrapped over the lines of its row; html2text's box of `|` with underlined last lines;
 * - columns aligned with spaces under a header of known column names, a wrapped cell
 *   continuing on lines of its own, below its row's key line or centred around it.
 * The fields of a two-column "label | value" table are text-dump-fields.ts's.
 */

/** A flattened row wrapped by a mail client spans some lines (a 600-character error at 40 columns: 15), never hundreds. */
export const MAX_ROW_LINES = 80;

// ---------------------------------------------------------------------------- tables drawn in a box

/** A border line: the top (`┌──┬──┐`, `+-----+`), a rule between rows (`├──┼──┤`, `|---+---|`) or the bottom. */
const BOX_RULE_RE = /^\s*[┌├└+|][─━═\-┬┼┴+|]*[─━═\-]{3,}[─━═\-┬┼┴+|]*[┐┤┘+|]\s*$/;
/** A line of cells between vertical bars. */
const BOX_CELLS_RE = /^\s*[│┃|](.*)[│┃|]\s*$/;

/**
 * A table drawn in a box, from its top rule: the lines between two rules are one row, each
 * cell's text joined over them (an id or address cut at the column's edge is put together
 * again where it is read, as any wrapped id is). A line of one cell across the box is a row
 * of its own (a colspan heading: "Duplicate Attribute"). A rule under some columns only
 * (`│    ├────┤    │`) ends the row there, and the cells of the other columns (a rowspan's,
 * their text on that line too) belong to both rows. Ends at the bottom rule, or at the
 * first line that is neither a rule nor cells in the same number of columns.
 */
export function boxTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  if (!BOX_RULE_RE.test(lines[start]!) || !BOX_CELLS_RE.test(lines[start + 1] ?? '')) return null;
  // each cell as the lines of text in it; a rowspan's cell is one array shared by its rows
  const rows: string[][][] = [];
  let row: string[][] | null = null;
  let width = 0;
  const endRow = (spanned?: boolean[]): void => {
    if (row) rows.push(row);
    row = spanned && row ? row.map((parts, k) => (spanned[k] ? parts : [])) : null;
  };
  let i = start + 1;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (BOX_RULE_RE.test(line)) {
      endRow();
      if (/^\s*[└]/.test(line)) {
        i++;
        break;
      }
      continue;
    }
    const m = BOX_CELLS_RE.exec(line);
    if (!m) break;
    // a rule's joints inside a line of cells are column edges too
    const cells = m[1]!.replace(/[├┼┤┬┴]/g, '│').split(/[│┃|]/);
    width ||= cells.length;
    if (cells.length !== width && cells.length !== 1) break;
    const ruled = cells.map((c) => RULE_RUN_RE.test(c.trim()));
    if (row && row.length !== cells.length) endRow();
    row ??= cells.map(() => []);
    cells.forEach((c, k) => c.trim() && !ruled[k] && row![k]!.push(c.trim()));
    // a rule under some columns: the others (a rowspan's text may stand on this very line) go on
    if (ruled.includes(true) && ruled.includes(false)) endRow(ruled.map((r) => !r));
  }
  endRow();
  if (rows.length < 2 || width < 2) return null;
  return { rows: rows.map((r) => r.map((parts) => squeeze(joinWrapped(parts)))), end: i };
}

/**
 * A table as html2text draws it: cells between `|`, the header's names and each row's last
 * line underlined, spaces and all (`|Error_Description____|`, `|Update_the_value…_|`). The
 * header (its names may wrap onto its underlined line) must be names the vocabulary knows;
 * a line whose cells hold no space and some underline ends a row, its text read with the
 * underline as spaces. An underscore of the text itself on that line cannot be told from
 * the underline: it is read as a space too.
 */
export function underlinedTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  // the header: up to its underlined line (a name too wide for its column wraps above it)
  const header: string[][] = [];
  let i = start;
  for (; i < lines.length && i < start + 3; i++) {
    const cells = BOX_CELLS_RE.exec(lines[i]!)?.[1]!.split('|');
    if (!cells || cells.length < 2 || (header.length && cells.length !== header[0]!.length)) return null;
    header.push(cells);
    if (underlined(cells)) break;
  }
  if (i === lines.length || !underlined(header.at(-1)!)) return null;
  const names = header[0]!.map((_, k) => joinWrapped(header.map((cells) => unline(cells[k]!))));
  if (!names.every((name) => fieldRole(name))) return null;
  const rows: string[][] = [names];
  let row: string[][] | null = null;
  i++;
  for (; i < lines.length; i++) {
    const m = BOX_CELLS_RE.exec(lines[i]!);
    const cells = m?.[1]!.split('|');
    if (!cells || cells.length !== names.length) break;
    const last = underlined(cells);
    row ??= cells.map(() => []);
    cells.forEach((c, k) => {
      const text = last ? unline(c) : c.trim();
      if (text) row![k]!.push(text);
    });
    if (last) {
      rows.push(row.map((parts) => squeeze(joinWrapped(parts))));
      row = null;
    }
  }
  if (row) rows.push(row.map((parts) => squeeze(joinWrapped(parts))));
  return rows.length >= 2 ? { rows, end: i } : null;
}

/** Cells html2text underlined: no space in any, their padding (and their spaces) drawn as `_`. */
const underlined = (cells: string[]): boolean => cells.every((c) => !c.includes(' ')) && cells.some((c) => c.includes('_'));
const unline = (cell: string): string => cell.replace(/_/g, ' ').trim();

/** A cell drawn full of rule: the row above it ends there. */
const RULE_RUN_RE = /^[─━═\-]{3,}$/;

/**
 * A cell's lines as one text, as a dump wrapped them: w3m breaks a long word before or after
 * `=` and `/` (an X500 address, `X500:/o=Contoso` over `/ou=Exchange…`), where no space was;
 * elsewhere a line break stands for one.
 */
export function joinWrapped(lines: readonly string[]): string {
  let out = '';
  let before = '';
  for (const line of lines) {
    if (!line) continue;
    const last = before[before.length - 1];
    // Japanese and Chinese put no space between words: a cell wrapped inside "既に" is "既に" again
    const glued = last === '=' || last === '/' || line[0] === '=' || line[0] === '/' || (WIDE_RE.test(last!) && WIDE_RE.test(line[0]!));
    out += !before || glued ? line : ` ${line}`;
    before = line;
  }
  return out;
}

// ---------------------------------------------------------------------------- columns aligned with spaces

/** Wider than any page a text dump is made for: such a line is no table's. */
export const MAX_DUMP_WIDTH = 400;

/** East Asian wide characters (Hangul, CJK, kana, fullwidth forms): a dump gives each two columns. */
const WIDE_RE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/;
const WIDE_ALL_RE = new RegExp(WIDE_RE.source, 'g');

/** How many columns a dump gives `text` (the positions of aligned text are columns, not characters). */
export function columnsOf(text: string): number {
  return text.length + (WIDE_RE.test(text) ? (text.match(WIDE_ALL_RE)?.length ?? 0) : 0);
}

/** The last space of `text` within its first `width` columns, as an index (-1: none). */
function lastSpaceWithin(text: string, width: number): number {
  if (!WIDE_RE.test(text)) return text.lastIndexOf(' ', width);
  let found = -1;
  for (let i = 0, col = 0; i < text.length && col <= width; col += columnsOf(text[i]!), i++) if (text[i] === ' ') found = i;
  return found;
}

/**
 * Pieces of a line between runs of two spaces or more, with where each starts. A no-break
 * space inside a piece is one of its spaces: a header's `Object&nbsp;Type` is one name.
 */
export function chunks(line: string): Array<{ at: number; text: string }> {
  const out: Array<{ at: number; text: string }> = [];
  const wide = WIDE_RE.test(line);
  for (const m of line.matchAll(/\S+(?:[ \u00a0]\S+)*/g)) out.push({ at: wide ? columnsOf(line.slice(0, m.index)) : m.index, text: m[0] });
  return out;
}

/**
 * A table laid out in columns of spaces under a header line of known column names (two or
 * more, two spaces or more apart): a text dump of an HTML table without borders (w3m, lynx,
 * html2text). A column starts where the cells below its name start (the last place a piece
 * of text starts at or before the name): a header centred over its column (w3m centres
 * `<th>`) then places the cells as well as a left-aligned one. A cell that fills its column
 * is one space from the next: it is cut where that column starts. A header name may wrap
 * onto the next line. Each row has one key line (see `keyLines`); the other lines of its
 * cells wrap below it, or, where a dump centres cells vertically (w3m), around it: the
 * table's first line then is no key line, and the rows are fitted as w3m centres cells
 * (`centredTops`), else the lines between two key lines are shared half and half. The
 * table ends at a blank line, or a line too wide, with more pieces than columns or with
 * pipes.
 */
export function alignedTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  const head = lines[start]!;
  if (head.length > MAX_DUMP_WIDTH || head.includes('|') || head.includes('\t') || !/\S {2,}\S/.test(head)) return null;
  const whole = headerColumns(chunks(head));
  const columns = whole ?? completedBelow(head, lines[start + 1]);
  if (!columns) return null;
  const width = columns.length;
  // the table's lines, up to a blank one, one with more pieces than columns, or one with
  // pipes between words (a footer's "Microsoft Corporation | One Microsoft Way" right below)
  const below = whole ? start + 1 : start + 2;
  let i = below + wrappedHeaderLines(columns, lines, below);
  const body: Array<Array<{ at: number; text: string }>> = [];
  for (; i < lines.length; i++) {
    if (lines[i]!.length > MAX_DUMP_WIDTH || lines[i]!.includes(' | ')) break;
    const pieces = chunks(lines[i]!);
    // a blank line between rows (a printout, a client that spaces rows) goes on to the next row
    if (!pieces.length && startsRowUnder(columns, lines[i + 1])) continue;
    if (!pieces.length || pieces.length > width) break;
    body.push(pieces);
  }
  const startsAt = [...new Set(body.flatMap((pieces) => pieces.map((p) => p.at)))].sort((a, b) => a - b);
  const colStart: number[] = [];
  columns.forEach((c, k) => {
    const after = k ? colStart[k - 1]! : -1;
    const under = startsAt.filter((at) => at > after && at <= c.at).at(-1);
    colStart.push(under ?? c.at);
  });
  const columnAt = (at: number): number => {
    let k = 0;
    while (k + 1 < width && colStart[k + 1]! <= at + 1) k++;
    return k;
  };
  // each line's text by column
  const grid: string[][] = [];
  for (const pieces of body) {
    const cells = Array<string>(width).fill('');
    for (let p of pieces) {
      for (let k = columnAt(p.at); k + 1 < width && p.at + columnsOf(p.text) > colStart[k + 1]!; k++) {
        const cut = lastSpaceWithin(p.text, colStart[k + 1]! - p.at);
        if (cut <= 0) break;
        cells[k] = cells[k] ? `${cells[k]} ${p.text.slice(0, cut)}` : p.text.slice(0, cut);
        p = { at: p.at + columnsOf(p.text.slice(0, cut + 1)), text: p.text.slice(cut + 1) };
      }
      const k = columnAt(p.at);
      cells[k] = cells[k] ? `${cells[k]} ${p.text}` : p.text;
    }
    grid.push(cells);
  }
  const keys = keyLines(grid, columns.map((c) => fieldRole(c.text)));
  if (!keys.length) return null;
  const centred = keys[0] !== 0;
  const tops = centred ? centredTops(keys, grid) : null;
  const rows: string[][] = [columns.map((c) => c.text)];
  keys.forEach((key, r) => {
    const next = keys[r + 1];
    // a centred row without a fit (see centredTops) takes the lower half of the gap above its
    // key line (rounded down), and the upper half below
    const from = tops ? tops[r]! : r === 0 ? 0 : centred ? key - Math.floor((key - keys[r - 1]! - 1) / 2) : key;
    const to = tops ? (tops[r + 1] ?? grid.length) : next === undefined ? grid.length : centred ? next - Math.floor((next - key - 1) / 2) : next;
    const its = grid.slice(from, to);
    rows.push(Array.from({ length: width }, (_, k) => joinWrapped(its.map((line) => line[k]!))));
  });
  return { rows, end: i };
}

/** A line that starts a row under these columns: its first cell where the first column starts, and every piece where a column starts. */
function startsRowUnder(columns: ReadonlyArray<{ at: number }>, line: string | undefined): boolean {
  if (line === undefined || line.length > MAX_DUMP_WIDTH) return false;
  const pieces = chunks(line);
  return pieces.length >= 2 && pieces.length <= columns.length && pieces[0]!.at === columns[0]!.at && pieces.every((p) => columns.some((c) => Math.abs(c.at - p.at) <= 1));
}

/**
 * The column names of a header line and where each starts: two or more, every one a name
 * the vocabulary knows. A column as wide as its name is one space from the next (w3m):
 * a piece that is no name is read as names one space apart ("Object Type Error Description").
 */
function headerColumns(pieces: ReadonlyArray<{ at: number; text: string }>): Array<{ at: number; text: string }> | null {
  const columns: Array<{ at: number; text: string }> = [];
  for (const c of pieces) {
    const names = fieldRole(c.text) ? [c] : namesApart(c);
    if (!names) return null;
    columns.push(...names);
  }
  // "Object type   User" is a field and its value, not two column names
  if (columns.length === 2 && columns.some((c) => fieldRole(c.text) === 'objectType') && columns.some((c) => canonicalObjectType(c.text))) return null;
  return columns.length >= 2 ? columns : null;
}

const NOT_NAMES_RE = /[@\d.,:;!?\[\]"=/<>|]/;

/**
 * The column roles of a line of column names alone: a header row as lynx writes one, its names
 * one space apart ("Description Identity Object Type Source Anchor"). Null for any other line,
 * and for names that cannot head an error table (neither a description nor an identity).
 */
export function columnRoles(line: string): FieldRole[] | null {
  return columnNames(line)?.map((name) => fieldRole(name)!) ?? null;
}

/** The column names of such a line (see `columnRoles`), as written. */
export function columnNames(line: string): string[] | null {
  // names have no address, digit, colon or sentence punctuation: most lines end here, before any split is tried
  if (line.length > MAX_DUMP_WIDTH || NOT_NAMES_RE.test(line)) return null;
  const names = headerColumns(chunks(line))?.map((c) => c.text) ?? null;
  return names?.some((name) => fieldRole(name) === 'description' || fieldRole(name) === 'identity') ? names : null;
}

/**
 * Where each row of a centred dump starts, or null when no way fits. w3m gives a row the
 * height of its tallest cell and centres the others in it: each cell's lines are one run,
 * `floor` or `ceil((height - lines) / 2)` below the row's top (`centredRow`). Rows are read
 * from the first line to the last, each holding one key line; of the ways that fit, the one
 * that centres as w3m does most often, then whose rows end most often where a sentence does
 * (an error message ends with its full stop).
 */
function centredTops(keys: number[], grid: string[][]): number[] | null {
  const endsSentence = (line: number): number => (grid[line]!.some((c) => /[.。!?]$/.test(c)) ? 1 : 0);
  // reach[r]: each line row r can start at, with the top of row r - 1 it is best reached from
  const reach: Array<Map<number, { from: number; score: number }>> = [new Map([[0, { from: -1, score: 0 }]])];
  for (let r = 0; r < keys.length; r++) {
    const next = new Map<number, { from: number; score: number }>();
    const last = r + 1 === keys.length;
    for (const [top, { score }] of reach[r]!) {
      // no row is taller than a wrapped row may be: a table of one key and 10,000 lines stays linear
      const lowest = Math.min(last ? grid.length : keys[r + 1]!, top + MAX_ROW_LINES);
      for (let end = last ? grid.length : keys[r]! + 1; end <= lowest; end++) {
        const fit = centredRow(grid, top, end);
        if (!fit) continue;
        const reached = score + 4 * fit + endsSentence(end - 1);
        if (reached > (next.get(end)?.score ?? -1)) next.set(end, { from: top, score: reached });
      }
    }
    if (!next.size) return null;
    reach.push(next);
  }
  const tops: number[] = [];
  for (let r = keys.length, at = grid.length; r > 0; r--) {
    at = reach[r]!.get(at)!.from;
    tops.unshift(at);
  }
  return tops;
}

/**
 * How well lines [top, end) are one row as w3m centres it, each column's text lines one run:
 * 2 when every run stands `floor((height - lines) / 2)` below the top (w3m's rounding), 1
 * when some stand a line lower (another dump's), 0 when they are not one centred row.
 */
export function centredRow(grid: string[][], top: number, end: number): number {
  const height = end - top;
  let fit = 2;
  for (let k = 0; k < grid[top]!.length; k++) {
    let first = -1;
    let count = 0;
    for (let l = top; l < end; l++) {
      if (!grid[l]![k]) continue;
      if (first < 0) first = l;
      else if (l !== first + count) return 0;
      count++;
    }
    if (!count || first - top === Math.floor((height - count) / 2)) continue;
    if (first - top !== Math.ceil((height - count) / 2)) return 0;
    fit = 1;
  }
  return fit;
}

/**
 * The columns of a header line whose names are not all whole on it: w3m wraps a name too wide
 * for its column ("On-premises object" over "ID"). Every piece of the next line completes the
 * name above it, or this is no header.
 */
function completedBelow(head: string, next: string | undefined): Array<{ at: number; text: string }> | null {
  const pieces = chunks(head);
  const rest = next === undefined ? [] : chunks(next);
  if (!rest.length) return null;
  for (const p of rest) {
    const k = pieces.findIndex((c) => overlaps(p, c));
    if (k < 0) return null;
    pieces[k] = { at: pieces[k]!.at, text: `${pieces[k]!.text} ${p.text}` };
  }
  return headerColumns(pieces);
}

/** Two pieces of neighbouring lines share a column. */
function overlaps(a: { at: number; text: string }, b: { at: number; text: string }): boolean {
  return a.at < b.at + columnsOf(b.text) && b.at < a.at + columnsOf(a.text);
}

/**
 * How many lines below a header continue its names (w3m wraps "Object Type" as "Object" over
 * "Type"): at most two, each piece under a name it completes to one the vocabulary knows.
 * The names in `columns` are completed.
 */
function wrappedHeaderLines(columns: Array<{ at: number; text: string }>, lines: string[], from: number): number {
  let count = 0;
  for (; count < 2 && from + count < lines.length; count++) {
    const pieces = chunks(lines[from + count]!);
    const under = pieces.map((p) => columns.findIndex((c) => overlaps(p, c)));
    if (!pieces.length || under.some((k, n) => k < 0 || !fieldRole(`${columns[k]!.text} ${pieces[n]!.text}`))) break;
    pieces.forEach((p, n) => (columns[under[n]!]!.text += ` ${p.text}`));
  }
  return count;
}

/** A piece of up to 12 words split at single spaces into names the vocabulary knows (up to four words each), or null. */
function namesApart(piece: { at: number; text: string }): Array<{ at: number; text: string }> | null {
  // a name as wide as its column glued to the next ("Object TypeError Description", html2text): parted where a capital follows a small letter
  const words = [...piece.text.matchAll(/\S+/g)].flatMap((m) => {
    const at = piece.at + columnsOf(piece.text.slice(0, m.index));
    const glued = /^(.*[a-z])([A-Z][a-z].*)$/.exec(m[0]);
    return glued && !fieldRole(m[0]) ? [{ at, text: glued[1]! }, { at: at + columnsOf(glued[1]!), text: glued[2]! }] : [{ at, text: m[0] }];
  });
  // where no split of the rest exists: each place is tried once ("name name name …" has many ways)
  const dead = new Set<number>();
  const split = (from: number): Array<{ at: number; text: string }> | null => {
    if (from === words.length) return [];
    if (dead.has(from)) return null;
    for (let to = Math.min(words.length, from + 4); to > from; to--) {
      const text = words.slice(from, to).map((w) => w.text).join(' ');
      if (!fieldRole(text)) continue;
      const rest = split(to);
      if (rest) return [{ at: words[from]!.at, text }, ...rest];
    }
    dead.add(from);
    return null;
  };
  // a header's piece holds a few names at most: a longer one is prose
  return words.length > 1 && words.length <= 12 ? split(0) : null;
}

/**
 * The lines of an aligned table where a row has its one line (the others wrap): those with
 * text in the name column, else the first. By the first column alone, a table that puts the
 * description first would make each of its wrapped lines a row. (No column is safe from
 * wrapping: w3m breaks a source anchor before its `==`.)
 */
function keyLines(grid: string[][], roles: Array<FieldRole | null>): number[] {
  const name = Math.max(0, roles.indexOf('identity'));
  const description = roles.indexOf('description');
  const keys: number[] = [];
  grid.forEach((cells, l) => cells[name] && !(l > 0 && nameGoesOn(grid[l - 1]!, cells, name, description)) && keys.push(l));
  return keys;
}

/**
 * A name wrapped onto the next line, which is then no row of its own: cut after a joiner
 * ("Contatto Esterno -" over "Lucerne", "Doe," over "John"), or a display name (no address or
 * id on either line) beside a description that goes on from one line to the next without a
 * sentence ending between ("Lucerne Publishing" over "(contact)"): a row of its own would
 * start after the full stop of the row above.
 */
function nameGoesOn(above: string[], cells: string[], name: number, description: number): boolean {
  const upper = above[name]!;
  if (!upper) return false;
  if (NAME_GOES_ON.test(upper)) return true;
  if (description < 0 || !above[description] || !cells[description] || SENTENCE_END.test(above[description]!)) return false;
  return ![upper, cells[name]!].some((text) => text.includes('@') || looksLikeObjectId(text));
}
const NAME_GOES_ON = /(?:\s[-–—&+]|[,(])$/;
const SENTENCE_END = /[.。!?:;]$/;
