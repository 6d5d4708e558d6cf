import { decodeHTML } from 'entities';
import { squeeze, type Block } from './blocks.ts';

/**
 * Reduces HTML to blocks with one linear scan. Leaf table rows become rows; a row that
 * contains another table (layout tables in marketing-style mails) is a container, and only
 * its text outside the nested table becomes lines. Block elements and <br> end lines.
 */

const TAG_NAME_RE = /^(\/?)([a-zA-Z][a-zA-Z0-9:-]*)/;
const SKIP_CONTENT = new Set(['head', 'style', 'script', 'title', 'template', 'xml', 'noscript']);
const LINE_TAGS = new Set([
  'p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'hr', 'section',
  'article', 'header', 'footer', 'pre', 'dd', 'dt', 'dl', 'center', 'address', 'caption', 'o:p',
]);
const BREAK_TAGS = new Set(['hr', 'blockquote', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

interface TableFrame {
  id: number;
  cells: string[] | null; // cells of the row in progress
  container: boolean; // the row in progress holds a nested table
  cellOpen: boolean;
}

/** A cell's text with its lines squeezed and empty lines dropped (the common one-line cell without splitting). */
function cleanCell(cell: string): string {
  if (!cell.includes('\n')) return squeeze(cell);
  return cell.split('\n').map(squeeze).filter(Boolean).join('\n');
}

export function htmlToBlocks(html: string): Block[] {
  const blocks: Block[] = [];
  const tables: TableFrame[] = [];
  let tableCount = 0;
  let text = ''; // text of the current line or cell
  let preDepth = 0;

  const frame = (): TableFrame | undefined => tables.at(-1);
  const inCell = (): boolean => {
    const f = frame();
    return !!f && f.cells !== null && !f.container;
  };
  const emitLines = (value: string): void => {
    for (const line of value.split('\n')) {
      const t = squeeze(line);
      if (t) blocks.push({ kind: 'line', text: t });
    }
  };
  /** Ends the current line: inside a cell it is a newline in the cell's text. */
  const endLine = (): void => {
    if (inCell()) {
      text += '\n';
      return;
    }
    emitLines(text);
    text = '';
  };
  const endCell = (): void => {
    const f = frame();
    if (f?.cells && !f.container) f.cells.push(text);
    else emitLines(text);
    if (f) f.cellOpen = false;
    text = '';
  };
  const endRow = (): void => {
    const f = frame();
    if (!f || f.cells === null) return;
    if (f.cellOpen || text.trim()) endCell();
    if (!f.container && f.cells.some((c) => c.trim())) {
      blocks.push({ kind: 'row', cells: f.cells.map(cleanCell), table: f.id });
    }
    f.cells = null;
    f.container = false;
    text = '';
  };
  const addText = (raw: string): void => {
    if (!raw) return;
    const decoded = raw.includes('&') ? decodeHTML(raw) : raw;
    text += preDepth > 0 ? decoded.replace(/\r\n?/g, '\n') : /[\t\n\r\f]| {2}/.test(decoded) ? decoded.replace(/\s+/g, ' ') : decoded;
  };

  // A hand-written scan, linear on any input: unclosed comments, stray `<` and tags that
  // never end (hostile or broken mail) cannot make it backtrack.
  const n = html.length;
  let i = 0;
  let gt = -1; // the next `>`, reused while it lies ahead
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      addText(html.slice(i));
      break;
    }
    if (lt > i) addText(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      i = close < 0 ? n : close + 3;
      continue;
    }
    if (gt < lt) gt = html.indexOf('>', lt);
    if (gt < 0) {
      addText(html.slice(lt));
      break;
    }
    const inside = html.slice(lt + 1, Math.min(gt, lt + 64));
    i = gt + 1;
    const m = TAG_NAME_RE.exec(inside);
    if (!m) {
      if (!/^[!?]/.test(inside)) addText(html.slice(lt, gt + 1)); // "a < b": text, not a tag
      continue;
    }
    const name = m[2]!.toLowerCase();
    const closing = m[1] === '/';
    if (SKIP_CONTENT.has(name) && !closing && html[gt - 1] !== '/') {
      // skip to the matching end tag (or to the end: an unclosed <style> hides the rest, as in a browser)
      const endTag = new RegExp(`</${name}\\s*>`, 'ig');
      endTag.lastIndex = i;
      const found = endTag.exec(html);
      i = found ? found.index + found[0].length : n;
      continue;
    }
    handleTag(name, closing);
  }
  while (tables.length) {
    endRow();
    tables.pop();
  }
  emitLines(text);
  return blocks;

  function handleTag(name: string, closing: boolean): void {
    switch (name) {
      case 'table':
        if (!closing) {
          const outer = frame();
          if (outer?.cells) {
            // the row being built holds a table: its own text so far becomes lines
            if (!outer.container) {
              for (const c of outer.cells) emitLines(c);
              outer.container = true;
            }
            emitLines(text);
          } else {
            emitLines(text);
          }
          text = '';
          tables.push({ id: ++tableCount, cells: null, container: false, cellOpen: false });
        } else if (tables.length) {
          endRow();
          tables.pop();
          emitLines(text);
          text = '';
          blocks.push({ kind: 'break' });
        }
        break;
      case 'tr':
        if (!frame()) break;
        endRow();
        if (!closing) frame()!.cells = [];
        break;
      case 'td':
      case 'th': {
        const f = frame();
        if (!f) break;
        if (f.cells === null) f.cells = []; // a <td> without <tr>
        if (f.container) {
          emitLines(text);
          text = '';
        } else if (!closing) {
          if (f.cellOpen) endCell(); // </td> may be omitted
          else if (text.trim()) endCell(); // stray text between cells: keep it as a cell
          f.cellOpen = true;
          text = '';
        } else if (f.cellOpen) {
          endCell();
        }
        break;
      }
      case 'pre':
        preDepth = Math.max(0, preDepth + (closing ? -1 : 1));
        endLine();
        break;
      default:
        if (LINE_TAGS.has(name)) {
          endLine();
          if (BREAK_TAGS.has(name) && !inCell()) blocks.push({ kind: 'break' });
        }
    }
  }
}
