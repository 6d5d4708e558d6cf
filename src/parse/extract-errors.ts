import type { ErrorCategory } from '../../schemas/report.schema.ts';
import type { Block, BlockSink } from './blocks.ts';
import { bracketIn } from './attribute-mentions.ts';
import { categoryOfHeading, categoryOfWording } from './classify.ts';
import { REGION_END, REGION_START, UNABLE_TO_UPDATE } from './markers.ts';
import { isKnownCode, type FieldRole } from './vocabulary.ts';
import { processLines, type Line } from './extract-lines.ts';
import { looksLikeErrorStrongly, looksLikeIdentity, MAX_UNPARSED, type Extraction } from './extract-record.ts';
import { asLabelLine, countFilled, headerRoles, isFilled, processRow } from './extract-rows.ts';

/*
 * Turns blocks into errors. Every layout is one of three shapes: table rows (columns named
 * by a header row or recognised by content), labelled fields ("Identity: …" one per line,
 * or two-column key/value tables), and free text (the old DirSync format, pasted event
 * text). Each error sentence found becomes an error with the object named next to it; an
 * error-looking text that matches no known sentence becomes an Unknown error, never dropped.
 */

export type { Extraction } from './extract-record.ts';

/**
 * The errors of one body, block by block as the reader makes them. A class rather than
 * closures made per body: a method keeps its optimised code from one mail to the next (see
 * html-tokens.ts).
 */
export class ErrorExtractor implements BlockSink {
  private readonly out: Extraction = { errors: [], unparsed: [] };
  private readonly headers = new Map<number, (FieldRole | null)[]>();
  /** The category the last section heading named, per table (rows) and in the text (lines). */
  private readonly tableSections = new Map<number, ErrorCategory | undefined>();
  private lineSection: ErrorCategory | undefined;
  private readonly tablesSeen = new Set<number>();
  /** Tables with "label | value" rows: an unknown label's error sentence is one more field there. */
  private readonly labelTables = new Set<number>();
  private region = false;
  private run: Line[] = [];
  /** A paragraph of one line naming an object, in the error list: the error may be the next paragraph. */
  private heldName: Line | null = null;
  /** Indexes of records taken back since the last takeDropped(). */
  private dropped: number[] = [];

  /** Tables a row of which made a record. */
  private readonly recordTables = new Set<number>();
  /** Tables with a row that named an object beside a sentence no rule read (a language none knows). */
  private readonly unreadTables = new Set<number>();

  /**
   * `anyLanguage`: the tables (by their index in the body) whose rows are read in any language,
   * a sentence beside an object's name being the row's error: a second reading of the tables
   * the first found such rows in (tablesToReadAgain), never the first reading of a mail (a
   * note's or a signature's table would be errors).
   */
  constructor(private readonly anyLanguage: ReadonlySet<number> = NO_TABLES) {}

  /**
   * The tables to read again in any language: those where such rows stood beside rows read as
   * errors (a report whose rows are partly in words no rule knows); when no row of the body was
   * read at all, every table with such rows (the caller reads them only in a mail that says it is a report).
   */
  tablesToReadAgain(): Set<number> {
    if (!this.out.errors.length) return new Set(this.unreadTables);
    return new Set([...this.unreadTables].filter((t) => this.recordTables.has(t)));
  }

  /** Records made so far. */
  get count(): number {
    return this.out.errors.length;
  }

  add(block: Block): void {
    if (block.kind === 'break') {
      this.flushRun();
      return;
    }
    if (block.kind === 'line') {
      this.pushLine(block.text);
      return;
    }
    if (block.cutOff) {
      // half a row may be half a value ("SMTP:bob@north"): a problem that does not exist, kept as text
      this.endText();
      if (this.out.unparsed.length < MAX_UNPARSED) this.out.unparsed.push(`a row the mail's cut-off end left unfinished: ${block.cells.filter(isFilled).join(' | ')}`);
      return;
    }
    const header = this.headers.get(block.table) ?? null;
    const filled = countFilled(block.cells);
    if (filled === 1) {
      const only = block.cells.find(isFilled)!;
      const heading = categoryOfHeading(only);
      if (header && (heading !== undefined || !looksLikeErrorStrongly(only))) {
        // a section heading or a footer across the table ("Duplicate Attribute", "Total: 2 errors"): never an error
        this.tableSections.set(block.table, heading);
        return;
      }
      if (header) {
        // a row with only its description filled (a tenant-level error): still one record
        this.endText();
        this.readRow(block, header, this.tableSections.get(block.table));
        return;
      }
      for (const l of only.split('\n')) this.pushLine(l);
      return;
    }
    // Only a table's first row can be its header; later two-cell rows may be "label | value" pairs.
    const firstRow = !this.tablesSeen.has(block.table);
    this.tablesSeen.add(block.table);
    const roles = firstRow ? headerRoles(block.cells) : null;
    if (roles) {
      this.endText();
      this.takeBackLoose();
      this.headers.set(block.table, roles);
      this.region = true;
      return;
    }
    const labelRow = filled === 2 ? asLabelLine(block.cells, this.labelTables.has(block.table)) : null;
    if (labelRow) {
      this.labelTables.add(block.table);
      this.pushLine(labelRow);
      return;
    }
    this.endText();
    this.readRow(block, header, this.tableSections.get(block.table) ?? this.lineSection);
  }

  private readRow(block: Extract<Block, { kind: 'row' }>, header: (FieldRole | null)[] | null, section: ErrorCategory | undefined): void {
    const before = this.out.errors.length;
    const unread = processRow(block.cells, block.collapsed === true, header, section, this.out, this.anyLanguage.has(block.table));
    if (this.out.errors.length > before) this.recordTables.add(block.table);
    else if (unread) this.unreadTables.add(block.table);
  }

  finish(): Extraction {
    this.endText();
    // prose beside real errors (a note, a disclaimer, how-to steps) names nothing that failed:
    // only a report that holds nothing else keeps it as its errors
    if (this.out.loose?.length && this.out.loose.length < this.out.errors.length) this.takeBackLoose();
    delete this.out.loose;
    return this.out;
  }

  /** Where records made earlier were taken back (their indexes then, in order): a reader that keeps something per record drops those. */
  takeDropped(): number[] {
    const dropped = this.dropped;
    this.dropped = [];
    return dropped;
  }

  /**
   * The prose records made so far (Extraction.loose) introduced an error table, or stood beside
   * real errors: kept as text the admin may read, not as errors.
   */
  private takeBackLoose(): void {
    for (const e of this.out.loose ?? []) {
      const at = this.out.errors.indexOf(e);
      if (at < 0) continue;
      this.out.errors.splice(at, 1);
      this.dropped.push(at);
      if (this.out.unparsed.length < MAX_UNPARSED) this.out.unparsed.push(e.message);
    }
    this.out.loose = [];
  }

  /** Text ends (a table row, the end): what it holds is read now. */
  private endText(): void {
    this.flushRun();
    this.releaseName();
  }

  /** A held name that no error paragraph followed: read alone, as it was. */
  private releaseName(): void {
    if (this.heldName) processLines([this.heldName], this.out);
    this.heldName = null;
  }

  private flushRun(): void {
    if (!this.run.length) return; // before most rows: no lines since the last one
    const run = this.run;
    this.run = [];
    // a name, or an error's name, alone in its paragraph: the error it is of may be the next paragraph
    const lone = run.length === 1 && run[0]!.region && (looksLikeIdentity(run[0]!.text) || isKnownCode(run[0]!.text.trim())) ? run[0]! : null;
    if (this.heldName && !lone) {
      // a name alone in its paragraph, then the error in the next (a copy with a blank line after each cell)
      const held = this.heldName;
      this.heldName = null;
      return processLines([held, ...run], this.out);
    }
    this.releaseName();
    if (lone) this.heldName = lone;
    else processLines(run, this.out);
  }

  private pushLine(text: string): void {
    const heading = categoryOfHeading(text);
    if (heading !== undefined) {
      this.lineSection = heading;
      return;
    }
    if (REGION_START.test(text) || (!this.region && translatedRow(text))) this.region = true;
    else if (REGION_END.test(text)) this.region = false;
    this.run.push({ text, region: this.region, section: this.lineSection, besideTable: this.headers.size > 0 });
  }
}

const NO_TABLES: ReadonlySet<number> = new Set();

/**
 * "Unable to update this object" in one of Microsoft's translations, with what the error is about
 * (a bracketed attribute list, or an error's wording): a row that starts the list even with no
 * English lead-in above it (a Japanese row quoted by Microsoft Japan's blog, a Chinese
 * one). The words alone are no row: a forwarder's German note saying them is prose.
 * English needs no such rule: its sentences are read wherever they are.
 */
function translatedRow(text: string): boolean {
  return UNABLE_TO_UPDATE.test(text) && (bracketIn(text) !== null || categoryOfWording(text) !== null);
}
