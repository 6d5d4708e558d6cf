import { squeeze, type BlockSink } from './blocks.ts';
import { NO_ATTRIBS, tokenize, type TagEvents, type Tokenize } from './html-tokens.ts';

/**
 * Reduces HTML to blocks. html-tokens.ts does the tokenising (quoted attributes holding `>`,
 * entities, broken markup, the content of <head> and <style> skipped); this file only
 * decides what is a row, a cell and a line. Leaf table rows become rows, laid out on the
 * table's grid: a `rowspan` cell is repeated in every row it spans and a `colspan` cell
 * keeps the columns after it in place, so cells line up with the header. A row that
 * contains another table (layout tables in marketing-style mails) is a container: only its
 * text outside the nested table becomes lines. Block elements and <br> end lines.
 */

const LINE_TAGS = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'hr', 'section',
  'article', 'header', 'footer', 'pre', 'dd', 'dt', 'dl', 'center', 'address', 'caption', 'o:p',
]);
const BREAK_TAGS = new Set(['hr', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/**
 * The table part an element's inline style makes it, as a browser lays it out: a sanitiser
 * that keeps no table markup writes a report's table as divs (or spans) styled
 * `display:table`, `table-row` and `table-cell`. Row groups (`table-row-group`)
 * need nothing: a row needs no tbody here either.
 */
const DISPLAY_ROLE_RE = /(?:^|;)\s*display\s*:\s*table(-row|-cell)?\s*(?:!\s*important\s*)?(?:;|$)/i;
const ROLE_TAGS: Record<string, string> = { '': 'table', '-row': 'tr', '-cell': 'td' };
function displayRole(style: string | undefined): string | null {
  if (style === undefined) return null; // most elements
  const m = DISPLAY_ROLE_RE.exec(style);
  return m ? ROLE_TAGS[(m[1] ?? '').toLowerCase()]! : null;
}

/** Browsers cap spans (rowspan 65534, colspan 1000); a report never needs more than a few. */
const MAX_SPAN = 1000;

interface Cell {
  text: string;
  /** `text` holds nothing REWRITABLE, known from its pieces: trimming is all it needs. */
  clean: boolean;
  colspan: number;
  rowspan: number;
}
interface SpanCarry {
  text: string;
  rowsLeft: number;
}
interface TableFrame {
  id: number;
  /** A row is in progress (from its <tr>, or from a cell without one). */
  inRow: boolean;
  /**
   * The row's finished cells are the first `cellCount`. The objects serve row after row:
   * 10,000 rows would otherwise leave 40,000 of them to the garbage collector.
   */
  cells: Cell[];
  cellCount: number;
  /** The row in progress holds a nested table: it is layout, not data. */
  container: boolean;
  cell: Cell | null;
  /** Cells from rows above that reach into the next rows, by column. */
  carries: (SpanCarry | undefined)[];
}

/**
 * Whitespace (and soft hyphens) that `squeeze` or `collapse` would rewrite inside a text. A
 * cell with none is both squeezed and collapsed once trimmed: one test instead of one per
 * function. The characters of `[^\S ]` (and U+200B, U+00AD) spelled out: the same set,
 * tested twice as fast.
 */
const REWRITABLE = /[\t-\r\u00a0\u00ad\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]| {2}/;

// Regexes of onText, made once: a literal inside the callback would make a RegExp per text.
const CRLF = /\r\n?/g;
const SPREAD_WHITESPACE = /[\t\n\r\f]| {2}/;
const WHITESPACE_RUN = /\s+/g;
const SPACE = 0x20;

/** A cell's text with its lines squeezed and empty lines dropped (the common one-line cell without splitting). */
function cleanCell(cell: string): string {
  if (!REWRITABLE.test(cell)) return cell.trim();
  if (!cell.includes('\n')) return squeeze(cell);
  return cell.split('\n').map(squeeze).filter(Boolean).join('\n');
}

/**
 * The common row (no spans here or from above): its cells cleaned into `out`. True when every
 * cell was in `collapse`d form already (nearly every cell of a report), so the extractor need
 * not collapse them.
 */
function cleanPlainRow(cells: Cell[], out: string[]): boolean {
  let collapsed = true;
  for (let i = 0; i < out.length; i++) {
    const { text, clean } = cells[i]!;
    if (!clean && REWRITABLE.test(text)) {
      collapsed = false;
      out[i] = text.includes('\n') ? cleanCell(text) : squeeze(text);
    } else out[i] = text.trim();
  }
  return collapsed;
}

function hasSpans(cells: Cell[], count: number): boolean {
  for (let i = 0; i < count; i++) if (cells[i]!.colspan !== 1 || cells[i]!.rowspan !== 1) return true;
  return false;
}

function hasText(cells: string[]): boolean {
  for (const cell of cells) if (cell) return true;
  return false;
}

function spanOf(value: string | undefined): number {
  if (value === undefined) return 1; // most cells
  const n = Number.parseInt(value ?? '', 10);
  return Number.isFinite(n) && n > 1 ? Math.min(n, MAX_SPAN) : 1;
}

/** The row's first `count` cells on the table's grid: spanned cells from above filled in, colspans padded. */
function layOut(cells: Cell[], count: number, carries: (SpanCarry | undefined)[]): string[] {
  const out: string[] = [];
  const fillCarried = (): void => {
    for (let carry = carries[out.length]; carry && carry.rowsLeft > 0; carry = carries[out.length]) {
      out.push(carry.text);
      if (--carry.rowsLeft === 0) carries[out.length - 1] = undefined;
    }
  };
  for (let i = 0; i < count; i++) {
    const cell = cells[i]!;
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

/** Reads an HTML body into `sink`, block by block. `tokenizeHtml` is for tests to compare tokenizers. */
export function readHtml(html: string, sink: BlockSink, tokenizeHtml: Tokenize = tokenize): void {
  const reader = new HtmlReader(sink);
  tokenizeHtml(html, reader);
  reader.finish();
}

/**
 * The tag and text events of one body, made into blocks. A class rather than closures made
 * per body, for the reason html-tokens.ts gives: its methods keep their optimised code.
 */
class HtmlReader implements TagEvents {
  private readonly sink: BlockSink;
  private readonly tables: TableFrame[] = [];
  /** tables.at(-1), kept: it is read several times a tag. */
  private top: TableFrame | undefined;
  private tableCount = 0;
  /** Text of the current line or cell. */
  private text = '';
  /**
   * What onText saw of `text`: nothing REWRITABLE (a cell of it needs no test), and whether
   * it ends in a space (then a piece starting with one makes two).
   */
  private textClean = true;
  private textEndsInSpace = false;
  private preDepth = 0;
  /**
   * Per open div or span, from the outermost, the table tag its style stands for (null: none):
   * its end tag ends what it began.
   */
  private readonly styledRoles = new Map<string, Array<string | null>>();

  constructor(sink: BlockSink) {
    this.sink = sink;
  }

  onOpen(name: string, attribs: Record<string, string>): void {
    if (attribs.style !== undefined || ((name === 'div' || name === 'span') && this.styledRoles.size)) {
      const role = displayRole(attribs.style);
      let open = this.styledRoles.get(name);
      if (!open) this.styledRoles.set(name, (open = []));
      open.push(role);
      if (role) return this.onOpen(role, NO_ATTRIBS);
    }
    if (name === 'table') this.startTable();
    else if (name === 'tr') {
      if (!this.top) return;
      this.endRow();
      this.top.inRow = true;
    } else if (name === 'td' || name === 'th') {
      if (this.top) this.startCell(this.top, attribs);
    } else if (name === 'pre') {
      this.preDepth++;
      this.endLine();
    } else if (LINE_TAGS.has(name)) {
      this.endLine();
      if (BREAK_TAGS.has(name) && !this.openCell()) this.sink.add({ kind: 'break' });
    }
  }

  onClose(name: string): void {
    const role = (name === 'div' || name === 'span') && this.styledRoles.size ? this.styledRoles.get(name)?.pop() : null;
    if (role) return this.onClose(role);
    if (name === 'table') {
      if (this.tables.length) this.endTable();
    } else if (name === 'tr') this.endRow();
    else if (name === 'td' || name === 'th') {
      if (this.openCell()) this.endCell();
    } else if (name === 'pre') {
      this.preDepth = Math.max(0, this.preDepth - 1);
      this.endLine();
    } else if (LINE_TAGS.has(name) && name !== 'br') this.endLine();
  }

  onText(data: string): void {
    if (this.preDepth > 0) {
      this.textClean = false;
      this.text += data.replace(CRLF, '\n');
    } else if (data === '\n') {
      // the newline between two rows or cells, a fifth of a report's texts: a space, as below, without the tests
      this.textClean = false;
      this.text += ' ';
    } else if (!REWRITABLE.test(data)) {
      // most text: nothing to rewrite, here or in its cell, unless this piece and the last bring a space each
      if (this.textEndsInSpace && data.charCodeAt(0) === SPACE) this.textClean = false;
      this.textEndsInSpace = data.charCodeAt(data.length - 1) === SPACE;
      this.text += data;
    } else {
      this.textClean = false;
      // a piece of nothing but whitespace becomes one space: the replace below, without its copy
      if (SPREAD_WHITESPACE.test(data)) this.text += data.trim() === '' ? ' ' : data.replace(WHITESPACE_RUN, ' ');
      else this.text += data;
    }
  }

  /** The input has ended: what it left open is closed. */
  finish(): void {
    // the innermost row still open is where the input was cut: it may end in half a value
    for (let cut = true; this.tables.length; cut = false) {
      this.endRow(cut);
      this.popTable();
    }
    this.emitLines(this.text);
  }

  private clearText(): void {
    this.text = '';
    this.textClean = true;
    this.textEndsInSpace = false;
  }

  private openCell(): Cell | null {
    const f = this.top;
    return f && !f.container ? f.cell : null;
  }

  private emitLines(value: string): void {
    for (const line of value.split('\n')) {
      const t = squeeze(line);
      if (t) this.sink.add({ kind: 'line', text: t });
    }
  }

  /** Ends the current line: inside a cell it is a newline in the cell's text. */
  private endLine(): void {
    if (this.openCell()) {
      this.text += '\n';
      this.textClean = false;
      return;
    }
    this.emitLines(this.text);
    this.clearText();
  }

  private endCell(): void {
    const f = this.top;
    if (f?.cell && !f.container) {
      f.cell.text = this.text;
      f.cell.clean = this.textClean;
      f.cellCount++; // f.cell is cells[cellCount] already
    } else this.emitLines(this.text);
    if (f) f.cell = null;
    this.clearText();
  }

  private endRow(cutOff = false): void {
    const f = this.top;
    if (!f?.inRow) return;
    if (f.cell || this.text.trim()) this.endCell();
    if (!f.container) {
      let cells: string[];
      let collapsed = false;
      if (f.carries.length === 0 && !hasSpans(f.cells, f.cellCount)) {
        cells = new Array<string>(f.cellCount);
        collapsed = cleanPlainRow(f.cells, cells);
      } else cells = layOut(f.cells, f.cellCount, f.carries);
      if (hasText(cells)) this.sink.add(cutOff ? { kind: 'row', cells, table: f.id, collapsed, cutOff } : { kind: 'row', cells, table: f.id, collapsed });
    }
    f.inRow = false;
    f.cellCount = 0;
    f.container = false;
    this.clearText();
  }

  private startCell(f: TableFrame, attribs: Record<string, string>): void {
    f.inRow = true; // a <td> without <tr> starts a row too
    if (f.container) {
      this.emitLines(this.text);
      this.clearText();
      return;
    }
    if (f.cell || this.text.trim()) this.endCell(); // stray text between cells is a cell of its own
    const cell = (f.cells[f.cellCount] ??= { text: '', clean: false, colspan: 1, rowspan: 1 });
    cell.colspan = spanOf(attribs.colspan);
    cell.rowspan = spanOf(attribs.rowspan);
    f.cell = cell;
    this.clearText();
  }

  private startTable(): void {
    const outer = this.top;
    if (outer?.inRow && !outer.container) {
      // the row being built holds a table: its own text so far becomes lines
      for (let i = 0; i < outer.cellCount; i++) this.emitLines(outer.cells[i]!.text);
      outer.container = true;
      outer.cell = null;
    }
    this.emitLines(this.text);
    this.clearText();
    this.tables.push((this.top = { id: ++this.tableCount, inRow: false, cells: [], cellCount: 0, container: false, cell: null, carries: [] }));
  }

  private popTable(): void {
    this.tables.pop();
    this.top = this.tables.at(-1);
  }

  private endTable(): void {
    this.endRow();
    this.popTable();
    this.emitLines(this.text);
    this.clearText();
    this.sink.add({ kind: 'break' });
  }
}
