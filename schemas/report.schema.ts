import { z } from 'zod';

/**
 * What a "Directory Synchronization Error Report" says, as typed records.
 * These are the contracts between the parser and every later stage: they travel
 * through the queues as JSON, so dates are ISO-8601 strings.
 */

export const ERROR_CATEGORIES = [
  'DuplicateAttribute',
  /** The object matched the wrong cloud object, or one of another type (InvalidHardMatch, ObjectTypeMismatch). */
  'DataMismatch',
  'FederatedDomainChange',
  'LargeObject',
  'DataValidation',
  'DeletingCloudOnlyObject',
  'ObjectNotFound',
  'QuotaExceeded',
  'Unknown',
] as const;
export const ErrorCategorySchema = z.enum(ERROR_CATEGORIES);

/**
 * The error codes of an Existing Admin Role Conflict: the name Microsoft writes in words
 * (Connect Health's category, the troubleshooting article's heading) and the raw names a
 * third-party list gives. The parser reads them as codes; the resolver gives their own fix.
 */
export const ADMIN_ROLE_CONFLICT_CODES = ['Existing Admin Role Conflict', 'AdminRoleConflict', 'ExistingAdminRole'] as const;
export type ErrorCategory = z.infer<typeof ErrorCategorySchema>;

/** One attribute named by the error, with its canonical name (`UserPrincipalName`, `ProxyAddresses`, …). */
export const AttributeSchema = z.object({
  name: z.string().min(1),
  /** Null when the report names the attribute without a value (`[FederatedUser.UserPrincipalName]`). */
  value: z.string().nullable(),
});
export type Attribute = z.infer<typeof AttributeSchema>;

export const SyncErrorSchema = z.object({
  category: ErrorCategorySchema,
  /** The exact code (`AttributeValueMustBeUnique`, `InvalidSoftMatch`, …) only when the text states it. */
  errorCode: z.string().nullable(),
  /** The object as the report names it (UPN, mail or display name); null for tenant-level errors. */
  identity: z.string().nullable(),
  /** `User`, `Group`, `Contact`, … when the report says so. */
  objectType: z.string().nullable(),
  /** The on-premises object id (base64 sourceAnchor/ImmutableId, or a GUID) when shown. */
  onPremisesObjectId: z.string().nullable(),
  attributes: z.array(AttributeSchema),
  /** The error text with entities decoded, quote prefixes removed and whitespace collapsed. */
  message: z.string(),
  /**
   * Duplicate attribute resiliency: the object did sync, but Entra quarantined the conflicting
   * value ("This object has been updated …, but with some modified properties, because the
   * following attributes are associated with another object"). Absent when the object failed.
   */
  valueQuarantined: z.boolean().optional(),
  /** Same problem, same fingerprint: across reports, replays, forwards and layouts. */
  fingerprint: z.string().regex(/^[0-9a-f]{32}$/),
});
export type SyncError = z.infer<typeof SyncErrorSchema>;

export const TenantSchema = z.object({
  name: z.string().nullable(),
  domain: z.string().nullable(),
  id: z.string().nullable(),
});
export type Tenant = z.infer<typeof TenantSchema>;

export const ParsedReportSchema = z.object({
  /** Message-ID of the report itself (the inner message when forwarded), else of the carrier mail. */
  messageId: z.string().nullable(),
  subject: z.string(),
  /** Sender of the report (the inner From when forwarded). */
  from: z.string().nullable(),
  sentAt: z.string().datetime({ offset: true }).nullable(),
  /** The time the report covers (the sync run it describes), when the text states it. */
  reportedAt: z.string().datetime({ offset: true }).nullable(),
  tenant: TenantSchema,
  trackingId: z.string().nullable(),
  /** Who forwarded it to us (the outer From), when it reached us as a forward. */
  forwardedBy: z.string().nullable(),
  /**
   * Read from a forward's body (an inline forward): `messageId` is then the forward's own, and
   * the report is known by its run and errors instead (ingest-decision.ts, runCopyKey).
   */
  inline: z.boolean().optional(),
  /**
   * Whom Microsoft sent the report to (the tenant's technical contact), when the report's own
   * headers say: the inner To of a forward, never the forward's To (that is our mailbox).
   */
  recipient: z.string().nullable().default(null),
  errors: z.array(SyncErrorSchema),
  /**
   * Which of the reports forwarded inline in one message this is (1, 2, …), when there are
   * several: they share the message's id, and this tells them apart.
   */
  part: z.number().int().positive().optional(),
  /** Fragments of the error section that looked like errors but matched nothing. */
  unparsed: z.array(z.string()),
  /** The mail looks cut off (cut-off.ts): it may list more errors than were read, so what it lacks says nothing. */
  cutOff: z.boolean().optional(),
});
export type ParsedReport = z.infer<typeof ParsedReportSchema>;

export const REJECTION_REASONS = ['not-a-report', 'too-large', 'unreadable', 'timeout'] as const;
export const RejectionSchema = z.object({
  reason: z.enum(REJECTION_REASONS),
  /** A sentence for the admin: what was wrong with the input. */
  detail: z.string(),
});
export type Rejection = z.infer<typeof RejectionSchema>;

/** The parser's answer for one raw mail: reports, or a typed rejection. It never throws. */
export type ParseOutcome =
  | { ok: true; reports: ParsedReport[] }
  | { ok: false; rejection: Rejection };

/**
 * Microsoft files "cloud-only users' credential update" and "the password change request …
 * cloud-only user objects" with the delete, as one error ("Deletion access violation and password
 * access violation", tshoot-connect-sync-errors): the category is the delete's, but the ticket's
 * title and steps must not speak of deleting anything.
 */
export function isCloudOnlyCredentialChange(error: Pick<SyncError, 'category' | 'message'>): boolean {
  return error.category === 'DeletingCloudOnlyObject' && /\b(?:password|credential)/i.test(error.message);
}

/** How people see a record's object: its identity, else its source anchor (some rows leave the name empty), else the whole tenant. */
export function objectLabel(error: Pick<SyncError, 'identity' | 'onPremisesObjectId'>): string {
  if (error.identity) return error.identity;
  return error.onPremisesObjectId ? `(no name in the report; source anchor ${error.onPremisesObjectId})` : '(the whole tenant)';
}
