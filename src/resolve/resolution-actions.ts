import { ADMIN_ROLE_CONFLICT_CODES, type SyncError } from '../../schemas/report.schema.ts';
import type { Holder, OnPremObjectData, OnPremSide, RecommendedAction } from '../../schemas/resolution.schema.ts';
import { normaliseLookup, type NormalisedLookup } from './lookup-key.ts';
import { matchedValues } from './onprem/onprem-values.ts';
import { odataString } from './odata.ts';
import { ldapValue, odataEq, psFilter, psQuote } from './powershell.ts';

/**
 * The steps an agent follows for each verdict, with exact Microsoft Graph PowerShell
 * (and, where the fix is on-premises, ActiveDirectory / ADSync) commands. Every value
 * is quoted with psQuote/psFilter: it came from a mail or a directory.
 */

type Action = RecommendedAction;
const step = (text: string, command: string | null = null): Action => ({ step: text, command });

const GET_CMD = { user: 'Get-MgUser -UserId', group: 'Get-MgGroup -GroupId', contact: 'Get-MgContact -OrgContactId' } as const;
const PROPS = {
  user: 'Id,DisplayName,UserPrincipalName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesImmutableId,OnPremisesDistinguishedName',
  group: 'Id,DisplayName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime,OnPremisesSamAccountName',
  contact: 'Id,DisplayName,Mail,ProxyAddresses,OnPremisesSyncEnabled,OnPremisesLastSyncDateTime',
} as const;
const SYNC_COMMAND = 'Start-ADSyncSyncCycle -PolicyType Delta';
const DELTA_SYNC = step('Run a delta sync on the Entra Connect server and check the next report.', SYNC_COMMAND);

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

function storedForm(l: NormalisedLookup): string {
  return l.kind === 'upn' ? l.value : `${l.addressType}:${l.value}`;
}

/** The Get-Mg* -Filter command that finds whoever holds a value, for the agent to confirm. */
export function confirmCommands(l: NormalisedLookup): string[] {
  const t = l.addressType;
  const lambda = `proxyAddresses/any(x:x eq ${odataString(`${t.toUpperCase()}:${l.value}`)}) or proxyAddresses/any(x:x eq ${odataString(`${t}:${l.value}`)})`;
  const userFilter = l.kind === 'upn' || t === 'smtp' ? `${odataEq('userPrincipalName', l.value)} or ${odataEq('mail', l.value)} or ${lambda}` : lambda;
  const otherFilter = t === 'smtp' ? `${odataEq('mail', l.value)} or ${lambda}` : lambda;
  return [
    `Get-MgUser -Filter ${psFilter(userFilter)} -Property ${PROPS.user} | Format-List`,
    `Get-MgGroup -Filter ${psFilter(otherFilter)} -Property ${PROPS.group} | Format-List`,
    `Get-MgContact -Filter ${psFilter(otherFilter)} -Property ${PROPS.contact} | Format-List`,
  ];
}

function confirmHolder(h: Holder): Action {
  const type = h.type === 'unknown' ? 'user' : h.type;
  return step(
    `Confirm the holder "${h.displayName ?? h.id}" (${type} ${h.id}) in Entra ID.`,
    `${GET_CMD[type]} ${psQuote(h.id)} -Property ${PROPS[type]} | Format-List`,
  );
}

/**
 * Takes an address off a cloud recipient in Exchange Online. Its primary address (its mail,
 * "SMTP:" in capitals) cannot just be removed: the recipient gets another primary first (an
 * added "SMTP:" address, in capitals, becomes the primary: Set-Mailbox's -PrimarySmtpAddress is
 * on-premises only). A contact's primary address is the contact itself: it goes, once nobody uses it.
 */
function exchangeRemoveCommand(h: Holder, address: string, primary: boolean): string {
  const id = psQuote(h.userPrincipalName ?? h.mail ?? h.id);
  const remove = `@{remove=${psQuote(address.replace(/^smtp:/i, 'smtp:'))}}`;
  if (h.type === 'contact') return primary ? `Remove-MailContact -Identity ${id}` : `Set-MailContact -Identity ${id} -EmailAddresses ${remove}`;
  if (h.type === 'group') {
    const newPrimary = primary ? `Set-UnifiedGroup -Identity ${id} -PrimarySmtpAddress ${psQuote('<new-primary-address>')}; ` : '';
    return `${newPrimary}Set-UnifiedGroup -Identity ${id} -EmailAddresses ${remove}  # distribution group: Set-DistributionGroup`;
  }
  const newPrimary = primary ? `Set-Mailbox -Identity ${id} -EmailAddresses @{add=${psQuote('SMTP:<new-primary-address>')}}; ` : '';
  return `${newPrimary}Set-Mailbox -Identity ${id} -EmailAddresses ${remove}  # mail user: Set-MailUser`;
}

/** The command that hard-deletes the copy sync made of an on-premises object (its anchor is the copy's ImmutableId), when it is the one object found. */
function deleteSyncedCopyCommand(anchor: string | null): string {
  const found = anchor ? `@(Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))})` : `@(Get-MgUser -UserId ${psQuote('<quarantined-object-id>')})`;
  return `$q = ${found}; if ($q.Count -eq 1) { Remove-MgUser -UserId $q[0].Id; Remove-MgDirectoryDeletedItem -DirectoryObjectId $q[0].Id }`;
}

/**
 * A cloud-only holder: the same person (join the two) or another object (free the value).
 * Entra matches only an object that arrives new from sync ("If you change an existing object
 * so it matches any of these attributes, then you see an error instead", how-to-connect-
 * install-existing-tenant), so joining starts by deleting the copy sync already made.
 */
export function cloudOnlyActions(error: SyncError, holder: Holder, lookups: NormalisedLookup[]): Action[] {
  const actions = [confirmHolder(holder)];
  const upnMatch = holder.matched.find((m) => m.attribute === 'userPrincipalName');
  const address = holder.matched.find((m) => m.attribute === 'proxyAddresses' || m.attribute === 'mail');
  const primary = holder.matched.some((m) => m.attribute === 'mail' || m.value.startsWith('SMTP:'));
  if (holder.type === 'user') {
    const anchor = error.onPremisesObjectId;
    actions.push(
      step(
        'If the cloud user is the same person as the on-premises object, join them. Entra matches only objects that arrive new from sync, and not while matching is blocked for the tenant or the cloud user holds an admin role: check both.',
        '(Get-MgDirectoryOnPremiseSynchronization).Features | Select-Object BlockSoftMatchEnabled,BlockCloudObjectTakeoverThroughHardMatchEnabled',
      ),
      step(
        'Pause the sync scheduler on the Entra Connect server, so that no cycle re-creates the copy before the match, then hard-delete the copy sync made of the on-premises object (made by sync: check it holds no mailbox data you need first; if the deleted item is not found yet, run the second command again a minute later).',
        `Set-ADSyncScheduler -SyncCycleEnabled $false\n${deleteSyncedCopyCommand(anchor)}`,
      ),
      anchor
        ? step(
            "Then hard-match: write the on-premises object's anchor onto the cloud user as its ImmutableId, resume the scheduler and run a delta sync. The on-premises values (and its password, with password hash sync) overwrite the cloud user's.",
            `Update-MgUser -UserId ${psQuote(holder.id)} -OnPremisesImmutableId ${psQuote(anchor)}\nSet-ADSyncScheduler -SyncCycleEnabled $true`,
          )
        : step(
            "Then resume the scheduler and run a delta sync: the on-premises object, new to Entra again, soft-matches the cloud user by primary SMTP address or UPN. Its values (and its password, with password hash sync) overwrite the cloud user's.",
            'Set-ADSyncScheduler -SyncCycleEnabled $true',
          ),
    );
  }
  if (upnMatch) {
    actions.push(
      step(
        'If the cloud user is a different person, free the UPN by renaming the cloud user.',
        `Update-MgUser -UserId ${psQuote(holder.id)} -UserPrincipalName ${psQuote(`<new-name>@${upnMatch.value.split('@')[1] ?? '<domain>'}`)}`,
      ),
    );
  }
  if (address) {
    const what =
      holder.type === 'contact' && primary
        ? 'If it is a different object, delete the contact if nobody needs it: the address is the contact\'s own.'
        : `If it is a different object, take the address off it in Exchange Online (${primary ? 'it is the holder\'s primary address: give it another one first' : 'a secondary address'}).`;
    actions.push(step(what, exchangeRemoveCommand(holder, address.value, primary)));
  }
  if (!upnMatch && !address && lookups[0]) actions.push(step(`Remove ${storedForm(lookups[0])} from the cloud object.`));
  actions.push(DELTA_SYNC);
  return actions;
}

/** The error names a UPN a cloud user with an admin role holds (the name the report's error column gives it). */
export function isAdminRoleConflict(error: SyncError): boolean {
  return error.errorCode !== null && ADMIN_ROLE_CODES.has(error.errorCode);
}
const ADMIN_ROLE_CODES: ReadonlySet<string> = new Set(ADMIN_ROLE_CONFLICT_CODES);

export const ADMIN_ROLE_NOTE =
  'Existing Admin Role Conflict: Entra Connect does not soft-match an on-premises user to a cloud user that holds an admin role, so the on-premises user was kept apart (quarantined) instead of joining it.';

/**
 * Microsoft's fix (tshoot-connect-sync-errors, "Existing Admin Role Conflict"): take the roles
 * off the cloud user, hard-delete the quarantined copy, let sync soft-match, give the roles back.
 * The soft-match advice for other cloud holders would not work here: the role is what blocks it.
 * Roles are read as role assignments, active and eligible (PIM), not as directoryRole memberships,
 * which show only the active ones.
 */
export function adminRoleConflictActions(error: SyncError, holder: Holder): Action[] {
  const principal = psFilter(odataEq('principalId', holder.id));
  const anchor = error.onPremisesObjectId;
  return [
    confirmHolder(holder),
    step(
      'Write down the admin roles the cloud user holds, active and eligible: they must come off before sync can match it, and go back on afterwards (a role held through a group: take the user out of the group).',
      `Get-MgRoleManagementDirectoryRoleAssignment -Filter ${principal} -ExpandProperty RoleDefinition -All | Select-Object Id,@{n='Role';e={$_.RoleDefinition.DisplayName}},DirectoryScopeId; Get-MgRoleManagementDirectoryRoleEligibilitySchedule -Filter ${principal} -ExpandProperty RoleDefinition -All | Select-Object Id,@{n='EligibleRole';e={$_.RoleDefinition.DisplayName}}`,
    ),
    step('Remove each active assignment by its Id (eligible ones in Privileged Identity Management).', `Remove-MgRoleManagementDirectoryRoleAssignment -UnifiedRoleAssignmentId ${psQuote('<assignment-id>')}`),
    step(
      'Hard-delete the quarantined object sync created in the cloud for the on-premises user: delete it, then remove it from deleted items (only when exactly one object is found).',
      deleteSyncedCopyCommand(anchor),
    ),
    step('Run a delta sync: the on-premises user now soft-matches the cloud user.', SYNC_COMMAND),
    step('Give the cloud user back the roles written down in the second step.', null),
  ];
}

/** The steps with `more` put before their last delta sync (or at the end when they have none). */
export function beforeSync(actions: Action[], more: Action[]): Action[] {
  const at = actions.findLastIndex((a) => a.command === SYNC_COMMAND);
  return at < 0 ? [...actions, ...more] : [...actions.slice(0, at), ...more, ...actions.slice(at)];
}

/** The forest-wide (Global Catalog) search for every AD object holding one of the values. */
function adSearchCommand(lookups: NormalisedLookup[]): string {
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

export function syncedActions(holder: Holder, lookups: NormalisedLookup[], failing?: OnPremObjectData): Action[] {
  const actions = [confirmHolder(holder)];
  if (failing) {
    const other = holder.onPremisesDistinguishedName ? `is synced from ${holder.onPremisesDistinguishedName}` : 'is synced from an object outside the searched base DN (another domain or forest)';
    actions.push(step(`The two on-premises objects: the failing object is ${failing.dn}; the holder ${other}.`, adShowCommand([failing.dn, ...(holder.onPremisesDistinguishedName ? [holder.onPremisesDistinguishedName] : [])])));
  }
  actions.push(
    step(
      'The duplicate lives in on-premises AD: both objects are synced. Find every AD object holding the value (forest-wide, Global Catalog).',
      adSearchCommand(lookups),
    ),
  );
  const identity = psQuote(holder.onPremisesDistinguishedName ?? '<distinguishedName>');
  actions.push(step('Decide which of the two objects keeps the value (ask their owners when unsure); the steps below take it off the holder, so run them on the other object if it is the one that should lose it.'));
  for (const m of holder.matched) {
    if (m.attribute === 'userPrincipalName') {
      actions.push(step('On the object that should not have it, change the UPN in AD.', `Set-ADUser -Identity ${identity} -UserPrincipalName ${psQuote('<new-upn>')}`));
    } else if (m.attribute === 'proxyAddresses') {
      actions.push(step('On the object that should not have it, remove the address in AD.', `Set-ADObject -Identity ${identity} -Remove @{proxyAddresses=${psQuote(m.value)}}`));
    } else if (m.attribute === 'mail') {
      actions.push(step('On the object that should not have it, change mail in AD.', `Set-ADObject -Identity ${identity} -Replace @{mail=${psQuote('<new-address>')}}`));
    }
  }
  actions.push(step('Run IdFix against the forest to find other duplicates before they reach Entra ID.', null));
  actions.push(DELTA_SYNC);
  return actions;
}

const SET_AD = { user: 'Set-ADUser', group: 'Set-ADGroup', contact: 'Set-ADObject', computer: 'Set-ADComputer', other: 'Set-ADObject' } as const;

/** Shows the synced values of AD objects by DN, for the agent to confirm before changing anything. */
function adShowCommand(dns: string[]): string {
  return dns.map((dn) => `Get-ADObject -Identity ${psQuote(dn)} -Properties userPrincipalName,mail,proxyAddresses,whenChanged | Format-List DistinguishedName,ObjectClass,userPrincipalName,mail,proxyAddresses,whenChanged`).join('\n');
}

/** The exact command that takes one value off one AD object (a UPN or mail gets a new value instead). */
export function adRemoveCommand(o: Pick<OnPremObjectData, 'dn' | 'kind'>, m: { attribute: string; value: string }): string {
  const set = `${SET_AD[o.kind]} -Identity ${psQuote(o.dn)}`;
  switch (m.attribute) {
    case 'proxyAddresses':
      return `${set} -Remove @{proxyAddresses=${psQuote(m.value)}}`;
    case 'userPrincipalName':
      return `${set} -UserPrincipalName ${psQuote(`<new-name>@${m.value.split('@')[1] ?? '<domain>'}`)}`;
    case 'mail':
      return `${set} -Replace @{mail=${psQuote('<new-address>')}}`;
    default:
      return `${set} -Replace @{${psQuote(m.attribute)}=${psQuote('sip:<new-address>')}}`;
  }
}

function describeMatched(matched: Array<{ attribute: string; value: string }>): string {
  return matched.map((m) => `${m.attribute} ${m.value}`).join(', ');
}

function primaryWarning(matched: Array<{ value: string }>): string {
  return matched.some((m) => m.value.startsWith('SMTP:')) ? ' An uppercase SMTP: value is the primary address: make another address primary before removing it.' : '';
}

/**
 * The AD side of a duplicate inside AD: for each other holder, the commands that take the
 * values off it; then the same for the failing object, for when it is the one that should give way.
 */
export function adDuplicateSteps(side: OnPremSide): Action[] {
  const actions: Action[] = [];
  const shared: NormalisedLookup[] = [];
  for (const h of side.holders) {
    if (!h.matched.length) continue;
    actions.push(
      step(
        `If ${h.dn} (${h.kind} in AD) should not have ${describeMatched(h.matched)}, change it there.${primaryWarning(h.matched)}`,
        h.matched.map((m) => adRemoveCommand(h, m)).join('\n'),
      ),
    );
    for (const m of h.matched) {
      const n = normaliseLookup({ attribute: m.attribute === 'msRTCSIP-PrimaryUserAddress' ? 'proxyAddresses' : m.attribute, value: m.value });
      if (n && !shared.some((x) => x.key === n.key)) shared.push(n);
    }
  }
  const own = side.object ? matchedValues(side.object, shared) : [];
  if (side.object && own.length) {
    actions.push(
      step(
        `Or, if the failing object ${side.object.dn} is the one that should give way, change ${describeMatched(own)} on it.${primaryWarning(own)}`,
        own.map((m) => adRemoveCommand(side.object!, m)).join('\n'),
      ),
    );
  }
  return actions;
}

/** A duplicate inside on-premises AD: both objects by DN, the exact Set-AD* commands, IdFix, a delta sync. */
export function onPremDuplicateActions(side: OnPremSide, syncedCloudHolders: Holder[]): Action[] {
  const dns = [...(side.object ? [side.object.dn] : []), ...side.holders.map((h) => h.dn)];
  const actions: Action[] = syncedCloudHolders.map(confirmHolder);
  const who = side.object ? `the failing object ${side.object.dn} and ${side.holders.map((h) => h.dn).join(', ')}` : side.holders.map((h) => h.dn).join(', ');
  actions.push(step(`The duplicate lives in on-premises AD: ${who} hold the same value. Look at them and decide which keeps it.`, adShowCommand(dns)));
  actions.push(...adDuplicateSteps(side));
  actions.push(step('Run IdFix against the forest to find other duplicates before they reach Entra ID.', null));
  actions.push(DELTA_SYNC);
  return actions;
}

export function softDeletedActions(holder: Holder): Action[] {
  const id = psQuote(holder.id);
  const getCmd = holder.type === 'group' ? 'Get-MgDirectoryDeletedItemAsGroup' : 'Get-MgDirectoryDeletedItemAsUser';
  return [
    step(`Confirm the soft-deleted ${holder.type === 'group' ? 'Microsoft 365 group' : 'user'} "${holder.displayName ?? holder.id}" (recoverable for 30 days after deletion).`, `${getCmd} -DirectoryObjectId ${id} | Format-List`),
    step(
      `If it is not needed any more, delete it permanently: the value is then free${holder.type === 'group' ? ', and the group\'s mailbox, site and team are gone for good (ask its owners first)' : ''}.`,
      `Remove-MgDirectoryDeletedItem -DirectoryObjectId ${id}`,
    ),
    holder.type === 'group'
      ? step(
          'If it must come back, first take the address off the object that syncs it (or give the group another one once restored): restoring the group brings the conflict back.',
          `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${id}`,
        )
      : step(
          'If it must come back, restore it and let Entra strip the conflicting addresses (a user only).',
          `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${id} -BodyParameter @{ autoReconcileProxyConflict = $true }`,
        ),
    DELTA_SYNC,
  ];
}

export function sameObjectActions(holder: Holder): Action[] {
  const type = holder.type === 'unknown' ? 'user' : holder.type;
  return [
    step(
      'The reported object itself holds the value in Entra ID: the conflict is gone or was with an object since removed. Check whether the object still carries the provisioning error (Entra clears resolved ones within the hour).',
      `${GET_CMD[type]} ${psQuote(holder.id)} -Property OnPremisesProvisioningErrors | Select-Object -ExpandProperty OnPremisesProvisioningErrors`,
    ),
    DELTA_SYNC,
  ];
}

export function noHolderActions(lookups: NormalisedLookup[]): Action[] {
  const actions: Action[] = [];
  for (const l of lookups) for (const c of confirmCommands(l)) actions.push(step(`Confirm that no user, group or contact holds ${storedForm(l)}.`, c));
  const first = lookups[0];
  if (first) {
    const addr = `smtp:${first.value}`;
    actions.push(
      step(
        'Graph cannot see mail-enabled public folders or soft-deleted Exchange recipients; check them in Exchange Online.',
        `Get-Recipient -IncludeSoftDeletedRecipients -Filter ${psQuote(`EmailAddresses -eq '${addr.replace(/'/g, "''")}'`)} | Format-List Name,RecipientType,WhenSoftDeleted`,
      ),
      step(
        'Check orphaned mail-enabled public folders with ADSyncTools on the Entra Connect server.',
        `Get-ADSyncToolsAadObject -SyncObjectType PublicFolder | Where-Object { $_.ProxyAddresses -contains ${psQuote(addr)} }`,
      ),
    );
  }
  actions.push(DELTA_SYNC);
  return actions;
}

/** The reported object in AD by the name the report gives it (a UPN, an address or a display name), showing `properties` (or `show`). */
function adObjectByNameCommand(error: SyncError, properties: string, show = `Format-List DistinguishedName,${properties}`): string {
  const who = ldapValue(error.identity ?? '<object>');
  return `Get-ADObject -LDAPFilter ${psQuote(`(|(userPrincipalName=${who})(mail=${who})(displayName=${who}))`)} -Properties ${properties} | ${show}`;
}

/** When a duplicate error names no value: the addresses of the reported object, to search one by one. */
function listObjectValues(error: SyncError): Action {
  return step(
    'The report does not name the conflicting value: list the UPN and addresses of the reported object in AD, then search Entra ID for each one (Get-MgUser/Get-MgGroup/Get-MgContact -Filter "proxyAddresses/any(x:x eq \'smtp:<address>\')").',
    adObjectByNameCommand(error, 'userPrincipalName,mail,proxyAddresses'),
  );
}

/**
 * A cloud object of another class holds one of the object's proxy addresses, so sync cannot
 * match them: KB f02a39a4's contacts and groups migrated from FOPE, or any mail contact made
 * in the cloud for someone who is a user on-premises. The report names no address.
 */
function objectTypeMismatchActions(error: SyncError): { actions: Action[]; note: string } {
  return {
    note: 'A cloud object of another class (contact, group or user) already holds one of the object\'s proxy addresses, so sync cannot match the two; the report does not say which address.',
    actions: [
      listObjectValues(error),
      step(
        'Remove the cloud contact or group that holds the address (or take the address off it) in Exchange Online; the on-premises object then matches or is created at the next sync.',
        `Remove-MailContact -Identity ${psQuote('<address>')}  # a group: Remove-DistributionGroup`,
      ),
      DELTA_SYNC,
    ],
  };
}

/**
 * A duplicate of the on-premises SID, which Entra keeps as onPremisesSecurityIdentifier: the
 * report prints the value's .NET type ("[OnPremiseSecurityIdentifier System.Byte[];]"), not
 * the SID, so the agent reads the SID in AD and finds the cloud object still carrying it from
 * an earlier link. That SID cannot be edited, only replaced by sync (orbid365.be met it after
 * undoing a match, and freed it by matching the cloud user to another on-premises account).
 */
function sidDuplicateActions(error: SyncError): { actions: Action[]; note: string } {
  const bySid = psFilter(odataEq('onPremisesSecurityIdentifier', '<objectSid>'));
  const hardMatch = error.onPremisesObjectId ? `Update-MgUser -UserId ${psQuote('<cloud-user-id>')} -OnPremisesImmutableId ${psQuote(error.onPremisesObjectId)}` : null;
  return {
    note: "The conflicting value is the on-premises object's SID, which Entra ID keeps as onPremisesSecurityIdentifier (the report prints its type, System.Byte[], not the SID): a cloud user or group still carries it from an earlier link to this object.",
    actions: [
      step(
        'Read the SID (objectSid) of the on-premises object.',
        adObjectByNameCommand(error, 'objectSid'),
      ),
      step(
        'Find the cloud user or group that carries that SID (put it in place of <objectSid>).',
        `@(Get-MgUser -Filter ${bySid} -ConsistencyLevel eventual -CountVariable n -Property ${PROPS.user},OnPremisesSecurityIdentifier; Get-MgGroup -Filter ${bySid} -ConsistencyLevel eventual -CountVariable n -Property ${PROPS.group},OnPremisesSecurityIdentifier) | Format-List`,
      ),
      step(
        "If it is the same person, link it to this object again: set its ImmutableId to the object's source anchor (hard match). If it is someone else, its SID cannot be edited: match that cloud object to another on-premises object (sync then writes that one's SID) or delete it if nobody needs it.",
        hardMatch,
      ),
      DELTA_SYNC,
    ],
  };
}

/**
 * Steps for a duplicate nobody looked up (Graph not configured, tenant unknown, lookup
 * refused): the agent runs the search syncdesk would have run, then fixes where the
 * holder is mastered.
 */
export function unresolvedActions(error: SyncError): Action[] {
  const lookups = lookupsOf(error);
  const actions: Action[] = [];
  if (!lookups.length) actions.push(listObjectValues(error));
  for (const l of lookups) for (const c of confirmCommands(l)) actions.push(step(`Find the user, group or contact in Entra ID holding ${storedForm(l)}.`, c));
  if (lookups.length) {
    actions.push(step('Search on-premises AD too: a synced holder means the duplicate lives there.', adSearchCommand(lookups)));
  }
  actions.push(
    isAdminRoleConflict(error)
      ? step(
          'The holder is a cloud user with an admin role, which sync may not soft-match: remove its admin roles (write them down), hard-delete the quarantined object sync created for the on-premises user, run a delta sync, then give the roles back.',
          null,
        )
      : step(
          'Decide which object keeps the value. If the other holder is cloud-only (OnPremisesSyncEnabled empty), remove the value from it in Entra ID/Exchange Online, or let the on-premises object take it over by SMTP soft-match; if it is synced, remove or change the value on the on-premises object (IdFix finds the rest).',
          null,
        ),
    DELTA_SYNC,
  );
  return actions;
}

/** First step for a value Entra quarantined on an object that synced: see what is set aside. */
export function quarantinedValueStep(error: SyncError): Action {
  return step(
    'See the value Entra ID set aside on the synced object (its provisioning errors name the attribute and value).',
    `Get-MgUser -UserId ${psQuote(error.identity ?? '<object>')} -Property OnPremisesProvisioningErrors | Select-Object -ExpandProperty OnPremisesProvisioningErrors`,
  );
}

const CHANGES_CREDENTIALS = /\b(?:password|credential)/i;

/** Advice for errors that name no value another object could hold. */
export function notApplicableActions(error: SyncError): { actions: Action[]; note: string } {
  const who = psQuote(error.identity ?? '<object>');
  switch (error.category) {
    case 'LargeObject':
      return {
        note: 'The object exceeds a size limit (usually userCertificate, userSMIMECertificate, thumbnailPhoto or proxyAddresses); no other object is involved.',
        actions: [
          step(
            'Count what the on-premises object holds of each (Entra accepts at most 15 userCertificate and 15 userSMIMECertificate values, about 300 proxy addresses).',
            adObjectByNameCommand(
              error,
              'userCertificate,userSMIMECertificate,thumbnailPhoto,proxyAddresses',
              "Select-Object DistinguishedName,@{n='userCertificate';e={$_.userCertificate.Count}},@{n='userSMIMECertificate';e={$_.userSMIMECertificate.Count}},@{n='thumbnailPhotoBytes';e={$_.thumbnailPhoto.Length}},@{n='proxyAddresses';e={$_.proxyAddresses.Count}}",
            ),
          ),
          step(
            'Too many certificates: remove the expired ones with ADSyncTools on the Entra Connect server, after checking with whoever runs your PKI. It works on every user of the OU and backs them up first (-BackupOnly $false removes them). Too many addresses or too large a photo: trim them with Set-ADUser.',
            `Remove-ADSyncToolsExpiredCertificates -TargetOU ${psQuote('<OU of the object>')} -ObjectClass user -BackupOnly $false`,
          ),
          DELTA_SYNC,
        ],
      };
    case 'FederatedDomainChange': {
      const newUpn = error.attributes.find((a) => a.value && /userprincipalname/i.test(a.name))?.value ?? '<new-upn>';
      return {
        note: 'A user\'s UPN moved between federated domains, which Entra did not apply from sync (Microsoft fixed that in April 2019: reports since rarely carry it). Move it to the tenant\'s managed (.onmicrosoft.com) domain, and the next sync sets the new one.',
        actions: [
          step(
            "Move the cloud user's UPN to the tenant's .onmicrosoft.com domain (the user as Entra ID knows it: its current UPN, or found by its anchor).",
            `Update-MgUser -UserId ${error.onPremisesObjectId ? `(Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', error.onPremisesObjectId))}).Id` : who} -UserPrincipalName ${psQuote('<prefix>@<tenant>.onmicrosoft.com')}`,
          ),
          step(`Run a delta sync: it sets the UPN from AD${newUpn === '<new-upn>' ? '' : ` (${newUpn})`}.`, SYNC_COMMAND),
        ],
      };
    }
    case 'QuotaExceeded':
      return {
        note: 'The tenant reached its directory object quota (50,000 until a domain is verified); no holder to look up.',
        actions: [
          step('Check which domains are verified: verifying one raises the quota to 300,000.', 'Get-MgDomain | Format-Table Id,IsVerified,AuthenticationType'),
          step('Verify the domain once its DNS TXT record is in place (or ask Microsoft support for more).', `Confirm-MgDomain -DomainId ${psQuote('<domain>')}`),
        ],
      };
    case 'DataValidation':
      return {
        note: 'An attribute value is invalid (characters, format or length); fix it on-premises.',
        actions: [step('Run IdFix against the forest and fix the reported attribute on the on-premises object.', null), DELTA_SYNC],
      };
    case 'DeletingCloudOnlyObject': {
      const look = step('Look at the cloud object.', `Get-MgUser -UserId ${who} -Property ${PROPS.user} | Format-List`);
      // Microsoft files the password and credential texts with the delete under one error (email-format.md, Error Type 114)
      if (CHANGES_CREDENTIALS.test(error.message)) {
        return {
          note: "Sync tried to change the password or credentials of a user mastered in the cloud; Entra ID does not let sync change cloud-only users. Check whether this on-premises user is meant to be that cloud user.",
          actions: [look],
        };
      }
      return {
        note: 'Sync tried to delete an object that is mastered in the cloud; it will not. Decide whether the cloud object should stay.',
        actions: [
          look,
          // Microsoft's fix for Error Type 114 (email-format.md §2, S4)
          step(
            'If the error comes back every cycle: move the cloud account to deleted items, run a delta sync (the delete then goes through), and restore the account if it is still needed.',
            `Remove-MgUser -UserId ${who}\n${SYNC_COMMAND}\n# if still needed: Restore-MgDirectoryDeletedItem -DirectoryObjectId '<object-id>'`,
          ),
        ],
      };
    }
    case 'ObjectNotFound':
      return {
        note: 'Entra could not find the object sync referred to; usually cleared by the next full sync.',
        actions: [step('Run a full sync on the Entra Connect server.', 'Start-ADSyncSyncCycle -PolicyType Initial')],
      };
    case 'DataMismatch':
      if (error.errorCode === 'ObjectTypeMismatch') return objectTypeMismatchActions(error);
      return {
        note: 'The on-premises object matched the wrong cloud object (hard match on the source anchor, or an object of another type); decide which cloud object it should be.',
        actions: [
          step(
            'Find the cloud object that already carries this source anchor as its ImmutableId.',
            `Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', error.onPremisesObjectId ?? '<sourceAnchor>'))} -Property ${PROPS.user} | Format-List`,
          ),
          step('If it is the same person, keep it and clear the duplicate on-premises object; if not, clear its ImmutableId (or delete the stale cloud object) so the on-premises object can match.', null),
          DELTA_SYNC,
        ],
      };
    case 'DuplicateAttribute':
      if (error.attributes.some((a) => a.name === 'OnPremisesSecurityIdentifier')) return sidDuplicateActions(error);
      return {
        note: 'The report names the attribute but not its value, so nothing could be looked up.',
        actions: [listObjectValues(error), step('Run IdFix against the forest to find the duplicate on-premises.', null), DELTA_SYNC],
      };
    default:
      return { note: 'The error names no value to look up; read its message in the report.', actions: [DELTA_SYNC] };
  }
}
