import { isCloudOnlyCredentialChange, type ErrorCategory, type SyncError } from '../../schemas/report.schema.ts';

/**
 * The title a ticket summary starts with, in brackets ("[Duplicate UserPrincipalName] …"), and
 * the category read back from it: `syncdesk status` counts open problems by category from the
 * summaries its ticket states keep. One table serves both, so status counts every title written.
 */

interface Title {
  category: ErrorCategory;
  title: string;
  /** For a category with several titles: whether this one is the error's (the first that fits is). */
  fits?: (error: SyncError) => boolean;
}

const TITLES: readonly Title[] = [
  // the attribute's name follows: "Duplicate ProxyAddresses"
  { category: 'DuplicateAttribute', title: 'Duplicate' },
  { category: 'DataMismatch', title: 'Data mismatch' },
  { category: 'FederatedDomainChange', title: 'Federated domain change' },
  { category: 'LargeObject', title: 'Large object' },
  { category: 'DataValidation', title: 'Data validation' },
  // the delete's error when its text is about a password: the admin changes no object
  { category: 'DeletingCloudOnlyObject', title: 'Cloud-only password change', fits: isCloudOnlyCredentialChange },
  { category: 'DeletingCloudOnlyObject', title: 'Deleting cloud-only object' },
  { category: 'ObjectNotFound', title: 'Object not found' },
  { category: 'QuotaExceeded', title: 'Quota exceeded' },
  { category: 'Unknown', title: 'Sync error' },
];

export function problemTitle(error: SyncError): string {
  const title = TITLES.find((t) => t.category === error.category && (t.fits?.(error) ?? true))?.title ?? error.category;
  if (error.category !== 'DuplicateAttribute') return title;
  // a value set aside blocks nothing but that value: told apart from a blocking error in a queue
  return `${title} ${error.attributes[0]?.name ?? 'attribute'}${error.valueQuarantined ? ', value set aside' : ''}`;
}

/** The category a summary's title stands for, or null for a title never written. */
export function categoryOfTitle(title: string): ErrorCategory | null {
  const words = title.trim().toLowerCase();
  // by its first words: a duplicate's title goes on with the attribute's name
  return TITLES.find((t) => words === t.title.toLowerCase() || words.startsWith(`${t.title.toLowerCase()} `))?.category ?? null;
}
