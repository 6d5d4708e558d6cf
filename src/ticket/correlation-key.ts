import { createHash } from 'node:crypto';
import type { SyncError } from '../../schemas/report.schema.ts';

/**
 * The correlation key: one problem, one key, across reports, replays and forwards.
 * `aadsync-<40 hex>` (48 chars) fits every desk's key field: a Jira label (no spaces,
 * ≤255), ServiceNow correlation_id (≤100), Zendesk external_id, an RT custom field.
 * The hash input carries a version so the algorithm can change without collisions.
 */

const KEY_VERSION = 'v1';
export const KEY_PATTERN = /^aadsync-[0-9a-f]{40}$/;

function hashKey(parts: unknown[]): string {
  const digest = createHash('sha256').update(JSON.stringify([KEY_VERSION, ...parts])).digest('hex');
  return `aadsync-${digest.slice(0, 40)}`;
}

/** Lower-case and trim; `SMTP:`/`smtp:` prefixes then compare equal too. */
export function normaliseValue(value: string | null): string {
  return (value ?? '').trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * The object a problem is about: the on-premises id when the report shows it (base64
 * anchors are case-sensitive, so kept as is), else the identity lower-cased.
 */
export function objectRef(error: Pick<SyncError, 'onPremisesObjectId' | 'identity'>): string {
  if (error.onPremisesObjectId?.trim()) return `id:${error.onPremisesObjectId.trim()}`;
  return `name:${normaliseValue(error.identity)}`;
}

/**
 * Key of one problem of one tenant. Known categories key on category, object and the
 * attributes with their normalised values; `Unknown` ones have nothing typed to key on,
 * so they use the parser's fingerprint (a hash of the normalised message).
 */
export function correlationKey(tenantKey: string, error: SyncError): string {
  if (error.category === 'Unknown') return hashKey([tenantKey.toLowerCase(), 'Unknown', error.fingerprint]);
  const attributes = error.attributes
    .map((a) => [a.name.toLowerCase(), normaliseValue(a.value)] as const)
    .sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));
  return hashKey([tenantKey.toLowerCase(), error.category, objectRef(error), attributes]);
}

/** Key of the one digest ticket of a report (TICKET_DIGEST=true). */
export function digestKey(tenantKey: string, reportId: string): string {
  return hashKey([tenantKey.toLowerCase(), 'digest', reportId]);
}

/** A readable form of what the key stands for (SN correlation_display, a Zendesk tag), ≤100 chars. */
export function keyDisplay(error: SyncError): string {
  const attr = error.attributes[0];
  const parts = [error.category, attr?.name, attr?.value ?? error.identity].filter(Boolean);
  return parts.join(' ').slice(0, 100);
}
