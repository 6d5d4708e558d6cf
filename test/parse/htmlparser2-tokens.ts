import { decodeHTML } from 'entities';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { SKIP_CONTENT, type TagEvents } from '../../src/parse/html-tokens.ts';

/**
 * The test oracle for src/parse/html-tokens.ts: the tokenizer html-blocks.ts used before it,
 * htmlparser2's Tokenizer driven without its Parser. `htmlToBlocks(html, htmlparser2Tokenize)`
 * must give the same blocks as `htmlToBlocks(html)` on every input.
 */

const NO_ATTRIBS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export function htmlparser2Tokenize(html: string, events: TagEvents): void {
  let tag = '';
  let wantAttribs = false;
  let attribs: Record<string, string> = NO_ATTRIBS;
  let attrName = '';
  let attrValue = '';
  let skipping: string | null = null;
  let skipNesting = 0;
  const slice = (start: number, end: number): string => html.slice(start, end);
  const nameAt = (start: number, end: number): string => slice(start, end).toLowerCase();
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
      wantAttribs = tag === 'td' || tag === 'th' || tag === 'div' || tag === 'span';
      attribs = NO_ATTRIBS;
    },
    onattribname: (start, end) => {
      const cell = tag === 'td' || tag === 'th';
      attrName = wantAttribs && end - start === (cell ? 7 : 5) ? slice(start, end).toLowerCase() : '';
    },
    onattribdata: (start, end) => {
      if (attrName === 'colspan' || attrName === 'rowspan' || attrName === 'style') attrValue += slice(start, end);
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
 * Its `fastForwardTo` by `String#indexOf`, with the same result (the index of the character,
 * or the buffer's last index when it is not there), as html-blocks.ts ran it: stepping
 * through a 5 MB hostile body character by character would slow the linear-time tests.
 */
function searchNatively(tokenizer: Tokenizer): void {
  const t = tokenizer as unknown as TokenizerCursor;
  // another htmlparser2 whose tokenizer keeps its cursor differently: leave it as it is (same events, slower)
  if (typeof t.fastForwardTo !== 'function' || typeof t.buffer !== 'string' || typeof t.index !== 'number' || typeof t.offset !== 'number') return;
  t.fastForwardTo = function (this: TokenizerCursor, c: number): boolean {
    const found = this.buffer.indexOf(String.fromCharCode(c), this.index + 1 - this.offset);
    this.index = (found < 0 ? this.buffer.length - 1 : found) + this.offset;
    return found >= 0;
  };
}
