import { hash } from 'node:crypto';
import type { Attribute, ErrorCategory, SyncError } from '../../schemas/report.schema.ts';
import { collapse } from './blocks.ts';

/**
 * Same problem, same fingerprint: across reports, replays, forwards and layouts. The
 * fingerprint covers what defines the problem (category, the object as named, the attributes and
 * values) and leaves out what varies between sightings (the exact wording, error code,
 * tracking ids, dates). Values compare case-insensitively: `SMTP:` and `smtp:` name the
 * same address conflict. Unknown errors have only their text to go on, minus ids and dates.
 */
export function fingerprintError(error: Omit<SyncError, 'fingerprint'>): string {
  // the object id only stands in for a missing identity: some layouts (and forwards) drop that column
  return fingerprintOf(error.category, error.identity ?? error.onPremisesObjectId, error.attributes, error.message);
}

/** `fingerprintError` of the fields it reads (the extractor has them at hand before it makes the record). */
export function fingerprintOf(category: ErrorCategory, object: string | null, attributes: readonly Attribute[], message: string): string {
  const text = category === 'Unknown' ? jsonString(stableText(message)) : '""';
  // JSON.stringify([category, object, sorted attribute keys, text]), written out without the arrays (a category is a plain word)
  const parts = `["${category}",${jsonString((object ?? '').trim().toLowerCase())},[${attributeList(attributes)}],${text}]`;
  // one-shot hash: a Hash object per error costs more than the digest itself
  return hash('sha256', parts, 'hex').slice(0, 32);
}

/**
 * The attributes' keys in code-unit order (what `sort()` does to strings), each a JSON string,
 * comma-separated. Sorted in place by insertion: a record has one to three, and the generic
 * `sort()` and the arrays of `map` cost more than the rest of the fingerprint.
 */
function attributeList(attributes: readonly Attribute[]): string {
  if (attributes.length === 0) return '';
  if (attributes.length === 1) return jsonString(attributeKey(attributes[0]!));
  const keys = attributes.map(attributeKey);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i;
    for (; j > 0 && keys[j - 1]! > key; j--) keys[j] = keys[j - 1]!;
    keys[j] = key;
  }
  let list = jsonString(keys[0]!);
  for (let i = 1; i < keys.length; i++) list += `,${jsonString(keys[i]!)}`;
  return list;
}

function attributeKey(a: { name: string; value: string | null }): string {
  return `${a.name.toLowerCase()}=${(a.value ?? '').trim().toLowerCase()}`;
}

/** What JSON.stringify writes for a string: most need no escape, so they are only quoted. */
function jsonString(s: string): string {
  return needsEscape(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * A character JSON escapes: `"`, `\`, a control character or a lone surrogate (any surrogate
 * sends it to JSON.stringify). A regex: a loop of `charCodeAt` costs more per character.
 */
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;
function needsEscape(s: string): boolean {
  return ESCAPED.test(s);
}

/** The message without what changes from one report to the next. */
function stableText(message: string): string {
  const lower = message.toLowerCase();
  // the GUID pattern tries every letter a–f of the prose: only texts with one of its dashes
  const ids = GUID_DASH.test(lower) ? lower.replace(GUID, '<guid>') : lower;
  // collapse, not replace(/\s+/g, ' '): a message is collapsed already, and the replace copies it anyway
  return collapse(ids.replace(/\d+/g, '#'));
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** The middle of a GUID: a text without it has none. */
const GUID_DASH = /-[0-9a-f]{4}-/;
