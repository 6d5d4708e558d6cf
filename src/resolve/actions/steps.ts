import type { SyncError } from '../../../schemas/report.schema.ts';
import type { Holder, OnPremSide, RecommendedAction } from '../../../schemas/resolution.schema.ts';
import { normaliseLookup, type NormalisedLookup } from '../lookup-key.ts';
import { holderFilters } from '../lookup-plan.ts';
import { anchorLdapFilter, ldapValue, odataEq, onServerOf, psFilter, psQuote } from '../powershell.ts';

/**
 * The pieces every verdict's steps are made of: a step, the delta sync, and the commands that
 * find or show an object (Microsoft Graph PowerShell, ActiveDirectory). Every value is quoted
 * with psQuote/psFilter: it came from a mail or a directory.
 */

export type Action = RecommendedAction;
export const step = (text: string, command: string | null = null): Action => ({ step: text, command });

export const GET_CMD = { user: 'Get-MgUser -UserId', group: 'Get-MgGroup -GroupId', contact: 'Get-MgContact -OrgContactId' } as const;
export const PROPS = {
  user: 'Id,DisplayName,UserPrincipalName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesImmutableId,OnPremisesDistinguishedName',
  // GroupTypes ("Unified"), MailEnabled and SecurityEnabled tell which Exchange cmdlet changes the group
  group: 'Id,DisplayName,Mail,ProxyAddresses,GroupTypes,MailEnabled,SecurityEnabled,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesSamAccountName',
  contact: 'Id,DisplayName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime',
} as const;
export const SYNC_COMMAND = 'Start-ADSyncSyncCycle -PolicyType Delta';
export const DELTA_SYNC = step('Run a delta sync on the Entra Connect server and check the next report.', SYNC_COMMAND);

/** The values of an error that can be searched (UPN, addresses), normalised. */
export function lookupsOf(error: SyncError): NormalisedLookup[] {
  const out: NormalisedLookup[] = [];
  for (const a of error.attributes) {
    if (a.value === null) continue;
    const n = normaliseLookup({ attribute: a.name, value: a.value });
    if (n && !out.some((o) => o.key === n.key)) out.push(n);
  }
  return out;
}

/** The Get-Mg* -Filter command that finds whoever holds a value, for the agent to confirm. */
export function confirmCommands(l: NormalisedLookup): string[] {
  const { user: userFilter, other: otherFilter } = holderFilters(l);
  return [
    `Get-MgUser -Filter ${psFilter(userFilter)} -Property ${PROPS.user} | Format-List`,
    `Get-MgGroup -Filter ${psFilter(otherFilter)} -Property ${PROPS.group} | Format-List`,
    `Get-MgContact -Filter ${psFilter(otherFilter)} -Property ${PROPS.contact} | Format-List`,
  ];
}

export function confirmHolder(h: Holder): Action {
  const type = h.type === 'unknown' ? 'user' : h.type;
  return step(
    `Confirm the holder "${h.displayName ?? h.id}" (${type} ${h.id}) in Entra ID.`,
    `${GET_CMD[type]} ${psQuote(h.id)} -Property ${PROPS[type]} | Format-List`,
  );
}

/**
 * The commands that hard-delete the copy sync made of an on-premises object (its anchor is the
 * copy's ImmutableId), when it is the one object found (none is found when sync made no copy, as
 * for InvalidSoftMatch, whose add failed: then there is nothing to delete): the first deletes it and keeps its id,
 * the second takes it out of deleted items, and is the one to run again while the deleted item
 * is not there yet (a second search would no longer find the deleted copy). `$id` starts empty,
 * so an id kept from an earlier ticket in the same session is never deleted.
 */
export function deleteSyncedCopyCommand(anchor: string | null): string {
  const found = anchor ? `@(Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))})` : `@(Get-MgUser -UserId ${psQuote('<quarantined-object-id>')})`;
  return [
    `$id = $null; $q = ${found}; if ($q.Count -eq 1) { $id = $q[0].Id; Remove-MgUser -UserId $id } elseif ($q.Count -eq 0) { 'no copy made by sync: nothing to delete, go on' } else { "$($q.Count) objects found: stop here" }`,
    'if ($id) { Remove-MgDirectoryDeletedItem -DirectoryObjectId $id }',
  ].join('\n');
}
export const RETRY_DELETED_ITEM = 'if the deleted item is not found yet, run its last line again a minute later';

/**
 * Shows the copy sync made of an on-premises object before anything deletes it: who it is, its
 * mail and licences (a copy that has been working for weeks may hold a mailbox), so the agent
 * deletes the object they looked at (the find and the permanent delete were one
 * pasted block, the copy never shown).
 */
export function showSyncedCopyStep(anchor: string | null): Action {
  const properties = 'Id,DisplayName,UserPrincipalName,Mail,CreatedDateTime,AssignedLicenses';
  return step(
    'Look at the copy sync made of the on-premises object before deleting it: it must be the one object shown, and hold nothing you need (a mailbox, licences).',
    anchor
      ? `Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))} -Property ${properties} | Format-List ${properties}`
      : `Get-MgUser -UserId ${psQuote('<quarantined-object-id>')} -Property ${properties} | Format-List ${properties}`,
  );
}

/** The steps with `more` put before their last delta sync (or at the end when they have none). */
export function beforeSync(actions: Action[], more: Action[]): Action[] {
  const at = actions.findLastIndex((a) => a.command === SYNC_COMMAND);
  return at < 0 ? [...actions, ...more] : [...actions.slice(0, at), ...more, ...actions.slice(at)];
}

/** The forest-wide (Global Catalog) search for every AD object holding one of the values. */
export function adSearchCommand(lookups: NormalisedLookup[]): string {
  const clauses = new Set<string>();
  for (const l of lookups) {
    const v = ldapValue(l.value);
    if (l.kind === 'upn') clauses.add(`(userPrincipalName=${v})`);
    // a UPN is searched as an address too: Entra keeps UPNs and SMTP addresses unique together
    const type = l.kind === 'upn' ? 'smtp' : l.addressType;
    clauses.add(`(proxyAddresses=${type}:${v})`);
    if (type === 'smtp') clauses.add(`(mail=${v})`);
  }
  return `Get-ADObject -Server ((Get-ADDomain).DNSRoot + ':3268') -LDAPFilter ${psQuote(`(|${[...clauses].join('')})`)} -Properties userPrincipalName,mail,proxyAddresses | Format-List DistinguishedName,ObjectClass,userPrincipalName,mail,proxyAddresses`;
}

/** Shows the synced values of AD objects by DN, for the agent to confirm before changing anything. */
export function adShowCommand(dns: string[]): string {
  return dns.map((dn) => `Get-ADObject -Identity ${psQuote(dn)}${onServerOf(dn)} -Properties userPrincipalName,mail,proxyAddresses,whenChanged | Format-List DistinguishedName,ObjectClass,userPrincipalName,mail,proxyAddresses,whenChanged`).join('\n');
}

/**
 * The reported object in AD, showing `properties` (or `show`): by its source anchor when the
 * report gives one (exactly that object), else by the name the report gives it (a UPN, an
 * address or a display name, which a namesake may share).
 */
export function adReportedObjectCommand(error: SyncError, properties: string, show = `Format-List DistinguishedName,${properties}`): string {
  const who = ldapValue(error.identity ?? '<object>');
  const filter = (error.onPremisesObjectId && anchorLdapFilter(error.onPremisesObjectId)) || `(|(userPrincipalName=${who})(mail=${who})(displayName=${who}))`;
  return `Get-ADObject -LDAPFilter ${psQuote(filter)} -Properties ${properties} | ${show}`;
}

/** When a duplicate error names no value: the addresses of the reported object, to search one by one. */
export function listObjectValues(error: SyncError): Action {
  return step(
    'The report does not name the conflicting value: list the UPN and addresses of the reported object in AD, then search Entra ID for each one (Get-MgUser/Get-MgGroup/Get-MgContact -Filter "proxyAddresses/any(x:x eq \'smtp:<address>\')").',
    adReportedObjectCommand(error, 'userPrincipalName,mail,proxyAddresses'),
  );
}

/** What the on-premises object is, as far as AD (when read) or the report's object type says: a user, something else, or not known. */
export type OnPremClass = 'user' | 'other' | null;

export function onPremClassOf(error: SyncError, side?: OnPremSide): OnPremClass {
  return classOfKind(onPremKindOf(error, side));
}

/** The failing object's kind in lower case ("user", "group", "contact"…), as AD (when read) or the report says it; null when neither does. */
export function onPremKindOf(error: SyncError, side?: OnPremSide): string | null {
  return side?.object?.kind ?? error.objectType?.toLowerCase() ?? null;
}

export function classOfKind(kind: string | null): OnPremClass {
  if (kind === 'user') return 'user';
  return kind && OTHER_CLASSES.has(kind) ? 'other' : null;
}
/** The classes that are no user, as AD's kinds and the report's object types (lower case) name them; another word says nothing. */
const OTHER_CLASSES: ReadonlySet<string> = new Set(['group', 'contact', 'computer', 'device', 'publicfolder', 'msexchdynamicdistributionlist', 'other']);
