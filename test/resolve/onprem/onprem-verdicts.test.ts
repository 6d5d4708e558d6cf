import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ReportRef } from '../../../schemas/jobs.schema.ts';
import type { OnPremObjectData, OnPremSide } from '../../../schemas/resolution.schema.ts';
import type { DirectoryLookup, LookupQuery } from '../../../src/resolve/directory-lookup.ts';
import { lookupValue } from '../../../src/resolve/lookup-key.ts';
import { anchorBase64, matchedValues, objectLookups } from '../../../src/resolve/onprem/onprem-values.ts';
import { lookUpOnPremError, type OnPremReader } from '../../../src/resolve/onprem/onprem-lookup.ts';
import { resolveError } from '../../../src/resolve/verdict.ts';
import { createResolver } from '../../../src/resolve/resolver.ts';
import { holder, syncError } from '../../ticket/builders.ts';

/**
 * The pure half of the on-premises side: which values an AD object holds, the verdict and
 * the exact Set-AD* commands from both sides, and the resolver sending every value of the
 * failing object to the cloud. (The LDAP half runs against Samba: onprem-*.int.test.ts.)
 */

const BASE = 'OU=Users,DC=corp,DC=example';
function adObject(name: string, extra: Partial<OnPremObjectData> = {}): OnPremObjectData {
  return { dn: `CN=${name},${BASE}`, kind: 'user', objectClass: ['top', 'person', 'organizationalPerson', 'user'], objectGuid: Buffer.from(name.padEnd(16, '-')).toString('base64'), proxyAddresses: [], ...extra };
}

const ann = adObject("Ann O'Neil", { userPrincipalName: 'ann@corp.example', mail: 'ann@corp.example', proxyAddresses: ['SMTP:ann@corp.example', 'smtp:sales@corp.example', 'SIP:ann@corp.example', 'X500:/o=x/cn=ann'] });
const salesGroup = { ...adObject('Sales', { kind: 'group', mail: 'sales@corp.example', proxyAddresses: ['SMTP:sales@corp.example'] }), matched: [{ attribute: 'mail', value: 'sales@corp.example' }, { attribute: 'proxyAddresses', value: 'SMTP:sales@corp.example' }] };
const side = (extra: Partial<OnPremSide> = {}): OnPremSide => ({ status: 'found', object: ann, holders: [salesGroup], candidates: [], searched: [], note: null, code: null, ...extra });

describe('the values of an AD object', () => {
  it('are its UPN, mail, SMTP and SIP addresses (X500 never conflicts), each once', () => {
    expect(objectLookups(ann).map(lookupValue)).toEqual(['ann@corp.example', 'smtp:ann@corp.example', 'smtp:sales@corp.example', 'sip:ann@corp.example']);
  });

  it('are matched as stored, whatever case the report or the lookup uses', () => {
    const lookups = objectLookups(adObject('x', { proxyAddresses: ['smtp:SALES@corp.example'] }));
    expect(matchedValues(salesGroup, lookups)).toEqual([{ attribute: 'mail', value: 'sales@corp.example' }, { attribute: 'proxyAddresses', value: 'SMTP:sales@corp.example' }]);
    const sipUser = adObject('s', { sipAddress: 'sip:ann@corp.example' });
    expect(matchedValues(sipUser, objectLookups(ann))).toEqual([{ attribute: 'msRTCSIP-PrimaryUserAddress', value: 'sip:ann@corp.example' }]);
  });

  it('turn a GUID-shaped object id into the objectGUID bytes AD stores, and keep base64 as it is', () => {
    // objectGUID bytes: the first three groups little-endian
    expect(Buffer.from(anchorBase64('{00112233-4455-6677-8899-aabbccddeeff}')!, 'base64').toString('hex')).toBe('33221100554477668899aabbccddeeff');
    expect(anchorBase64('MzIhEFVEd2aImaq7zN3u/w==')).toBe('MzIhEFVEd2aImaq7zN3u/w==');
    expect(anchorBase64('not an anchor')).toBeNull();
  });
});

describe('the verdict from both sides', () => {
  const report = syncError({ attribute: 'ProxyAddresses', value: 'smtp:sales@corp.example', identity: 'ann@corp.example' });

  it('a duplicate inside AD: both objects by DN, the exact Set-AD* commands, quoted for PowerShell', () => {
    const r = resolveError(report, { status: 'found', holders: [] }, new Date('2026-12-01T00:00:00Z'), side());
    expect(r.verdict).toBe('onprem-duplicate');
    expect(r.onPremises?.object?.dn).toBe(ann.dn);
    const commands = r.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).toContain(`Set-ADGroup -Identity 'CN=Sales,${BASE}' -Remove @{proxyAddresses='SMTP:sales@corp.example'}`);
    expect(commands).toContain(`Set-ADGroup -Identity 'CN=Sales,${BASE}' -Replace @{mail='<new-address>'}`);
    // the failing object, when it is the one to give way: its DN's apostrophe doubled
    expect(commands).toContain(`Set-ADUser -Identity 'CN=Ann O''Neil,${BASE}' -Remove @{proxyAddresses='smtp:sales@corp.example'}`);
    expect(r.actions[0]!.step).toContain(`the failing object CN=Ann O'Neil,${BASE} and CN=Sales,${BASE}`);
    expect(r.actions.map((a) => a.step).join(' ')).toContain('make another address primary');
  });

  it('a synced cloud holder and the AD holder behind it: the cloud object confirmed, the fix named by DN in AD', () => {
    const synced = holder({ type: 'group', displayName: 'Sales', userPrincipalName: null, onPremisesSyncEnabled: true, onPremisesDistinguishedName: salesGroup.dn, matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] });
    const r = resolveError(report, { status: 'found', holders: [synced] }, new Date(), side());
    expect(r.verdict).toBe('onprem-duplicate');
    expect(r.holders).toHaveLength(1);
    expect(r.actions[0]!.command).toContain(`Get-MgGroup -GroupId '${synced.id}'`);
  });

  it('a cloud-only holder stays the verdict, with the AD duplicates added to its steps', () => {
    const r = resolveError(report, { status: 'found', holders: [holder({ matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] })] }, new Date(), side());
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.actions.map((a) => a.command).join('\n')).toContain(`Set-ADGroup -Identity 'CN=Sales,${BASE}'`);
    expect(r.actions.at(-1)!.command).toBe('Start-ADSyncSyncCycle -PolicyType Delta');
  });

  it('an Existing Admin Role Conflict with AD duplicates: the AD steps come before the sync that soft-matches, the roles go back last', () => {
    const admin = { ...report, errorCode: 'Existing Admin Role Conflict' };
    const r = resolveError(admin, { status: 'found', holders: [holder({ matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] })] }, new Date(), side());
    const commands = r.actions.map((a) => a.command ?? '');
    const ad = commands.findIndex((c) => c.startsWith('Set-ADGroup'));
    const sync = commands.indexOf('Start-ADSyncSyncCycle -PolicyType Delta');
    expect(ad).toBeGreaterThan(-1);
    expect(ad).toBeLessThan(sync);
    expect(r.actions.at(-1)!.step).toMatch(/back the roles/);
  });

  it('a synced holder Graph found outside the searched AD: both on-premises objects named', () => {
    const synced = holder({ onPremisesSyncEnabled: true, onPremisesDistinguishedName: 'CN=Ann,OU=Other,DC=fabrikam,DC=example', matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] });
    const r = resolveError(report, { status: 'found', holders: [synced] }, new Date(), side({ holders: [] }));
    expect(r.verdict).toBe('synced-holder');
    expect(r.actions[1]!.step).toBe(`The two on-premises objects: the failing object is CN=Ann O'Neil,${BASE}; the holder is synced from CN=Ann,OU=Other,DC=fabrikam,DC=example.`);
    // the other way: the failing object gives the value up, with the value as AD stores it on that object
    const otherWay = r.actions.find((a) => a.step.startsWith('Or, if the reported object is the one that should give the value up'));
    expect(otherWay?.command).toBe(`Set-ADUser -Identity 'CN=Ann O''Neil,${BASE}' -Remove @{proxyAddresses='smtp:sales@corp.example'} -Server 'corp.example'`);
  });

  it('the cloud copy of the failing object itself (its anchor as ImmutableId) is not a holder', () => {
    const self = holder({ onPremisesSyncEnabled: true, onPremisesImmutableId: ann.objectGuid, matched: [{ attribute: 'userPrincipalName', value: 'ann@corp.example' }] });
    const r = resolveError(report, { status: 'found', holders: [self] }, new Date(), side({ holders: [] }));
    expect(r.verdict).toBe('same-object');
  });

  it('a report naming no value: looked up with the values AD holds, not "not applicable"', () => {
    const bare = syncError({ attribute: 'ProxyAddresses', identity: 'ann@corp.example' });
    const noValue = { ...bare, attributes: [{ name: 'ProxyAddresses', value: null }] };
    expect(resolveError(noValue, null, new Date()).verdict).toBe('not-applicable');
    const cloud = holder({ matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] });
    expect(resolveError(noValue, { status: 'found', holders: [cloud] }, new Date(), side({ holders: [] })).verdict).toBe('cloud-only-holder');
  });

  it('AD unavailable and no cloud holder: the holder is not known, never "nobody holds it"', () => {
    const down = side({ status: 'unavailable', object: null, holders: [], note: 'on-premises lookup at ldaps://dc1:636: DC unreachable', code: 'onprem_unreachable' });
    expect(resolveError(report, { status: 'found', holders: [] }, new Date(), down).verdict).toBe('holder-unknown');
    expect(resolveError(report, { status: 'found', holders: [] }, new Date(), side({ holders: [] })).verdict).toBe('no-holder');
    // only the object itself found, while AD (or part of the cloud) was not searched: no "the conflict is gone" either
    const self = holder({ userPrincipalName: 'ann@corp.example', onPremisesSyncEnabled: true, onPremisesImmutableId: ann.objectGuid, matched: [{ attribute: 'userPrincipalName', value: 'ann@corp.example' }] });
    expect(resolveError(report, { status: 'found', holders: [self] }, new Date(), down).verdict).toBe('holder-unknown');
    expect(resolveError(report, { status: 'found', holders: [self], incomplete: true }, new Date(), side({ holders: [] })).verdict).toBe('holder-unknown');
  });

  it('AD unavailable: the cloud verdict stands and the resolution carries why the on-premises side is missing', () => {
    const down = side({ status: 'unavailable', object: null, holders: [], note: 'on-premises lookup at ldaps://dc1:636: the DC refused the bind credentials', code: 'onprem_bad_credentials' });
    const r = resolveError(report, { status: 'found', holders: [holder({ matched: [{ attribute: 'proxyAddresses', value: 'smtp:sales@corp.example' }] })] }, new Date(), down);
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.holders).toHaveLength(1);
    expect(r.onPremises).toMatchObject({ status: 'unavailable', code: 'onprem_bad_credentials', note: 'on-premises lookup at ldaps://dc1:636: the DC refused the bind credentials' });
  });

  it('one holder in AD and no failing object read: the step speaks of that one object', () => {
    const r = resolveError(report, { status: 'unresolved', note: 'Graph is not configured' }, new Date(), side({ object: null, status: 'not-found' }));
    expect(r.actions.map((a) => a.step).join('\n')).toContain(`${salesGroup.dn} holds the value. Look at it and decide which keeps it.`);
  });

  it('Graph not asked but AD shows the duplicate: fixed in AD all the same', () => {
    const r = resolveError(report, { status: 'unresolved', note: 'Graph is not configured' }, new Date(), side());
    expect(r.verdict).toBe('onprem-duplicate');
    expect(r.note).toBe('Entra ID: Graph is not configured');
  });
});

describe('the on-premises lookup of one error (against an in-memory reader)', () => {
  const reader = (objects: OnPremObjectData[]): OnPremReader & { anchors: string[] } => {
    const anchors: string[] = [];
    return {
      anchors,
      async findByAnchor(a) {
        anchors.push(a);
        return objects.find((o) => o.objectGuid === a) ?? null;
      },
      async findByIdentity(id) {
        return objects.filter((o) => o.userPrincipalName === id);
      },
      async findHolders(values) {
        const lookups = values.flatMap((v) => objectLookups(adObject('q', { proxyAddresses: [v.includes(':') ? v : `smtp:${v}`] })));
        return objects.filter((o) => matchedValues(o, lookups).length > 0);
      },
    };
  };

  it('finds the object by anchor and searches the value the report names, not its other values (their holders are no part of this error)', async () => {
    const r = reader([ann, salesGroup]);
    const out = await lookUpOnPremError(syncError({ attribute: 'ProxyAddresses', identity: 'ann@corp.example', onPremisesObjectId: ann.objectGuid }), r);
    expect(r.anchors).toEqual([ann.objectGuid]);
    expect(out.status).toBe('found');
    expect(out.searched).toEqual(['smtp:john@contoso.com']);
    // the group holds one of Ann's other addresses: not the holder of the reported one
    expect(out.holders).toEqual([]);
    const named = await lookUpOnPremError(syncError({ attribute: 'ProxyAddresses', value: 'smtp:sales@corp.example', identity: 'ann@corp.example', onPremisesObjectId: ann.objectGuid }), r);
    expect(named.holders.map((h) => h.dn)).toEqual([salesGroup.dn]);
  });

  it('a report naming no value: every value the object holds is searched, and the object kept out of its own holders', async () => {
    const error = { ...syncError({ attribute: 'ProxyAddresses', identity: 'ann@corp.example', onPremisesObjectId: ann.objectGuid }), attributes: [{ name: 'ProxyAddresses', value: null }] };
    const out = await lookUpOnPremError(error, reader([ann, salesGroup]));
    expect(out.searched).toEqual(['ann@corp.example', 'smtp:ann@corp.example', 'smtp:sales@corp.example', 'sip:ann@corp.example']);
    expect(out.holders.map((h) => h.dn)).toEqual([salesGroup.dn]);
  });

  it('names the base it searched where nothing was found: an object outside it was not', async () => {
    const outside = await lookUpOnPremError(syncError({ attribute: 'ProxyAddresses', identity: 'gone@corp.example' }), { ...reader([ann]), baseDn: 'OU=Corp,DC=corp,DC=example' });
    expect(outside).toMatchObject({ status: 'not-found', base: 'OU=Corp,DC=corp,DC=example' });
    expect(outside.note).toBe('No object in AD has the identity gone@corp.example (deleted, or outside the base DN OU=Corp,DC=corp,DC=example).');
  });

  it('says which objects an ambiguous identity names', async () => {
    const twin = adObject('Ann2', { userPrincipalName: 'ann@corp.example' });
    const out = await lookUpOnPremError(syncError({ attribute: 'ProxyAddresses', identity: 'ann@corp.example' }), reader([ann, twin]));
    expect(out.status).toBe('ambiguous');
    expect(out.candidates).toEqual([ann.dn, twin.dn]);
  });
});

describe('the resolver with the on-premises side', () => {
  it('sends every value of the failing object to the cloud, not only the one the report names', async () => {
    const asked: LookupQuery[][] = [];
    const lookup: DirectoryLookup = {
      async findHolders(queries) {
        asked.push(queries);
        return queries.map(() => ({ holders: [], gap: null }));
      },
    };
    const tenant = { name: 't', tenantId: 't', domains: ['corp.example'], forwarders: [] };
    const resolver = createResolver({ route: () => ({ tenant }), lookupFor: () => lookup, logger: pino({ level: 'silent' }) });
    const error = { ...syncError({ attribute: 'ProxyAddresses', identity: 'ann@corp.example' }), attributes: [{ name: 'ProxyAddresses', value: null }] };
    const ref: ReportRef = { reportId: 'r', mailId: null, subject: 's', coversAt: '2026-12-01T00:00:00Z', tenantKey: 't', tenant: { name: 't', domain: null, id: null }, source: 'mail' };
    const r = (await resolver.resolve(ref, [error], new Map([[error.fingerprint, side({ holders: [] })]]))).get(error.fingerprint)!;
    expect(asked[0]!.map((q) => q.value)).toEqual(['ann@corp.example', 'smtp:ann@corp.example', 'smtp:sales@corp.example', 'sip:ann@corp.example']);
    expect(r.verdict).toBe('no-holder');
    expect(r.onPremises?.object?.dn).toBe(ann.dn);
  });
});
