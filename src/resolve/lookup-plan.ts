import type { Holder } from '../../schemas/resolution.schema.ts';
import { splitProxyAddress, type NormalisedLookup } from './lookup-key.ts';
import { anyEq, endsWith, eq, graphPath, or } from './odata.ts';

/**
 * Which Graph queries answer "who holds this value", and how to read their answers.
 * One query per object type (no single query covers users, groups and contacts), a
 * `$select` per type (contacts have no UPN, groups no immutable id), and a client-side
 * check of every object returned, reporting which attribute matched.
 */

export type ObjectKind = 'user' | 'group' | 'contact';

export interface PlannedQuery {
  kind: ObjectKind;
  deleted: boolean;
  /** Relative url without the version, every value escaped and percent-encoded. */
  url: string;
  headers?: Record<string, string>;
}

export const SELECT = {
  user: 'id,displayName,userPrincipalName,mail,mailNickname,proxyAddresses,accountEnabled,createdDateTime,userType,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesImmutableId,onPremisesDistinguishedName,onPremisesSamAccountName,onPremisesUserPrincipalName,onPremisesProvisioningErrors',
  group: 'id,displayName,mail,mailNickname,mailEnabled,securityEnabled,groupTypes,proxyAddresses,createdDateTime,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesSamAccountName,onPremisesSecurityIdentifier,onPremisesDomainName,onPremisesProvisioningErrors',
  contact: 'id,displayName,mail,mailNickname,proxyAddresses,onPremisesSyncEnabled,onPremisesLastSyncDateTime,onPremisesProvisioningErrors',
} as const;

const PATHS = {
  user: '/users',
  group: '/groups',
  contact: '/contacts',
  deletedUser: '/directory/deletedItems/microsoft.graph.user',
  deletedGroup: '/directory/deletedItems/microsoft.graph.group',
} as const;

/** Both cases of the type prefix: the report may quote the primary (`SMTP:`) and the holder store a secondary (`smtp:`). */
function proxyClauses(l: NormalisedLookup): string[] {
  const t = l.addressType;
  return [anyEq('proxyAddresses', `${t.toUpperCase()}:${l.value}`), anyEq('proxyAddresses', `${t}:${l.value}`)];
}

const isSmtp = (l: NormalisedLookup): boolean => l.kind === 'upn' || l.addressType === 'smtp';

/**
 * The live searches' filters: users by UPN, mail and proxy address, groups and contacts by
 * mail and proxy address (a value that is not SMTP by proxy address only). The agent's
 * confirm commands (actions/steps.ts) search with the same filters.
 */
export function holderFilters(l: NormalisedLookup): { user: string; other: string } {
  const proxies = proxyClauses(l);
  return {
    user: isSmtp(l) ? or(eq('userPrincipalName', l.value), eq('mail', l.value), ...proxies) : or(...proxies),
    other: isSmtp(l) ? or(eq('mail', l.value), ...proxies) : or(...proxies),
  };
}

/** The live searches: users, groups and contacts. */
export function liveQueries(l: NormalisedLookup): PlannedQuery[] {
  const { user: userFilter, other: otherFilter } = holderFilters(l);
  return [
    { kind: 'user', deleted: false, url: graphPath(PATHS.user, { $filter: userFilter, $select: SELECT.user, $top: 999 }) },
    { kind: 'group', deleted: false, url: graphPath(PATHS.group, { $filter: otherFilter, $select: SELECT.group, $top: 999 }) },
    { kind: 'contact', deleted: false, url: graphPath(PATHS.contact, { $filter: otherFilter, $select: SELECT.contact, $top: 999 }) },
  ];
}

/**
 * The soft-deleted fallback. A deleted user's UPN gets its object id as a prefix, so the
 * UPN is matched with endswith, an advanced query (ConsistencyLevel + $count).
 * orgContacts are never soft-deleted, and of the groups only Microsoft 365 ones are (a
 * deleted security or distribution group is gone at once): what the group query finds
 * there is always a Microsoft 365 group.
 */
export function deletedQueries(l: NormalisedLookup): PlannedQuery[] {
  const proxies = proxyClauses(l);
  const advanced = { headers: { ConsistencyLevel: 'eventual' } };
  const userFilter = isSmtp(l) ? or(endsWith('userPrincipalName', l.value), eq('mail', l.value), ...proxies) : or(...proxies);
  const groupFilter = isSmtp(l) ? or(eq('mail', l.value), ...proxies) : or(...proxies);
  return [
    { kind: 'user', deleted: true, url: graphPath(PATHS.deletedUser, { $filter: userFilter, $select: SELECT.user, $count: isSmtp(l) ? true : undefined, $top: 999 }), ...(isSmtp(l) ? advanced : {}) },
    { kind: 'group', deleted: true, url: graphPath(PATHS.deletedGroup, { $filter: groupFilter, $select: SELECT.group, $top: 999 }) },
  ];
}

/**
 * The narrower soft-deleted search, tried once when Graph refuses the full one: `mail eq`
 * alone, the form of Microsoft's own deletedItems examples. Nothing narrower exists for a
 * non-SMTP address (its only handle is the proxyAddresses lambda).
 */
export function narrowDeletedQueries(l: NormalisedLookup): PlannedQuery[] {
  if (!isSmtp(l)) return [];
  const filter = eq('mail', l.value);
  return [
    { kind: 'user', deleted: true, url: graphPath(PATHS.deletedUser, { $filter: filter, $select: SELECT.user, $top: 999 }) },
    { kind: 'group', deleted: true, url: graphPath(PATHS.deletedGroup, { $filter: filter, $select: SELECT.group, $top: 999 }) },
  ];
}

/**
 * The users whose ImmutableId is the failing object's source anchor: its own cloud copy, if sync
 * made one. A plain `eq` filter (user.md: onPremisesImmutableId supports eq); two at most, as an
 * anchor names one user. Groups and contacts have no immutable id in Graph.
 */
export function anchorQuery(anchor: string): PlannedQuery {
  return { kind: 'user', deleted: false, url: graphPath(PATHS.user, { $filter: eq('onPremisesImmutableId', anchor), $select: SELECT.user, $top: 2 }) };
}

/** A user an anchor search returned, as a Holder of that anchor (null when its ImmutableId is another one). */
export function anchorHolder(obj: Record<string, unknown>, anchor: string): Holder | null {
  const id = str(obj.onPremisesImmutableId);
  return id === anchor ? holderOf(obj, 'user', false, [{ attribute: 'onPremisesImmutableId', value: id }]) : null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const DELETED_UPN = /^[0-9a-f]{32}(.+)$/i;

/** An object Graph returned, as a Holder, or null when it does not really hold the value (client-side check). */
export function toHolder(obj: Record<string, unknown>, kind: ObjectKind, deleted: boolean, l: NormalisedLookup): Holder | null {
  const value = l.value.toLowerCase();
  const matched: Holder['matched'] = [];
  const upn = str(obj.userPrincipalName);
  if (isSmtp(l) && upn) {
    const live = upn.toLowerCase();
    const restored = deleted ? DELETED_UPN.exec(upn)?.[1]?.toLowerCase() : undefined;
    if (live === value || restored === value) matched.push({ attribute: 'userPrincipalName', value: upn });
  }
  const mail = str(obj.mail);
  if (isSmtp(l) && mail && mail.toLowerCase() === value) matched.push({ attribute: 'mail', value: mail });
  const proxies = Array.isArray(obj.proxyAddresses) ? obj.proxyAddresses.filter((p): p is string => typeof p === 'string') : [];
  for (const p of proxies) {
    const { type, bare } = splitProxyAddress(p);
    if (type === l.addressType && bare.toLowerCase() === value) matched.push({ attribute: 'proxyAddresses', value: p });
  }
  return matched.length === 0 ? null : holderOf(obj, kind, deleted, matched);
}

function holderOf(obj: Record<string, unknown>, kind: ObjectKind, deleted: boolean, matched: Holder['matched']): Holder {
  const upn = str(obj.userPrincipalName);
  return {
    id: String(obj.id),
    type: kind,
    displayName: str(obj.displayName),
    userPrincipalName: kind === 'user' ? upn : null,
    mail: str(obj.mail),
    onPremisesSyncEnabled: typeof obj.onPremisesSyncEnabled === 'boolean' ? obj.onPremisesSyncEnabled : null,
    onPremisesLastSyncDateTime: str(obj.onPremisesLastSyncDateTime),
    onPremisesImmutableId: str(obj.onPremisesImmutableId),
    onPremisesDistinguishedName: str(obj.onPremisesDistinguishedName),
    deleted,
    ...(typeof obj.createdDateTime === 'string' && { createdDateTime: obj.createdDateTime }),
    ...(typeof obj.onPremisesSecurityIdentifier === 'string' && { onPremisesSecurityIdentifier: obj.onPremisesSecurityIdentifier }),
    ...(typeof obj.onPremisesDomainName === 'string' && { onPremisesDomainName: obj.onPremisesDomainName }),
    ...(kind === 'user' && Array.isArray(obj.proxyAddresses) && obj.proxyAddresses.length === 0 && { noMailbox: true }),
    ...(kind === 'user' && typeof obj.accountEnabled === 'boolean' && { accountEnabled: obj.accountEnabled }),
    ...(typeof obj.recipientTypeDetails === 'string' && obj.recipientTypeDetails && { recipientTypeDetails: obj.recipientTypeDetails }),
    ...(kind === 'group' && { groupKind: groupKindOf(obj) }),
    matched,
  };
}

/**
 * A group's kind as Graph's groupTypes, mailEnabled and securityEnabled say it (null: they were
 * not read). Without groupTypes a Microsoft 365 group (mail-enabled, not security-enabled) reads
 * as a distribution group.
 */
function groupKindOf(obj: Record<string, unknown>): Holder['groupKind'] {
  if (!Array.isArray(obj.groupTypes)) return null;
  if (obj.groupTypes.includes('Unified')) return 'microsoft365';
  if (typeof obj.mailEnabled !== 'boolean' || typeof obj.securityEnabled !== 'boolean') return null;
  if (obj.mailEnabled) return obj.securityEnabled ? 'mail-enabled security' : 'distribution';
  return 'security';
}
