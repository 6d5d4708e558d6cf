import type { SyncError } from '../../schemas/report.schema.ts';

/**
 * Microsoft's page for each kind of error, for the agent to read beside the steps (a
 * ticket carried no link but the ones Microsoft's own text quoted). Sections of "Understanding
 * errors during Microsoft Entra synchronization" (entra-docs tshoot-connect-sync-errors.md, its
 * headings as Learn makes them anchors), the resiliency page it points to, the sync features page
 * for a federated user's UPN change, and the service limits for the tenant's object quota.
 */
const SYNC_ERRORS = 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/tshoot-connect-sync-errors';
const RESILIENCY = 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-syncservice-duplicate-attribute-resiliency';

const BY_CODE: Record<string, string> = {
  InvalidSoftMatch: `${SYNC_ERRORS}#invalidsoftmatch`,
  InvalidHardMatch: `${SYNC_ERRORS}#invalidhardmatch`,
  ObjectTypeMismatch: `${SYNC_ERRORS}#objecttypemismatch`,
  'Existing Admin Role Conflict': `${SYNC_ERRORS}#existing-admin-role-conflict`,
};

const BY_CATEGORY: Record<SyncError['category'], string> = {
  DuplicateAttribute: `${SYNC_ERRORS}#attributevaluemustbeunique`,
  DataMismatch: `${SYNC_ERRORS}#data-mismatch-errors`,
  // the change of a federated user's UPN that sync was long not allowed to make (its 2019 fix)
  FederatedDomainChange: 'https://learn.microsoft.com/en-us/entra/identity/hybrid/connect/how-to-connect-syncservice-features#synchronize-userprincipalname-updates',
  LargeObject: `${SYNC_ERRORS}#largeobject-or-exceededallowedlength`,
  DataValidation: `${SYNC_ERRORS}#identitydatavalidationfailed`,
  DeletingCloudOnlyObject: `${SYNC_ERRORS}#deletion-access-violation-and-password-access-violation-errors`,
  // no section of its own: the whole page
  ObjectNotFound: SYNC_ERRORS,
  QuotaExceeded: 'https://learn.microsoft.com/en-us/entra/identity/users/directory-service-limits-restrictions',
  Unknown: SYNC_ERRORS,
};

/** The page that explains the error, most specific first: its stated error name, a resiliency notice, its category. */
export function docLink(error: SyncError): string {
  if (error.errorCode && BY_CODE[error.errorCode]) return BY_CODE[error.errorCode]!;
  if (error.valueQuarantined) return RESILIENCY;
  // Error Type 114, the one of its section with a procedure of its own
  if (error.category === 'DeletingCloudOnlyObject' && /operation,?\s+Delete\b/i.test(error.message)) return `${SYNC_ERRORS}#resolve-error-type-114`;
  return BY_CATEGORY[error.category];
}
