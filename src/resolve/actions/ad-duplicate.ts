import type { SyncError } from '../../../schemas/report.schema.ts';
import type { Holder, OnPremObjectData, OnPremSide } from '../../../schemas/resolution.schema.ts';
import { lookupValue, normaliseLookup, type NormalisedLookup } from '../lookup-key.ts';
import { matchedValues } from '../onprem/onprem-values.ts';
import { anchorLdapFilter, onServerOf, psQuote } from '../powershell.ts';
import { type Action, adSearchCommand, adShowCommand, confirmHolder, DELTA_SYNC, step } from './steps.ts';

/** Steps when the duplicate lives in on-premises AD: the holder is synced, or AD itself shows both objects. */

export function syncedActions(error: SyncError, holder: Holder, lookups: NormalisedLookup[], failing?: OnPremObjectData): Action[] {
  const actions = [confirmHolder(holder), ...anchorSteps(error, holder)];
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
  const otherWay = reportedObjectFixSteps(error, lookups, failing);
  const steps = otherWay.length ? 'the steps below take it off the holder, then (the other way) off the reported object: run only those for the object that should lose it' : 'the steps below take it off the holder, so run them on the other object if it is the one that should lose it';
  actions.push(step(`Decide which of the two objects keeps the value (ask their owners when unsure): ${steps}.`));
  actions.push(...syncedHolderFixSteps(holder), ...otherWay);
  actions.push(step('Run IdFix against the forest to find other duplicates before they reach Entra ID.', null));
  actions.push(DELTA_SYNC);
  return actions;
}

/**
 * The two anchors side by side: the holder's ImmutableId is another AD object's, which is what
 * the error means ("the matching object was synced with another object", InvalidSoftMatch in
 * tshoot-connect-sync-errors). For InvalidSoftMatch Microsoft also lists the same person under
 * a new anchor (a forest move, an AD object deleted and created again, Entra Connect installed
 * again with another source anchor): then no value is taken away; the new AD object takes the
 * Entra account over by carrying its anchor as mS-DS-ConsistencyGuid, once the old one is out of sync.
 */
function anchorSteps(error: SyncError, holder: Holder): Action[] {
  const theirs = holder.onPremisesImmutableId;
  const ours = error.onPremisesObjectId;
  if (!theirs || !ours || theirs === ours) return [];
  const filter = anchorLdapFilter(ours);
  const steps = [
    step(`The holder is synced from another AD object: its anchor (ImmutableId) is ${theirs}, the reported object's is ${ours}. Two AD objects want the value.`),
  ];
  if (/InvalidSoftMatch/i.test(error.errorCode ?? '') && holder.type !== 'group') {
    steps.push(
      step(
        `If the two are the same person (the account was moved to another forest, its AD object was deleted and created again, or Entra Connect was installed again with another source anchor), take no value away: the new AD object should take the Entra account over. With mS-DS-ConsistencyGuid as source anchor (the default since 2017), once the old AD object is out of sync scope, write the holder's anchor on the new one and run a delta sync.`,
        filter ? `$o = Get-ADObject -LDAPFilter ${psQuote(filter)}\nSet-ADObject -Identity $o.DistinguishedName -Replace @{'mS-DS-ConsistencyGuid'=[Convert]::FromBase64String(${psQuote(theirs)})}` : null,
      ),
    );
  }
  return steps;
}

/** The same values taken off the reported object instead, for when it is the one that should give them up. */
function reportedObjectFixSteps(error: SyncError, lookups: NormalisedLookup[], failing?: OnPremObjectData): Action[] {
  const text = 'Or, if the reported object is the one that should give the value up, change it there instead.';
  // read from AD: the values as the object stores them
  if (failing) {
    const own = matchedValues(failing, lookups);
    return own.length ? [step(`${text}${primaryWarning(own)}`, own.map((m) => adRemoveCommand(failing, m)).join('\n'))] : [];
  }
  const values = lookups.map((l) => ({ attribute: l.kind === 'upn' ? 'userPrincipalName' : 'proxyAddresses', value: lookupValue(l) }));
  if (!values.length) return [];
  const filter = error.onPremisesObjectId ? anchorLdapFilter(error.onPremisesObjectId) : null;
  if (!filter) return [];
  // the report writes the values as the object has them: "SMTP:" in capitals is its primary address
  const reported = error.attributes.flatMap((a) => (a.value ? [{ value: a.value }] : []));
  return [step(`${text}${primaryWarning(reported)}`, [`$o = Get-ADObject -LDAPFilter ${psQuote(filter)}`, ...values.map((m) => adChangeCommand('$o.DistinguishedName', 'other', m))].join('\n'))];
}

/** The AD commands that take each value a synced holder was found with off it (on the object that should not have it). */
export function syncedHolderFixSteps(holder: Holder): Action[] {
  const command = holderCommand(holder);
  // Graph gives the holder's addresses as stored: a primary one needs another made primary first
  return holder.matched.flatMap((m) => (m.attribute in SYNCED_FIX ? [step(`${SYNCED_FIX[m.attribute as keyof typeof SYNCED_FIX]}${primaryWarning([m])}`, command(m))] : []));
}

/**
 * How a synced holder is named to AD. By its DN where Graph gives one (users): Graph does not
 * say the object's AD class, and Set-ADObject takes an address off any of them. Graph gives a
 * group no DN but its SID and domain: Set-ADGroup takes a SID (Set-ADObject takes
 * only a DN or GUID). Neither: a placeholder the admin fills from the forest-wide search above.
 */
function holderCommand(holder: Holder): (m: { attribute: string; value: string }) => string {
  const dn = holder.onPremisesDistinguishedName;
  if (dn) return (m) => adRemoveCommand({ dn, kind: 'other' }, m);
  const sid = holder.onPremisesSecurityIdentifier;
  if (sid && holder.type === 'group') {
    const server = holder.onPremisesDomainName ? ` -Server ${psQuote(holder.onPremisesDomainName)}` : '';
    return (m) => adChangeCommand(psQuote(sid), 'group', m) + server;
  }
  return (m) => adRemoveCommand({ dn: '<distinguishedName>', kind: 'other' }, m);
}

const SYNCED_FIX = {
  userPrincipalName: 'On the object that should not have it, change the UPN in AD.',
  proxyAddresses: 'On the object that should not have it, remove the address in AD.',
  mail: 'On the object that should not have it, change mail in AD.',
} as const;

const SET_AD = { user: 'Set-ADUser', group: 'Set-ADGroup', contact: 'Set-ADObject', computer: 'Set-ADComputer', other: 'Set-ADObject' } as const;

/** The exact command that takes one value off one AD object (a UPN or mail gets a new value instead). */
function adRemoveCommand(o: Pick<OnPremObjectData, 'dn' | 'kind'>, m: { attribute: string; value: string }): string {
  return adChangeCommand(psQuote(o.dn), o.kind, m) + onServerOf(o.dn);
}

/** `adRemoveCommand` for an identity given as PowerShell (a quoted DN, or a variable that holds the object). */
function adChangeCommand(identity: string, kind: OnPremObjectData['kind'], m: { attribute: string; value: string }): string {
  // a UPN is set on a user (or inetOrgPerson) with Set-ADUser: Set-ADObject has no -UserPrincipalName
  const cmdlet = m.attribute === 'userPrincipalName' ? 'Set-ADUser' : SET_AD[kind];
  return `${cmdlet} -Identity ${identity} ${adChange(m)}`;
}

function adChange(m: { attribute: string; value: string }): string {
  switch (m.attribute) {
    case 'proxyAddresses':
      return `-Remove @{proxyAddresses=${psQuote(m.value)}}`;
    case 'userPrincipalName':
      return `-UserPrincipalName ${psQuote(`<new-name>@${m.value.split('@')[1] ?? '<domain>'}`)}`;
    case 'mail':
      return `-Replace @{mail=${psQuote('<new-address>')}}`;
    default:
      return `-Replace @{${psQuote(m.attribute)}=${psQuote('sip:<new-address>')}}`;
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
  const holders = side.holders.map((h) => h.dn).join(', ');
  const who = side.object ? `the failing object ${side.object.dn} and ${holders} hold the same value. Look at them` : side.holders.length > 1 ? `${holders} hold the same value. Look at them` : `${holders} holds the value. Look at it`;
  actions.push(step(`The duplicate lives in on-premises AD: ${who} and decide which keeps it.`, adShowCommand(dns)));
  actions.push(...adDuplicateSteps(side));
  actions.push(step('Run IdFix against the forest to find other duplicates before they reach Entra ID.', null));
  actions.push(DELTA_SYNC);
  return actions;
}
