import type { ErrorCategory } from '../../schemas/report.schema.ts';
import { collapse, withoutWhitespace } from './blocks.ts';
import { NO_FAMILIES, findFamilies, type FamilyMatch } from './families.ts';
import { EMAIL_RE, canonicalAttribute, canonicalObjectType, cleanAttributeValue, findKnownCode, fieldRole, canBeObjectId, isGuid, looksLikeObjectId, type FieldRole } from './vocabulary.ts';
import { looksLikeLabel, valueRole } from './extract-lines.ts';
import {
  emptyContext,
  hasObject,
  identityOf,
  isDateLike,
  isObjectIdCell,
  isProse,
  isSentence,
  looksLikeError,
  looksLikeErrorStrongly,
  readCodeOrCategory,
  record,
  type Extraction,
} from './extract-record.ts';

/** Table rows: a header row's column roles, two-cell "label | value" rows, and each error row as one record. */

/** A cell with text in it. A printable ASCII first character settles it without trimming (it runs on every cell). */
export function isFilled(cell: string): boolean {
  const first = cell.charCodeAt(0);
  return (first > 0x20 && first < 0x7f) || cell.trim() !== '';
}

/** How many cells hold text (counted without building a list: it runs on every row). */
export function countFilled(cells: readonly string[]): number {
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
export function asLabelLine(cells: string[], tableHasLabels: boolean): string | null {
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

/** Column roles when this row is a header row (short cells, most of them known labels), else null. */
export function headerRoles(cells: string[]): (FieldRole | null)[] | null {
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

/**
 * One table row. Every row of an error table is exactly one record: its description cells
 * are one message however many sentences they hold, and a row whose text nothing explains
 * is an Unknown record with that text, never dropped.
 *
 * `anyLanguage`: a sentence beside an object's name is the row's error whatever its words (a
 * second reading of a table, ErrorExtractor). Returns whether the row named an object beside a
 * sentence and made no record: one such reading would take.
 */
export function processRow(
  cells: string[],
  collapsed: boolean,
  header: (FieldRole | null)[] | null,
  section: ErrorCategory | undefined,
  out: Extraction,
  anyLanguage = false,
): boolean {
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
    else if ((role === 'objectId' && canBeObjectId(withoutWhitespace(cell))) || ((!role || role === 'description') && !ctx.onPremisesObjectId && isObjectIdCell(cell))) ctx.onPremisesObjectId = anchorOf(ctx.onPremisesObjectId, withoutWhitespace(cell));
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
    const errorish = anyLanguage && hasObject(ctx) ? isSentence : header ? looksLikeError : looksLikeErrorStrongly;
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
    return false;
  }
  const several = cells.map((_, i) => i).filter((i) => used[i] === DESCRIPTION);
  const text = several.map((i) => cells[i]!).filter(isFilled).join('\n');
  if (text) out.errors.push(record(text, primary(several.flatMap((i) => matches[i]!)), ctx));
  else if (header && (hasObject(ctx) || ctx.errorCode)) out.errors.push(record(flat.filter(Boolean).join(' | '), null, ctx));
  else return hasObject(ctx) && flat.some((c, i) => used[i] === FREE && isSentence(c));
  return false;
}

/**
 * The row's on-premises id once `next`, another id column, is read: the first, unless it is a
 * GUID and `next` a base64 source anchor, which is what sync matches on (a row with
 * "Source Anchor" and an "Object ID" GUID after it took the GUID, which may be the cloud's).
 */
function anchorOf(current: string | null, next: string): string {
  if (!current) return next;
  return isGuid(current) && !isGuid(next) && looksLikeObjectId(next) ? next : current;
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

/** The sentence that explains a text: a full sentence before a bare code word. */
function primary(matches: readonly FamilyMatch[]): FamilyMatch | null {
  return matches.find((m) => !m.codeWord) ?? matches[0] ?? null;
}
