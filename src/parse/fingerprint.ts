import { hash } from 'node:crypto';
import type { Attribute, ErrorCategory, SyncError } from '../../schemas/report.schema.ts';

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
  let list: string;
  if (attributes.length === 0) list = '';
  else if (attributes.length === 1) list = jsonString(attributeKey(attributes[0]!));
  else list = attributes.map(attributeKey).sort().map(jsonString).join(',');
  const text = category === 'Unknown' ? jsonString(stableText(message)) : '""';
  // JSON.stringify([category, object, attributes, text]), written out without the arrays (a category is a plain word)
  const parts = `["${category}",${jsonString((object ?? '').trim().toLowerCase())},[${list}],${text}]`;
  // one-shot hash: a Hash object per error costs more than the digest itself
  return hash('sha256', parts, 'hex').slice(0, 32);
}

function attributeKey(a: { name: string; value: string | null }): string {
  return `${a.name.toLowerCase()}=${(a.value ?? '').trim().toLowerCase()}`;
}

/** What JSON.stringify writes for a string: most need no escape, so they are only quoted. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** The message without what changes from one report to the next. */
function stableText(message: string): string {
  return message
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<guid>')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}
