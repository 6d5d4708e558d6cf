import { decodeHTML } from 'entities';
import { squeeze, type Block } from './blocks.ts';
import { alignedTable, boxTable, MAX_ROW_LINES, underlinedTable } from './text-dump-tables.ts';
import { alignedFields, centredFields, labelOverValue } from './text-dump-fields.ts';
import { categoryOfWording } from './classify.ts';
import { findFamilies } from './families.ts';
import { ERRORISH, REGION_END } from './markers.ts';
import { canonicalObjectType, EMAIL_RE, fieldRole, looksLikeObjectId, type FieldRole } from './vocabulary.ts';
import { unglueTables } from './glued-rows.ts';
import { restoreExpandedTabs, restoreSpacedRows } from './expanded-tabs.ts';
import { liftInlineComments } from './inline-comments.ts';
import { withoutLinkTargets } from './plain-text-links.ts';

/**
 * Reduces a plain-text body to blocks: `> ` quote prefixes removed at any depth (a reply's
 * comments between quoted lines read after them: inline-comments.ts), blank lines as breaks, and the ways mail clients flatten a table back into rows:
 * - `identity | description |` lines (a row wrapped by the client is joined back when the
 *   layout ends its rows with `|`);
 * - tab-separated lines (Outlook and Thunderbird "plain text" of an HTML table), hard-wrapped
 *   at 76 columns: the first row gives the column count, and the lines of a wrapped row are
 *   joined until it has them all (format=flowed is already joined by mailparser); their tabs
 *   are put back where a client expanded them to spaces (expanded-tabs.ts);
 * - one cell per line, each closed by `|`, under a header of known column names;
 * - the text dumps of an HTML table: drawn in a box or aligned with spaces
 *   (text-dump-tables.ts), or a "label | value" table's fields (text-dump-fields.ts);
 * - html-to-text's default table (mailparser's own `text`), cells glued: written back as
 *   rows first (glued-rows.ts).
 * An Event Viewer "Copy details as text" paste ends with the same event as XML: that copy
 * is dropped, so each error counts once.
 */

/** A line drawn of `_`, `━`, `─`, `=`, `*` or `~` alone (dashes are left to the tables that draw with them). */
const RULE_LINE_RE = /^\s*[_━─=*~]{3,}\s*$/;

export function textToBlocks(text: string): Block[] {
  const lines = unglueTables(restoreExpandedTabs(restoreSpacedRows(dropEventXml(
    liftInlineComments(text.replace(/\r\n?/g, '\n').split('\n'))
      .map((l) => withoutLinkTargets(l.replace(/^(?:[ \t]*>)+ ?/, '')))
      .map((l) => (l.includes('&') ? decodeHTML(l) : l))
      // a rule drawn across the page (an <hr> as lynx or w3m write it) parts what is above from below
      .map((l) => (RULE_LINE_RE.test(l) ? '' : l)),
  ))));
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
      // one blank line between two "label: value" (or label<TAB>value) fields: a converter's paragraph
      // per field, no end of the record they are in (the fields were read as loose lines)
      if (i > 0 && isFieldLine(lines[i - 1]!) && i + 1 < lines.length && isFieldLine(lines[i + 1]!)) continue;
      endTabRow();
      // a blank line inside a tab table (between rows) does not end it; prose after one does,
      // and so does a line of fewer cells (a footer's "Microsoft Corporation | …<tab>Privacy")
      const following = nextFilled(lines, i);
      if (tabs && (tabs.lead.length || !(following?.includes('\t') && splitTabs(following).length >= tabs.columns))) endTabTable();
      // the blank line between two fields of one "label | value" table does not part them
      if (blocks.at(-1)?.kind === 'line' && lastPair === blocks.length - 1) {
        let next = i + 1;
        while (next < lines.length && !lines[next]!.trim()) next++;
        // (a field over its value: one blank line between fields, more between records)
        if (next < lines.length && (alignedFields(lines, next) ?? (next === i + 1 && labelOverValue(lines, next)))) continue;
      }
      blocks.push({ kind: 'break' });
      inTable = false;
      continue;
    }
    // a tabbed header over rows one cell per line, a paragraph each
    const cellRows = !tabs && line.includes('\t') && !lines[i + 1]?.trim() ? rowPerParagraphTable(lines, i) : null;
    if (cellRows) {
      i = pushRows(blocks, ++table, cellRows);
      inTable = false;
      continue;
    }
    if (line.includes('\t') && (tabs || splitTabs(line).filter(Boolean).length >= 2)) {
      tabs ??= newTabTable(++table, line);
      addTabLine(tabs, line, endTabRow);
      continue;
    }
    // the report's end ("Tracking ID: …", "Thank you") is no wrapped cell of the last row (the
    // old layout's tracking line was glued onto the last row's source anchor)
    if (tabs && REGION_END.test(line.trim())) endTabTable();
    if (tabs && (tabs.lead.length || (tabs.descriptionFirst && tabs.cells && tabs.cells.length >= tabs.columns))) {
      // the first lines of the next row's description, wrapped before its first tab
      endTabRow();
      tabs.lead.push(line.trim());
      tabs.lastLine = line;
      continue;
    }
    if (tabs?.cells && startsRowAlone(tabs, line.trim())) {
      // an address alone under an identity column, after a whole row: the next row, its tab
      // taken by the wrap (its description follows on the next line)
      endTabRow();
      tabs.cells = [line.trim()];
      tabs.lastLine = line;
      continue;
    }
    if (tabs?.cells) {
      // a wrapped last cell: the client broke the line where the cell had no tab left, or
      // where the tab was (the anchor of an "Identity, Error Description, Source Anchor" row)
      if (startsNextCell(tabs, line.trim())) tabs.cells.push(line.trim());
      else tabs.cells[tabs.cells.length - 1] += ` ${line.trim()}`;
      tabs.lastLine = line;
      continue;
    }
    endTabTable();
    // tables whose whole extent one reader finds from here: one cell per line, a box, aligned columns
    const found = cellPerLineTable(lines, i) ?? cellPerParagraphTable(lines, i) ?? rowPerParagraphTable(lines, i) ?? boxTable(lines, i) ?? underlinedTable(lines, i) ?? alignedTable(lines, i);
    if (found) {
      i = pushRows(blocks, ++table, found);
      inTable = false;
      continue;
    }
    const pair = alignedFields(lines, i) ?? centredFields(lines, i) ?? labelOverValue(lines, i);
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

/** A table a reader found whole, as rows of table `table`: returns the index of its last line, where the reading goes on after. */
function pushRows(blocks: Block[], table: number, found: { rows: string[][]; end: number }): number {
  for (const cells of found.rows) blocks.push({ kind: 'row', cells, table: -table });
  return found.end - 1;
}

// ---------------------------------------------------------------------------- tab-separated rows

interface TabTable {
  id: number;
  /** Columns of the table's first row (its header, in every layout seen). */
  columns: number;
  /** What each of those columns holds, where its name says. */
  roles: (FieldRole | null)[];
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
  const roles = columns.map(fieldRole);
  return { id, columns: columns.length, roles, cells: null, descriptionFirst: roles[0] === 'description', lead: [] };
}

/**
 * A line that starts a row whatever the wrap looks like: an address alone in the identity column,
 * then the description's first words ("l.ferrari@x.it<TAB>Unable to update this object …").
 */
function startsRow(table: TabTable, cells: string[]): boolean {
  return table.roles[0] === 'identity' && table.roles[1] === 'description' && cells.length >= 2 && EMAIL_RE.test(cells[0]!) && /\s/.test(cells[1]!);
}

/**
 * Whether the first piece of a wrapped line starts the row's next cell: the client broke the line
 * at the tab between two cells, and dropped it as a wrap drops the space it breaks at (Thunderbird
 * and `fmt` break at tabs too). Read by meaning, not by width: the row's last cell cannot go on
 * (an address or an id holds no space), or the piece is what the next column holds (an object
 * class under "Object Type", an anchor or GUID under an object-id column).
 */
function startsNextCell(table: TabTable, piece: string): boolean {
  const cells = table.cells!;
  if (!piece || cells.length >= table.columns) return false;
  const last = cells.at(-1)!;
  const [lastRole, nextRole] = [table.roles[cells.length - 1], table.roles[cells.length]];
  if ((lastRole === 'identity' && EMAIL_RE.test(last)) || (lastRole === 'objectId' && looksLikeObjectId(last))) return true;
  return (nextRole === 'objectType' && canonicalObjectType(piece) !== null) || (nextRole === 'objectId' && looksLikeObjectId(piece));
}

/** A line that is a new row's identity alone: an address, under a first column of identities, once the row before has all its cells. */
function startsRowAlone(table: TabTable, text: string): boolean {
  return table.roles[0] === 'identity' && table.cells!.length >= table.columns && EMAIL_RE.test(text);
}

/**
 * Whether a client that hard-wraps plain text broke `line` before `next`: the line is no wider
 * than a wrap width, and `next`'s first word would not have fitted at its end. Widths from 60
 * columns (RFC 3676 asks flowed text for 66, a quote's "> " takes more) to 100 (Thunderbird
 * wraps at 72, Outlook at 76).
 */
function wrapsInto(line: string | undefined, next: string): boolean {
  if (line === undefined) return false;
  // one word wider than any wrap width (a gateway's rewritten link) stands alone on its line: the row goes on after it
  if (line.length > 100) return !/\s/.test(line.trim());
  // a tab may not be a place to break: the word runs to the next space
  const word = /^ *[^ ]*/.exec(next)![0].trim();
  return line.trimEnd().length + 1 + word.length > 60;
}

function splitTabs(line: string): string[] {
  return line.split('\t').map((c) => c.trim());
}

function addTabLine(table: TabTable, line: string, endRow: () => void): void {
  const cells = splitTabs(line);
  const wrapped = table.cells !== null && wrapsInto(table.lastLine, line) && !startsRow(table, cells);
  table.lastLine = line;
  // the rest of a row wrapped inside a cell: its first piece continues that cell (a full row's
  // last cell, when nothing but empty cells follow it). A short row that was not wrapped (a
  // client left its empty last cells out) is followed by the next row.
  const fits = table.cells && (table.cells.length < table.columns ? table.cells.length + cells.length - 1 <= table.columns : cells.slice(1).every((c) => !c));
  if (wrapped && fits && table.cells!.length + cells.length <= table.columns && startsNextCell(table, cells[0]!)) {
    table.cells!.push(...cells);
    return;
  }
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

/** A line that is one field of a record: a column name the vocabulary knows, then `:` or a tab, then a value. */
function isFieldLine(line: string): boolean {
  const m = FIELD_LINE_RE.exec(line);
  return m !== null && line.length > m[0].length && line.slice(m[0].length).trim() !== '' && fieldRole(m[1]!.trim()) !== null;
}
// greedy and bounded, no `\s*` beside the name: a line of 100,000 spaces takes linear time
const FIELD_LINE_RE = /^[ ]*([^:\t]{1,40})[:\t]/;

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

/** More column names than any report's table has (they have a handful). */
const MAX_COLUMNS = 12;

/**
 * A table written one cell per paragraph: Outlook's plain text of an HTML table whose cells hold
 * paragraphs puts each cell on a line of its own with a blank line after it, the header's names
 * too (read as free text, each row's anchor was a paragraph of its own, after its
 * error, and was lost). Under a header of two or more known column names, each a paragraph, the
 * paragraphs after it are dealt into rows of the header's width, for as long as each row's
 * description cell reads as an error: the note or signature after the table ends it.
 */
function cellPerParagraphTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  // a header name is a paragraph of one line: the blank line after it is the cheaper test
  if (lines[start + 1]?.trim() !== '' || !fieldRole(lines[start]!.trim())) return null;
  const header: string[] = [];
  let at = start;
  for (let p = paragraphAt(lines, at); p && p.lines === 1 && fieldRole(p.text); p = paragraphAt(lines, at)) {
    // more names than a report has columns is no header (and each line of such a list would start this read again)
    if (header.push(p.text) > MAX_COLUMNS) return null;
    at = p.end;
  }
  const description = header.findIndex((name) => fieldRole(name) === 'description');
  if (header.length < 2 || description < 0) return null;
  const rows = [header];
  let end = at;
  for (;;) {
    const row: string[] = [];
    let next = end;
    while (row.length < header.length) {
      const p = paragraphAt(lines, next);
      if (!p) break;
      row.push(p.text);
      next = p.end;
    }
    if (row.length < header.length || !readsAsError(row[description]!)) break;
    rows.push(row);
    end = next;
  }
  return rows.length > 1 ? { rows, end } : null;
}

/**
 * A table written one cell per line, a paragraph per row: the header's names on the lines of its
 * first paragraph, then each row's cells on the lines of one (read as free text,
 * an error-code cell was taken for the object and an anchor was lost). Only the description
 * wraps over lines (names, codes and anchors are short): a paragraph with more lines than the
 * header has names gives its first cells a line each from the top, its last ones from the
 * bottom, and the description the lines between. Rows go on while each row's description
 * reads as an error.
 */
function rowPerParagraphTable(lines: string[], start: number): { rows: string[][]; end: number } | null {
  const head = headerParagraph(lines, start);
  if (!head) return null;
  const header = head.lines.map((l) => l.trim());
  if (header.length < 2 || header.length > MAX_COLUMNS || !header.every((name) => fieldRole(name))) return null;
  const description = header.findIndex((name) => fieldRole(name) === 'description');
  if (description < 0) return null;
  const rows = [header];
  let end = head.end;
  for (let p = paragraphLines(lines, end); p.lines.length >= header.length; p = paragraphLines(lines, end)) {
    const cells = p.lines.map((l) => squeeze(l));
    const after = header.length - description - 1;
    const row = [...cells.slice(0, description), cells.slice(description, cells.length - after).join(' '), ...cells.slice(cells.length - after)];
    if (!readsAsError(row[description]!)) break;
    rows.push(row);
    end = p.end;
  }
  return rows.length > 1 ? { rows, end } : null;
}

/** A description cell that says an error, in any language a report's texts are known in: what keeps a note after a table out of its rows. */
function readsAsError(text: string): boolean {
  return findFamilies(text).length > 0 || ERRORISH.test(text) || categoryOfWording(text) !== null;
}

/**
 * The header of a table one cell per line: its names one per line, or on one line parted by tabs
 * with a blank line after it (a converter that kept the header row's tabs).
 */
function headerParagraph(lines: string[], start: number): { lines: string[]; end: number } | null {
  const first = lines[start]!;
  if (start > 0 && lines[start - 1]!.trim()) return null;
  if (first.includes('\t')) return lines[start + 1]?.trim() === '' ? { lines: splitTabs(first), end: start + 1 } : null;
  // the header's first name on the first line, its second on the next: the cheaper test first
  return lines[start + 1]?.trim() && fieldRole(first.trim()) ? paragraphLines(lines, start) : null;
}

/** The lines of the paragraph at or after `from` (blank lines skipped), and the index after its last. */
function paragraphLines(lines: string[], from: number): { lines: string[]; end: number } {
  let i = from;
  while (i < lines.length && !lines[i]!.trim()) i++;
  const first = i;
  while (i < lines.length && lines[i]!.trim()) i++;
  return { lines: lines.slice(first, i), end: i };
}

/** The paragraph that starts at or after `from` (blank lines skipped): its lines joined, how many, and the index after its last. */
function paragraphAt(lines: string[], from: number): { text: string; lines: number; end: number } | null {
  let i = from;
  while (i < lines.length && !lines[i]!.trim()) i++;
  if (i >= lines.length) return null;
  const first = i;
  while (i < lines.length && lines[i]!.trim()) i++;
  return { text: squeeze(lines.slice(first, i).join(' ')), lines: i - first, end: i };
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
