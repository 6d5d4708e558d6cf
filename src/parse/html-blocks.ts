import { decodeHTML } from 'entities';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { squeeze, type Block } from './blocks.ts';

/**
 * Reduces HTML to blocks. htmlparser2 does the tokenising (quoted attributes holding `>`,
 * entities, omitted end tags, broken markup); this file only decides what is a row, a cell
 * and a line. Leaf table rows become rows, laid out on the table's grid: a `rowspan` cell
 * is repeated in every row it spans and a `colspan` cell keeps the columns after it in
 * place, so cells line up with the header. A row that contains another table (layout
 * tables in marketing-style mails) is a container: only its text outside the nested table
 * becomes lines. Block elements and <br> end lines.
 */

const SKIP_CONTENT = new Set(['head', 'style', 'script', 'title', 'template', 'xml', 'noscript']);
const LINE_TAGS = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'hr', 'section',
  'article', 'header', 'footer', 'pre', 'dd', 'dt', 'dl', 'center', 'address', 'caption', 'o:p',
]);
const BREAK_TAGS = new Set(['hr', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Browsers cap spans (rowspan 65534, colspan 1000); a report never needs more than a few. */
const MAX_SPAN = 1000;

interface Cell {
  text: string;
  colspan: number;
  rowspan: number;
}
interface SpanCarry {
  text: string;
  rowsLeft: number;
}
interface TableFrame {
  id: number;
  /** Cells of the row in progress, or null between rows. */
  cells: Cell[] | null;
  /** The row in progress holds a nested table: it is layout, not data. */
  container: boolean;
  cell: Cell | null;
  /** Cells from rows above that reach into the next rows, by column. */
  carries: (SpanCarry | undefined)[];
}

/**
 * Whitespace that `squeeze` or `collapse` would rewrite inside a text. A cell with none is
 * both squeezed and collapsed once trimmed: one test instead of one per function.
 */
const REWRITABLE = /[^\S ]| {2}|\u200b/;

/** A cell's text with its lines squeezed and empty lines dropped (the common one-line cell without splitting). */
function cleanCell(cell: string): string {
  if (!REWRITABLE.test(cell)) return cell.trim();
  if (!cell.includes('\n')) return squeeze(cell);
  return cell.split('\n').map(squeeze).filter(Boolean).join('\n');
}

/** The common row (no spans here or from above), its cells cleaned; added to `collapsed` when all are collapsed already. */
function plainRow(cells: Cell[], collapsedRows: Set<readonly string[]>): string[] {
  const out = new Array<string>(cells.length);
  let collapsed = true;
  for (let i = 0; i < cells.length; i++) {
    const text = cells[i]!.text;
    if (REWRITABLE.test(text)) {
      collapsed = false;
      out[i] = text.includes('\n') ? cleanCell(text) : squeeze(text);
    } else out[i] = text.trim();
  }
  if (collapsed) collapsedRows.add(out);
  return out;
}

function spanOf(value: string | undefined): number {
  if (value === undefined) return 1; // most cells
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 1 ? Math.min(n, MAX_SPAN) : 1;
}

/** The row's cells on the table's grid: spanned cells from above filled in, colspans padded. */
function layOut(cells: Cell[], carries: (SpanCarry | undefined)[], collapsedRows: Set<readonly string[]>): string[] {
  // the common row: no spans here or from above
  if (carries.length === 0 && cells.every((c) => c.colspan === 1 && c.rowspan === 1)) return plainRow(cells, collapsedRows);
  const out: string[] = [];
  const fillCarried = (): void => {
    for (let carry = carries[out.length]; carry && carry.rowsLeft > 0; carry = carries[out.length]) {
      out.push(carry.text);
      if (--carry.rowsLeft === 0) carries[out.length - 1] = undefined;
    }
  };
  for (const cell of cells) {
    fillCarried();
    const text = cleanCell(cell.text);
    for (let k = 0; k < cell.colspan; k++) {
      // the text sits in the first column it covers; the others are empty, as on screen
      if (cell.rowspan > 1) carries[out.length] = { text: k === 0 ? text : '', rowsLeft: cell.rowspan - 1 };
      out.push(k === 0 ? text : '');
    }
  }
  fillCarried();
  return out;
}

export function htmlToBlocks(html: string): Block[] {
  return readHtml(html).blocks;
}

export interface HtmlBlocks {
  blocks: Block[];
  /**
   * The rows whose cells are all in `collapse`d form already (no tab, newline or double
   * space inside: nearly every cell of a report), so the extractor need not collapse them.
   */
  collapsed: ReadonlySet<readonly string[]>;
}

/** `htmlToBlocks`, with the rows that need no collapsing. */
export function readHtml(html: string): HtmlBlocks {
  const blocks: Block[] = [];
  const collapsed = new Set<readonly string[]>();
  const tables: TableFrame[] = [];
  let tableCount = 0;
  let text = ''; // text of the current line or cell
  let preDepth = 0;

  const frame = (): TableFrame | undefined => tables.at(-1);
  const openCell = (): Cell | null => {
    const f = frame();
    return f && !f.container ? f.cell : null;
  };
  const emitLines = (value: string): void => {
    for (const line of value.split('\n')) {
      const t = squeeze(line);
      if (t) blocks.push({ kind: 'line', text: t });
    }
  };
  /** Ends the current line: inside a cell it is a newline in the cell's text. */
  const endLine = (): void => {
    if (openCell()) {
      text += '\n';
      return;
    }
    emitLines(text);
    text = '';
  };
  const endCell = (): void => {
    const f = frame();
    if (f?.cell && !f.container) {
      f.cell.text = text;
      (f.cells ??= []).push(f.cell);
    } else emitLines(text);
    if (f) f.cell = null;
    text = '';
  };
  const endRow = (): void => {
    const f = frame();
    if (!f || f.cells === null) return;
    if (f.cell || text.trim()) endCell();
    if (!f.container) {
      const cells = layOut(f.cells, f.carries, collapsed);
      if (cells.some((c) => c)) blocks.push({ kind: 'row', cells, table: f.id });
    }
    f.cells = null;
    f.container = false;
    text = '';
  };
  const startCell = (attribs: Record<string, string>): void => {
    const f = frame()!;
    f.cells ??= []; // a <td> without <tr>
    if (f.container) {
      emitLines(text);
      text = '';
      return;
    }
    if (f.cell || text.trim()) endCell(); // stray text between cells is a cell of its own
    f.cell = { text: '', colspan: spanOf(attribs.colspan), rowspan: spanOf(attribs.rowspan) };
    text = '';
  };
  const startTable = (): void => {
    const outer = frame();
    if (outer?.cells && !outer.container) {
      // the row being built holds a table: its own text so far becomes lines
      for (const c of outer.cells) emitLines(c.text);
      outer.container = true;
      outer.cell = null;
    }
    emitLines(text);
    text = '';
    tables.push({ id: ++tableCount, cells: null, container: false, cell: null, carries: [] });
  };
  const endTable = (): void => {
    endRow();
    tables.pop();
    emitLines(text);
    text = '';
    blocks.push({ kind: 'break' });
  };

  const onOpen = (name: string, attribs: Record<string, string>): void => {
    if (name === 'table') startTable();
    else if (name === 'tr') {
      if (!frame()) return;
      endRow();
      frame()!.cells = [];
    } else if (name === 'td' || name === 'th') {
      if (frame()) startCell(attribs);
    } else if (name === 'pre') {
      preDepth++;
      endLine();
    } else if (LINE_TAGS.has(name)) {
      endLine();
      if (BREAK_TAGS.has(name) && !openCell()) blocks.push({ kind: 'break' });
    }
  };
  const onClose = (name: string): void => {
    if (name === 'table') {
      if (tables.length) endTable();
    } else if (name === 'tr') endRow();
    else if (name === 'td' || name === 'th') {
      if (openCell()) endCell();
    } else if (name === 'pre') {
      preDepth = Math.max(0, preDepth - 1);
      endLine();
    } else if (LINE_TAGS.has(name) && name !== 'br') endLine();
  };
  const onText = (data: string): void => {
    text += preDepth > 0 ? data.replace(/\r\n?/g, '\n') : /[\t\n\r\f]| {2}/.test(data) ? data.replace(/\s+/g, ' ') : data;
  };
  tokenize(html, { onOpen, onClose, onText });
  while (tables.length) {
    endRow();
    tables.pop();
  }
  emitLines(text);
  return { blocks, collapsed };
}

const NO_ATTRIBS: Record<string, string> = Object.freeze({}) as Record<string, string>;

interface TagEvents {
  onOpen(name: string, attribs: Record<string, string>): void;
  onClose(name: string): void;
  onText(text: string): void;
}

/**
 * htmlparser2's tokenizer without its Parser: the Parser keeps a stack of open elements
 * that costs O(depth) per tag, so 100,000 unclosed tables (hostile mail) would take minutes.
 * Table structure is all this file needs, and it keeps that itself. Content of `<head>`,
 * `<style>` and the like is skipped up to its own end tag.
 */
function tokenize(html: string, events: TagEvents): void {
  let tag = '';
  let wantAttribs = false;
  let attribs: Record<string, string> = NO_ATTRIBS;
  let attrName = '';
  let attrValue = '';
  let skipping: string | null = null;
  let skipNesting = 0;
  const slice = (start: number, end: number): string => html.slice(start, end);
  /** A tag's name in lower case; the table's own two-letter tags (most tags of a report) without a copy. */
  const nameAt = (start: number, end: number): string => {
    if (end - start === 2 && (html.charCodeAt(start) | 0x20) === 0x74 /* t */) {
      const second = html.charCodeAt(start + 1) | 0x20;
      if (second === 0x64 /* d */) return 'td';
      if (second === 0x72 /* r */) return 'tr';
      if (second === 0x68 /* h */) return 'th';
    }
    return slice(start, end).toLowerCase();
  };
  const open = (): void => {
    if (skipping) {
      if (tag === skipping) skipNesting++;
      return;
    }
    if (SKIP_CONTENT.has(tag)) {
      skipping = tag;
      skipNesting = 0;
      return;
    }
    events.onOpen(tag, attribs);
  };
  const cbs: TokenizerCallbacks = {
    ontext: (start, end) => {
      if (skipping) return;
      const text = slice(start, end);
      events.onText(text.includes('&') ? decodeHTML(text) : text);
    },
    ontextentity: () => {}, // entities are decoded above: the tokenizer's own decoding is off
    onopentagname: (start, end) => {
      tag = nameAt(start, end);
      // only a cell's spans matter: other attributes (styles, links) are never read, so never copied
      wantAttribs = tag === 'td' || tag === 'th';
      attribs = NO_ATTRIBS;
    },
    onattribname: (start, end) => {
      // "colspan" and "rowspan" are seven letters: other names (valign, style) are not copied
      attrName = wantAttribs && end - start === 7 ? slice(start, end).toLowerCase() : '';
    },
    onattribdata: (start, end) => {
      if (attrName === 'colspan' || attrName === 'rowspan') attrValue += slice(start, end);
    },
    onattribentity: () => {},
    onattribend: () => {
      if (attrValue) {
        if (attribs === NO_ATTRIBS) attribs = {};
        attribs[attrName] ??= attrValue;
      }
      attrValue = '';
    },
    onopentagend: open,
    onselfclosingtag: () => {
      open();
      // a self-closed element opens nothing: `<br/>` ends a line, `<style/>` hides nothing
      if (skipping === tag && skipNesting === 0) skipping = null;
      else if (!skipping) events.onClose(tag);
    },
    onclosetag: (start, end) => {
      const name = nameAt(start, end);
      if (skipping) {
        if (name === skipping && skipNesting-- === 0) skipping = null;
        return;
      }
      events.onClose(name);
    },
    oncdata: () => {},
    oncomment: () => {},
    ondeclaration: () => {},
    onprocessinginstruction: () => {},
    onend: () => {},
  };
  // Entity decoding off: the tokenizer then skips through text to the next `<` in one search
  // instead of stepping through every character (twice as fast on a 10,000-row report).
  const tokenizer = new Tokenizer({ decodeEntities: false }, cbs);
  searchNatively(tokenizer);
  tokenizer.write(html);
  tokenizer.end();
}

/** The tokenizer's own fields that its `fastForwardTo` reads and writes (htmlparser2 10). */
interface TokenizerCursor {
  buffer: string;
  index: number;
  offset: number;
  fastForwardTo(c: number): boolean;
}

/**
 * htmlparser2's tokenizer finds the next `<` of a text (and the end of a comment) by
 * stepping through the characters in JavaScript: a third of our HTML time on a 10,000-row
 * report. `String#indexOf` does the same search natively, with the same result: the index
 * of the character, or the buffer's last index when it is not there.
 */
function searchNatively(tokenizer: Tokenizer): void {
  const t = tokenizer as unknown as TokenizerCursor;
  // another htmlparser2 whose tokenizer keeps its cursor differently: leave it as it is
  if (typeof t.fastForwardTo !== 'function' || typeof t.buffer !== 'string' || typeof t.index !== 'number' || typeof t.offset !== 'number') return;
  t.fastForwardTo = function (this: TokenizerCursor, c: number): boolean {
    const found = this.buffer.indexOf(String.fromCharCode(c), this.index + 1 - this.offset);
    this.index = (found < 0 ? this.buffer.length - 1 : found) + this.offset;
    return found >= 0;
  };
}
