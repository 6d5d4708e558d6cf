import { randomUUID } from 'node:crypto';
import { SCHEMAS, TYPE_NAMES, type ResourceType } from './schema.ts';

/**
 * The fake tenant's directory: live users, groups and contacts, and soft-deleted users
 * and Microsoft 365 groups (orgContacts are never soft-deleted; deleted security and
 * distribution groups are gone at once: put groups there with deleteGroup). Objects are
 * plain Graph JSON.
 */
export type DirObject = Record<string, unknown> & { id: string };

export interface FakeDirectory {
  users: DirObject[];
  groups: DirObject[];
  contacts: DirObject[];
  deletedUsers: DirObject[];
  deletedGroups: DirObject[];
}

export function emptyDirectory(): FakeDirectory {
  return { users: [], groups: [], contacts: [], deletedUsers: [], deletedGroups: [] };
}

/** Fills in what Graph would return for a never-synced (cloud-only) object. */
const cloudOnly = { onPremisesSyncEnabled: null, onPremisesLastSyncDateTime: null, onPremisesProvisioningErrors: [] };

export function user(props: Partial<DirObject> & { userPrincipalName: string }): DirObject {
  return {
    id: randomUUID(),
    displayName: props.userPrincipalName.split('@')[0],
    mail: null,
    proxyAddresses: [],
    accountEnabled: true,
    userType: 'Member',
    onPremisesImmutableId: null,
    onPremisesDistinguishedName: null,
    ...cloudOnly,
    ...props,
  };
}

export function syncedUser(props: Partial<DirObject> & { userPrincipalName: string; onPremisesImmutableId: string }): DirObject {
  return user({
    onPremisesSyncEnabled: true,
    onPremisesLastSyncDateTime: '2026-11-20T08:00:00Z',
    onPremisesDistinguishedName: `CN=${props.userPrincipalName.split('@')[0]},OU=Users,DC=contoso,DC=local`,
    ...props,
  });
}

export function group(props: Partial<DirObject> & { displayName: string }): DirObject {
  return { id: randomUUID(), mail: null, mailEnabled: true, securityEnabled: false, groupTypes: ['Unified'], proxyAddresses: [], ...cloudOnly, ...props };
}

export function contact(props: Partial<DirObject> & { displayName: string }): DirObject {
  return { id: randomUUID(), mail: null, proxyAddresses: [], ...cloudOnly, ...props };
}

/** A soft-deleted user as Graph shows it: the UPN gets the object id (no dashes) as a prefix. */
export function deletedUser(props: Partial<DirObject> & { userPrincipalName: string }): DirObject {
  const u = user(props);
  return { ...u, userPrincipalName: `${u.id.replace(/-/g, '')}${props.userPrincipalName}`, deletedDateTime: '2026-11-18T10:00:00Z' };
}

/** A Microsoft 365 group: `groupTypes` contains "Unified". */
export function isUnified(g: DirObject): boolean {
  return Array.isArray(g.groupTypes) && g.groupTypes.includes('Unified');
}

/**
 * Deletes a group as Entra does: a Microsoft 365 group goes to the recycle bin (deletedItems)
 * for 30 days; a security or distribution group is gone at once. Returns whether it was kept.
 */
export function deleteGroup(dir: FakeDirectory, g: DirObject, deletedDateTime = '2026-11-18T10:00:00Z'): boolean {
  dir.groups = dir.groups.filter((o) => o.id !== g.id);
  if (!isUnified(g)) return false;
  dir.deletedGroups.push({ ...g, deletedDateTime });
  return true;
}

/** Projects an object to `$select` (or the type's default properties). Throws the Graph message for unknown names. */
export function project(obj: DirObject, type: ResourceType, select: string[] | null): Record<string, unknown> {
  const schema = SCHEMAS[type];
  const names = select ?? Object.keys(schema).filter((k) => schema[k]!.byDefault);
  const out: Record<string, unknown> = { id: obj.id };
  for (const n of names) {
    if (!schema[n]) throw new Error(`Parsing OData Select and Expand failed: Could not find a property named '${n}' on type '${TYPE_NAMES[type].odata}'.`);
    out[n] = obj[n] ?? (schema[n]!.multi ? [] : null);
  }
  return out;
}
