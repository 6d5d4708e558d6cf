import type { Attribute, ErrorCategory, SyncError } from '../../schemas/report.schema.ts';
import { collapse, withoutWhitespace } from './blocks.ts';
import { anchorFromConnectorDn } from './connector-dn.ts';
import { categoryOfCode, categoryOfHeading, categoryOfWording, refineByAttribute, saysValueQuarantined } from './classify.ts';
import { spansWholeText, type FamilyMatch } from './families.ts';
import { fingerprintOf } from './fingerprint.ts';
import { ERRORISH, ERRORISH_STRONG, isBoilerplate, UNABLE_TO_UPDATE } from './markers.ts';
import { bracketIn, mentionedAttributes } from './attribute-mentions.ts';
import { EMAIL_RE, findKnownCode, isKnownCode, looksLikeObjectId, numberedErrorCode } from './vocabulary.ts';

/**
 * What every shape of error (a table row, labelled fields, free text) ends as: one record,
 * made from the text that explains it and what is known of its object; and the small
 * judgements the three readers share (is this a name, an id, an error, a sentence).
 */

/** More fragments than an admin reads: a hostile mail must not grow this without bound. */
export const MAX_UNPARSED = 200;
export interface Extraction {
  errors: SyncError[];
  unparsed: string[];
  /**
   * Records of prose alone (no object, no value, no known sentence): if an error table follows
   * ("Sync failed for the objects below"), or the mail holds real errors beside them (a note, a
   * disclaimer), they were prose around the list, and the extractor takes them back.
   */
  loose?: SyncError[];
}

export interface Context {
  /** The category a section heading above this error named ("Duplicate Attribute"), if any. */
  section?: ErrorCategory;
  identity: string | null;
  objectType: string | null;
  onPremisesObjectId: string | null;
  errorCode: string | null;
  attributes: Attribute[];
}
export const emptyContext = (section?: ErrorCategory): Context => ({ section, identity: null, objectType: null, onPremisesObjectId: null, errorCode: null, attributes: [] });

/** An error-code cell: a documented code, or a Connect Health category name ("Duplicate Attribute"). */
export function readCodeOrCategory(cell: string, ctx: Context): void {
  const code = asCode(cell);
  // a plain word ("Other", "Quota") is a category's name: codes are documented names, or run words together (LargeObject) or hold digits
  if (code && (isKnownCode(code) || /[a-z][A-Z]|\d/.test(code))) ctx.errorCode = code;
  else ctx.section = categoryOfHeading(cell) ?? ctx.section;
}

/**
 * Emits one error per match in `text`, each message running from its sentence to the next.
 * `wholeText`: the text is one cell or field. Then no match gives one Unknown error for the
 * whole text (none when it is blank), and a single match takes the whole text as its message.
 */
export function emitFromText(text: string, matches: readonly FamilyMatch[], ctx: Context, out: Extraction, wholeText: boolean): number {
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
export function record(text: string, match: FamilyMatch | null, ctx: Context, message = collapse(text)): SyncError {
  // a known English sentence places its own attributes; only other texts are searched by form
  const sentence = match && !match.codeWord ? match : null;
  // a code stands beside the sentence ("0x8023134a AttributeValueMustBeUnique: Unable to …"),
  // so a text that is the sentence and nothing else has none, and is not searched (nor is a
  // value in its brackets that spells one, "[ProxyAddresses SMTP:AccessDenied@x.com;]", taken
  // for one; with other text beside the sentence the whole text is searched)
  const errorCode = ctx.errorCode ?? match?.errorCode ?? numberedErrorCode(message) ?? (sentence && spansWholeText(sentence, text) ? null : findKnownCode(message));
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
  const { identity, objectType } = ctx;
  // an object named by its connector DN names its anchor too
  const onPremisesObjectId = ctx.onPremisesObjectId ?? (identity && (identity.charCodeAt(0) | 0x20) === 0x63 /* c */ ? anchorFromConnectorDn(identity) : null);
  const fingerprint = fingerprintOf(category, identity ?? onPremisesObjectId, attributes, message);
  // each record whole in one literal: a property added later would give it a second shape
  return category === 'DuplicateAttribute' && (sentence ? sentence.valueQuarantined : saysValueQuarantined(message))
    ? { identity, objectType, onPremisesObjectId, message, category, errorCode, attributes, valueQuarantined: true, fingerprint }
    : { identity, objectType, onPremisesObjectId, message, category, errorCode, attributes, fingerprint };
}

// ---------------------------------------------------------------------------- small judgements

/** An anchor (24 characters) or GUID (36–38): short, so long description cells skip the test. */
export function isObjectIdCell(cell: string): boolean {
  return cell.length <= 64 && looksLikeObjectId(cell);
}

export function hasObject(ctx: Context): boolean {
  return !!(ctx.identity || ctx.onPremisesObjectId);
}

/** Error text in any language we know, or a value list in Microsoft's bracket format. */
export function looksLikeErrorStrongly(text: string): boolean {
  return ERRORISH_STRONG.test(text) || categoryOfWording(text) !== null || bracketIn(text) !== null || UNABLE_TO_UPDATE.test(text);
}

export function looksLikeError(text: string): boolean {
  return ERRORISH.test(text) || categoryOfWording(text) !== null || bracketIn(text) !== null || UNABLE_TO_UPDATE.test(text);
}

function asCode(cell: string): string | null {
  const t = collapse(cell);
  if (/^[A-Za-z][A-Za-z0-9]+$/.test(t)) return t;
  const numbered = numberedErrorCode(t);
  if (numbered) return numbered;
  return findKnownCode(t);
}

export function cleanIdentity(text: string): string | null {
  return identityOf(collapse(text));
}

/** `cleanIdentity` of a text already collapsed (a row's cells are). */
export function identityOf(flat: string): string | null {
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

export function looksLikeIdentity(text: string): boolean {
  const t = text.trim();
  if (EMAIL_RE.test(t)) return true;
  if (!t || t.length > 80 || t.split(/\s+/).length > 6) return false;
  // a sentence's end or a label's colon, ASCII or full-width (CJK): no name
  // a known error's name ("DeletingCloudOnlyObjectNotAllowed" on a line of its own) names no object
  return !/[:.!?。！？：]$/.test(t) && !/[:：]/.test(t) && !isBoilerplate(t) && !ERRORISH.test(t) && !isDateLike(t) && !isKnownCode(t);
}

/** Three words or more (or a CJK phrase): a label such as "Subject: Sync Error Report" is not an error. */
export function isProse(text: string): boolean {
  return text.split(/\s+/).length >= 3 || /[\u3040-\u30ff\u4e00-\u9fff]{6,}/.test(text);
}

/** More than eight words, counted in one pass without splitting (it runs on every long cell). */
export function isSentence(text: string): boolean {
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

export function isDateLike(text: string): boolean {
  return /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?$/.test(text.trim()) || /^\d{1,2}:\d{2}(:\d{2})?\s*(AM|PM)?$/i.test(text.trim());
}
