import { createHash } from 'node:crypto';
import type { SyncError } from '../../schemas/report.schema.ts';
import { fingerprintError } from '../parse/fingerprint.ts';

/**
 * The correlation key: one problem, one key, across reports, replays and forwards.
 * `aadsync-<40 hex>` (48 chars) fits every desk's key field: a Jira label (no spaces,
 * ≤255), ServiceNow correlation_id (≤100), Zendesk external_id, an RT custom field.
 * The hash input carries a version so the algorithm can change without collisions.
 */

const KEY_VERSION = 'v2';
/** The shape of every key (for tests, which check what the desks are given). */
export const KEY_PATTERN = /^aadsync-[0-9a-f]{40}$/;

/** Whether a desk's label or field value is one of our keys (a Jira issue carries others beside it). */
export function isCorrelationKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

function hashKey(parts: unknown[]): string {
  const digest = createHash('sha256').update(JSON.stringify([KEY_VERSION, ...parts])).digest('hex');
  return `aadsync-${digest.slice(0, 40)}`;
}

/**
 * Key of one problem of one tenant. "The same problem" has one definition in syncdesk,
 * the parser's fingerprint (category, the object as named, attributes and values compared
 * case-insensitively; for Unknown errors the normalised text), recomputed here from the
 * error's fields so a key never depends on where the record came from.
 */
export function correlationKey(tenantKey: string, error: SyncError): string {
  const { fingerprint: _ignored, ...fields } = error;
  return hashKey([tenantKey.toLowerCase(), fingerprintError(fields)]);
}

/**
 * One object's conflict whatever its values: category, the object as named, the attribute
 * names. A row that lists another set of values for the object (one fixed, one added) is a new
 * problem (its key covers the values) of the same family: its ticket continues the family's
 * open one instead of standing beside it. Null for an error that names no value.
 */
export function problemFamily(error: SyncError): string | null {
  const object = (error.identity ?? error.onPremisesObjectId)?.trim().toLowerCase();
  const names = [...new Set(error.attributes.filter((a) => a.value).map((a) => a.name.toLowerCase()))].sort();
  return object && names.length ? hashKey(['family', error.category, object, names]) : null;
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
