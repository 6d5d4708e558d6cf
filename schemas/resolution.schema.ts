import { z } from 'zod';

/** One directory object found holding a conflicting value (user, group, contact, deleted item). */
export const HolderSchema = z.object({
  id: z.string(),
  type: z.enum(['user', 'group', 'contact', 'unknown']),
  displayName: z.string().nullable(),
  userPrincipalName: z.string().nullable(),
  mail: z.string().nullable(),
  /** true: synced from on-premises now; false: was synced, now cloud-mastered; null: never synced (cloud-only). */
  onPremisesSyncEnabled: z.boolean().nullable(),
  onPremisesLastSyncDateTime: z.string().nullable(),
  onPremisesImmutableId: z.string().nullable(),
  onPremisesDistinguishedName: z.string().nullable(),
  /** The AD object's SID and its domain (Graph gives a group no DN): what names a synced group to Set-ADGroup. Absent: not read. */
  onPremisesSecurityIdentifier: z.string().nullable().optional(),
  onPremisesDomainName: z.string().nullable().optional(),
  deleted: z.boolean(),
  /** When the object was made (Graph's createdDateTime). Absent: not read. */
  createdDateTime: z.string().nullable().optional(),
  /** A user Graph gave no proxy address at all: no Exchange recipient, its `mail` attribute is all it has of an address. Absent: has some, or not read. */
  noMailbox: z.boolean().optional(),
  /** A user's accountEnabled: false is a shared or resource mailbox as a rule (or a disabled account). Absent: not known. */
  accountEnabled: z.boolean().nullable().optional(),
  /** Exchange's kind of recipient (`SharedMailbox`, `MailUser`, …) where an export said it (Get-Recipient); Graph does not. */
  recipientTypeDetails: z.string().nullable().optional(),
  /** What kind of group (from groupTypes, mailEnabled, securityEnabled): Exchange changes each with its own cmdlet. Absent: not known. */
  groupKind: z.enum(['microsoft365', 'mail-enabled security', 'distribution', 'security']).nullable().optional(),
  /**
   * Where it was found could not say whether it is synced (a snapshot of an export without that
   * column): its onPremisesSyncEnabled null then means "not known", not "cloud-only".
   */
  syncStateUnknown: z.literal(true).optional(),
  /** Which of the searched values this object holds, and in which attribute (`proxyAddresses` as `smtp:…`). */
  matched: z.array(z.object({ attribute: z.string(), value: z.string() })),
});
export type Holder = z.infer<typeof HolderSchema>;

export const VERDICTS = [
  /** A cloud-only object holds the value: fix it in the cloud. */
  'cloud-only-holder',
  /** A synced object holds the value: the duplicate lives in on-premises AD. */
  'synced-holder',
  /** Another object in on-premises AD holds the value (read over LDAP): fix it there. */
  'onprem-duplicate',
  /** A soft-deleted object holds the value: hard-delete or restore it. */
  'soft-deleted-holder',
  /** The holder is the reported object itself (e.g. a soft-match that should have matched). */
  'same-object',
  /** An object holds the value, but where it was found does not say whether it is synced or cloud-only: check that first. */
  'holder-sync-unknown',
  /** Nobody holds the value any more: the next sync should succeed. */
  'no-holder',
  /** Nobody found, but what was searched could not hold it (a partial snapshot): search before concluding. */
  'holder-unknown',
  /** The error names no value to look up (quota, large object, …): advice only. */
  'not-applicable',
  /** Graph was not configured or the tenant is unknown: nothing looked up. */
  'unresolved',
] as const;
export const VerdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof VerdictSchema>;

/** One object in on-premises Active Directory, as the `onprem` worker read it over LDAP. */
export const OnPremObjectSchema = z.object({
  dn: z.string(),
  kind: z.enum(['user', 'contact', 'group', 'computer', 'other']),
  objectClass: z.array(z.string()),
  /** objectGUID, base64. */
  objectGuid: z.string(),
  /** The source anchor Entra Connect exports (the configured attribute, else objectGUID), base64. */
  sourceAnchor: z.string().optional(),
  /** mS-DS-ConsistencyGuid, base64, when set (a migrated object's may be another object's old anchor). */
  consistencyGuid: z.string().optional(),
  userPrincipalName: z.string().optional(),
  mail: z.string().optional(),
  /** Every proxy address as stored (`SMTP:` primary, `smtp:` secondary, `SIP:`, …). */
  proxyAddresses: z.array(z.string()),
  /** msRTCSIP-PrimaryUserAddress (`sip:…`). */
  sipAddress: z.string().optional(),
  /** A user or computer account disabled in AD (userAccountControl ACCOUNTDISABLE): as a rule a leaver's, whose values can go. */
  disabled: z.boolean().optional(),
  whenChanged: z.string().optional(),
});
export type OnPremObjectData = z.infer<typeof OnPremObjectSchema>;

/** Another on-premises object holding one of the values, and which ones (attribute as in AD, value as stored). */
export const OnPremHolderSchema = OnPremObjectSchema.extend({
  matched: z.array(z.object({ attribute: z.string(), value: z.string() })),
});
export type OnPremHolder = z.infer<typeof OnPremHolderSchema>;

/**
 * The on-premises side of one error: the failing object and every other AD object holding
 * one of its values (or of the values the report names).
 *
 *   found        the failing object was read; `holders` are the others
 *   not-found    no object has the report's anchor or identity (deleted, or outside the base DN)
 *   ambiguous    the identity names several objects; `candidates` lists them
 *   unavailable  AD could not be asked (DC unreachable, bind refused): `note` says why
 */
export const OnPremSideSchema = z.object({
  status: z.enum(['found', 'not-found', 'ambiguous', 'unavailable']),
  object: OnPremObjectSchema.nullable(),
  holders: z.array(OnPremHolderSchema),
  candidates: z.array(z.string()).default([]),
  /** The values searched for holders, as `smtp:a@b`, `sip:a@b` or a bare UPN. */
  searched: z.array(z.string()).default([]),
  /** Where AD was searched (ONPREM_BASE_DN): objects outside it were not. */
  base: z.string().optional(),
  note: z.string().nullable(),
  /** The error code when unavailable (`onprem_bad_credentials`, `onprem_unreachable`, …). */
  code: z.string().nullable().default(null),
});
export type OnPremSide = z.infer<typeof OnPremSideSchema>;

export const RecommendedActionSchema = z.object({
  /** A sentence an agent can follow. */
  step: z.string(),
  /** The exact Microsoft Graph PowerShell (or other) command for that step, when there is one. */
  command: z.string().nullable(),
});
export type RecommendedAction = z.infer<typeof RecommendedActionSchema>;

export const ResolutionSchema = z.object({
  /** Fingerprint of the SyncError this resolves. */
  fingerprint: z.string(),
  verdict: VerdictSchema,
  holders: z.array(HolderSchema),
  actions: z.array(RecommendedActionSchema),
  /** Why it is unresolved, or a note about what could not be seen (MEPF, soft-deleted mailboxes). */
  note: z.string().nullable(),
  resolvedAt: z.string().datetime({ offset: true }),
  /** The on-premises side, when an `onprem` worker was asked (ONPREM_URL configured). */
  onPremises: OnPremSideSchema.optional(),
});
export type Resolution = z.infer<typeof ResolutionSchema>;
