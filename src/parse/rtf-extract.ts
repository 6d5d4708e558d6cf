import { CHARSET_TO_CODEPAGE, decodeCodepage } from './codepages.ts';

/**
 * RTF de-encapsulation (MS-OXRTFEX): the HTML of `\fromhtml` RTF, the text of `\fromtext`
 * RTF, a best-effort plain text of native RTF. The reader follows the RTF 1.9 syntax (groups,
 * control words, control symbols, destinations); the de-encapsulation rules decide what of it
 * is output. Never throws on bad input; nothing recurses; output is capped.
 */

export interface RtfExtraction {
  /** 'html' when the RTF carried \fromhtml, 'text' for \fromtext, 'rtf' for native RTF. */
  kind: 'html' | 'text' | 'rtf';
  /** The de-encapsulated HTML (kind 'html'). */
  html: string | null;
  /** The de-encapsulated or extracted plain text (kinds 'text' and 'rtf'). */
  text: string | null;
}

const DEFAULT_MAX_CHARS = 32 * 1024 * 1024;
const MAX_GROUP_DEPTH = 2048;

/** Destinations whose content is never text. Any other `\*` destination is skipped too. */
const SKIP_DESTINATIONS = new Set([
  'fonttbl', 'colortbl', 'stylesheet', 'info', 'pict', 'object', 'objdata', 'fldinst', 'header',
  'footer', 'headerl', 'headerr', 'headerf', 'footerl', 'footerr', 'footerf', 'listtable',
  'listoverridetable', 'rsidtbl', 'generator', 'xmlnstbl', 'themedata', 'colorschememapping',
  'latentstyles', 'datastore', 'filetbl', 'revtbl', 'pgdsctbl', 'mmathPr', 'footnote', 'nonshppict',
  'author', 'operator', 'title', 'subject', 'keywords', 'comment', 'doccomm', 'company', 'buptim',
  'creatim', 'revtim', 'printim', 'userprops', 'template', 'bkmkstart', 'bkmkend', 'xe', 'tc',
]);

/** Control words that stand for characters. `\par` and `\line` are CRLF (MS-OXRTFEX 2.1.3.1.4). */
const CHAR_WORDS: Record<string, string> = {
  par: '\r\n',
  line: '\r\n',
  tab: '\t',
  lquote: '\u2018',
  rquote: '\u2019',
  ldblquote: '\u201c',
  rdblquote: '\u201d',
  bullet: '\u2022',
  endash: '\u2013',
  emdash: '\u2014',
  enspace: '\u2002',
  emspace: '\u2003',
  qmspace: '\u2005',
  zwj: '\u200d',
  zwnj: '\u200c',
  ltrmark: '\u200e',
  rtlmark: '\u200f',
};

/** Extra characters in native RTF text extraction only. */
const TEXT_ONLY_WORDS: Record<string, string> = { cell: '\t', row: '\r\n', sect: '\r\n', page: '\r\n' };

interface GroupState {
  /** Inside a destination whose content is ignored. */
  skip: boolean;
  /** Inside a {\*\htmltag} group. */
  htmltag: boolean;
  /** \htmlrtf is on: the RTF-only rendering, not part of the original. */
  htmlrtf: boolean;
  /** Font table group (to read \fN \fcharsetN). */
  fonttbl: boolean;
  /** \ucN: fallback characters after \uN. */
  uc: number;
  font: number;
}

function isLetter(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function hexVal(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/** RTF 1.9 "Control words": `\` letters, an optional signed parameter, an optional space. */
interface ControlWord {
  word: string;
  param: number | null;
  /** Where the text after the control word starts. */
  next: number;
}

function readControlWord(rtf: Uint8Array, at: number): ControlWord {
  const n = rtf.length;
  let j = at + 1;
  while (j < n && j - at <= 32 && isLetter(rtf[j]!)) j++;
  const word = String.fromCharCode(...rtf.subarray(at + 1, j));
  let param: number | null = null;
  let k = j;
  let neg = false;
  if (rtf[k] === 0x2d && isDigit(rtf[k + 1] ?? 0)) {
    neg = true;
    k++;
  }
  if (isDigit(rtf[k] ?? 0)) {
    let v = 0;
    let digits = 0;
    while (k < n && isDigit(rtf[k]!) && digits < 10) {
      v = v * 10 + (rtf[k]! - 0x30);
      k++;
      digits++;
    }
    while (k < n && isDigit(rtf[k]!)) k++; // absurdly long numbers: ignore the rest
    param = neg ? -v : v;
  }
  if (rtf[k] === 0x20) k++;
  return { word, param, next: k };
}

/** The output: bytes decoded in their code page, strings as they are, capped at `maxChars`. */
class RtfOutput {
  private readonly chunks: string[] = [];
  private chars = 0;
  private readonly pending: number[] = [];
  private pendingCp = 1252;
  full = false;

  constructor(private readonly maxChars: number) {}

  byte(b: number, cp: number): void {
    if (this.pending.length > 0 && cp !== this.pendingCp) this.flush();
    this.pendingCp = cp;
    this.pending.push(b);
    if (this.pending.length >= 65536) this.flush();
  }

  string(s: string): void {
    this.flush();
    this.push(s);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const s = decodeCodepage(Uint8Array.from(this.pending), this.pendingCp);
    this.pending.length = 0;
    this.push(s);
  }

  text(): string {
    this.flush();
    return this.chunks.join('');
  }

  private push(s: string): void {
    if (this.full || s.length === 0) return;
    if (this.chars + s.length > this.maxChars) {
      s = s.slice(0, this.maxChars - this.chars);
      this.full = true;
    }
    this.chunks.push(s);
    this.chars += s.length;
  }
}

/** The reader's state and what each RTF construct does to it. */
class Deencapsulator {
  mode: 'html' | 'text' | 'rtf' = 'rtf';
  private ansiCp = 1252;
  private readonly fontCp = new Map<number, number>();
  private defFont = -1;
  private readonly stack: GroupState[] = [];
  private st: GroupState = { skip: false, htmltag: false, htmlrtf: false, fonttbl: false, uc: 1, font: -1 };
  /** Just after '{': the next control word may be a destination. */
  private groupStart = false;
  /** Just after '{\*'. */
  private starPending = false;
  /** Fallback characters still to skip after \uN. */
  private ucSkip = 0;

  constructor(readonly out: RtfOutput) {}

  /** `{`: a new group inherits the state. */
  openGroup(): void {
    if (this.stack.length >= MAX_GROUP_DEPTH) {
      // Pathological nesting: skip the rest of this group structure as ignorable.
      this.st = { ...this.st, skip: true };
      return;
    }
    this.stack.push(this.st);
    this.st = { ...this.st };
    this.groupStart = true;
    this.starPending = false;
    this.ucSkip = 0;
  }

  /** `}`: back to the enclosing group's state; false at the end of the document. */
  closeGroup(): boolean {
    this.out.flush();
    const prev = this.stack.pop();
    if (!prev) return false; // closing brace of the document (or unbalanced)
    this.st = prev;
    this.groupStart = false;
    this.starPending = false;
    this.ucSkip = 0;
    return this.stack.length > 0;
  }

  /** A byte of document text. */
  text(b: number): void {
    this.groupStart = false;
    this.emitByte(b);
  }

  /** RTF 1.9 "Control symbols": `\` and one non-letter; returns where the text goes on. */
  controlSymbol(rtf: Uint8Array, at: number): number {
    const c = rtf[at + 1]!;
    let i = at + 2;
    const wasGroupStart = this.groupStart;
    this.groupStart = false;
    switch (c) {
      case 0x27: { // \'hh
        const hi = hexVal(rtf[i]);
        const lo = hexVal(rtf[i + 1]);
        if (hi >= 0 && lo >= 0) {
          i += 2;
          this.emitByte(hi * 16 + lo);
        }
        break;
      }
      case 0x2a: // \*
        if (wasGroupStart) {
          this.starPending = true;
          this.groupStart = true;
        }
        break;
      case 0x5c: case 0x7b: case 0x7d: // \\ \{ \}
        this.emitByte(c);
        break;
      case 0x7e: // \~
        this.emitString('\u00a0');
        break;
      case 0x5f: // \_
        this.emitString('\u2011');
        break;
      case 0x0d: case 0x0a: // \<newline> = \par
        this.emitString('\r\n');
        break;
      default:
        // \- \| \: and unknown symbols: nothing.
        break;
    }
    return i;
  }

  /** A control word; returns where the text goes on (past `\bin` data). */
  controlWord({ word, param, next }: ControlWord, length: number): number {
    const isDestinationStart = this.groupStart;
    const starred = this.starPending;
    this.groupStart = false;
    this.starPending = false;
    if (isDestinationStart && this.destination(word, starred)) return next;
    if (this.documentWord(word, param)) return next;
    // Binary data: skip it whole.
    if (word === 'bin') return param !== null && param > 0 ? Math.min(length, next + param) : next;
    this.characterWord(word, param);
    return next;
  }

  /** MS-OXRTFEX 2.1.3.1: the first control word of a group that opens a destination. True when handled. */
  private destination(word: string, starred: boolean): boolean {
    if (word === 'htmltag' && starred) {
      this.out.flush();
      this.st.htmltag = true;
      // An htmltag group is HTML even if \htmlrtf was on around it.
      this.st.htmlrtf = false;
      return true;
    }
    if (word === 'fonttbl') {
      this.out.flush();
      this.st.skip = true;
      this.st.fonttbl = true;
      return true;
    }
    if (starred || SKIP_DESTINATIONS.has(word)) {
      // Includes \*\mhtmltag: it repeats an \htmltag with MHTML-rewritten URLs; we keep the
      // original tag only.
      this.out.flush();
      this.st.skip = true;
      return true;
    }
    return false;
  }

  /** The encapsulation (\fromhtml, \fromtext, \htmlrtf) and the font table's code pages. True when handled. */
  private documentWord(word: string, param: number | null): boolean {
    const st = this.st;
    switch (word) {
      case 'fromhtml':
        if (this.stack.length <= 1 && this.mode === 'rtf') this.mode = 'html';
        return true;
      case 'fromtext':
        if (this.stack.length <= 1 && this.mode === 'rtf') this.mode = 'text';
        return true;
      case 'htmlrtf':
        this.out.flush();
        st.htmlrtf = param !== 0;
        return true;
      case 'ansicpg':
        if (param !== null && param > 0) this.ansiCp = param;
        return true;
      case 'deff':
        if (param !== null) this.defFont = param;
        return true;
      case 'f':
        if (param !== null) {
          if (!st.fonttbl && this.out.hasPending) this.out.flush();
          st.font = param;
        }
        return true;
      case 'fcharset':
        if (st.fonttbl && st.font >= 0 && param !== null) {
          const cp = CHARSET_TO_CODEPAGE[param];
          if (cp !== undefined) this.fontCp.set(st.font, cp);
        }
        return true;
      case 'cpg':
        if (st.fonttbl && st.font >= 0 && param !== null && param > 0) this.fontCp.set(st.font, param);
        return true;
      default:
        return false;
    }
  }

  /** RTF 1.5 Unicode (\uN, \ucN) and the control words that stand for characters. */
  private characterWord(word: string, param: number | null): void {
    if (word === 'uc') {
      if (param !== null && param >= 0 && param < 16) this.st.uc = param;
      return;
    }
    if (word === 'u') {
      if (param !== null) {
        const code = param < 0 ? param + 65536 : param;
        this.emitString(String.fromCharCode(code & 0xffff));
        this.ucSkip = this.st.uc;
      }
      return;
    }
    const ch = CHAR_WORDS[word] ?? (this.mode === 'rtf' ? TEXT_ONLY_WORDS[word] : undefined);
    if (ch !== undefined) {
      this.emitString(ch);
    } else if (this.ucSkip > 0) {
      // A control word counts as one fallback character.
      this.ucSkip--;
    }
  }

  private emitting(): boolean {
    if (this.st.skip) return false;
    if (this.mode === 'html') return this.st.htmltag || !this.st.htmlrtf;
    if (this.mode === 'text') return !this.st.htmlrtf;
    return true;
  }

  private textCp(): number {
    if (this.st.htmltag) return this.ansiCp;
    const f = this.st.font >= 0 ? this.st.font : this.defFont;
    return this.fontCp.get(f) ?? this.ansiCp;
  }

  private emitByte(b: number): void {
    if (this.ucSkip > 0) {
      this.ucSkip--;
      return;
    }
    if (this.emitting()) this.out.byte(b, this.textCp());
  }

  private emitString(s: string): void {
    this.ucSkip = 0;
    if (this.emitting()) this.out.string(s);
  }
}

/**
 * Extracts the original content of an RTF document: the HTML of `\fromhtml` RTF, the text of
 * `\fromtext` RTF, and a best-effort plain text of native RTF. Never throws on bad input; output is
 * capped at `maxChars` characters.
 */
export function extractFromRtf(rtf: Uint8Array, maxChars = DEFAULT_MAX_CHARS): RtfExtraction {
  const out = new RtfOutput(maxChars);
  const reader = new Deencapsulator(out);
  const n = rtf.length;
  let i = 0;
  while (i < n && !out.full) {
    const b = rtf[i]!;
    if (b === 0x7b /* { */) {
      i++;
      reader.openGroup();
    } else if (b === 0x7d /* } */) {
      i++;
      if (!reader.closeGroup()) break;
    } else if (b === 0x0d || b === 0x0a) {
      i++;
    } else if (b !== 0x5c /* \ */) {
      i++;
      reader.text(b);
    } else if (rtf[i + 1] === undefined) {
      break;
    } else if (!isLetter(rtf[i + 1]!)) {
      i = reader.controlSymbol(rtf, i);
    } else {
      i = reader.controlWord(readControlWord(rtf, i), n);
    }
  }
  const result = out.text();
  const mode = reader.mode;
  if (mode === 'html') return { kind: 'html', html: result, text: null };
  const text = mode === 'rtf' ? result.replace(/^\s+/, '') : result;
  return { kind: mode, html: null, text };
}
