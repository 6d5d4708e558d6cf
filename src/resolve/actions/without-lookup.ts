import { isCloudOnlyCredentialChange, type SyncError } from '../../../schemas/report.schema.ts';
import { odataEq, psFilter, psQuote } from '../powershell.ts';
import { isAdminRoleConflict } from './admin-role.ts';
import { type Action, adReportedObjectCommand, onPremClassOf, adSearchCommand, confirmCommands, DELTA_SYNC, listObjectValues, lookupsOf, PROPS, step, SYNC_COMMAND } from './steps.ts';
import { lookupValue } from '../lookup-key.ts';

/** Steps when nothing was looked up: the error names no value another object could hold, or no lookup ran. */

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
        adReportedObjectCommand(error, 'objectSid'),
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
 * The cloud object an Error Type 114 is about: the one sync is deleting (or changing the password of) carries the
 * reported anchor as its ImmutableId (an object restored, or converted to cloud-only, keeps it);
 * its on-premises name may be another user's UPN in the cloud. Found by its name only when the
 * report gives no anchor.
 */
function cloudObjectStep(error: SyncError): Action {
  const anchor = error.onPremisesObjectId;
  const find = anchor ? `Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))}` : `Get-MgUser -UserId ${psQuote(error.identity ?? '<object>')}`;
  return step(
    `Find the cloud object sync is deleting${anchor ? ' (the one carrying the reported source anchor as its ImmutableId)' : ' (the report gives no source anchor: make sure the user found by this name is the one the on-premises object was synced to)'}: expect exactly one, note its Id, and check that OnPremisesSyncEnabled is not True. None found: it is gone from the cloud already, and a delta sync should clear the error; two or more: change nothing and ${ESCALATE}.`,
    `${find} -Property ${PROPS.user},AccountEnabled | Format-List`,
  );
}

/**
 * A password or credential change sync tried to make on a cloud-only user. Microsoft's page
 * lists the texts with the delete errors and gives them no fix but a support case
 * (tshoot-connect-sync-errors, "Deletion access violation and password access violation
 * errors"), so the steps find the user, by the anchor and by the name the report gives (a
 * user found by neither is no reason to think the error is gone), and say what to
 * decide before anything changes.
 */
function credentialChangeActions(error: SyncError): { actions: Action[]; note: string } {
  const anchor = error.onPremisesObjectId;
  const finds = [
    ...(anchor ? [`Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))} -Property ${PROPS.user},AccountEnabled | Format-List`] : []),
    ...(error.identity ? [`Get-MgUser -UserId ${psQuote(error.identity)} -Property ${PROPS.user},AccountEnabled | Format-List`] : []),
  ];
  return {
    note: 'Sync tried to change the password or credentials of a user mastered in the cloud; Entra ID does not let sync change cloud-only users, and Microsoft documents no fix for this error but a support case.',
    actions: [
      step(
        `Find the cloud user sync is changing the password of${anchor ? ', by the reported source anchor (its ImmutableId) and by the reported name' : ' by the reported name'}: note its Id, and whether OnPremisesSyncEnabled is False (synced once, mastered in the cloud since) or empty (never synced).`,
        finds.length ? finds.join('\n') : null,
      ),
      step(
        'Decide whether the on-premises user is meant to manage that cloud user (the same person, whose cloud account was restored or taken over in the cloud) or not (two people, or an account that is to stay cloud-only). Change nothing on the cloud user while you decide: its password is the one its owner signs in with.',
      ),
      step(`Then ${ESCALATE}, with the user's Id, the on-premises object's source anchor and your answer: it is the fix Microsoft documents for this error.`),
    ],
  };
}

/** Where Microsoft's Error 114 steps end (tshoot-connect-sync-errors: "may be eligible for an Incident Response (IR) escalation"). */
const ESCALATE = 'open a case with Microsoft support (the error may qualify for an Incident Response escalation)';

/** The reported object is a user, or the report does not say what it is (users are what these errors mostly name). */
function isUser(error: SyncError): boolean {
  return onPremClassOf(error) !== 'other';
}

/**
 * The cloud object of a group or contact, found through the sync engine: Graph keeps no
 * ImmutableId on them, but the Entra connector space holds each object under CN={its anchor in hex}
 * (ADSyncTools: ConvertTo-ADSyncToolsAadDistinguishedName; ADSync: Get-ADSyncCSObject), and its
 * cloud anchor ("Group_<object id>") names the cloud object.
 */
function connectorSpaceStep(error: SyncError, then: string, initialDomain: string | null): Action {
  const dn = `(ConvertTo-ADSyncToolsAadDistinguishedName -ImmutableId ${psQuote(error.onPremisesObjectId ?? '<sourceAnchor>')})`;
  return step(
    `On the Entra Connect server, find the cloud object the anchor belongs to (its cloudAnchor is ${error.objectType ?? 'Group'}_<object id>), look at it in Graph, ${then}.`,
    `Get-ADSyncCSObject -ConnectorName ${psQuote(`${initialDomain ?? '<tenant>.onmicrosoft.com'} - AAD`)} -DistinguishedName ${dn}\nGet-MgGroup -GroupId ${psQuote('<object-id>')} -Property ${PROPS.group} | Format-List  # a contact: Get-MgContact -OrgContactId`,
  );
}

/**
 * Error Type 114 for a group or contact: Microsoft's delete-and-restore is written for users, and
 * only a Microsoft 365 group comes back from deleted items ("security groups can't be restored",
 * Graph's restore); anything else deleted is lost with its memberships and permissions.
 */
function notUserToDeleteSteps(error: SyncError, initialDomain: string | null): Action[] {
  return [
    connectorSpaceStep(error, 'and decide whether it should stay', initialDomain),
    step(
      'Only a Microsoft 365 group (GroupTypes contains Unified) may go through the delete, delta sync and restore, by its Id: any other group or contact does not come back from deleted items. For those, do not delete it: open a case with Microsoft support, as the error says.',
      `Remove-MgGroup -GroupId ${psQuote('<object-id>')}  # Microsoft 365 group only\n${SYNC_COMMAND}\nRestore-MgDirectoryDeletedItem -DirectoryObjectId ${psQuote('<object-id>')}`,
    ),
  ];
}

/**
 * InvalidHardMatch ("Another cloud created object with the same source anchor already exists"):
 * a cloud-created object carries the anchor, and the tenant blocks sync from taking cloud
 * objects over by hard match (BlockCloudObjectTakeoverThroughHardMatchEnabled; tshoot-connect-
 * sync-errors and how-to-connect-install-existing-tenant: lift it for the match, set it again after).
 */
function invalidHardMatchActions(error: SyncError, initialDomain: string | null): { actions: Action[]; note: string } {
  const settings = '$s = Get-MgDirectoryOnPremiseSynchronization';
  const set = (value: boolean) =>
    `$s.Features.BlockCloudObjectTakeoverThroughHardMatchEnabled = $${value}; Update-MgDirectoryOnPremiseSynchronization -OnPremisesDirectorySynchronizationId $s.Id -Features $s.Features`;
  return {
    note: 'A cloud-created object already carries this source anchor as its ImmutableId, and the tenant blocks sync from taking over cloud objects by hard match (BlockCloudObjectTakeoverThroughHardMatchEnabled).',
    actions: [
      isUser(error)
        ? step(
            'Find the cloud object that carries the source anchor, and decide whether the on-premises object should take it over (the same person or mailbox).',
            `Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', error.onPremisesObjectId ?? '<sourceAnchor>'))} -Property ${PROPS.user} | Format-List`,
          )
        : connectorSpaceStep(error, 'and decide whether the on-premises object should take it over', initialDomain),
      step('If it should, and only once that one cloud object is confirmed: lift the block (Graph scope OnPremDirectorySynchronization.ReadWrite.All; it guards every object of the tenant, so keep the window short) and run a delta sync on the Entra Connect server.', `${settings}\n${set(false)}`),
      DELTA_SYNC,
      step('Once the object has matched, set the block again.', `${settings}\n${set(true)}`),
      step("If it should not (someone else's object), the anchor was written onto it by mistake: escalate before changing it, since an ImmutableId cannot simply be cleared again with Graph PowerShell.", null),
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
  for (const l of lookups) for (const c of confirmCommands(l)) actions.push(step(`Find the user, group or contact in Entra ID holding ${lookupValue(l)}.`, c));
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
  // found by its anchor: when the UPN is what was set aside, the synced object carries a
  // placeholder (prefix+1234@tenant.onmicrosoft.com) and the reported UPN names the other holder
  const anchor = error.onPremisesObjectId;
  return step(
    'See the value Entra ID set aside on the synced object (its provisioning errors name the attribute and value).',
    anchor
      ? `Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', anchor))} -Property Id,UserPrincipalName,OnPremisesProvisioningErrors | Select-Object Id,UserPrincipalName -ExpandProperty OnPremisesProvisioningErrors`
      : `Get-MgUser -UserId ${psQuote(error.identity ?? '<object>')} -Property OnPremisesProvisioningErrors | Select-Object -ExpandProperty OnPremisesProvisioningErrors  # a UPN set aside: the synced object has a placeholder UPN (<prefix>+<4 digits>@<tenant>.onmicrosoft.com)`,
  );
}

/** Advice for errors that name no value another object could hold. */
/** `initialDomain`: the tenant's .onmicrosoft.com domain when the report names it (else the commands keep a placeholder). */
export function notApplicableActions(error: SyncError, initialDomain: string | null = null): { actions: Action[]; note: string } {
  const who = psQuote(error.identity ?? '<object>');
  switch (error.category) {
    case 'LargeObject':
      return {
        note: 'The object exceeds a size limit (usually userCertificate, userSMIMECertificate, thumbnailPhoto or proxyAddresses); no other object is involved.',
        actions: [
          step(
            'Count what the on-premises object holds of each (Entra accepts at most 15 userCertificate and 15 userSMIMECertificate values, about 300 proxy addresses).',
            adReportedObjectCommand(
              error,
              'userCertificate,userSMIMECertificate,thumbnailPhoto,proxyAddresses',
              "Select-Object DistinguishedName,@{n='userCertificate';e={$_.userCertificate.Count}},@{n='userSMIMECertificate';e={$_.userSMIMECertificate.Count}},@{n='thumbnailPhotoBytes';e={$_.thumbnailPhoto.Length}},@{n='proxyAddresses';e={$_.proxyAddresses.Count}}",
            ),
          ),
          step(
            'Too many certificates: remove the expired ones with ADSyncTools on the Entra Connect server, after checking with whoever runs your PKI. It works on every user of the OU: run it first as it is (it only backs the expired certificates up to a file), review that file, then again with -BackupOnly $false to remove them (userCertificate only; userSMIMECertificate by hand). Too many addresses or too large a photo: trim them with Set-ADUser.',
            `Remove-ADSyncToolsExpiredCertificates -TargetOU ${psQuote('<OU of the object>')} -ObjectClass user\nRemove-ADSyncToolsExpiredCertificates -TargetOU ${psQuote('<OU of the object>')} -ObjectClass user -BackupOnly $false`,
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
            `Update-MgUser -UserId ${error.onPremisesObjectId ? `(Get-MgUser -Filter ${psFilter(odataEq('onPremisesImmutableId', error.onPremisesObjectId))}).Id` : who} -UserPrincipalName ${psQuote(`${localPart(error.identity) ?? '<prefix>'}@${initialDomain ?? '<tenant>.onmicrosoft.com'}`)}`,
          ),
          step(`Run a delta sync: it sets the UPN from AD${newUpn === '<new-upn>' ? '' : ` (${newUpn})`}.`, SYNC_COMMAND),
        ],
      };
    }
    case 'QuotaExceeded':
      return {
        // Microsoft Entra service limits: 50,000 objects, 300,000 once a domain is verified, except a
        // tenant made by self-service sign-up, which stays at 50,000; more only through support
        note: 'The tenant reached its directory object quota: sync stops until it has room. No holder to look up.',
        actions: [
          step(
            'Open a case with Microsoft support to raise the quota: a tenant that syncs from AD has a verified domain already (300,000 objects), and one made by self-service sign-up stays at 50,000 even then.',
          ),
          step('Meanwhile, find objects in sync scope that need not be there (disabled accounts, stale groups and contacts) and take them out of scope on the Entra Connect server (sync then deletes their cloud objects).'),
          step('Only if no domain is verified yet (a new tenant): verifying one raises the quota to 300,000.', 'Get-MgDomain | Format-Table Id,IsVerified,AuthenticationType'),
        ],
      };
    case 'DataValidation':
      return {
        note: 'An attribute value is invalid (characters, format or length); fix it on-premises.',
        actions: [step('Run IdFix against the forest and fix the reported attribute on the on-premises object.', null), DELTA_SYNC],
      };
    case 'DeletingCloudOnlyObject': {
      // Microsoft files the password and credential texts with the delete under one error (email-format.md, Error Type 114)
      if (isCloudOnlyCredentialChange(error)) return credentialChangeActions(error);
      const look = cloudObjectStep(error);
      const note = 'Sync tried to delete an object that is mastered in the cloud; it will not. Decide whether the cloud object should stay.';
      if (!isUser(error)) return { note, actions: notUserToDeleteSteps(error, initialDomain) };
      if (!error.onPremisesObjectId) {
        // by name alone the object cannot be told from a namesake: no delete on that
        return {
          note,
          actions: [
            look,
            step(
              "Without the object's source anchor it cannot be told apart from another object of that name: do not delete by name. Read the anchor from the export error in Synchronization Service Manager (its Dn is CN={the anchor in hex}; ConvertFrom-ADSyncToolsAadDistinguishedName turns it into the anchor), or escalate.",
              null,
            ),
          ],
        };
      }
      return {
        note,
        // Microsoft's fix for Error Type 114 (email-format.md §2, S4; tshoot-connect-sync-errors): identify
        // the object, move it to deleted items, confirm the delete went through, restore it if needed
        actions: [
          look,
          step(
            "If the error comes back every cycle, and the object's owner accepts that its sign-in and mail stop until it is restored: move it to deleted items by the Id found above.",
            `Remove-MgUser -UserId ${psQuote('<object-id>')}`,
          ),
          step('Run a delta sync on the Entra Connect server: the delete then goes through.', SYNC_COMMAND),
          step('If the account is still needed, restore it by the same Id.', `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${psQuote('<object-id>')}`),
          step(`Run a delta sync once more and check that the error does not come back; if it does, ${ESCALATE}.`, SYNC_COMMAND),
        ],
      };
    }
    case 'ObjectNotFound':
      return {
        // no Microsoft page documents this error: the lightest step first, a full cycle
        // (every connector imported and synced again) only when it stays
        note: 'Entra could not find the object sync referred to: as a rule it was deleted or moved (in AD or in Entra ID) between the sync and the export. Microsoft documents no fix of its own for this error.',
        actions: [
          step('Check that the object still exists in AD, and where.', adReportedObjectCommand(error, 'whenChanged')),
          step('Run a delta sync on the Entra Connect server and check the next report.', SYNC_COMMAND),
          step(
            `If the next report still lists it, run a full sync cycle (it imports and syncs every object of every connector again: long on a large directory, so out of hours); if it stays after that, ${ESCALATE}.`,
            'Start-ADSyncSyncCycle -PolicyType Initial',
          ),
        ],
      };
    case 'DataMismatch':
      if (error.errorCode === 'ObjectTypeMismatch') return objectTypeMismatchActions(error);
      if (error.errorCode === 'InvalidHardMatch') return invalidHardMatchActions(error, initialDomain);
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

/** The part of a UPN before the @, when the identity is one. */
function localPart(identity: string | null): string | null {
  const at = identity?.lastIndexOf('@') ?? -1;
  return at > 0 ? identity!.slice(0, at) : null;
}
