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
  deleted: z.boolean(),
  /** Which of the searched values this object holds, and in which attribute (`proxyAddresses` as `smtp:…`). */
  matched: z.array(z.object({ attribute: z.string(), value: z.string() })),
});
export type Holder = z.infer<typeof HolderSchema>;

export const VERDICTS = [
  /** A cloud-only object holds the value: fix it in the cloud. */
  'cloud-only-holder',
  /** A synced object holds the value: the duplicate lives in on-premises AD. */
  'synced-holder',
  /** A soft-deleted object holds the value: hard-delete or restore it. */
  'soft-deleted-holder',
  /** The holder is the reported object itself (e.g. a soft-match that should have matched). */
  'same-object',
  /** Nobody holds the value any more: the next sync should succeed. */
  'no-holder',
  /** The error names no value to look up (quota, large object, …): advice only. */
  'not-applicable',
  /** Graph was not configured or the tenant is unknown: nothing looked up. */
  'unresolved',
] as const;
export const VerdictSchema = z.enum(VERDICTS);
export type Verdict = z.infer<typeof VerdictSchema>;

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
});
export type Resolution = z.infer<typeof ResolutionSchema>;
