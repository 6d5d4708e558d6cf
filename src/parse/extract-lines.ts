import type { ErrorCategory } from '../../schemas/report.schema.ts';
import { collapse, withoutWhitespace } from './blocks.ts';
import { categoryOfWording } from './classify.ts';
import { findFamilies } from './families.ts';
import { flatHeader, hasCells, lastSentenceEnd, nameBeforeSentence, noCells, peelCells, rowStart, sidesOf, spacedLabels, type FlatCells, type Side } from './flat-rows.ts';
import { ERRORISH_STRONG, isBoilerplate, UNABLE_TO_UPDATE } from './markers.ts';
import { EMAIL_RE, canonicalAttribute, canonicalObjectType, cleanAttributeValue, fieldRole, looksLikeObjectId, type FieldRole } from './vocabulary.ts';
import {
  MAX_UNPARSED,
  cleanIdentity,
  emitFromText,
  emptyContext,
  hasObject,
  looksLikeError,
  looksLikeIdentity,
  readCodeOrCategory,
  record,
  type Context,
  type Extraction,
} from './extract-record.ts';

/** Text as lines: labelled fields grouped into records ("Identity: …" one per line), and free text read sentence by sentence. */

export interface Line {
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

/**
 * A few words naming a field: not a value of one (an address, an id, a class, a name with a
 * number), not a sentence (its full stop, a CJK phrase, the wording of an error).
 */
export function looksLikeLabel(text: string): boolean {
  if (text.length > 40 || text.split(/\s+/).length > 3 || /[\d@.。!?！？]/.test(text) || /[\u3040-\u30ff\u4e00-\u9fff]{8,}/.test(text)) return false;
  return valueRole(text) === null && !looksLikeError(text);
}
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
export function valueRole(value: string, sentences = true): FieldRole | null {
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
export function processLines(lines: Line[], out: Extraction): void {
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
    const label = errorAsDescription(spaced.get(line) ?? parseLabel(line.text, inferred));
    if (!label) {
      // a known error sentence is never a wrapped value ("User:" with nothing after it, then the quota error)
      if (awaiting && !startsWithKnownError(line.text.trim())) group.fields.set(awaiting, line.text.trim());
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
    if (label.role === 'description') group.desc = [{ text: label.value, region: true, section: line.section, besideTable: line.besideTable }];
    else group.fields.set(label.role, label.value);
  }
  flush();
}

/** Whether a text opens with one of Microsoft's error sentences (not an error's name alone, "DataValidationFailed"). */
function startsWithKnownError(text: string): boolean {
  const first = findFamilies(text)[0];
  return first?.start === 0 && !first.codeWord;
}

/** "User: Error 016: Synchronization has been stopped. …": a field whose value is an error sentence is that error's description. */
function errorAsDescription(label: { role: FieldRole; value: string } | null): { role: FieldRole; value: string } | null {
  return label && label.role !== 'description' && label.role !== 'errorCode' && label.value && startsWithKnownError(label.value) ? { ...label, role: 'description' } : label;
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
    const matches = findFamilies(text);
    if (!matches.length && group.desc[0]?.besideTable && !hasObject(ctx) && !ctx.attributes.some((a) => a.value)) {
      // "Error: …" beside an error table's rows, naming nothing: a note, as in leftovers
      if (text && out.unparsed.length < MAX_UNPARSED) out.unparsed.push(collapse(text));
    } else {
      const made = emitFromText(text, matches, ctx, out, true);
      emitted += matches.length ? made : markLoose(out, made);
    }
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
    // a sentence about the whole tenant ("This company has exceeded the number of objects …") names no object
    const aboutTenant = match.category === 'QuotaExceeded';
    const before = sameLinePrefix && !aboutTenant ? peelCells(sameLinePrefix.replace(/[|:,-]\s*$/, ''), sides.before) : null;
    if (!row.identity && before && (!before.identity || looksLikeIdentity(before.identity))) fillRow(row, before);
    // the name on the line above, alone or with the cells lynx wrapped before the sentence
    // ("alex@contoso.com User AttributeValueMustBeUnique" / "Unable to update …"; "cloud.admin@… User" /
    // "DeletingCloudOnlyObjectNotAllowed Deleting a …")
    const above = !row.identity && !aboutTenant && (!before || !before.identity) && previous && previous !== header?.line ? peelCells(previous.text, sides.before) : null;
    if (above?.identity && looksLikeIdentity(above.identity)) {
      fillRow(row, above);
      leftoverEnd = first - 1;
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

/**
 * Of the `made` records just made from text no known sentence explains, those that name no
 * object and no value: provisional (Extraction.loose). Returns `made`.
 */
function markLoose(out: Extraction, made: number): number {
  if (made) for (const e of out.errors.slice(-made)) if (!e.identity && !e.onPremisesObjectId && !e.attributes.some((a) => a.value)) (out.loose ??= []).push(e);
  return made;
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
 * `line` may be the part of a text wrapped after `above`: its first word did not fit on that
 * line, as wide as the longest (the wrapper's limit may be a few columns more, but a line that
 * may have ended its sentence there may as well go on with one in German: "… [ProxyAddresses
 * SMTP:…;]." / "Korrigieren Sie …").
 */
function wrapsOn(above: Line, line: Line, width: number): boolean {
  const space = line.text.indexOf(' ');
  return above.text.length + 1 + (space < 0 ? line.text.length : space) > width;
}

/**
 * Lines around known errors: inside the error list, error-looking text is an Unknown error.
 * Under a flattened header whose cells follow the description, the words after a paragraph's
 * last sentence that are all cells ("… try again. Lee Gu User Xy1Wz2…==") are its object.
 */
function leftovers(lines: Line[], out: Extraction, header: { line: Line; roles: FieldRole[] } | null = null): number {
  let emitted = 0;
  let pending: Line[] = [];
  // whether the pending paragraph reads as an error so far, and its end: each line is tested with
  // the end before it (a phrase wrapped across lines), never the whole paragraph again (a
  // paragraph of 30,000 lines took a minute)
  let pendingReads = false;
  let pendingEnd = '';
  const addPending = (line: Line): void => {
    const joined = pendingEnd ? `${pendingEnd} ${line.text}` : line.text;
    pendingReads ||= readsAsError(joined);
    pendingEnd = joined.slice(-PHRASE_SPAN);
    pending.push(line);
  };
  let identity: string | null = null;
  let lead: FlatCells = NO_CELLS;
  const { before, after } = sidesOf(header?.roles ?? null);
  const readsAsError = (text: string): boolean => ERRORISH_STRONG.test(text) || categoryOfWording(text) !== null || UNABLE_TO_UPDATE.test(text);
  // the width the text was wrapped at, near enough: its longest line
  const width = lines.reduce((w, l) => Math.max(w, l.text.length), 0);
  let previous: Line | null = null;
  const flush = (): void => {
    let text = pending.map((l) => l.text).join(' ');
    const errorish = pending.length > 0 && readsAsError(text);
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
      const made = emitFromText(text, [], row, out, true);
      // under a flattened table's header the text is a row, whose name the flattening may have lost
      emitted += header ? made : markLoose(out, made);
      identity = null;
    }
    pending = [];
    pendingReads = false;
    pendingEnd = '';
    lead = NO_CELLS;
  };
  for (const line of lines) {
    const above = previous;
    previous = line;
    if (!line.region || isBoilerplate(line.text) || line === header?.line) {
      flush();
      continue;
    }
    // under a header that puts the name first, a line that starts with a name (an address, or words a cell ends) starts a row (lynx);
    // so does a name right before its sentence, on a line that is no wrapped part of an error already read: the
    // line above it had room for its first word
    const start =
      rowStart(line.text, before) ??
      (above && pending.length && !wrapsOn(above, line, width) && pendingReads ? nameBeforeSentence(line.text, before) : null);
    if (start) {
      flush();
      lead = start.cells;
      if (start.rest) addPending({ ...line, text: start.rest });
      continue;
    }
    // (not after a row's start that held only its name: the lines after it are its error)
    if (!pending.length && !lead.identity && looksLikeIdentity(line.text)) {
      // a short line with no error after it names nothing that failed (often a wrapped heading)
      identity = cleanIdentity(line.text);
      continue;
    }
    // a paragraph is one error: its sentences may be wrapped anywhere, so no split at full stops
    addPending(line);
  }
  flush();
  return emitted;
}

/** More than any error phrase spans (the longest cue is about 100 characters): what of a paragraph's end a new line is read with. */
const PHRASE_SPAN = 300;
