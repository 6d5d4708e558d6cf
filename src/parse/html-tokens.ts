import { decodeHTML } from 'entities';

/**
 * HTML text to tag and text events, for html-blocks.ts. It reproduces htmlparser2 10's
 * Tokenizer (entity decoding off) event for event, quirks included, so the blocks of a mail
 * do not depend on which of the two read it (test/parse/html-tokens.test.ts holds them to
 * that); it exists because it is over twice as fast: it jumps between `<` and `>` with
 * `indexOf` where htmlparser2 steps through a state machine character by character. Search
 * below for "htmlparser2" to find where a quirk is kept on purpose.
 *
 * No element stack: 100,000 unclosed tables cost no more than 100,000 closed ones, and
 * every search runs forward from where the last stopped, so a quote or comment that never
 * closes costs one pass over the rest of the input.
 */

export interface TagEvents {
  /**
   * A start tag: `name` in lower case; `attribs` holds only a td's or th's colspan and rowspan,
   * and a div's or span's style (the first of each wins).
   */
  onOpen(name: string, attribs: Record<string, string>): void;
  onClose(name: string): void;
  /** A piece of text, entities decoded. */
  onText(text: string): void;
}

export type Tokenize = (html: string, events: TagEvents) => void;

/** Elements whose content is never shown: no events up to their own end tag. Names of three letters or more (see `open`). */
export const SKIP_CONTENT: ReadonlySet<string> = new Set(['head', 'style', 'script', 'title', 'template', 'xml', 'noscript']);

/** A tag's attributes when none of those read is there (most tags). */
export const NO_ATTRIBS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * Raw-text elements (their content is text up to the end tag named below) by name.
 * htmlparser2 tells them apart by their letters after the first, and lets `t` and `x` share
 * a first letter: so `<xitle>` is a title, `<tmp>` an xmp, and so on.
 */
const RAW_TEXT_END = new Map<string, string>([
  ['script', '</script'],
  ['style', '</style'],
  ['title', '</title'],
  ['xitle', '</title'],
  ['textarea', '</textarea'],
  ['xextarea', '</textarea'],
  ['xmp', '</xmp'],
  ['tmp', '</xmp'],
]);
const LONGEST_RAW_TEXT_NAME = 8;

const TAB = 0x09;
const LF = 0x0a;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const SLASH = 0x2f;
const LT = 0x3c;
const EQ = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;
const OPEN_BRACKET = 0x5b;
const DASH = 0x2d;
const CDATA = 'CDATA[';

/** The input ended inside a construct: nothing more to read. */
const DONE = -1;

// These tests run on every character of a tag: most are letters, above all the characters tested.
function isWhitespace(c: number): boolean {
  return c <= SPACE && (c === SPACE || c === LF || c === TAB || c === FF || c === CR);
}
function isAsciiLetter(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}
function endsTagName(c: number): boolean {
  return c <= GT && (c === SLASH || c === GT || isWhitespace(c));
}
function endsAttributeName(c: number): boolean {
  return c <= GT && (c === EQ || c === SLASH || c === GT || isWhitespace(c));
}

export function tokenize(html: string, events: TagEvents): void {
  new Tokenizer(html, events).run();
}

/**
 * One pass over one input. A class, not closures made per input: a method keeps its optimised
 * code from one mail to the next, where a closure's is dropped at every full garbage
 * collection and rebuilt while the next mail is read (measured: a 4 MB report took 40-50 ms
 * to read after each full collection instead of 16).
 */
class Tokenizer {
  private readonly html: string;
  private readonly n: number;
  private readonly events: TagEvents;
  /** The SKIP_CONTENT element whose content is being skipped. */
  private skipping: string | null = null;
  /** The same element opened again inside it. */
  private skipNesting = 0;
  /** Where the next `&` at or after the last text's start is (2^32 - 1: none). */
  private nextAmp = -1;

  constructor(html: string, events: TagEvents) {
    this.html = html;
    this.n = html.length;
    this.events = events;
  }

  private text(start: number, end: number): void {
    const { html, events } = this;
    if (this.skipping !== null || start >= end) return;
    // texts run forward: the next `&` is searched only once the text before it is passed, not in every piece
    if (this.nextAmp < start) this.nextAmp = html.indexOf('&', start) >>> 0;
    const piece = html.slice(start, end);
    events.onText(this.nextAmp < end ? decodeHTML(piece) : piece);
  }

  /** A tag's name in lower case; the table's own two-letter tags (most tags of a report) without a copy. */
  private nameAt(start: number, end: number): string {
    const { html } = this;
    if (end - start === 2 && (html.charCodeAt(start) | 0x20) === 0x74 /* t */) {
      const second = html.charCodeAt(start + 1) | 0x20;
      if (second === 0x64 /* d */) return 'td';
      if (second === 0x72 /* r */) return 'tr';
      if (second === 0x68 /* h */) return 'th';
    }
    return html.slice(start, end).toLowerCase();
  }

  private open(name: string, attribs: Record<string, string>): void {
    const { events } = this;
    if (this.skipping !== null) {
      if (name === this.skipping) this.skipNesting++;
      return;
    }
    // the table's own two-letter tags (most tags of a report) need no look-up
    if (name.length > 2 && SKIP_CONTENT.has(name)) {
      this.skipping = name;
      this.skipNesting = 0;
      return;
    }
    events.onOpen(name, attribs);
  }

  private selfClose(name: string, attribs: Record<string, string>): void {
    const { events } = this;
    this.open(name, attribs);
    // a self-closed element opens nothing: `<br/>` ends a line, `<style/>` hides nothing
    if (this.skipping === name && this.skipNesting === 0) this.skipping = null;
    else if (this.skipping === null) events.onClose(name);
  }

  private close(name: string): void {
    const { events } = this;
    if (this.skipping !== null) {
      if (name === this.skipping && this.skipNesting-- === 0) this.skipping = null;
      return;
    }
    events.onClose(name);
  }

  /** The rest of an end tag after its name, which ended at `end` (a `>` or whitespace): to its `>`. */
  private afterEndTagName(end: number): number {
    const { html, n } = this;
    if (html.charCodeAt(end) === GT) return end + 1;
    const gt = html.indexOf('>', end + 1);
    if (gt >= 0) return gt + 1;
    // htmlparser2 ends here with its section start at -1, and so emits the input's last character as text
    this.text(n - 1, n);
    return DONE;
  }

  /** `<!…`: a comment, CDATA or declaration, none of which make events. */
  private markupDeclaration(lt: number): number {
    const { html, n } = this;
    const start = lt + 2; // where htmlparser2 starts the text it emits if the input ends inside
    /** A declaration, whose `>` is searched from `from`. */
    const declaration = (from: number): number => {
      const gt = html.indexOf('>', from);
      if (gt >= 0) return gt + 1;
      this.text(start, n);
      return DONE;
    };
    if (start >= n) return DONE;
    const first = html.charCodeAt(start);
    if (first === OPEN_BRACKET) {
      for (let k = 0; k < CDATA.length; k++) {
        const at = start + 1 + k;
        if (at >= n) {
          this.text(start, n);
          return DONE;
        }
        if (html.charCodeAt(at) !== CDATA.charCodeAt(k)) return declaration(at);
      }
      const end = html.indexOf(']]>', start + 1 + CDATA.length);
      return end < 0 ? DONE : end + 3;
    }
    if (first === DASH) {
      if (start + 1 >= n) {
        this.text(start, n);
        return DONE;
      }
      // `<!-` and another character: a declaration, and htmlparser2 does not look at that character (`<!->` goes on)
      if (html.charCodeAt(start + 1) !== DASH) return declaration(start + 2);
      // the opening's own dashes may end the comment: `<!-->` and `<!--->` are whole comments
      const end = html.indexOf('-->', start);
      return end < 0 ? DONE : end + 3;
    }
    // htmlparser2 does not look at the character after `<!` either: `<!>` goes on to the next `>`
    return declaration(start + 1);
  }

  /** `</`: an end tag, or the bogus comment `</3…>`. `at` is the first character after `</` and whitespace. */
  private endTag(at: number): number {
    const { html, n } = this;
    if (!isAsciiLetter(html.charCodeAt(at))) {
      const gt = html.indexOf('>', at + 1);
      if (gt >= 0) return gt + 1;
      this.text(at, n);
      return DONE;
    }
    let end = at + 1;
    while (end < n && html.charCodeAt(end) !== GT && !isWhitespace(html.charCodeAt(end))) end++;
    if (end >= n) return DONE; // an unfinished end tag is dropped
    this.close(this.nameAt(at, end));
    return this.afterEndTagName(end);
  }

  /**
   * The content of a raw-text element from `start`, up to `endSequence` (`</script`, compared
   * in ASCII lower case) and whitespace or `>`, then the end tag.
   */
  private rawText(start: number, endSequence: string): number {
    const { html, n } = this;
    const length = endSequence.length;
    // htmlparser2 searches ahead for `<` except in a title, which it steps through to decode
    // entities; as it compares `c | 0x20`, a control character there can stand for `<` or `/`
    const stepping = endSequence === '</title';
    let matched = 0;
    for (let p = start; p < n; p++) {
      const c = html.charCodeAt(p);
      if (matched === length) {
        if (c === GT || isWhitespace(c)) {
          const lt = p - length;
          this.text(start, lt);
          this.close(this.nameAt(lt + 2, p));
          return this.afterEndTagName(p);
        }
        matched = 0;
      }
      if ((c | 0x20) === endSequence.charCodeAt(matched)) matched++;
      else if (matched === 0) {
        if (!stepping) {
          const next = html.indexOf('<', p + 1);
          if (next < 0) break;
          p = next;
          matched = 1;
        }
      } else matched = c === LT ? 1 : 0;
    }
    this.text(start, n);
    return DONE;
  }

  /** A start tag from its `<` at `lt`, and the content of a raw-text element. */
  private startTag(lt: number): number {
    const { html, n } = this;
    const nameStart = lt + 1;
    let p = nameStart + 1;
    while (p < n && !endsTagName(html.charCodeAt(p))) p++;
    if (p >= n) {
      // htmlparser2 emits an unfinished tag name as text when it could still become a raw-text element's
      if (p - nameStart <= LONGEST_RAW_TEXT_NAME) {
        const partial = html.slice(nameStart, n).toLowerCase();
        for (const rawName of RAW_TEXT_END.keys()) {
          if (rawName.startsWith(partial)) {
            this.text(nameStart, n);
            break;
          }
        }
      }
      return DONE;
    }
    const name = this.nameAt(nameStart, p);
    // only a cell's spans and the style that may make a div or span a table's part matter:
    // other attributes (links, classes) are never read, so never copied
    const wantSpans = name === 'td' || name === 'th';
    const wantStyle = name === 'div' || name === 'span';
    let attribs = NO_ATTRIBS;
    for (;;) {
      // before an attribute's name
      if (p >= n) return DONE;
      let c = html.charCodeAt(p);
      if (c === GT) break;
      if (isWhitespace(c)) {
        p++;
        continue;
      }
      if (c === SLASH) {
        // `/` self-closes when only whitespace follows before `>`; otherwise it separates attributes (`<td/colspan=2>`)
        do p++;
        while (p < n && isWhitespace(html.charCodeAt(p)));
        if (p >= n) {
          // htmlparser2's section start is -1 here too: see afterEndTagName
          this.text(n - 1, n);
          return DONE;
        }
        if (html.charCodeAt(p) !== GT) continue;
        this.selfClose(name, attribs);
        return p + 1;
      }
      // an attribute: its name's first character is taken whatever it is, even `=` or a quote
      const attrStart = p;
      p++;
      while (p < n && !endsAttributeName(html.charCodeAt(p))) p++;
      if (p >= n) return DONE;
      // "colspan" and "rowspan" are seven letters, "style" five: other names (valign, class) are not copied
      const attrName = (wantSpans && p - attrStart === 7) || (wantStyle && p - attrStart === 5) ? html.slice(attrStart, p).toLowerCase() : '';
      while (isWhitespace(html.charCodeAt(p))) if (++p >= n) return DONE;
      if (html.charCodeAt(p) !== EQ) continue; // no value: the next attribute, or the tag's end, starts at p
      do p++;
      while (p < n && isWhitespace(html.charCodeAt(p)));
      if (p >= n) return DONE;
      c = html.charCodeAt(p);
      let valueStart = p;
      let valueEnd: number;
      if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
        valueStart = p + 1;
        valueEnd = html.indexOf(c === DOUBLE_QUOTE ? '"' : "'", valueStart);
        if (valueEnd < 0) return DONE; // a quote never closed takes the rest of the input with it
        p = valueEnd + 1;
      } else {
        // unquoted: up to whitespace or `>`, so `colspan=2/>` is "2/" and not self-closing
        while (p < n && !isWhitespace((c = html.charCodeAt(p))) && c !== GT) p++;
        if (p >= n) return DONE;
        valueEnd = p;
      }
      if ((attrName === 'colspan' || attrName === 'rowspan' || attrName === 'style') && valueEnd > valueStart) {
        if (attribs === NO_ATTRIBS) attribs = {};
        attribs[attrName] ??= html.slice(valueStart, valueEnd);
      }
    }
    this.open(name, attribs);
    const rawTextEnd = name.length > 2 ? RAW_TEXT_END.get(name) : undefined;
    return rawTextEnd === undefined ? p + 1 : this.rawText(p + 1, rawTextEnd);
  }

  /** Reads the input to its end. */
  run(): void {
    const { html, n } = this;
    let textStart = 0; // start of the text not emitted yet
    let from = 0; // where to look for the next `<`
    for (;;) {
      const lt = html.indexOf('<', from);
      if (lt < 0) {
        this.text(textStart, n);
        return;
      }
      // htmlparser2 ends a text at every `<`, even one that turns out not to start a tag: `a < b` is two pieces
      this.text(textStart, lt);
      textStart = lt;
      if (lt + 1 >= n) {
        this.text(lt, n);
        return;
      }
      const c = html.charCodeAt(lt + 1);
      let resume: number;
      if (isAsciiLetter(c)) resume = this.startTag(lt);
      else if (c === SLASH) {
        let at = lt + 2;
        while (at < n && isWhitespace(html.charCodeAt(at))) at++;
        if (at >= n) {
          this.text(lt, n);
          return;
        }
        if (html.charCodeAt(at) === GT) {
          // `</>` is no tag: htmlparser2 goes on with it as part of the text
          from = at + 1;
          continue;
        }
        resume = this.endTag(at);
      } else if (c === BANG) resume = this.markupDeclaration(lt);
      else if (c === QUESTION) {
        // a processing instruction (`<?xml …?>`), to the first `>`
        const gt = html.indexOf('>', lt + 2);
        if (gt < 0) this.text(lt + 2, n);
        resume = gt < 0 ? DONE : gt + 1;
      } else {
        from = lt + 1; // `<` and no tag: text
        continue;
      }
      if (resume === DONE) return;
      textStart = from = resume;
    }
  }
}
