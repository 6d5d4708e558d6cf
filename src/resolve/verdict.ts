import type { SyncError } from '../../schemas/report.schema.ts';
import type { Holder, OnPremSide, Resolution, Verdict } from '../../schemas/resolution.schema.ts';
import { objectLookups, valuesToSearch } from './onprem/onprem-values.ts';
import { adDuplicateSteps, onPremDuplicateActions, syncedActions, syncedHolderFixSteps } from './actions/ad-duplicate.ts';
import { ADMIN_ROLE_NOTE, adminRoleConflictActions, isAdminRoleConflict } from './actions/admin-role.ts';
import { cloudOnlyActions, freeValueSteps, noHolderActions, recycleBinStep, sameObjectActions, softDeletedActions } from './actions/cloud-holder.ts';
import { beforeSync, confirmHolder, DELTA_SYNC, lookupsOf, onPremKindOf, type Action } from './actions/steps.ts';
import type { NormalisedLookup } from './lookup-key.ts';
import { unsureHolderActions } from './actions/unsure-holder.ts';
import { notApplicableActions, quarantinedValueStep, unresolvedActions } from './actions/without-lookup.ts';

/**
 * The use case: one sync error and the objects found holding its values → a verdict and
 * the steps to fix it. Pure (time comes in), so every verdict is tested without Graph.
 */

/**
 * What the lookup gave for one error: its holders (and, in `gap`, what could not be searched,
 * such as the recycle bin), or why nothing could be looked up.
 */
export type LookupOutcome =
  | {
      status: 'found';
      holders: Holder[];
      gap?: string;
      incomplete?: boolean;
      recycleBinSkipped?: boolean;
      /** The users the error's source anchor names (the failing object's own cloud copy), where they were asked for (`wouldJoin`). */
      ownCopies?: Holder[];
    }
  | { status: 'unresolved'; note: string };

/** Said with "no holder": only Microsoft 365 groups are soft-deleted; the others are not kept to be found. */
export const GONE_GROUPS = 'Security and distribution groups are not soft-deleted: one deleted since the report is gone and no longer holds the value.';

const HOLDER_CATEGORIES = new Set(['DuplicateAttribute', 'DataMismatch', 'FederatedDomainChange', 'Unknown']);

/** True for categories where another object can hold one of the object's values. */
export function canHaveHolder(error: SyncError): boolean {
  return HOLDER_CATEGORIES.has(error.category);
}

/**
 * True when the error has a value worth searching the directory for: one the report names,
 * or, with the on-premises side read, one the failing object holds in AD.
 */
export function needsLookup(error: SyncError, side?: OnPremSide): boolean {
  if (!HOLDER_CATEGORIES.has(error.category)) return false;
  // A federated UPN change names the user's own new UPN: a lookup only adds noise unless it is a duplicate.
  if (error.category === 'FederatedDomainChange') return false;
  return lookupsOf(error).length > 0 || (side?.object ? objectLookups(side.object).length > 0 : false);
}

/**
 * The holder is the reported object itself when its ImmutableId is the error's on-premises
 * object id. Without both ids, a synced holder with the reported UPN is that object; a
 * cloud-only one with the same UPN is the classic soft-match failure, a different object.
 */
export function isSameObject(error: SyncError, holder: Holder, side?: OnPremSide): boolean {
  if (holder.deleted) return false;
  // the failing object read from AD: its anchor or DN is the cloud object's
  const o = side?.object;
  if (o && holder.onPremisesImmutableId && [o.sourceAnchor, o.objectGuid, o.consistencyGuid].includes(holder.onPremisesImmutableId.trim())) return true;
  if (o && holder.onPremisesDistinguishedName?.toLowerCase() === o.dn.toLowerCase()) return true;
  if (error.onPremisesObjectId && holder.onPremisesImmutableId) {
    return error.onPremisesObjectId.trim().toLowerCase() === holder.onPremisesImmutableId.trim().toLowerCase();
  }
  const identity = error.identity?.trim().toLowerCase();
  if (!identity || holder.onPremisesSyncEnabled !== true) return false;
  return holder.userPrincipalName?.toLowerCase() === identity;
}

/** The holder has the object's own name (its identity) as UPN, mail or an address. */
function holdsIdentity(error: SyncError, holder: Holder): boolean {
  const identity = error.identity?.trim().toLowerCase();
  if (!identity) return false;
  return holder.userPrincipalName?.toLowerCase() === identity || holder.matched.some((m) => m.value.replace(/^smtp:/i, '').toLowerCase() === identity);
}

/**
 * Whether the fix may join the failing object to a cloud-only user that holds its value (a hard
 * match, after deleting a copy sync made): then the object's own cloud copy, found by its anchor,
 * decides whether a join is possible at all.
 */
export function wouldJoin(error: SyncError, holders: Holder[], side?: OnPremSide): boolean {
  return !!error.onPremisesObjectId?.trim() && holders.some((h) => h.type === 'user' && !h.deleted && h.onPremisesSyncEnabled !== true && !isSameObject(error, h, side));
}

function dedupe(holders: Holder[]): Holder[] {
  const byId = new Map<string, Holder>();
  for (const h of holders) {
    const seen = byId.get(h.id);
    if (!seen) byId.set(h.id, { ...h, matched: [...h.matched] });
    else for (const m of h.matched) if (!seen.matched.some((x) => x.attribute === m.attribute && x.value === m.value)) seen.matched.push(m);
  }
  return [...byId.values()];
}

/** `initialDomain`: the tenant's .onmicrosoft.com domain when the report names it, for commands that need it. */
export function resolveError(error: SyncError, outcome: LookupOutcome | null, now: Date = new Date(), side?: OnPremSide, initialDomain: string | null = null): Resolution {
  const resolution = withOnPrem(resolveVerdict(error, outcome && withOneLineNames(outcome), now, side, initialDomain), side);
  if (!error.valueQuarantined) return resolution;
  // Duplicate attribute resiliency: nothing failed to sync but the value, which waits in quarantine
  const said = 'The object itself synced; Entra ID set the conflicting value aside (duplicate attribute resiliency) and applies it once the conflict is gone.';
  return {
    ...resolution,
    note: resolution.note ? `${said} ${resolution.note}` : said,
    actions: [quarantinedValueStep(error), ...resolution.actions],
  };
}

/**
 * Holders' display names on one line: a name is anyone's to set, and one with line breaks
 * printed a line of its own in the ticket, under the steps' own text.
 */
function withOneLineNames(outcome: LookupOutcome): LookupOutcome {
  if (outcome.status !== 'found' || !outcome.holders.some((h) => h.displayName && /[\r\n\u2028\u2029]/.test(h.displayName))) return outcome;
  return { ...outcome, holders: outcome.holders.map((h) => (h.displayName ? { ...h, displayName: h.displayName.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ') } : h)) };
}

/** The on-premises side on the resolution (the ticket shows it, or why it is missing). */
function withOnPrem(resolution: Resolution, side: OnPremSide | undefined): Resolution {
  return side ? { ...resolution, onPremises: side } : resolution;
}

function resolveVerdict(error: SyncError, outcome: LookupOutcome | null, now: Date, side: OnPremSide | undefined, initialDomain: string | null): Resolution {
  const base = { fingerprint: error.fingerprint, resolvedAt: now.toISOString() };
  const adHolders = side?.holders ?? [];
  if (!needsLookup(error, side) && adHolders.length === 0) {
    const { actions, note } = notApplicableActions(error, initialDomain);
    return { ...base, verdict: 'not-applicable', holders: [], actions, note };
  }
  if (!outcome || outcome.status === 'unresolved') {
    const note = outcome?.note ?? 'nothing was looked up';
    // the duplicate is inside AD whatever the cloud holds: AD alone says where to fix it
    if (adHolders.length > 0) return { ...base, verdict: 'onprem-duplicate', holders: [], actions: onPremDuplicateActions(side!, []), note: `Entra ID: ${note}` };
    return { ...base, verdict: 'unresolved', holders: [], actions: unresolvedActions(error), note };
  }
  // a report that names no value: the failing object's values, read from AD, are what was searched
  const named = lookupsOf(error);
  const lookups = valuesToSearch(named, side?.object);
  const holders = dedupe(outcome.holders);
  const others = holders.filter((h) => !isSameObject(error, h, side));
  // a holder whose sync state its source did not give is neither cloud-only nor synced
  const unsure = others.filter((h) => !h.deleted && h.syncStateUnknown);
  const live = others.filter((h) => !h.deleted && !h.syncStateUnknown);
  const cloudUsers = live.filter((h) => h.type === 'user' && h.onPremisesSyncEnabled !== true);
  // of several cloud users, the one with the object's own name is the one it may be
  const ownName = cloudUsers.find((h) => holdsIdentity(error, h));
  const cloudOnly = ownName ?? live.find((h) => h.onPremisesSyncEnabled !== true);
  const synced = live.find((h) => h.onPremisesSyncEnabled === true);
  const deleted = others.find((h) => h.deleted);

  let verdict: Verdict;
  let actions;
  let note: string | null = null;
  if (cloudOnly) {
    verdict = 'cloud-only-holder';
    const adminRole = isAdminRoleConflict(error) && cloudOnly.type === 'user';
    // the failing object's own cloud copy, a synced user other than the holder: an update failed, no new object to join
    const ownCopy = outcome.ownCopies?.find((h) => h.id !== cloudOnly.id && h.onPremisesSyncEnabled === true);
    actions = adminRole ? adminRoleConflictActions(error, cloudOnly) : cloudOnlyActions(error, cloudOnly, lookups, { onPremKind: onPremKindOf(error, side), ownCopy, rivals: ownName ? [] : cloudUsers.filter((h) => h !== cloudOnly) });
    if (adminRole) note = ADMIN_ROLE_NOTE;
    else if (cloudOnly.onPremisesSyncEnabled === false) note = 'The holder was synced once and is now mastered in the cloud: taking it over is what BlockCloudObjectTakeoverThroughHardMatchEnabled blocks.';
    // each value held by another object too: freed there as well, or the error stays after the fix
    const alsoHeld = live.filter((h) => h !== cloudOnly && h.matched.some((m) => !cloudOnly.matched.some((c) => c.value.toLowerCase() === m.value.toLowerCase())));
    if (alsoHeld.length) actions = beforeSync(actions, alsoHeld.flatMap((h) => [confirmHolder(h), ...(h.onPremisesSyncEnabled === true ? syncedHolderFixSteps(h) : freeValueSteps(h, lookups))]));
    if (adHolders.length > 0) actions = beforeSync(actions, adDuplicateSteps(side!));
  } else if (adHolders.length > 0) {
    verdict = 'onprem-duplicate';
    actions = onPremDuplicateActions(side!, live.filter((h) => h.onPremisesSyncEnabled === true));
  } else if (synced) {
    verdict = 'synced-holder';
    actions = syncedActions(error, synced, lookups, side?.object ?? undefined);
  } else if (unsure.length) {
    verdict = 'holder-sync-unknown';
    actions = unsureHolderActions(unsure[0]!, lookups);
  } else if (deleted) {
    verdict = 'soft-deleted-holder';
    actions = softDeletedActions(deleted, lookups);
  } else if (outcome.incomplete || side?.status === 'unavailable') {
    // what was searched could not show every holder (a snapshot without addresses, AD not read):
    // finding nobody, or only the object itself, proves nothing
    verdict = 'holder-unknown';
    actions = noHolderActions(lookups);
  } else if (holders.length > 0) {
    verdict = 'same-object';
    actions = sameObjectActions(holders[0]!);
  } else {
    verdict = 'no-holder';
    actions = noHolderActions(lookups);
    note = outcome.gap
      ? 'No live user, group or contact visible through Graph holds the value.'
      : `No user, group or contact visible through Graph holds the value (live, or soft-deleted users and Microsoft 365 groups). ${GONE_GROUPS} It may be held by a mail-enabled public folder or a soft-deleted Exchange recipient, or it was freed since the report.`;
  }
  if (live.length + unsure.length > 0) actions = withRecycleBin(actions, deleted, outcome.recycleBinSkipped === true, lookups);
  // Said in the ticket, so nobody reads "no holder" as "the recycle bin is empty".
  if (outcome.gap) note = note ? `${note} ${outcome.gap}` : outcome.gap;
  return { ...base, verdict, holders, actions, note };
}

/**
 * A live holder's steps, and the recycle bin's part: a soft-deleted object found
 * holding the value too is freed before the sync like the live one; when the recycle bin went
 * unsearched (Graph looks there only for a value nobody live holds), where to look if the
 * next report still lists the value.
 */
function withRecycleBin(actions: Action[], deleted: Holder | undefined, skipped: boolean, lookups: NormalisedLookup[]): Action[] {
  if (deleted) return beforeSync(actions, softDeletedActions(deleted, lookups).filter((a) => a !== DELTA_SYNC));
  if (!skipped || !lookups[0]) return actions;
  return [
    ...actions,
    recycleBinStep(
      lookups[0],
      'The recycle bin was not searched (a live holder was found first). If the next report still lists the value after the steps above, a soft-deleted user or Microsoft 365 group may hold it too (they keep their addresses for 30 days): look there.',
    ),
  ];
}

/** A resolution standing in for a lookup that did not happen or failed for good. */
export function unresolved(fingerprint: string, note: string, now: Date = new Date()): Resolution {
  return { fingerprint, verdict: 'unresolved', holders: [], actions: [], note, resolvedAt: now.toISOString() };
}
