import type { Attribute, ErrorCategory, SyncError } from '../../schemas/report.schema.ts';
import { collapse, withoutWhitespace, type Block, type BlockSink } from './blocks.ts';
import { categoryOfCode, categoryOfHeading, categoryOfWording, refineByAttribute, saysValueQuarantined } from './classify.ts';
import { NO_FAMILIES, findFamilies, spansWholeText, type FamilyMatch } from './families.ts';
import { fingerprintOf } from './fingerprint.ts';
import { flatHeader, hasCells, lastSentenceEnd, noCells, peelCells, rowStart, sidesOf, spacedLabels, type FlatCells, type Side } from './flat-rows.ts';
import { ERRORISH, ERRORISH_STRONG, REGION_END, REGION_START, isBoilerplate } from './markers.ts';
import { bracketIn, mentionedAttributes } from './attribute-mentions.ts';
import {
  EMAIL_RE,
  findKnownCode,
  isKnownCode,
  canonicalAttribute,
  canonicalObjectType,
  cleanAttributeValue,
  fieldRole,
  looksLikeObjectId,
  type FieldRole,
} from './vocabulary.ts';

/**
 * Turns blocks into errors. Every layout is one of three shapes: table rows (columns named
 * by a header row or recognised by content), labelled fields ("Identity: …" one per line,
 * or two-column key/value tables), and free text (the old DirSync format, pasted event
 * text). Each error sentence found becomes an error with the object named next to it; an
 * error-looking text that matches no known sentence becomes an Unknown error, never dropped.
 */

/** More fragments than an admin reads: a hostile mail must not grow this without bound. */
const MAX_UNPARSED = 200;
export interface Extraction {
  errors: SyncError[];
  unparsed: string[];
}

interface Line {
  text: string;
  region: boolean;
  /** The category of the section heading above the line, if any. */
  section?: ErrorCategory;
  /**
   * The body has an error table with a header: its errors are its rows, and text around them
   * that no known sentence explains is a note (an admin's comment between the rows of a
   * reply), kept in `unparsed` rather than made an Unknown error.
   */
  besideTable?: boolean;
}
interface Context {
  /** The category a section heading above this error named ("Duplicate Attribute"), if any. */
  section?: ErrorCategory;
  identity: string | null;
  objectType: string | null;
  onPremisesObjectId: string | null;
  errorCode: string | null;
  attributes: Attribute[];
}
const emptyContext = (section?: ErrorCategory): Context => ({ section, identity: null, objectType: null, onPremisesObjectId: null, errorCode: null, attributes: [] });

export function extractErrors(blocks: Block[]): Extraction {
  const extractor = new ErrorExtractor();
  for (const block of blocks) extractor.add(block);
  return extractor.finish();
}

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
        processRow(block.cells, block.collapsed === true, header, this.tableSections.get(block.table), this.out);
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
    processRow(block.cells, block.collapsed === true, header, this.tableSections.get(block.table) ?? this.lineSection, this.out);
  }

  finish(): Extraction {
    this.endText();
    return this.out;
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
    const lone = run.length === 1 && run[0]!.region && looksLikeIdentity(run[0]!.text) ? run[0]! : null;
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
    if (REGION_START.test(text)) this.region = true;
    else if (REGION_END.test(text)) this.region = false;
    this.run.push({ text, region: this.region, section: this.lineSection, besideTable: this.headers.size > 0 });
  }
}

/** A cell with text in it. A printable ASCII first character settles it without trimming (it runs on every cell). */
function isFilled(cell: string): boolean {
  const first = cell.charCodeAt(0);
  return (first > 0x20 && first < 0x7f) || cell.trim() !== '';
}

/** How many cells hold text (counted without building a list: it runs on every row). */
function countFilled(cells: readonly string[]): number {
  let n = 0;
  for (const c of cells) if (isFilled(c)) n++;
  return n;
}

/**
 * A two-cell row whose first cell is a field label: the one-field-per-row layout. A label
 * no word list knows ("Oggetto | luca@contoso.it") counts when its value is an address, an
 * id or an object class, or, in a table that has such rows already, an error sentence: a
 * table of "object | error" rows has no row of the first kind, so it stays a table.
 */
function asLabelLine(cells: string[], tableHasLabels: boolean): string | null {
  const filled = cells.map((c) => c.trim()).filter(Boolean);
  if (filled.length !== 2) return null;
  const [label, value] = filled as [string, string];
  if (!fieldRole(label) && !(looksLikeLabel(label) && valueRole(value, tableHasLabels))) {
    // outside a table of label rows an error sentence is no field's value (so it is not scanned)
    return null;
  }
  if (findFamilies(label).length) return null;
  return `${label.replace(/[:：]\s*$/, '')}: ${collapse(value)}`;
}

/**
 * A few words naming a field: not a value of one (an address, an id, a class, a name with a
 * number), not a sentence (its full stop, a CJK phrase, the wording of an error).
 */
function looksLikeLabel(text: string): boolean {
  if (text.length > 40 || text.split(/\s+/).length > 3 || /[\d@.。!?！？]/.test(text) || /[\u3040-\u30ff\u4e00-\u9fff]{8,}/.test(text)) return false;
  return valueRole(text) === null && !looksLikeError(text);
}

/** Column roles when this row is a header row (short cells, most of them known labels), else null. */
function headerRoles(cells: string[]): (FieldRole | null)[] | null {
  const filled = cells.filter((c) => c.trim());
  if (filled.some((c) => c.length > 40 || c.includes('@'))) return null;
  const roles = cells.map((c) => (c.trim() ? fieldRole(c) : null));
  // "Object Type | User" is a field and its value, not two column names
  if (filled.length === 2 && roles.includes('objectType') && filled.some((c) => canonicalObjectType(c))) return null;
  const known = roles.filter((r) => r !== null).length;
  if (known < 2 || known * 2 < filled.length) return null;
  if (!roles.includes('description') && !roles.includes('identity')) return null;
  return roles;
}

// ---------------------------------------------------------------------------- rows

/**
 * One table row. Every row of an error table is exactly one record: its description cells
 * are one message however many sentences they hold, and a row whose text nothing explains
 * is an Unknown record with that text, never dropped.
 */
function processRow(cells: string[], collapsed: boolean, header: (FieldRole | null)[] | null, section: ErrorCategory | undefined, out: Extraction): void {
  const ctx = emptyContext(section);
  const n = cells.length;
  const flat = collapsed ? cells : cells.map(collapse);
  const { matches, used } = scratchFor(n);
  // the description cell (the first, when several are), and how many there are
  let description = -1;
  let descriptions = 0;
  for (let i = 0; i < n; i++) {
    const cell = cells[i]!;
    const role = header?.[i] ?? null;
    // error sentences are long, and in a column of names or ids only when a cell spans into it
    matches[i] = cell.length > 24 && (!NAME_ROLES.has(role) || isSentence(cell)) ? findFamilies(cell) : NO_FAMILIES;
    // a base64 source anchor is the on-premises id whatever its column is called (a paste can shift columns)
    if (matches[i]!.length > 0 || (role === 'description' && !isObjectIdCell(flat[i]!))) {
      if (descriptions++ === 0) description = i;
      used[i] = DESCRIPTION;
    } else used[i] = FREE;
  }
  let attributeName: string | null = null;
  let attributeValue: string | null = null;
  for (let i = 0; i < n; i++) {
    const cell = flat[i]!;
    if (!cell || used[i] !== FREE) continue;
    const role = header?.[i] ?? null;
    if (role === 'ignore') used[i] = FIELD;
    else if (role === 'objectId' || ((!role || role === 'description') && !ctx.onPremisesObjectId && isObjectIdCell(cell))) ctx.onPremisesObjectId = withoutWhitespace(cell);
    else if (role === 'objectType' || (!role && !ctx.objectType && canonicalObjectType(cell))) ctx.objectType = canonicalObjectType(cell) ?? cell;
    else if (role === 'errorCode' || (!role && !ctx.errorCode && !/\s/.test(cell) && findKnownCode(cell) !== null)) readCodeOrCategory(cell, ctx);
    else if (role === 'attribute') attributeName = canonicalAttribute(cell) ?? cell;
    else if (role === 'value') attributeValue = cell;
    else if (role === 'identity') ctx.identity = identityOf(cell);
    else continue;
    used[i] = FIELD;
  }
  if (!ctx.identity) {
    const rest = flat.map((c, i) => [c, i] as const).filter(([c, i]) => c && used[i] === FREE && c.length <= 256);
    const pick = rest.find(([c]) => EMAIL_RE.test(withoutWhitespace(c))) ?? rest.find(([c]) => !isDateLike(c) && !isSentence(c) && !looksLikeError(c));
    if (pick) {
      ctx.identity = identityOf(pick[0]);
      used[pick[1]] = FIELD;
    }
  }
  if (attributeName) ctx.attributes = [{ name: attributeName, value: attributeValue ? cleanAttributeValue(attributeName, attributeValue) : null }];

  if (!descriptions) {
    // no known sentence and no description column: the longest error-looking cell is the error
    // under a header any error word will do; a loose two-cell row ("Subject | … Error Report") needs a strong sign
    const errorish = header ? looksLikeError : looksLikeErrorStrongly;
    for (let i = 0; i < n; i++) {
      const c = flat[i]!;
      if (used[i] === FREE && (description < 0 || c.length > flat[description]!.length) && isProse(c) && errorish(c)) description = i;
    }
    if (description >= 0) descriptions = 1;
  }
  if (descriptions === 1) {
    // the common row: one description cell, already collapsed above
    if (flat[description]) out.errors.push(record(cells[description]!, primary(matches[description]!), ctx, flat[description]));
    else if (header && (hasObject(ctx) || ctx.errorCode)) out.errors.push(record(flat.filter(Boolean).join(' | '), null, ctx));
    return;
  }
  const several = cells.map((_, i) => i).filter((i) => used[i] === DESCRIPTION);
  const text = several.map((i) => cells[i]!).filter(isFilled).join('\n');
  if (text) out.errors.push(record(text, primary(several.flatMap((i) => matches[i]!)), ctx));
  else if (header && (hasObject(ctx) || ctx.errorCode)) out.errors.push(record(flat.filter(Boolean).join(' | '), null, ctx));
}

/** What a row's cell turned out to be: not yet known, a description, or a field (or nothing to read). */
const FREE = 0;
const DESCRIPTION = 1;
const FIELD = 2;

/**
 * Per-cell working space of processRow, kept from row to row (it never runs inside itself):
 * fresh arrays for each of 10,000 rows were a good part of what the garbage collector had to do.
 */
let scratch = { matches: new Array<readonly FamilyMatch[]>(8), used: new Uint8Array(8) };
function scratchFor(cells: number): typeof scratch {
  if (cells > scratch.used.length) scratch = { matches: new Array<readonly FamilyMatch[]>(cells), used: new Uint8Array(cells) };
  return scratch;
}

const NAME_ROLES = new Set<FieldRole | null>(['identity', 'objectId', 'objectType', 'value', 'ignore']);

/** An error-code cell: a documented code, or a Connect Health category name ("Duplicate Attribute"). */
function readCodeOrCategory(cell: string, ctx: Context): void {
  const code = asCode(cell);
  // a plain word ("Other", "Quota") is a category's name: codes are documented names, or run words together (LargeObject) or hold digits
  if (code && (isKnownCode(code) || /[a-z][A-Z]|\d/.test(code))) ctx.errorCode = code;
  else ctx.section = categoryOfHeading(cell) ?? ctx.section;
}

/** The sentence that explains a text: a full sentence before a bare code word. */
function primary(matches: readonly FamilyMatch[]): FamilyMatch | null {
  return matches.find((m) => !m.codeWord) ?? matches[0] ?? null;
}

// ---------------------------------------------------------------------------- lines

interface Group {
  fields: Map<FieldRole, string>;
  desc: Line[] | null;
  free: Line[];
  section?: ErrorCategory;
}

const LABEL_RE = /^([^:：]{1,40}?)\s*[:：]\s*(.*)$/;
const BARE_LABEL_RE = /^(ErrorType|ErrorCode|ErrorLiteral|ServerErrorDetail|CsObjectIdentifier|Dn)\s+(\S.*)$/;
const BARE_ROLES: Record<string, FieldRole> = {
  ErrorType: 'ignore',
  ErrorCode: 'ignore',
  ErrorLiteral: 'description',
  ServerErrorDetail: 'ignore',
  CsObjectIdentifier: 'objectId',
  Dn: 'ignore',
};

/** `inferred`: the roles of labels the vocabulary does not know, told by their values (inferLabelRoles). */
function parseLabel(text: string, inferred: ReadonlyMap<string, FieldRole> = NO_INFERRED): { role: FieldRole; value: string } | null {
  const bare = BARE_LABEL_RE.exec(text);
  if (bare) return { role: BARE_ROLES[bare[1]!]!, value: bare[2]! };
  const m = LABEL_RE.exec(text);
  if (!m) return null;
  const role = fieldRole(m[1]!) ?? inferred.get(labelKey(m[1]!));
  return role ? { role, value: m[2]!.trim() } : null;
}

const NO_INFERRED: ReadonlyMap<string, FieldRole> = new Map();
const labelKey = (label: string): string => label.trim().toLowerCase();

/** What a labelled line's value reads as on its own: an id, an object class, a UPN or address, or (`sentences`) an error sentence. */
function valueRole(value: string, sentences = true): FieldRole | null {
  const v = value.trim();
  if (looksLikeObjectId(v)) return 'objectId';
  if (canonicalObjectType(v)) return 'objectType';
  if (EMAIL_RE.test(v)) return 'identity';
  return sentences && v.length >= 30 && findFamilies(v).length ? 'description' : null;
}

/**
 * Field labels in a language (or wording) the vocabulary does not know, read by meaning:
 * "Errore: Unable to update this object…" is a description whatever "Errore" means, so is
 * "Oggetto: luca@contoso.it" an object (Italian "Oggetto" is also a forward's Subject: line,
 * which is why no word list can hold it). A label qualifies when every value it has in the
 * run reads as the same field, and that field has no known label there; besides the error
 * sentence itself, only in a run that has one (a lone "To: someone@…" is not an object). An
 * id label must recur (one per error) or follow an error sentence: a report's own "Tenant
 * ID: <guid>" above its errors is no object's.
 */
function inferLabelRoles(lines: Line[]): ReadonlyMap<string, FieldRole> {
  const votes = new Map<string, FieldRole | null>();
  const seen = new Map<string, number>();
  const known = new Set<FieldRole>();
  /** Labels first seen after an error sentence (a known description label or a value that reads as one). */
  const afterError = new Set<string>();
  let errorSeen = false;
  for (const line of lines) {
    const m = LABEL_RE.exec(line.text);
    if (!m || BARE_LABEL_RE.test(line.text)) continue;
    const role = fieldRole(m[1]!);
    if (role) {
      known.add(role);
      errorSeen ||= role === 'description';
      continue;
    }
    // a label is a few words, not a sentence ending in a colon
    if (!looksLikeLabel(m[1]!.trim())) continue;
    const key = labelKey(m[1]!);
    const vote = valueRole(m[2]!);
    votes.set(key, votes.has(key) && votes.get(key) !== vote ? null : vote);
    if (errorSeen && !seen.has(key)) afterError.add(key);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    errorSeen ||= vote === 'description';
  }
  const inferred = new Map<string, FieldRole>();
  for (const [key, role] of votes) if (role && !known.has(role) && (role !== 'objectId' || seen.get(key)! > 1 || afterError.has(key))) inferred.set(key, role);
  const hasDescription = known.has('description') || [...inferred.values()].includes('description');
  if (!hasDescription) return NO_INFERRED;
  // two labels read as one field (an address in "Oggetto:" and in "A:"): neither is trusted
  const counts = new Map<FieldRole, number>();
  for (const role of inferred.values()) counts.set(role, (counts.get(role) ?? 0) + 1);
  for (const [key, role] of inferred) if (counts.get(role)! > 1) inferred.delete(key);
  return inferred.size ? inferred : NO_INFERRED;
}

/** A run of lines: labelled fields are grouped into records (a repeated label starts the next one). */
function processLines(lines: Line[], out: Extraction): void {
  const inferred = inferLabelRoles(lines);
  const spaced = spacedLabels(lines);
  let group: Group = { fields: new Map(), desc: null, free: [] };
  const flush = (): void => {
    emitGroup(group, out);
    group = { fields: new Map(), desc: null, free: [] };
  };
  const first = lines[0];
  // a label whose value a mail client wrapped onto the next line ("On-premises object ID:\n<id>")
  let awaiting: FieldRole | null = null;
  for (const line of lines) {
    group.section ??= line.section ?? first?.section;
    const label = spaced.get(line) ?? parseLabel(line.text, inferred);
    if (!label) {
      if (awaiting) group.fields.set(awaiting, line.text.trim());
      else (group.desc ?? group.free).push(line);
      awaiting = null;
      continue;
    }
    awaiting = null;
    if (label.role === 'ignore') continue;
    if (!label.value && label.role !== 'description') {
      if (group.fields.has(label.role)) flush();
      awaiting = label.role;
      continue;
    }
    if (label.role === 'description' ? group.desc !== null : group.fields.has(label.role)) flush();
    if (label.role === 'description') group.desc = [{ text: label.value, region: true, section: line.section }];
    else group.fields.set(label.role, label.value);
  }
  flush();
}

function emitGroup(group: Group, out: Extraction): void {
  const ctx = emptyContext(group.section);
  const f = group.fields;
  if (f.has('identity')) ctx.identity = cleanIdentity(f.get('identity')!);
  if (f.has('objectId')) ctx.onPremisesObjectId = withoutWhitespace(f.get('objectId')!) || null;
  if (f.has('objectType')) ctx.objectType = canonicalObjectType(f.get('objectType')!) ?? f.get('objectType')!;
  if (f.has('errorCode')) readCodeOrCategory(f.get('errorCode')!, ctx);
  if (f.has('attribute')) {
    const name = canonicalAttribute(f.get('attribute')!) ?? f.get('attribute')!;
    const value = f.get('value');
    ctx.attributes = [{ name, value: value ? cleanAttributeValue(name, value) : null }];
  }
  let emitted = 0;
  if (group.desc) {
    // Event Viewer's "Description:" opens with "ECMA2 MA export run caused an error.": furniture, not an error
    const desc = group.desc.filter((l) => !isBoilerplate(l.text));
    const text = desc.map((l) => l.text).join('\n');
    emitted += emitFromText(text, findFamilies(text), ctx, out, true);
  }
  emitted += processFree(group.free, group.desc || !hasObject(ctx) ? emptyContext(ctx.section) : ctx, out);
  if (!emitted && hasObject(ctx) && (ctx.errorCode || ctx.attributes.length)) {
    // an object with an error name or attribute but no sentence: an error all the same
    out.errors.push(record([...f.entries()].map(([k, v]) => `${k}: ${v}`).join('; '), null, ctx));
  } else if (!emitted && hasObject(ctx) && out.unparsed.length < MAX_UNPARSED) {
    out.unparsed.push([...f.entries()].map(([k, v]) => `${k}: ${v}`).join('; '));
  }
}

/**
 * Free text (old DirSync format, pasted text, a table flattened to words by lynx): each known
 * sentence is an error; the line before it, or the words before it on its line, may name the
 * object. A header line of column names alone says which cells stand before each sentence and
 * which after it (flat-rows.ts).
 */
function processFree(lines: Line[], ctx: Context, out: Extraction): number {
  if (!lines.length) return 0;
  const text = lines.map((l) => l.text).join('\n');
  const starts: number[] = [];
  let pos = 0;
  for (const l of lines) {
    starts.push(pos);
    pos += l.text.length + 1;
  }
  const lineAt = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const lineEnd = (line: number): number => starts[line]! + lines[line]!.text.length;
  const found = findFamilies(text);
  const header = flatHeader(lines, found.length ? lineAt(found[0]!.start) : lines.length);
  const sides = sidesOf(header?.roles ?? null);
  // under a header with an error-name column, a bare error name is that cell: the description is the text after it
  const matches = header?.roles.includes('errorCode') ? found.filter((m) => !m.codeWord) : found;
  let emitted = 0;
  let from = 0; // first line not yet consumed
  for (const [k, match] of matches.entries()) {
    const first = lineAt(match.start);
    const sameLinePrefix = text.slice(starts[first]!, match.start).trim();
    const row: Context = { ...ctx, section: ctx.section ?? lines[first]!.section };
    let leftoverEnd = first;
    // under a header that puts the name after the description, the line before a sentence ends the row before
    const previous = first > from && !sides.after?.hasIdentity ? lines[first - 1]! : null;
    if (!row.identity && !sameLinePrefix && previous && previous !== header?.line && looksLikeIdentity(previous.text)) {
      row.identity = cleanIdentity(previous.text);
      leftoverEnd = first - 1;
    } else if (!row.identity && sameLinePrefix) {
      const before = peelCells(sameLinePrefix.replace(/[|:,-]\s*$/, ''), sides.before);
      if (!before.identity || looksLikeIdentity(before.identity)) fillRow(row, before);
    }
    emitted += leftovers(lines.slice(from, leftoverEnd), out, header);
    from = lineAt(Math.max(match.start, match.end - 1)) + 1;
    // the row's cells after its sentence: on the same line (lynx), or the line after it (a
    // table pasted one cell per line: the anchor alone; lynx: the cells the line wrapped)
    const after = text.slice(match.end, lineEnd(from - 1)).trim();
    const nextMatchLine = k + 1 < matches.length ? lineAt(matches[k + 1]!.start) : lines.length;
    const next = from < nextMatchLine ? lines[from]!.text.trim() : '';
    if (hasCells(sides.after)) {
      // a name may wrap onto the next line with the cells after it ("… values. O'Neil" / "Consulting 3 Contact 8iH6…=="),
      // or be all that line holds (the next row's description is a longer line)
      const wrapped = next ? cellsAfter(`${after} ${next}`, row, sides.after) : NO_CELLS;
      if (wrapped.objectId || wrapped.objectType || (wrapped.identity && next.split(/\s+/).length <= 4)) {
        fillRow(row, wrapped);
        from++;
      } else if (after) fillRow(row, cellsAfter(after, row, sides.after));
    } else {
      if (after) fillRow(row, cellsAfter(after, row, sides.after));
      if (next && !row.onPremisesObjectId && looksLikeObjectId(next)) {
        row.onPremisesObjectId = next;
        from++;
      }
    }
    emitted += emitFromText(text, [match], row, out, false);
  }
  emitted += leftovers(lines.slice(from), out, header);
  return emitted;
}

const NO_CELLS: FlatCells = noCells();

/** The cells in words after a sentence, when all of them are cells (a name only where the header has one after the description and the row has none yet). */
function cellsAfter(words: string, row: Context, side: Side | null): FlatCells {
  const cells = peelCells(words, side);
  if (!cells.identity) return cells;
  return side?.hasIdentity && !row.identity && looksLikeIdentity(cells.identity) ? cells : NO_CELLS;
}

/** Fills what the row does not know yet from a flattened row's cells. */
function fillRow(row: Context, cells: FlatCells): void {
  if (cells.identity && !row.identity) row.identity = cleanIdentity(cells.identity);
  row.objectType ??= cells.objectType;
  row.onPremisesObjectId ??= cells.objectId;
  row.errorCode ??= cells.errorCode;
}

/**
 * Lines around known errors: inside the error list, error-looking text is an Unknown error.
 * Under a flattened header whose cells follow the description, the words after a paragraph's
 * last sentence that are all cells ("… try again. Lee Gu User Xy1Wz2…==") are its object.
 */
function leftovers(lines: Line[], out: Extraction, header: { line: Line; roles: FieldRole[] } | null = null): number {
  let emitted = 0;
  let pending: Line[] = [];
  let identity: string | null = null;
  let lead: FlatCells = NO_CELLS;
  const { before, after } = sidesOf(header?.roles ?? null);
  const flush = (): void => {
    let text = pending.map((l) => l.text).join(' ');
    const errorish = pending.length > 0 && (ERRORISH_STRONG.test(text) || categoryOfWording(text) !== null);
    if (errorish && pending[0]!.besideTable) {
      // a note beside an error table's rows: the admin reads it in unparsed, and the name above it is spent as before
      if (out.unparsed.length < MAX_UNPARSED) out.unparsed.push(collapse(text));
      identity = null;
    } else if (errorish) {
      const row = { ...emptyContext(pending[0]!.section), identity };
      fillRow(row, lead);
      if (hasCells(after)) {
        const cut = lastSentenceEnd(text);
        const cells = cut > 0 ? cellsAfter(text.slice(cut), row, after) : NO_CELLS;
        if (cells.objectId || cells.objectType || cells.identity) {
          fillRow(row, cells);
          text = text.slice(0, cut);
        }
      }
      emitted += emitFromText(text, [], row, out, true);
      identity = null;
    }
    pending = [];
    lead = NO_CELLS;
  };
  for (const line of lines) {
    if (!line.region || isBoilerplate(line.text) || line === header?.line) {
      flush();
      continue;
    }
    // under a header that puts the name first, a line that starts with a name (an address, or words a cell ends) starts a row (lynx)
    const start = rowStart(line.text, before);
    if (start) {
      flush();
      lead = start.cells;
      if (start.rest) pending.push({ ...line, text: start.rest });
      continue;
    }
    if (!pending.length && looksLikeIdentity(line.text)) {
      // a short line with no error after it names nothing that failed (often a wrapped heading)
      identity = cleanIdentity(line.text);
      continue;
    }
    // a paragraph is one error: its sentences may be wrapped anywhere, so no split at full stops
    pending.push(line);
  }
  flush();
  return emitted;
}

// ---------------------------------------------------------------------------- emitting

/**
 * Emits one error per match in `text` (or one Unknown error for the whole text when no
 * sentence matched and `unknownIfNone`). With a single match in a cell or field, the
 * whole text is the message; otherwise each message runs from its sentence to the next.
 */
function emitFromText(text: string, matches: readonly FamilyMatch[], ctx: Context, out: Extraction, wholeText: boolean): number {
  if (!matches.length) {
    if (!wholeText || !collapse(text)) return 0;
    out.errors.push(record(text, null, ctx));
    return 1;
  }
  for (const m of matches) out.errors.push(record(wholeText && matches.length === 1 ? text : text.slice(m.start, m.end), m, ctx));
  return matches.length;
}

/**
 * One record. Its category comes from what the report states before what it words: a
 * documented error name, then the English sentence, then a section heading, then the
 * wording in any language we know, then a bracket of values (the duplicate format).
 */
function record(text: string, match: FamilyMatch | null, ctx: Context, message = collapse(text)): SyncError {
  // a known English sentence places its own attributes; only other texts are searched by form
  const sentence = match && !match.codeWord ? match : null;
  // a code stands beside the sentence ("0x8023134a AttributeValueMustBeUnique: Unable to …"),
  // so a text that is the sentence and nothing else has none, and is not searched (nor is a
  // value in its brackets that spells one, "[ProxyAddresses SMTP:AccessDenied@x.com;]", taken
  // for one; with other text beside the sentence the whole text is searched, as before)
  const errorCode = ctx.errorCode ?? match?.errorCode ?? (sentence && spansWholeText(sentence, text) ? null : findKnownCode(message));
  // a row's own attribute and value columns say more than the names its text mentions
  const attributes = match?.attributes.length
    ? match.attributes
    : ctx.attributes.some((a) => a.value)
      ? ctx.attributes
      : ((sentence ? bracketIn(message) : mentionedAttributes(message)) ?? ctx.attributes);
  const section = ctx.section === 'Unknown' ? undefined : ctx.section;
  const category = refineByAttribute(
    categoryOfCode(errorCode) ??
      sentence?.category ??
      section ??
      categoryOfWording(message) ??
      (attributes.some((a) => a.value) ? 'DuplicateAttribute' : undefined) ??
      match?.category ??
      'Unknown',
    attributes,
  );
  const { identity, objectType, onPremisesObjectId } = ctx;
  const fingerprint = fingerprintOf(category, identity ?? onPremisesObjectId, attributes, message);
  // each record whole in one literal: a property added later would give it a second shape
  return category === 'DuplicateAttribute' && (sentence ? sentence.valueQuarantined : saysValueQuarantined(message))
    ? { identity, objectType, onPremisesObjectId, message, category, errorCode, attributes, valueQuarantined: true, fingerprint }
    : { identity, objectType, onPremisesObjectId, message, category, errorCode, attributes, fingerprint };
}

// ---------------------------------------------------------------------------- small judgements

/** An anchor (24 characters) or GUID (36–38): short, so long description cells skip the test. */
function isObjectIdCell(cell: string): boolean {
  return cell.length <= 64 && looksLikeObjectId(cell);
}

function hasObject(ctx: Context): boolean {
  return !!(ctx.identity || ctx.onPremisesObjectId);
}

/** Error text in any language we know, or a value list in Microsoft's bracket format. */
function looksLikeErrorStrongly(text: string): boolean {
  return ERRORISH_STRONG.test(text) || categoryOfWording(text) !== null || bracketIn(text) !== null;
}

function looksLikeError(text: string): boolean {
  return ERRORISH.test(text) || categoryOfWording(text) !== null || bracketIn(text) !== null;
}

function asCode(cell: string): string | null {
  const t = collapse(cell);
  if (/^[A-Za-z][A-Za-z0-9]+$/.test(t)) return t;
  if (/^Error\s+0?16$/i.test(t)) return 'Error 016';
  return findKnownCode(t);
}

function cleanIdentity(text: string): string | null {
  return identityOf(collapse(text));
}

/** `cleanIdentity` of a text already collapsed (a row's cells are). */
function identityOf(flat: string): string | null {
  const t = flat.length >= 7 && (flat.charCodeAt(0) | 0x20) === 0x6d /* m */ ? flat.replace(/^mailto:/i, '') : flat;
  // the placeholders are at most seven characters, or all dashes
  if ((t.length <= 7 || t.charCodeAt(0) === 0x2d) && /^(?:n\/?a|none|-+|\(none\)|null|unknown)$/i.test(t)) return null;
  // a quote mark or a dash left from the text around an error names no object
  if (t.length <= 3 && !/[\p{L}\p{N}]/u.test(t)) return null;
  const angle = t.includes('<') ? /<([^<>\s]+@[^<>\s]+)>/.exec(t) : null;
  if (angle) return angle[1]!;
  if (!t.includes('@')) return t; // most identities are names: no address to clean up
  const compact = withoutWhitespace(t);
  return EMAIL_RE.test(compact) ? compact : t;
}

function looksLikeIdentity(text: string): boolean {
  const t = text.trim();
  if (EMAIL_RE.test(t)) return true;
  if (!t || t.length > 80 || t.split(/\s+/).length > 6) return false;
  return !/[:.!?]$/.test(t) && !t.includes(':') && !isBoilerplate(t) && !ERRORISH.test(t) && !isDateLike(t);
}

/** Three words or more (or a CJK phrase): a label such as "Subject: Sync Error Report" is not an error. */
function isProse(text: string): boolean {
  return text.split(/\s+/).length >= 3 || /[\u3040-\u30ff\u4e00-\u9fff]{6,}/.test(text);
}

/** More than eight words, counted in one pass without splitting (it runs on every long cell). */
function isSentence(text: string): boolean {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 10 || c === 9 || c === 13 || c === 160;
    if (!space && !inWord && ++words > 8) return true;
    inWord = !space;
  }
  return false;
}

function isDateLike(text: string): boolean {
  return /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?$/.test(text.trim()) || /^\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?$/i.test(text.trim());
}
