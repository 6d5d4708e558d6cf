import { hash } from 'node:crypto';
import type { SyncError } from '../../schemas/report.schema.ts';

/**
 * Same problem, same fingerprint: across reports, replays, forwards and layouts. The
 * fingerprint covers what defines the problem (category, the object as named, the attributes and
 * values) and leaves out what varies between sightings (the exact wording, error code,
 * tracking ids, dates). Values compare case-insensitively: `SMTP:` and `smtp:` name the
 * same address conflict. Unknown errors have only their text to go on, minus ids and dates.
 */
export function fingerprintError(error: Omit<SyncError, 'fingerprint'>): string {
  const attributes = error.attributes
    .map((a) => `${a.name.toLowerCase()}=${(a.value ?? '').trim().toLowerCase()}`)
    .sort();
  const parts = [
    error.category,
    // the object id only stands in for a missing identity: some layouts (and forwards) drop that column
    (error.identity ?? error.onPremisesObjectId ?? '').trim().toLowerCase(),
    attributes,
    error.category === 'Unknown' ? stableText(error.message) : '',
  ];
  // one-shot hash: a Hash object per error costs more than the digest itself
  return hash('sha256', JSON.stringify(parts), 'hex').slice(0, 32);
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
