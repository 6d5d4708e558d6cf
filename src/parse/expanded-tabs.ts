import { collapse } from './blocks.ts';
import { findFamilies } from './families.ts';
import { isAnchorShaped } from './flat-rows.ts';
import { ERRORISH, REGION_END } from './markers.ts';
import { alignedTable, columnNames } from './text-dump-tables.ts';
import { EMAIL_RE, canonicalObjectType, fieldRole, looksLikeObjectId, type FieldRole } from './vocabulary.ts';

/**
 * A tab-separated table (Outlook's and Thunderbird's plain text of the report's table) whose
 * tabs a client turned into spaces before it hard-wrapped the lines: a reply of a reply, a
 * script that expands tabs. A tab expanded to the next tab stop leaves one
 * space or more, and the wrapped lines of a row run on from the left margin:
 *
 *   Identity<TAB>Error Description<TAB>Source Anchor        (or the same with spaces)
 *   hank.ives@lamna.org     Unable to update this object because the following
 *   attributes associated with this object have values that may already be
 *   Ij8kL9mN0oP1qR2sT3uV4w==
 *
 * Read as it stood, the first row joined the header's last cell (the column name became the
 * object, the second row was lost), or, under a spaced header, the columns-of-spaces reader
 * cut the prose into cells. Under a header whose first columns are the identity and the
 * description, each row (a line that starts with an identity, the gap, an error's first words,
 * and the lines after it) is written back as one tab-separated line: the cells after the
 * description are the words at its end that read as those columns (an anchor, an object type).
 * A spaced header gets its tabs back too, when the lines below it are such wrapped rows.
 */
export function restoreExpandedTabs(lines: string[]): string[] {
  let out: string[] | null = null;
  let copied = 0;
  for (let i = 0; i < lines.length; i++) {
    const header = tableHeader(lines, i);
    if (!header) continue;
    const { rows, end } = rowsBelow(lines, i + 1, header.roles);
    if (header.spaced && !readsBetter(rows, lines, i)) continue;
    out ??= [];
    out.push(...lines.slice(copied, i), header.names.join('\t'), ...rows);
    copied = end;
    i = end - 1;
  }
  return out ? [...out, ...lines.slice(copied)] : lines;
}

/**
 * A table whose tabs a client turned into a fixed run of spaces (two or more), each row on one
 * line (read as columns of a dump, sentences were cut into cells): under a header of
 * known column names parted by such runs, a run of lines that each part into as many cells as
 * the header has names is written back with its tabs. Only a block of such lines, each a row
 * with a description that reads as an error: a dump aligned in columns wraps its cells onto
 * lines of fewer cells, and is left to its own reader.
 */
export function restoreSpacedRows(lines: string[]): string[] {
  let out: string[] | null = null;
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('\t') || !/\S {2,}\S/.test(line)) continue;
    const names = columnNames(line.trim());
    const description = names ? names.map(fieldRole).indexOf('description') : -1;
    if (!names || names.length < 2 || description < 0 || !names.every((n) => fieldRole(n))) continue;
    let end = i + 1;
    const rows: string[] = [];
    for (; end < lines.length && lines[end]!.trim(); end++) {
      const cells = lines[end]!.trim().split(/ {2,}/);
      if (cells.length !== names.length || !(ERRORISH.test(cells[description]!) || findFamilies(cells[description]!).length)) break;
      rows.push(cells.join('\t'));
    }
    if (!rows.length || (end < lines.length && lines[end]!.trim())) continue;
    out ??= [...lines];
    out.splice(i, end - i, names.join('\t'), ...rows);
    i = end - 1;
  }
  return out ?? lines;
}

/**
 * Under a spaced header, whether the rows read as expanded tabs say more than the same lines
 * read as a dump aligned in columns (w3m, lynx: text-dump-tables.ts): by the rows whose description
 * starts with an error sentence, and those with an anchor in their id column, less the rows
 * whose description holds no error at all. Cut into columns, wrapped prose puts a sentence's
 * middle in a description and words in the id column; read as tab rows, a real dump's anchors
 * stand in the middle of the rows' text, where none is taken.
 */
function readsBetter(rows: string[], lines: string[], at: number): boolean {
  const aligned = alignedTable(lines, at);
  return score(rows.map((row) => row.split('\t'))) > (aligned ? score(aligned.rows.slice(1), aligned.rows[0]!.map(fieldRole)) : 0);
}

function score(rows: string[][], roles?: ReadonlyArray<FieldRole | null>): number {
  const description = roles ? roles.indexOf('description') : 1;
  const anchor = roles ? roles.indexOf('objectId') : -1;
  let n = 0;
  for (const cells of rows) {
    const text = cells[description] ?? '';
    const sentence = findFamilies(text)[0];
    // a row whose description holds no error at all is pieces of prose, not a row
    n += sentence?.start === 0 ? 1 : sentence || ERRORISH.test(text) ? 0 : -1;
    if (looksLikeObjectId(anchor >= 0 ? (cells[anchor] ?? '') : (cells.at(-1) ?? ''))) n++;
  }
  return n;
}

/**
 * The rows from `start` on, each one line with its tabs back, and the index after the table.
 * A row starts at a line that reads as a row's start (`rowStart`), and where one must: the first
 * line under the header, and the line after a row's last cell (an anchor ends the line above).
 * Such a row's identity ends where its error text starts.
 */
function rowsBelow(lines: string[], start: number, roles: ReadonlyArray<FieldRole | null>): { rows: string[]; end: number } {
  const rows: string[] = [];
  let row: [string, string] | [string] | null = null;
  const description = descriptionColumn(roles);
  const flush = (): void => {
    const cells = row && (row.length === 2 ? row : identityAndRest(row[0]));
    if (cells) {
      // behind an error code's column, its cell first
      const [code, text] = description === 2 ? codeCell(cells[1]) : [null, cells[1]];
      rows.push([cells[0], ...(code === null ? [] : [code]), ...tailCells(text, roles, description + 1)].join('\t'));
    } else if (row) rows.push(collapse(row[0]!));
    row = null;
  };
  const lastIsAnchor = roles.at(-1) === 'objectId';
  let j = start;
  for (; j < lines.length; j++) {
    const line = lines[j]!;
    // a tabbed line is the tab reader's, and the report's end ("Tracking ID", "Thank you") no cell
    if (line.includes('\t') || REGION_END.test(line.trim())) break;
    if (!line.trim()) {
      // blank lines between rows go on to the next row; prose after them ends the table
      let next = j + 1;
      while (next < lines.length && !lines[next]!.trim()) next++;
      if (next === lines.length || !rowStart(lines[next]!)) break;
      flush();
      rows.push(...lines.slice(j, next).map(() => ''));
      j = next - 1;
      continue;
    }
    const starts = rowStart(line);
    const due = !row || (lastIsAnchor && endsWithId(lines[j - 1]!));
    if (starts || due) {
      flush();
      // a row whose identity is not yet parted from its text is one cell until it ends
      row = starts ?? [line.trim()];
    } else row![row!.length - 1] += `\n${line.trim()}`;
  }
  flush();
  return { rows, end: j };
}

/** A line that ends with an object's id (the row's last cell), not with the GUID of Microsoft's "Tracking Id:" sentence. */
function endsWithId(line: string): boolean {
  const text = line.trimEnd();
  return looksLikeObjectId(/\S+$/.exec(text)?.[0] ?? '') && !TRACKING_ID_AT_END.test(text);
}
const TRACKING_ID_AT_END = /Tracking\s+I[Dd]\s*:?\s*\S+$/;

/**
 * A row's identity and the rest, where the gap is one space (a tab stop right after the name):
 * the identity ends where the error sentence starts, or else at the first word on a tab stop
 * that starts with a capital (a description starts at a multiple of 8 columns).
 */
function identityAndRest(text: string): [string, string] | null {
  // the row's lines stand joined by line breaks (gaps to tailCells): the sentences read them as spaces
  const at = findFamilies(text)[0]?.start;
  if (at !== undefined && at > 0 && at <= MAX_IDENTITY + 1) return [text.slice(0, at).trim(), text.slice(at)];
  for (let stop = TAB_STOP; stop <= MAX_IDENTITY + 1 && stop < text.length; stop += TAB_STOP) {
    if (text[stop - 1] === ' ' && /\p{Lu}/u.test(text[stop]!)) return [text.slice(0, stop).trim(), text.slice(stop)];
  }
  return null;
}
const TAB_STOP = 8;
const MAX_IDENTITY = 64;

/**
 * A row's text after its identity parted into the description and the cells after it: the
 * last words, from the end, for as long as each reads as its column (a class under an object
 * type; an anchor or GUID under an object id, any word of base64's shape where a tab's wide gap
 * or a line's end stands before it). A tab stop may leave one space before them.
 */
function tailCells(text: string, roles: ReadonlyArray<FieldRole | null>, first: number): string[] {
  const tail: string[] = [];
  let rest = text.trim();
  for (let k = roles.length - 1; k >= first; k--) {
    const m = /^([\s\S]*\S)(\s+)(\S+)$/.exec(rest);
    if (!m) break;
    const [, before, gap, word] = m as unknown as [string, string, string, string];
    const fits =
      roles[k] === 'objectId'
        ? (/\n| {2}/.test(gap) ? isAnchorShaped(word) : looksLikeObjectId(word)) && !TRACKING_ID_AT_END.test(`${before} ${word}`)
        : roles[k] === 'objectType' && canonicalObjectType(word) !== null;
    if (!fits) break;
    tail.unshift(word);
    rest = before;
  }
  return [collapse(rest), ...tail];
}

/** Where the description stands: second, or third behind an error code's column. */
function descriptionColumn(roles: ReadonlyArray<FieldRole | null>): number {
  return roles[1] === 'errorCode' ? 2 : 1;
}

/**
 * A row's text behind its identity parted into the error code's cell (a code word and a tab's
 * gap at its start; '' when the cell is empty) and the rest.
 */
function codeCell(text: string): [string, string] {
  const t = text.trim();
  const m = CODE_AT_START.exec(t);
  return m ? [m[1]!, t.slice(m[0].length)] : ['', t];
}
const CODE_AT_START = /^([A-Za-z][\w.-]*) {2,}(?=\S)/;

interface Header {
  names: string[];
  roles: Array<FieldRole | null>;
  /** Its names parted by spaces, not tabs. */
  spaced: boolean;
}

/** A line of column names, the identity's then the description's first, over rows whose tabs were expanded. */
function tableHeader(lines: string[], i: number): Header | null {
  const line = lines[i]!;
  // most lines end at the first test: a header starts with a column name, and names are short
  // (a header of names one space apart is lynx's, whose rows flat-rows.ts reads)
  if (line.length > 200 || !/^\s*[\p{L}]/u.test(line) || !/\t| {2}/.test(line.trim())) return null;
  const next = lines[i + 1];
  if (next === undefined || next.includes('\t')) return null;
  const spaced = !line.includes('\t');
  const names = spaced ? columnNames(line.trim()) : line.split('\t').map((c) => c.trim());
  const roles = names?.map(fieldRole);
  // an error code's column may stand between the two ("Identity, Error Name, Error Description")
  // (under a tabbed header only: a spaced one with a code column is a dump's, aligned in columns)
  if (!names || !roles || roles.length < 2 || roles[0] !== 'identity' || roles[descriptionColumn(roles)] !== 'description' || (spaced && roles[1] !== 'description')) return null;
  return firstRow(next) ? { names, roles, spaced } : null;
}

/** The first row under a header: its gap may be the one space of a tab stop. */
function firstRow(line: string): [string, string] | null {
  return rowStart(line) ?? identityAndRest(line.trim());
}

/**
 * The identity and the rest of a line that starts a row, its tab spaces: an address and one
 * space or more, or a name of at most 64 characters and two spaces or more, then an error's
 * first words.
 */
function rowStart(line: string): [string, string] | null {
  const text = line.trimEnd();
  const address = /^(\S+) +(\S.*)$/.exec(text);
  const row = address && EMAIL_RE.test(address[1]!) ? address : /^(\S.{0,63}?) {2,}(\S.*)$/.exec(text);
  if (!row) return null;
  const [, identity, rest] = row as unknown as [string, string, string];
  // a sentence's end and the next one typed two spaces apart ("directory.  Please refer") is no row
  if (row !== address && /[.:;,]$/.test(identity)) return null;
  // an address, a tab's wide gap and a sentence's capital start a row whatever its first words
  // ("This synchronization operation, Delete," cut before the words that say it is an error)
  if (row === address && / {2}/.test(text.slice(identity.length, identity.length + 2)) && /^\p{Lu}/u.test(rest)) return [identity, rest];
  return ERRORISH.test(rest) || findFamilies(rest).length ? [identity, rest] : null;
}
