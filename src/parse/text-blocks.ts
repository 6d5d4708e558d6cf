import { decodeHTML } from 'entities';
import { squeeze, type Block } from './blocks.ts';
import { fieldRole, type FieldRole } from './vocabulary.ts';

/**
 * Reduces a plain-text body to blocks: `> ` quote prefixes removed at any depth, blank lines
 * as breaks, and the ways mail clients flatten a table back into rows:
 * - `identity | description |` lines (a row wrapped by the client is joined back when the
 *   layout ends its rows with `|`);
 * - tab-separated lines (Outlook and Thunderbird "plain text" of an HTML table), hard-wrapped
 *   at 76 columns: the first row gives the column count, and the lines of a wrapped row are
 *   joined until it has them all (format=flowed is already joined by mailparser);
 * - one cell per line, each closed by `|`, under a header of known column names;
 * - a table drawn in a box (w3m's dump of a bordered HTML table, as mutt shows HTML mail:
 *   `┌─┬─┐ │ ├─┼─┤` or, in ASCII, `+---+ | |---+---|`), each cell wrapped over the lines of
 *   its row;
 * - columns aligned with spaces under a header of known column names (text dumps of an
 *   HTML table: w3m, lynx, html2text), a wrapped cell continuing on indented lines;
 * - a field of a "label | value" table in such a dump: a paragraph of a known label in the
 *   first column and its value in the second, either wrapped ("Source / anchor").
 * An Event Viewer "Copy details as text" paste ends with the same event as XML: that copy
 * is dropped, so each error counts once.
 */
/** A flattened row wrapped by a mail client spans some lines (a 600-character error at 40 columns: 15), never hundreds. */
const MAX_ROW_LINES = 80;

export function textToBlocks(text: string): Block[] {
  const lines = dropEventXml(
    text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((l) => l.replace(/^(?:[ \t]*>)+ ?/, ''))
      .map((l) => (l.includes('&') ? decodeHTML(l) : l)),
  );
  // rows closed by a final `|` (S12's layout): a wrap may even leave that `|` alone on a line
  const trailingPipes = lines.some((l) => /\|\s*$/.test(l));
  const blocks: Block[] = [];
  let table = 0;
  let inTable = false;
  let tabs: TabTable | null = null;
  /** Index of the block made last from a "label | value" field (see alignedFields). */
  let lastPair = -1;
  const endTabRow = (): void => {
    if (tabs?.cells) blocks.push({ kind: 'row', cells: tabs.cells.map((c) => squeeze(c)), table: -tabs.id });
    if (tabs) tabs.cells = null;
  };
  // lines read as the start of a row that never came are lines of text after all
  const endTabTable = (): void => {
    endTabRow();
    for (const text of tabs?.lead ?? []) blocks.push({ kind: 'line', text: squeeze(text) });
    tabs = null;
  };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.trim()) {
      endTabRow();
      // a blank line inside a tab table (between rows) does not end it; prose after one does,
      // and so does a line of fewer cells (a footer's "Microsoft Corporation | …<tab>Privacy")
      const following = nextFilled(lines, i);
      if (tabs && (tabs.lead.length || !(following?.includes('\t') && splitTabs(following).length >= tabs.columns))) endTabTable();
      // the blank line between two fields of one "label | value" table does not part them
      if (blocks.at(-1)?.kind === 'line' && lastPair === blocks.length - 1) {
        let next = i + 1;
        while (next < lines.length && !lines[next]!.trim()) next++;
        if (next < lines.length && alignedFields(lines, next)) continue;
      }
      blocks.push({ kind: 'break' });
      inTable = false;
      continue;
    }
    if (line.includes('\t') && (tabs || splitTabs(line).filter(Boolean).length >= 2)) {
      tabs ??= newTabTable(++table, line);
      addTabLine(tabs, line, endTabRow);
      continue;
    }
    if (tabs && (tabs.lead.length || (tabs.descriptionFirst && tabs.cells && tabs.cells.length >= tabs.columns))) {
      // the first lines of the next row's description, wrapped before its first tab
      endTabRow();
      tabs.lead.push(line.trim());
      tabs.lastLine = line;
      continue;
    }
    if (tabs?.cells) {
      // a wrapped last cell: the client broke the line where the cell had no tab left
      tabs.cells[tabs.cells.length - 1] += ` ${line.trim()}`;
      tabs.lastLine = line;
      continue;
    }
    endTabTable();
    // tables whose whole extent one reader finds from here: one cell per line, a box, aligned columns
    const found = cellPerLineTable(lines, i) ?? boxTable(lines, i) ?? alignedTable(lines, i);
    if (found) {
      table++;
      for (const cells of found.rows) blocks.push({ kind: 'row', cells, table: -table });
      i = found.end - 1;
      inTable = false;
      continue;
    }
    const pair = alignedFields(lines, i);
    if (pair) {
      for (const text of pair.fields) blocks.push({ kind: 'line', text });
      lastPair = blocks.length - 1;
      i = pair.end - 1;
      inTable = false;
      continue;
    }
    if (isPipeRow(line)) {
      // a row wrapped over several lines: join until the line that closes it with `|`
      // (at most a few lines: a row that never closes must not swallow the rest of the mail)
      let last = line;
      for (let joined = 0; trailingPipes && !/\|\s*$/.test(last) && joined < MAX_ROW_LINES && i + 1 < lines.length; joined++) {
        const next = lines[i + 1]!;
        if (!next.trim() || isPipeStart(next)) break;
        line += '\n' + next;
        last = next;
        i++;
      }
      const cells = line.replace(/\|\s*$/, '').split('|').map((c) => c.split('\n').map(squeeze).join('\n').trim());
      if (cells.filter(Boolean).length >= 2) {
        if (!inTable) table++;
        inTable = true;
        blocks.push({ kind: 'row', cells, table: -table });
        continue;
      }
      line = cells.join(' ');
    }
    inTable = false;
    const t = squeeze(line);
    if (t) blocks.push({ kind: 'line', text: t });
  }
  endTabTable();
  return blocks;
}

// ---------------------------------------------------------------------------- tab-separated rows

interface TabTable {
  id: number;
  /** Columns of the table's first row (its header, in every layout seen). */
  columns: number;
  /** The row being read, until the next one starts. */
  cells: string[] | null;
  /** The row's last line, to tell whether the client wrapped it (see `wrapsInto`). */
  lastLine?: string;
  /** The first column holds the description: a row's first lines may come before its first tab. */
  descriptionFirst: boolean;
  /** Those lines of the row to come. */
  lead: string[];
}

function newTabTable(id: number, header: string): TabTable {
  const columns = splitTabs(header);
  return { id, columns: columns.length, cells: null, descriptionFirst: fieldRole(columns[0]!) === 'description', lead: [] };
}

/**
 * Whether a client that hard-wraps plain text broke `line` before `next`: the line is no wider
 * than a wrap width, and `next`'s first word would not have fitted at its end. Widths from 60
 * columns (RFC 3676 asks flowed text for 66, a quote's "> " takes more) to 100 (Thunderbird
 * wraps at 72, Outlook at 76).
 */
function wrapsInto(line: string | undefined, next: string): boolean {
  if (line === undefined || line.length > 100) return false;
  // a tab may not be a place to break: the word runs to the next space
  const word = /^ *[^ ]*/.exec(next)![0].trim();
  return line.trimEnd().length + 1 + word.length > 60;
}

function splitTabs(line: string): string[] {
  return line.split('\t').map((c) => c.trim());
}

function addTabLine(table: TabTable, line: string, endRow: () => void): void {
  const cells = splitTabs(line);
  const wrapped = table.cells !== null && wrapsInto(table.lastLine, line);
  table.lastLine = line;
  // the rest of a row wrapped inside a cell: its first piece continues that cell (a full row's
  // last cell, when nothing but empty cells follow it). A short row that was not wrapped (a
  // client left its empty last cells out) is followed by the next row.
  const fits = table.cells && (table.cells.length < table.columns ? table.cells.length + cells.length - 1 <= table.columns : cells.slice(1).every((c) => !c));
  if (wrapped && fits) {
    const [first = '', ...rest] = cells;
    table.cells![table.cells!.length - 1] = `${table.cells!.at(-1)} ${first}`.trim();
    table.cells!.push(...rest);
    return;
  }
  endRow();
  if (table.lead.length) cells[0] = [...table.lead, cells[0]].join(' ');
  table.lead = [];
  table.cells = cells;
}

function nextFilled(lines: string[], i: number): string | undefined {
  for (let j = i + 1; j < lines.length; j++) if (lines[j]!.trim()) return lines[j];
  return undefined;
}

// ---------------------------------------------------------------------------- one cell per line

// no lazy group before `\s*`: a line of 100,000 spaces must not take quadratic time
const CELL_LINE_RE = /^([^|]*)\|\s*$/;

/**
 * A table written one cell per line, each line closed by `|` (a lone `|` is an empty cell),
 * under a header of known column names: the cells are dealt into rows of the header's width.
 * A cell wrapped over lines ends at the line that carries its `|`.
 */
function cellPerLineTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  const first = CELL_LINE_RE.exec(lines[start]!);
  if (!first || !fieldRole(first[1]!.trim())) return null;
  const cells: string[] = [];
  let i = start;
  let pending: string[] = [];
  for (; i < lines.length && lines[i]!.trim() && !/\S\s+\|\s+\S/.test(lines[i]!); i++) {
    const closed = CELL_LINE_RE.exec(lines[i]!);
    if (!closed) {
      if (pending.length >= MAX_ROW_LINES) break;
      pending.push(lines[i]!.trim());
      continue;
    }
    cells.push(squeeze([...pending, closed[1]!.trim()].join(' ')));
    pending = [];
  }
  let width = 0;
  while (width < cells.length && fieldRole(cells[width]!)) width++;
  if (width < 2 || cells.length <= width) return null;
  const rows: string[][] = [];
  for (let k = 0; k < cells.length; k += width) rows.push(cells.slice(k, k + width));
  return { rows, end: i - pending.length };
}

// ---------------------------------------------------------------------------- tables drawn in a box

/** A border line: the top (`┌──┬──┐`, `+-----+`), a rule between rows (`├──┼──┤`, `|---+---|`) or the bottom. */
const BOX_RULE_RE = /^\s*[┌├└+|][─━═\-┬┼┴+|]*[─━═\-]{3,}[─━═\-┬┼┴+|]*[┐┤┘+|]\s*$/;
/** A line of cells between vertical bars. */
const BOX_CELLS_RE = /^\s*[│┃|](.*)[│┃|]\s*$/;

/**
 * A table drawn in a box, from its top rule: the lines between two rules are one row, each
 * cell's text joined over them (an id or address cut at the column's edge is put together
 * again where it is read, as any wrapped id is). Ends at the bottom rule, or at the first
 * line that is neither a rule nor cells in the same number of columns.
 */
function boxTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  if (!BOX_RULE_RE.test(lines[start]!) || !BOX_CELLS_RE.test(lines[start + 1] ?? '')) return null;
  const rows: string[][] = [];
  let row: string[][] | null = null;
  let width = 0;
  const endRow = (): void => {
    if (row) rows.push(row.map((parts) => squeeze(parts.join(' '))));
    row = null;
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
    const cells = m[1]!.split(/[│┃|]/);
    width ||= cells.length;
    if (cells.length !== width) break;
    row ??= cells.map(() => []);
    cells.forEach((c, k) => c.trim() && row![k]!.push(c.trim()));
  }
  endRow();
  return rows.length >= 2 && width >= 2 ? { rows, end: i } : null;
}

// ---------------------------------------------------------------------------- columns aligned with spaces

/** Wider than any page a text dump is made for: such a line is no table's. */
const MAX_DUMP_WIDTH = 400;

/**
 * Pieces of a line between runs of two spaces or more, with where each starts. A no-break
 * space inside a piece is one of its spaces: a header's `Object&nbsp;Type` is one name.
 */
function chunks(line: string): Array<{ at: number; text: string }> {
  const out: Array<{ at: number; text: string }> = [];
  for (const m of line.matchAll(/\S+(?:[ \u00a0]\S+)*/g)) out.push({ at: m.index, text: m[0] });
  return out;
}

/**
 * A table laid out in columns of spaces under a header line of known column names (two or
 * more, two spaces or more apart): a text dump of an HTML table without borders (w3m, lynx,
 * html2text). A column starts where the cells below its name start (the last place a piece
 * of text starts at or before the name): a header centred over its column (w3m centres
 * `<th>`) then places the cells as well as a left-aligned one. A cell that fills its column
 * is one space from the next: it is cut where that column starts. Each row has one key
 * line (see `keyLines`); the other lines of its cells wrap below it, or, where a dump
 * centres cells vertically (w3m), around it: the table's first line then is no key line,
 * and the lines between two key lines are shared half and half. The table ends at a blank
 * line, or a line too wide, with more pieces than columns or with pipes.
 */
function alignedTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  const head = lines[start]!;
  if (head.length > MAX_DUMP_WIDTH || head.includes('|') || head.includes('\t') || !/\S {2,}\S/.test(head)) return null;
  const columns = chunks(head);
  if (columns.length < 2 || !columns.every((c) => fieldRole(c.text))) return null;
  const width = columns.length;
  // the table's lines, up to a blank one, one with more pieces than columns, or one with
  // pipes between words (a footer's "Microsoft Corporation | One Microsoft Way" right below)
  let i = start + 1;
  const body: Array<Array<{ at: number; text: string }>> = [];
  for (; i < lines.length; i++) {
    if (lines[i]!.length > MAX_DUMP_WIDTH || lines[i]!.includes(' | ')) break;
    const pieces = chunks(lines[i]!);
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
      for (let k = columnAt(p.at); k + 1 < width && p.at + p.text.length > colStart[k + 1]!; k++) {
        const cut = p.text.lastIndexOf(' ', colStart[k + 1]! - p.at);
        if (cut <= 0) break;
        cells[k] = cells[k] ? `${cells[k]} ${p.text.slice(0, cut)}` : p.text.slice(0, cut);
        p = { at: p.at + cut + 1, text: p.text.slice(cut + 1) };
      }
      const k = columnAt(p.at);
      cells[k] = cells[k] ? `${cells[k]} ${p.text}` : p.text;
    }
    grid.push(cells);
  }
  const keys = keyLines(grid, columns.map((c) => fieldRole(c.text)));
  if (!keys.length) return null;
  const centred = keys[0] !== 0;
  const rows: string[][] = [columns.map((c) => c.text)];
  keys.forEach((key, r) => {
    const next = keys[r + 1];
    // a centred row takes the lower half of the gap above its key line (rounded down), and the upper half below
    const from = r === 0 ? 0 : centred ? key - Math.floor((key - keys[r - 1]! - 1) / 2) : key;
    const to = next === undefined ? grid.length : centred ? next - Math.floor((next - key - 1) / 2) : next;
    const row = Array<string>(width).fill('');
    for (let l = from; l < to; l++) grid[l]!.forEach((c, k) => c && (row[k] = row[k] ? `${row[k]} ${c}` : c));
    rows.push(row);
  });
  return { rows, end: i };
}

/**
 * The lines of an aligned table where a row has its one line (the others wrap): those with
 * text in the name column, else the first. By the first column alone, a table that puts the
 * description first would make each of its wrapped lines a row. (No column is safe from
 * wrapping: w3m breaks a source anchor before its `==`.)
 */
function keyLines(grid: string[][], roles: Array<FieldRole | null>): number[] {
  const name = Math.max(0, roles.indexOf('identity'));
  const keys: number[] = [];
  grid.forEach((cells, l) => cells[name] && keys.push(l));
  return keys;
}

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
function alignedFields(lines: string[], start: number): { fields: string[]; end: number } | null {
  // a dump's line is as wide as its page; the first says at once whether this can be a field
  const first = lines[start]!;
  if (first.length > MAX_DUMP_WIDTH || !/^(?:\S+(?: \S+){0,3} {2,}\S| {2,}\S)/.test(first)) return null;
  let end = start;
  while (end < lines.length && lines[end]!.trim() && end - start < MAX_ROW_LINES) {
    if (lines[end]!.length > MAX_DUMP_WIDTH) return null;
    end++;
  }
  let valueAt = -1;
  const fields: Array<{ label: string[]; value: string[] }> = [];
  // a centred label may come after its value's first lines: then the paragraph is one field
  const topAligned = first[0] !== ' ';
  for (let l = start; l < end; l++) {
    const pieces = chunks(lines[l]!);
    if (pieces.length > 2 || (pieces.length === 2 && pieces[0]!.at !== 0)) return null;
    for (const p of pieces) {
      const field = fields.at(-1);
      if (p.at === 0) {
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
  const named = fields.map((f) => ({ name: f.label.join(' '), value: f.value.join(' ') }));
  if (!named.length || named.some((f) => !f.name || !f.value)) return null;
  const known = named.filter((f) => fieldRole(f.name)).length;
  // labels the vocabulary does not know (another language) pass in a run of three or more:
  // the values tell what each holds (extract-errors.ts reads "label: value" lines by them)
  if (named.length === 1 ? !known : (known * 2 < named.length && named.length < 3) || !named.every((f) => LABEL_SHAPE.test(f.name))) return null;
  return { fields: named.map((f) => `${f.name}: ${f.value}`), end };
}

/** A field's label: a few words, none of them an address, a number or a sentence's end. */
const LABEL_SHAPE = /^[^\d@.!?]{1,40}$/;

// ---------------------------------------------------------------------------- pipes

/** `a | b |` or `a | b`: a flattened table row (a lone `|` inside a sentence is not). */
function isPipeRow(line: string): boolean {
  return /\S\s+\|\s+\S/.test(line) || /\S\s*\|\s*$/.test(line);
}

/** A line that starts a new flattened row (so it is not the continuation of the previous one). */
function isPipeStart(line: string): boolean {
  return /^[^|\s][^|]{0,200}\s\|\s/.test(line);
}

// ---------------------------------------------------------------------------- Event Viewer

/**
 * Event Viewer's "Copy details as text" writes the event twice: as text, then after an
 * `Event Xml:` line as XML whose <Data> repeats the description. The text copy is the one
 * read; the XML copy, from its marker to `</Event>`, is dropped.
 */
function dropEventXml(lines: string[]): string[] {
  if (!lines.some((l) => /^\s*Event\s+Xml\s*:\s*$/i.test(l))) return lines;
  const out: string[] = [];
  let inXml = false;
  for (const line of lines) {
    if (!inXml && /^\s*Event\s+Xml\s*:\s*$/i.test(line)) inXml = true;
    else if (inXml && /<\/Event>\s*$/i.test(line)) inXml = false;
    else if (!inXml) out.push(line);
  }
  return out;
}
