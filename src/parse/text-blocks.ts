import { decodeHTML } from 'entities';
import { squeeze, type Block } from './blocks.ts';
import { fieldRole } from './vocabulary.ts';

/**
 * Reduces a plain-text body to blocks: `> ` quote prefixes removed at any depth, blank lines
 * as breaks, and the ways mail clients flatten a table back into rows:
 * - `identity | description |` lines (a row wrapped by the client is joined back when the
 *   layout ends its rows with `|`);
 * - tab-separated lines (Outlook and Thunderbird "plain text" of an HTML table), hard-wrapped
 *   at 76 columns: the first row gives the column count, and the lines of a wrapped row are
 *   joined until it has them all (format=flowed is already joined by mailparser);
 * - one cell per line, each closed by `|`, under a header of known column names.
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
  const endTabRow = (): void => {
    if (tabs?.cells) blocks.push({ kind: 'row', cells: tabs.cells.map((c) => squeeze(c)), table: -tabs.id });
    if (tabs) tabs.cells = null;
  };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (!line.trim()) {
      endTabRow();
      // a blank line inside a tab table (between rows) does not end it; prose after one does
      if (tabs && !nextFilled(lines, i)?.includes('\t')) tabs = null;
      blocks.push({ kind: 'break' });
      inTable = false;
      continue;
    }
    if (line.includes('\t') && (tabs || splitTabs(line).filter(Boolean).length >= 2)) {
      tabs ??= { id: ++table, columns: splitTabs(line).length, cells: null };
      addTabLine(tabs, line, endTabRow);
      continue;
    }
    if (tabs?.cells) {
      // a wrapped last cell: the client broke the line where the cell had no tab left
      tabs.cells[tabs.cells.length - 1] += ` ${line.trim()}`;
      continue;
    }
    tabs = null;
    const perLine = cellPerLineTable(lines, i);
    if (perLine) {
      table++;
      for (const cells of perLine.rows) blocks.push({ kind: 'row', cells, table: -table });
      i = perLine.end - 1;
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
  endTabRow();
  return blocks;
}

// ---------------------------------------------------------------------------- tab-separated rows

interface TabTable {
  id: number;
  /** Columns of the table's first row (its header, in every layout seen). */
  columns: number;
  /** The row being read, until the next one starts. */
  cells: string[] | null;
}

function splitTabs(line: string): string[] {
  return line.split('\t').map((c) => c.trim());
}

function addTabLine(table: TabTable, line: string, endRow: () => void): void {
  const cells = splitTabs(line);
  if (table.cells && table.cells.length < table.columns) {
    // the rest of a row wrapped inside a cell: its first piece continues that cell
    const [first = '', ...rest] = cells;
    table.cells[table.cells.length - 1] = `${table.cells[table.cells.length - 1]} ${first}`.trim();
    table.cells.push(...rest);
    return;
  }
  endRow();
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
