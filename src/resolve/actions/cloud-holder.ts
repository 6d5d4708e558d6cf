import type { SyncError } from '../../../schemas/report.schema.ts';
import type { Holder } from '../../../schemas/resolution.schema.ts';
import { lookupValue, type NormalisedLookup } from '../lookup-key.ts';
import { isInitialDomain } from '../initial-domain.ts';
import { anchorLdapFilter, psQuote } from '../powershell.ts';
import { rolesOfCommand } from './admin-role.ts';
import { type Action, type OnPremClass, adSearchCommand, classOfKind, confirmCommands, confirmHolder, deleteSyncedCopyCommand, DELTA_SYNC, GET_CMD, RETRY_DELETED_ITEM, showSyncedCopyStep, step } from './steps.ts';

/** Steps when the holder is found in the cloud: cloud-only, soft-deleted, the object itself, or nobody. */

/**
 * Takes an address off a cloud recipient in Exchange Online. Its primary address (its mail,
 * "SMTP:" in capitals) cannot just be removed: the recipient gets another primary first (an
 * added "SMTP:" address, in capitals, becomes the primary: Set-Mailbox's -PrimarySmtpAddress is
 * on-premises only). A contact's primary address is the contact itself: it goes, once nobody uses it.
 */
function exchangeRemoveCommand(h: Holder, addresses: string[], primary: boolean): string {
  const id = psQuote(h.userPrincipalName ?? h.mail ?? h.id);
  const remove = `@{remove=${addresses.map((a) => psQuote(a.replace(/^smtp:/i, 'smtp:'))).join(',')}}`;
  if (h.type === 'contact') return primary ? `Remove-MailContact -Identity ${id}` : `Set-MailContact -Identity ${id} -EmailAddresses ${remove}`;
  if (h.type === 'group') {
    // Set-UnifiedGroup changes Microsoft 365 groups only; distribution and mail-enabled security groups are Set-DistributionGroup's
    const cmdlet = h.groupKind === 'microsoft365' || !h.groupKind ? 'Set-UnifiedGroup' : 'Set-DistributionGroup';
    const unsure = h.groupKind ? '' : '  # a distribution or mail-enabled security group: Set-DistributionGroup';
    const newPrimary = primary ? `${cmdlet} -Identity ${id} -PrimarySmtpAddress ${psQuote('<new-primary-address>')}; ` : '';
    return `${newPrimary}${cmdlet} -Identity ${id} -EmailAddresses ${remove}${unsure}`;
  }
  // Graph does not tell a mailbox from a mail user; an Exchange export does
  const kind = h.recipientTypeDetails ?? '';
  const cmdlet = /MailUser$/i.test(kind) ? 'Set-MailUser' : 'Set-Mailbox';
  const unsure = kind ? '' : '  # mail user: Set-MailUser';
  const newPrimary = primary ? `${cmdlet} -Identity ${id} -EmailAddresses @{add=${psQuote('SMTP:<new-primary-address>')}}; ` : '';
  return `${newPrimary}${cmdlet} -Identity ${id} -EmailAddresses ${remove}${unsure}`;
}

/** A shared, room or equipment mailbox, as an Exchange export says it: never a person's account to join. */
function isResourceMailbox(h: Holder): boolean {
  return /^(?:Shared|Room|Equipment)Mailbox$/i.test(h.recipientTypeDetails ?? '');
}

/** Every address the holder was found with (mail, proxies), once each: an error may name several (an X500 and a SIP address). */
function heldAddresses(h: Holder): string[] {
  const byKey = new Map<string, string>();
  for (const m of h.matched) {
    if (m.attribute !== 'proxyAddresses' && m.attribute !== 'mail') continue;
    // the mail is the primary SMTP address: the two are one address, said as the proxy
    const key = m.attribute === 'mail' ? `smtp:${m.value.toLowerCase()}` : m.value.toLowerCase();
    if (!byKey.has(key) || m.attribute === 'proxyAddresses') byKey.set(key, m.value);
  }
  return [...byKey.values()];
}

/** The holder has the value as its primary address: its mail, or "SMTP:" in capitals. */
function holdsAsPrimary(h: Holder): boolean {
  return h.matched.some((m) => m.attribute === 'mail' || m.value.startsWith('SMTP:'));
}

/** A guest (an external user invited to the tenant): its UPN carries #EXT#. */
function isGuest(h: Holder): boolean {
  return /#EXT#@/i.test(h.userPrincipalName ?? '');
}

/** What else the lookups saw that decides whether a join may be offered. */
interface JoinContext {
  /** The failing object's class as AD says it (user, group, contact), when AD was read. */
  onPremKind?: string | null;
  /** The synced user the error's anchor names, when one was looked for and found. */
  ownCopy?: Holder;
  /** Other cloud-only users holding the object's values, none of them by its own name. */
  rivals?: Holder[];
}

/**
 * A cloud-only holder: the same person (join the two) or another object (free the value).
 * Entra matches only an object that arrives new from sync ("If you change an existing object
 * so it matches any of these attributes, then you see an error instead", how-to-connect-
 * install-existing-tenant), so joining starts by deleting the copy sync already made. A hard
 * match joins users only ("Hard match isn't applicable since you can only update the
 * sourceAnchor/immutableID … on Users only", same page), and never a guest: an on-premises
 * group or contact is never offered it, and one of unknown class only once AD says it is a user.
 */
export function cloudOnlyActions(error: SyncError, holder: Holder, lookups: NormalisedLookup[], seen: JoinContext = {}): Action[] {
  const onPrem = classOfKind(seen.onPremKind ?? null);
  const resource = isResourceMailbox(holder);
  const join = joinActions(error, holder, seen, onPrem, resource);
  if (resource) join.push(step(`The holder is a ${holder.recipientTypeDetails} (so says the Exchange export): no person's AD account is joined to it. Free the value on it, or on the on-premises object.`));
  const stale = onPrem === 'other' ? [staleOnPremStep(error)] : [];
  return [confirmHolder(holder), ...join, ...stale, ...freeValueSteps(holder, lookups), DELTA_SYNC];
}

/** How the failing object may become the cloud holder, or why it may not. */
function joinActions(error: SyncError, holder: Holder, seen: JoinContext, onPrem: OnPremClass, resource: boolean): Action[] {
  if (holder.type === 'group' || holder.type === 'contact') return softMatchSteps(holder, holder.type, seen.onPremKind ?? null);
  if (holder.type !== 'user') return [];
  // with resiliency the copy is one sync just made, the value set aside on it, for the join to
  // delete; otherwise it is the object itself, in use
  if (seen.ownCopy && !error.valueQuarantined) return [alreadyInEntraStep(seen.ownCopy, error.onPremisesObjectId!.trim())];
  if (seen.rivals?.length) return [severalPeopleStep([holder, ...seen.rivals])];
  return !isGuest(holder) && onPrem !== 'other' && !resource ? joinSteps(error, holder, onPrem) : [];
}

/**
 * The object's values are held by several cloud users, none by the object's own name (a
 * shared "reception" object whose aliases are two people's primary addresses): one
 * on-premises object is not several people, so no join is offered, only freeing the values.
 */
function severalPeopleStep(users: Holder[]): Action {
  const names = users.map((h) => `"${h.displayName ?? h.userPrincipalName ?? h.id}"`).join(', ');
  return step(`The object's values are held by ${users.length} different cloud users (${names}), none of them by the object's own name: one on-premises object cannot be all of them, so no join is offered. Free each value on the user that should not have it (below), or on the on-premises object.`);
}

/**
 * The failing object is in Entra ID already, as the synced user its anchor names:
 * an update failed, not the sync of a new object. Entra matches only objects that arrive new
 * from sync, so no join is offered: it would start by deleting that user, an account in use.
 */
function alreadyInEntraStep(copy: Holder, anchor: string): Action {
  const name = copy.displayName ?? copy.userPrincipalName ?? copy.id;
  const made = copy.createdDateTime ? `, made ${copy.createdDateTime.slice(0, 10)}` : '';
  const properties = 'Id,DisplayName,UserPrincipalName,Mail,CreatedDateTime,AssignedLicenses';
  return step(
    `The on-premises object is in Entra ID already: the synced user "${name}" (${copy.userPrincipalName ?? 'no UPN'}, ${copy.id}${made}) has its source anchor ${anchor}. So an update of an existing object failed, not the sync of a new one: no match can join the cloud user to it (Entra matches only objects that arrive new from sync), and deleting "${name}" to make room would delete an account in use (its mail, licences and sign-in). Free the value on one of the two.`,
    `Get-MgUser -UserId ${psQuote(copy.id)} -Property ${properties} | Format-List ${properties}`,
  );
}

/**
 * A cloud group or contact that may be the on-premises one. Groups and contacts
 * join by soft match only: "For mail-enabled groups and contacts, you can soft-match based on
 * proxyAddresses. Hard-match isn't applicable" (how-to-connect-install-existing-tenant, Other
 * objects than users). A failed add is tried again at every sync, so once nothing stands in the
 * way the next cycle matches; a copy sync already made (the value set aside on it) is joined
 * already, and must go first. A Microsoft 365 group has no on-premises kind to match.
 */
function softMatchSteps(holder: Holder, type: 'group' | 'contact', onPremKind: string | null): Action[] {
  // a user, or a group against a contact: never the same object
  if (onPremKind && onPremKind !== type) return [];
  if (type === 'group' && holder.groupKind === 'microsoft365') {
    return [step('The holder is a Microsoft 365 group: no on-premises group joins one (they sync as security or distribution groups). Free the value on one of the two.')];
  }
  const ifSame = onPremKind ? '' : ` (only if the on-premises object is a ${type} too: check its ObjectClass in AD)`;
  const members = type === 'group' ? " members and" : '';
  return [
    step(
      `If the cloud ${type} is the same ${type} as the on-premises one, let sync join them${ifSame}: groups and contacts match by proxyAddresses (soft match) only, when soft matching is not blocked for the tenant and the on-premises object's primary SMTP address is the cloud ${type}'s; the next sync then matches. If sync made a copy of the on-premises ${type} already, that copy must be deleted first (deleted, it is gone at once). After the match AD is the ${type}'s source: its${members} addresses replace the cloud ones${type === 'group' ? ', so add to the on-premises group the members only the cloud group has, first' : ''}.`,
      `(Get-MgDirectoryOnPremiseSynchronization).Features | Select-Object BlockSoftMatchEnabled${type === 'group' ? `\nGet-DistributionGroupMember -Identity ${psQuote(holder.mail ?? holder.id)} -ResultSize Unlimited | Format-Table Name,PrimarySmtpAddress` : ''}`,
    ),
  ];
}

/**
 * An on-premises group or contact against a cloud object: often the on-premises one is stale (a
 * contact left for someone whose mailbox is now in the cloud), and the value comes off it in AD
 * ("Make the change in the directory where the object is sourced from", ObjectTypeMismatch).
 */
function staleOnPremStep(error: SyncError): Action {
  const filter = error.onPremisesObjectId ? anchorLdapFilter(error.onPremisesObjectId) : null;
  const values = error.attributes.filter((a) => a.value && /^proxyaddresses$/i.test(a.name)).map((a) => psQuote(a.value!));
  return step(
    `If the on-premises ${(error.objectType ?? 'object').toLowerCase()} is the stale one (a contact or group left for someone whose mailbox is now in the cloud), take the address off it in AD, or delete it: the cloud object keeps it.`,
    filter && values.length ? `Get-ADObject -LDAPFilter ${psQuote(filter)} | Set-ADObject -Remove @{proxyAddresses=${values.join(',')}}` : null,
  );
}

/** Joining the on-premises object to the cloud user: checks, the copy sync made deleted, then a hard (or soft) match. */
function joinSteps(error: SyncError, holder: Holder, onPrem: OnPremClass): Action[] {
  const anchor = error.onPremisesObjectId;
  const ifUser = onPrem === 'user' ? '' : ' (only if the on-premises object is a user: hard match joins users only, so check its ObjectClass in AD first)';
  // the old anchor a formerly synced user keeps is overwritten by the match: the agent should know whose it was
  const oldAnchor = holder.onPremisesImmutableId && holder.onPremisesImmutableId !== anchor ? ` This replaces the anchor ${holder.onPremisesImmutableId} it kept from the object it was synced from.` : '';
  return [
    ...(holder.accountEnabled === false ? [sharedMailboxCheck(holder)] : []),
    step(
      `If the cloud user is the same person as the on-premises object, join them${ifUser}. Make sure of it first: the join gives whoever controls the AD object the cloud account (its mail, files and roles; with password hash sync, its sign-in), and an AD object given a cloud account's name or address is how accounts are taken over. Check when the AD object was made and who owns it (as a rule who made it), against the cloud user's creation and last sign-in and your own records. Entra matches only objects that arrive new from sync, and not while matching is blocked for the tenant or the cloud user holds an admin role: check both (a role found: write it down and take it off first, and give it back after the sync).`,
      [provenanceCommand(anchor), `Get-MgUser -UserId ${psQuote(holder.id)} -Property DisplayName,CreatedDateTime,SignInActivity | Format-List DisplayName,CreatedDateTime,@{n='LastSignIn';e={$_.SignInActivity.LastSignInDateTime}}`, '(Get-MgDirectoryOnPremiseSynchronization).Features | Select-Object BlockSoftMatchEnabled,BlockCloudObjectTakeoverThroughHardMatchEnabled', rolesOfCommand(holder)]
        .filter(Boolean)
        .join('\n'),
    ),
    showSyncedCopyStep(anchor),
    step(
      `Pause the sync scheduler on the Entra Connect server, so that no cycle re-creates the copy before the match, then hard-delete the copy the step above showed: deleted, then removed from deleted items, which cannot be undone (${RETRY_DELETED_ITEM}).`,
      `Set-ADSyncScheduler -SyncCycleEnabled $false\n${deleteSyncedCopyCommand(anchor)}`,
    ),
    anchor
      ? step(
          `Then hard-match: write the on-premises object's anchor onto the cloud user as its ImmutableId, resume the scheduler and run a delta sync. The on-premises values (and its password, with password hash sync) overwrite the cloud user's.${oldAnchor}`,
          `Update-MgUser -UserId ${psQuote(holder.id)} -OnPremisesImmutableId ${psQuote(anchor)}\nSet-ADSyncScheduler -SyncCycleEnabled $true`,
        )
      : step(
          "Then resume the scheduler and run a delta sync: the on-premises object, new to Entra again, soft-matches the cloud user by primary SMTP address or UPN. Its values (and its password, with password hash sync) overwrite the cloud user's.",
          'Set-ADSyncScheduler -SyncCycleEnabled $true',
        ),
  ];
}

/** When the AD object the anchor names was made and changed, and its owner (who made it, unless an admin took it over). */
function provenanceCommand(anchor: string | null): string | null {
  const filter = anchor ? anchorLdapFilter(anchor) : null;
  return filter
    ? `Get-ADObject -LDAPFilter ${psQuote(filter)} -Properties whenCreated,whenChanged | ForEach-Object { $_ | Format-List DistinguishedName,ObjectClass,whenCreated,whenChanged; 'Owner: ' + (Get-Acl "AD:$($_.DistinguishedName)").Owner }`
    : null;
}

/**
 * A user that cannot sign in is, as a rule, a shared or resource mailbox: joined to a person's AD
 * account it would take that account's values and password. Exchange says what it is.
 */
function sharedMailboxCheck(holder: Holder): Action {
  return step(
    "The cloud user cannot sign in (accountEnabled false): as a rule a shared or resource mailbox, or a disabled account, not a person's account in use. Check what it is first: do not join a person's AD account to a shared or resource mailbox (its values, and with password hash sync its password, would overwrite the mailbox's); free the value instead.",
    `Get-Mailbox -Identity ${psQuote(holder.userPrincipalName ?? holder.id)} | Format-List DisplayName,RecipientTypeDetails`,
  );
}

/** Freeing the value on a cloud holder that is another object: rename its UPN, take the address off it (a guest's cannot be). */
export function freeValueSteps(holder: Holder, lookups: NormalisedLookup[]): Action[] {
  const addresses = heldAddresses(holder);
  // a holder whose UPN is also the reported address (most mailboxes) gives the address up, not
  // its sign-in name: the rename is for a UPN conflict, or a holder that has the value as UPN only
  const upnMatch = holder.matched.find((m) => m.attribute === 'userPrincipalName' && (!addresses.length || lookups.some((l) => l.kind === 'upn')));
  const primary = holdsAsPrimary(holder);
  const actions: Action[] = [];
  if (upnMatch) {
    actions.push(
      step(
        'If the cloud user is a different person, free the UPN by renaming the cloud user.',
        `Update-MgUser -UserId ${psQuote(holder.id)} -UserPrincipalName ${psQuote(`<new-name>@${upnMatch.value.split('@')[1] ?? '<domain>'}`)}`,
      ),
    );
  }
  if (holder.type === 'user' && isGuest(holder)) {
    actions.push(
      step(
        'The holder is a guest (an external user invited to the tenant): the address is its own external address and cannot be taken off it. Take the value off the on-premises object instead (or delete it, if it is a contact kept for that person), or remove the guest once nobody needs its access.',
        lookups.length ? adSearchCommand(lookups) : null,
      ),
    );
  } else if (addresses.length && holder.type === 'user' && holder.noMailbox) {
    // no recipient for Exchange to change: the address is only the user's mail attribute
    actions.push(
      step(
        'If it is a different object, change its mail in Entra ID: the user has no mailbox (no proxy addresses), so the address is only its mail attribute, which Exchange Online cannot change.',
        `Update-MgUser -UserId ${psQuote(holder.id)} -Mail ${psQuote('<another-address>')}`,
      ),
    );
  } else if (addresses.length) {
    const routing = addresses.find((a) => isInitialDomain(a.slice(a.lastIndexOf('@') + 1)));
    if (routing && holder.type !== 'contact') {
      actions.push(
        step(
          `${routing.replace(/^smtp:/i, '')} is in the tenant's onmicrosoft.com domain, where Exchange Online gives each cloud mailbox and group an address of its own: it is more likely wrong on the on-premises object. Take it off there if so (the steps below are for when the cloud object should give it up).`,
          lookups.length ? adSearchCommand(lookups) : null,
        ),
      );
    }
    const these = addresses.length > 1 ? 'the addresses' : 'the address';
    const what =
      holder.type === 'contact' && primary
        ? "If it is a different object, delete the contact if nobody needs it: the address is the contact's own."
        : `If it is a different object, take ${these} off it in Exchange Online (${primary ? "one is the holder's primary address: give it another one first" : addresses.length > 1 ? 'secondary addresses' : 'a secondary address'}).`;
    actions.push(step(what, exchangeRemoveCommand(holder, addresses, primary)));
  }
  if (!upnMatch && !addresses.length && lookups[0]) actions.push(step(`Remove ${lookupValue(lookups[0])} from the cloud object.`));
  return actions;
}

export function softDeletedActions(holder: Holder, lookups: NormalisedLookup[]): Action[] {
  const id = psQuote(holder.id);
  const group = holder.type === 'group';
  const getCmd = group ? 'Get-MgDirectoryDeletedItemAsGroup' : 'Get-MgDirectoryDeletedItemAsUser';
  return [
    step(`Confirm the soft-deleted ${group ? 'Microsoft 365 group' : 'user'} "${holder.displayName ?? holder.id}" (recoverable for 30 days after deletion).`, `${getCmd} -DirectoryObjectId ${id} | Format-List`),
    step(
      `If it is not needed any more, delete it permanently: the value is then free${group ? ", and the group's mailbox, site and team are gone for good (ask its owners first)" : ", and the user's mailbox and OneDrive are gone for good, unless a hold keeps the mailbox as an inactive one (ask its manager first)"}.`,
      `Remove-MgDirectoryDeletedItem -DirectoryObjectId ${id}`,
    ),
    group
      ? step(
          'If it must come back, first take the address off the object that syncs it (or give the group another one once restored): restoring the group brings the conflict back.',
          `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${id}`,
        )
      : holder.onPremisesSyncEnabled === true
        ? restoreSyncedUserStep(holder)
        : restoreUserStep(holder, lookups),
    DELTA_SYNC,
  ];
}

/**
 * Restores a soft-deleted cloud user so that it gives the value up: restored as it was, it brings
 * the conflict back (autoReconcileProxyConflict strips only addresses an active user holds, and the
 * failing object holds none in Entra). A UPN that is the value is replaced at the restore
 * (newUserPrincipalName, through the REST call: Restore-MgDirectoryDeletedItem has no parameter for
 * that body since SDK 2.27, msgraph-sdk-powershell #3318, #3353); an address is taken off after it.
 * The relative URI goes to the cloud the session is connected to.
 */
function restoreUserStep(holder: Holder, lookups: NormalisedLookup[]): Action {
  const upn = holder.matched.find((m) => m.attribute === 'userPrincipalName')?.value ?? lookups.find((l) => l.kind === 'upn')?.value;
  const address = holder.matched.find((m) => m.attribute === 'proxyAddresses' || m.attribute === 'mail');
  const newUpn = upn ? `<new-name>@${upn.split('@')[1] ?? '<domain>'}` : null;
  const restore = newUpn
    ? `Invoke-MgGraphRequest -Method POST -Uri ${psQuote(`v1.0/directory/deletedItems/${holder.id}/restore`)} -Body @{ newUserPrincipalName = ${psQuote(newUpn)} }`
    : `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${psQuote(holder.id)}`;
  // the restored user, under its new UPN when it gets one, as any cloud holder gives an address up
  const primary = holdsAsPrimary(holder);
  const takeOff = address ? `\n${exchangeRemoveCommand({ ...holder, userPrincipalName: newUpn ?? holder.userPrincipalName }, heldAddresses(holder), primary)}` : '';
  const how = newUpn
    ? `restore it under a new UPN (its UPN is the conflicting value, as a UPN or as the same address)${address ? ' and take the address off it before the next sync' : ''}`
    : address
      ? 'restore it, then take the address off it before the next sync'
      : 'restore it, then take the conflicting value off it or off the on-premises object before the next sync';
  return step(`If it must come back (restored as it was, it brings the conflict back): ${how}.`, `${restore}${takeOff}`);
}

/**
 * A soft-deleted user that was synced: sync deleted it because its AD object went away. Restored in
 * Entra alone, it is an object no sync owns, carrying an anchor a later object may hard-match
 * (tshoot-connect-sync-errors lists that as a cause of InvalidHardMatch): it comes back by
 * restoring its AD object, which sync then brings back.
 */
function restoreSyncedUserStep(holder: Holder): Action {
  const filter = holder.onPremisesImmutableId ? anchorLdapFilter(holder.onPremisesImmutableId) : null;
  return step(
    'If it must come back, restore its on-premises AD object (AD Recycle Bin) and let sync bring it back, then decide in AD which of the two objects keeps the value: restoring it in Entra alone leaves an object no sync owns.',
    filter ? `Get-ADObject -LDAPFilter ${psQuote(filter)} -IncludeDeletedObjects | Restore-ADObject` : null,
  );
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

/** Is the value an SMTP address (a UPN is one too)? */
const isSmtp = (l: NormalisedLookup): boolean => l.kind === 'upn' || l.addressType === 'smtp';

/** The value as a proxyAddresses entry holds it: an SMTP address as a secondary one (`smtp:`, matched without case). */
const proxyForm = (l: NormalisedLookup): string => (isSmtp(l) ? `smtp:${l.value}` : lookupValue(l));

/** `text`, and the commands that list the soft-deleted users and Microsoft 365 groups holding the value. */
export function recycleBinStep(l: NormalisedLookup, text: string): Action {
  const smtp = isSmtp(l);
  const addr = proxyForm(l);
  // a deleted user's UPN gets its id put in front (the end stays): matched by its end
  const held = smtp ? [`$_.ProxyAddresses -contains ${psQuote(addr)}`, `$_.Mail -eq ${psQuote(l.value)}`] : [`$_.ProxyAddresses -contains ${psQuote(addr)}`];
  // a deleted user's name is its object id and the name it had: the value ends it (escaped: `*`, `?`, `[` in a value are no wildcards)
  const userHeld = smtp ? [...held, `$_.UserPrincipalName -like ('*' + [WildcardPattern]::Escape(${psQuote(l.value)}))`] : held;
  const inBin = (clauses: string[]) => `Where-Object { ${clauses.join(' -or ')} } | Format-List`;
  return step(
    text,
    `Get-MgDirectoryDeletedItemAsUser -All -Property Id,DisplayName,UserPrincipalName,Mail,ProxyAddresses,DeletedDateTime | ${inBin(userHeld)}\n` +
      `Get-MgDirectoryDeletedItemAsGroup -All -Property Id,DisplayName,Mail,ProxyAddresses,DeletedDateTime | ${inBin(held)}`,
  );
}

export function noHolderActions(lookups: NormalisedLookup[]): Action[] {
  const actions: Action[] = [];
  for (const l of lookups) for (const c of confirmCommands(l)) actions.push(step(`Confirm that no user, group or contact holds ${lookupValue(l)}.`, c));
  const first = lookups[0];
  if (first) {
    const addr = proxyForm(first);
    actions.push(recycleBinStep(first, 'Check the recycle bin too: a soft-deleted user or Microsoft 365 group keeps its addresses for 30 days.'));
    actions.push(
      step(
        'Graph cannot see mail-enabled public folders or soft-deleted Exchange recipients; check them in Exchange Online.',
        `Get-Recipient -IncludeSoftDeletedRecipients -Filter ${psQuote(`EmailAddresses -eq '${addr.replace(/'/g, "''")}'`)} | Format-List Name,RecipientType,WhenSoftDeleted`,
      ),
      step(
        'Check orphaned mail-enabled public folders with ADSyncTools on the Entra Connect server.',
        `Get-ADSyncToolsAadObject -SyncObjectType PublicFolder -Credential (Get-Credential) | Where-Object { $_.ProxyAddresses -contains ${psQuote(addr)} }`,
      ),
    );
  }
  actions.push(DELTA_SYNC);
  return actions;
}
