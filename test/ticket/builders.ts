import { createHash, randomUUID } from 'node:crypto';
import type { ReportErrors } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import type { Holder, Resolution, Verdict } from '../../schemas/resolution.schema.ts';

/** Hand-built ticket-stage inputs (the parser and resolver are not needed to test this stage). */

export function uniqueTenant(): string {
  return `contoso-${randomUUID().slice(0, 8)}.onmicrosoft.com`;
}

export function syncError(overrides: Partial<SyncError> & { value?: string; attribute?: string } = {}): SyncError {
  const attribute = overrides.attribute ?? 'UserPrincipalName';
  const value = overrides.value ?? 'john@contoso.com';
  const message =
    overrides.message ??
    `Unable to update this object because the following attributes associated with this object have values that may already be associated with another object in your local directory services: [${attribute} ${value};]. Correct or remove the duplicate values in your local directory.`;
  const { value: _v, attribute: _a, ...rest } = overrides;
  return {
    category: 'DuplicateAttribute',
    errorCode: 'AttributeValueMustBeUnique',
    identity: value,
    objectType: 'User',
    onPremisesObjectId: null,
    attributes: [{ name: attribute, value }],
    message,
    fingerprint: createHash('md5').update(`${attribute}|${value}|${overrides.identity ?? ''}`).digest('hex'),
    ...rest,
  };
}

export function holder(overrides: Partial<Holder> = {}): Holder {
  return {
    id: '6f1f9e1e-0000-4000-8000-000000000001',
    type: 'user',
    displayName: 'John Smith',
    userPrincipalName: 'john@contoso.com',
    mail: 'john@contoso.com',
    onPremisesSyncEnabled: null,
    onPremisesLastSyncDateTime: null,
    onPremisesImmutableId: null,
    onPremisesDistinguishedName: null,
    deleted: false,
    matched: [{ attribute: 'userPrincipalName', value: 'john@contoso.com' }],
    ...overrides,
  };
}

export function resolution(error: SyncError, verdict: Verdict = 'cloud-only-holder', holders: Holder[] = [holder()]): Resolution {
  return {
    fingerprint: error.fingerprint,
    verdict,
    holders,
    actions: [
      {
        step: 'Change the UPN of the cloud-only user so the synced user can take it.',
        command: `Update-MgUser -UserId ${holders[0]?.id ?? 'x'} -UserPrincipalName 'john.old@contoso.onmicrosoft.com'`,
      },
    ],
    note: null,
    resolvedAt: '2026-11-02T07:00:00Z',
  };
}

/** A report of `tenantKey` covering day `day` of November 2026 (06:00Z). */
export function ticketJob(tenantKey: string, day: number, errors: SyncError[], reportId = `report-${tenantKey}-${day}`): ReportErrors {
  return {
    report: {
      reportId,
      mailId: null,
      subject: `Directory Synchronization Error Report (${tenantKey}) day ${day}`,
      coversAt: new Date(Date.UTC(2026, 10, day, 6)).toISOString(),
      tenantKey,
      tenant: { name: tenantKey.split('.')[0] ?? tenantKey, domain: tenantKey, id: null },
      source: 'mail',
    },
    errors,
  };
}

export function resolutionsFor(...list: Resolution[]): Map<string, Resolution> {
  return new Map(list.map((r) => [r.fingerprint, r]));
}

/** The correlation key the desk adapter tests use. */
export const DESK_KEY = 'aadsync-0123456789abcdef0123456789abcdef01234567';

/** A ticket draft for adapter tests (what the ticket stage would hand a desk). */
export function deskDraft(key = DESK_KEY) {
  return {
    key,
    summary: 'Duplicate proxyAddresses smtp:john@contoso.com',
    keyDisplay: 'DuplicateAttribute ProxyAddresses smtp:john@contoso.com',
    body: [{ kind: 'paragraph' as const, text: 'The value is held twice.' }],
  };
}

/** An internal note of one paragraph. */
export function deskNote(text: string) {
  return [{ kind: 'paragraph' as const, text }];
}
