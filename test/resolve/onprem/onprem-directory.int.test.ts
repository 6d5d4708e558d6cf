import { readFileSync } from 'node:fs';
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../../src/errors.ts';
import { OnPremDirectory, type OnPremDirectoryOptions } from '../../../src/resolve/onprem/onprem-directory.ts';
import { adminClient, Attribute, Change, runTag, startSambaAd, stopSambaAd, unicodePwd, type SambaAd } from '../../helpers/samba.ts';

/**
 * The on-premises lookup against a real Samba AD DC on 127.0.0.1 (scripts/samba-ad.sh),
 * over LDAPS as a plain domain user, the way a customer's read-only account binds.
 * Every run seeds its own OU; the values clash the way a report's do.
 */

let ad: SambaAd;
let stopAtEnd = false;
let admin: Client;
let options: OnPremDirectoryOptions;
let ou: string;
const tag = runTag();
const domain = `${tag}.example`;
const shared = `shared@${domain}`;
const readerPassword = `Reader-${tag}-Pw1!`;
const created: string[] = [];

async function add(rdn: string, attributes: Record<string, string | string[] | Buffer>): Promise<string> {
  const dn = `${rdn},${ou}`;
  await admin.add(dn, attributes as Record<string, string | string[]>);
  created.push(dn);
  return dn;
}

function user(name: string, extra: Record<string, string | string[] | Buffer> = {}) {
  return add(`CN=${name}`, { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: `${name.slice(0, 8)}${tag}`, ...extra });
}

beforeAll(async () => {
  ad = await startSambaAd();
  stopAtEnd = ad.startedHere;
  const ca = readFileSync(ad.tlsCa, 'utf8');
  admin = await adminClient(ad, ca);
  ou = `OU=run-${tag},${ad.baseDn}`;
  await admin.add(ou, { objectClass: ['top', 'organizationalUnit'] });
  await user('reader', { unicodePwd: unicodePwd(readerPassword), userAccountControl: '512' });
  await user('alice', {
    userPrincipalName: `alice@${domain}`, mail: `alice@${domain}`, displayName: 'Alice Example',
    proxyAddresses: [`SMTP:alice@${domain}`, `smtp:${shared}`, `SIP:alice@${domain}`],
  });
  // enabled without a password (NORMAL_ACCOUNT | PASSWD_NOTREQD); alice, made without one, is disabled as AD makes such users
  await user('bob', { userPrincipalName: shared, mail: `bob@${domain}`, proxyAddresses: [`SMTP:bob@${domain}`], userAccountControl: '544' });
  await user('evil', { userPrincipalName: `evil@${domain}`, displayName: '*)(objectClass=*' });
  await add('CN=Sales', { objectClass: ['top', 'group'], sAMAccountName: `sales${tag}`, mail: `sales@${domain}`, proxyAddresses: [`SMTP:sales@${domain}`, `smtp:${shared}`] });
  await add('CN=Partner', { objectClass: ['top', 'person', 'organizationalPerson', 'contact'], mail: shared, proxyAddresses: [`SMTP:${shared}`] });
  options = { url: ad.url, bindDn: `CN=reader,${ou}`, bindPassword: readerPassword, baseDn: ad.baseDn, tlsCa: ad.tlsCa, timeoutMs: 2000 };
});

afterAll(async () => {
  if (!admin) return;
  for (const dn of created.reverse()) await admin.del(dn).catch(() => undefined);
  await admin.del(ou).catch(() => undefined);
  await admin.unbind().catch(() => undefined);
  if (stopAtEnd) await stopSambaAd(ad.dir);
});

async function guidOf(dn: string): Promise<Buffer> {
  const { searchEntries } = await admin.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] });
  return searchEntries[0]!.objectGUID as Buffer;
}

describe('OnPremDirectory against a Samba AD DC', () => {
  it('finds the failing object by its objectGUID anchor and reads its synced values', async () => {
    const guid = await guidOf(`CN=alice,${ou}`);
    const found = await new OnPremDirectory(options).findByAnchor(guid.toString('base64'));
    expect(found).toMatchObject({
      dn: `CN=alice,${ou}`,
      kind: 'user',
      objectGuid: guid.toString('base64'),
      sourceAnchor: guid.toString('base64'),
      userPrincipalName: `alice@${domain}`,
      mail: `alice@${domain}`,
    });
    expect(found!.proxyAddresses.sort()).toEqual([`SIP:alice@${domain}`, `SMTP:alice@${domain}`, `smtp:${shared}`]);
    expect(found!.objectClass).toContain('user');
    // a disabled account is said (a leaver's, as a rule); an enabled one is not
    expect(found!.disabled).toBe(true);
    expect((await new OnPremDirectory(options).findByIdentity(shared))[0]!.disabled).toBeUndefined();
    expect(Date.parse(found!.whenChanged!)).toBeGreaterThan(Date.now() - 3_600_000);
  });

  it('finds it by ms-DS-ConsistencyGuid when that is the anchor, and null for an unknown anchor', async () => {
    const guid = await guidOf(`CN=bob,${ou}`);
    await admin.modify(`CN=bob,${ou}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [guid] }) })]);
    const dir = new OnPremDirectory({ ...options, anchorAttribute: 'ms-DS-ConsistencyGuid' });
    expect((await dir.findByAnchor(guid.toString('base64')))?.dn).toBe(`CN=bob,${ou}`);
    expect(await dir.findByAnchor(Buffer.alloc(16, 7).toString('base64'))).toBeNull();
  });

  it('finds an object by either anchor attribute, as Entra Connect exports it: with ms-DS-ConsistencyGuid configured and empty, by objectGUID; with objectGUID configured, by a migrated ConsistencyGuid', async () => {
    const alice = await guidOf(`CN=alice,${ou}`);
    // alice has no mS-DS-ConsistencyGuid: Entra Connect exported her objectGUID
    const byConsistency = await new OnPremDirectory({ ...options, anchorAttribute: 'ms-DS-ConsistencyGuid' }).findByAnchor(alice.toString('base64'));
    expect(byConsistency).toMatchObject({ dn: `CN=alice,${ou}`, sourceAnchor: alice.toString('base64') });
    // a user moved from another forest keeps its old anchor in mS-DS-ConsistencyGuid
    const old = Buffer.alloc(16, 0x5a);
    await admin.modify(`CN=Partner,${ou}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [old] }) })]);
    const moved = await new OnPremDirectory(options).findByAnchor(old.toString('base64'));
    expect(moved).toMatchObject({ dn: `CN=Partner,${ou}`, consistencyGuid: old.toString('base64') });
    await admin.modify(`CN=Partner,${ou}`, [new Change({ operation: 'delete', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [] }) })]);
  });

  it('finds the failing object by its UPN, its mail or its display name', async () => {
    const dir = new OnPremDirectory(options);
    for (const identity of [`alice@${domain}`, `ALICE@${domain}`, 'Alice Example']) {
      expect((await dir.findByIdentity(identity)).map((o) => o.dn)).toEqual([`CN=alice,${ou}`]);
    }
  });

  it('finds every holder of a value across users, groups and contacts, with their DNs', async () => {
    const dir = new OnPremDirectory(options);
    const holders = await dir.findHolders(shared);
    expect(holders.map((h) => [h.kind, h.dn]).sort()).toEqual([
      ['contact', `CN=Partner,${ou}`],
      ['group', `CN=Sales,${ou}`],
      ['user', `CN=alice,${ou}`],
      ['user', `CN=bob,${ou}`],
    ]);
    // the report's own spelling, with either prefix case, finds the same holders
    expect((await dir.findHolders(`SMTP:${shared}`)).length).toBe(4);
    expect((await dir.findHolders(`smtp:${shared.toUpperCase()}`)).length).toBe(4);
    expect((await dir.findHolders(`SIP:alice@${domain}`)).map((h) => h.dn)).toEqual([`CN=alice,${ou}`]);
  });

  it('reads every page of a paged search', async () => {
    const holders = await new OnPremDirectory({ ...options, pageSize: 1 }).findHolders(shared);
    expect(holders.map((h) => h.dn).sort()).toEqual([`CN=Partner,${ou}`, `CN=Sales,${ou}`, `CN=alice,${ou}`, `CN=bob,${ou}`]);
  });

  it('finds nobody for a value nobody holds', async () => {
    expect(await new OnPremDirectory(options).findHolders(`nobody@${domain}`)).toEqual([]);
  });

  it('keeps a filter-injection attempt a literal value', async () => {
    const dir = new OnPremDirectory(options);
    expect(await dir.findHolders('*)(objectClass=*')).toEqual([]);
    expect(await dir.findHolders('*')).toEqual([]);
    expect((await dir.findByIdentity('*)(objectClass=*')).map((o) => o.dn)).toEqual([`CN=evil,${ou}`]);
  });

  it('turns a wrong password into a PermanentError', async () => {
    const err = await new OnPremDirectory({ ...options, bindPassword: 'wrong' }).findHolders(shared).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('onprem_bad_credentials');
  });

  it('turns an untrusted DC certificate into a PermanentError', async () => {
    const err = await new OnPremDirectory({ ...options, tlsCa: undefined }).findHolders(shared).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('onprem_tls');
  });

  it('turns a DC that does not answer into a TransientError within the timeout', async () => {
    const dir = new OnPremDirectory({ ...options, timeoutMs: 1500 });
    process.kill(-ad.pid, 'SIGSTOP'); // the whole DC: samba and its ldap workers share its process group
    const started = Date.now();
    let err: unknown;
    try {
      err = await dir.findHolders(shared).catch((e: unknown) => e);
    } finally {
      process.kill(-ad.pid, 'SIGCONT');
    }
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('onprem_unreachable');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('turns a stopped DC into a TransientError at once', async () => {
    await stopSambaAd(ad.dir);
    try {
      const started = Date.now();
      const err = await new OnPremDirectory(options).findHolders(shared).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).code).toBe('onprem_unreachable');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      ad = await startSambaAd(ad.dir);
      admin = await adminClient(ad, readFileSync(ad.tlsCa, 'utf8'));
    }
  });
});
