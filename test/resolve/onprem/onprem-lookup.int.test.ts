import { readFileSync } from 'node:fs';
import type { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { checkOnPrem } from '../../../src/doctor/onprem-check.ts';
import { OnPremDirectory, type OnPremDirectoryOptions } from '../../../src/resolve/onprem/onprem-directory.ts';
import { lookUpOnPrem } from '../../../src/resolve/onprem/onprem-lookup.ts';
import type { SyncError } from '../../../schemas/report.schema.ts';
import { syncError } from '../../ticket/builders.ts';
import { adminClient, AdSeed, runTag, startSambaAd, stopSambaAd, type SambaAd } from '../../helpers/samba.ts';

/**
 * The onprem job's use case against a real Samba AD DC: the failing object by its anchor or
 * its identity, every value it holds, and every other object holding one, in one bind; the
 * StartTLS path; and what `doctor` says about the bind, the base DN and the anchor attribute.
 */

let ad: SambaAd;
let admin: Client;
let seed: AdSeed;
let options: OnPremDirectoryOptions;
const tag = runTag();
const domain = `${tag}.example`;
const readerPassword = `Reader-${tag}-Pw1!`;
let annDn: string;

beforeAll(async () => {
  ad = await startSambaAd();
  admin = await adminClient(ad, readFileSync(ad.tlsCa, 'utf8'));
  seed = await new AdSeed(admin, ad.baseDn, tag).open();
  await seed.user('reader', {}, readerPassword);
  annDn = await seed.user("Ann O'Neil", {
    userPrincipalName: `ann@${domain}`,
    mail: `ann@${domain}`,
    proxyAddresses: [`SMTP:ann@${domain}`, `smtp:sales@${domain}`, `SIP:ann@${domain}`, 'X500:/o=corp/cn=ann'],
  });
  await seed.group('Sales', { mail: `sales@${domain}`, proxyAddresses: [`SMTP:sales@${domain}`] });
  await seed.contact('Ann Partner', { mail: `partner@${domain}`, proxyAddresses: [`SMTP:partner@${domain}`, `SIP:ann@${domain}`] });
  await seed.user('Unrelated', { userPrincipalName: `other@${domain}`, proxyAddresses: [`SMTP:other@${domain}`] });
  options = { url: ad.url, bindDn: `CN=reader,${seed.ou}`, bindPassword: readerPassword, baseDn: ad.baseDn, tlsCa: ad.tlsCa, timeoutMs: 3000 };
});

afterAll(async () => {
  if (!admin) return;
  await seed.clear();
  await admin.unbind().catch(() => undefined);
  if (ad.startedHere) await stopSambaAd(ad.dir);
});

describe('the on-premises side of a report chunk, read from a Samba AD DC', () => {
  it('finds the failing object by its anchor, reads every value, and names every other holder of the reported value by DN', async () => {
    const guid = await seed.guidOf(annDn);
    const error = syncError({ attribute: 'ProxyAddresses', value: `smtp:sales@${domain}`, identity: `ann@${domain}`, onPremisesObjectId: guid });
    const sides = await new OnPremDirectory(options).session('lookup', (s) => lookUpOnPrem([error], s));
    const side = sides.get(error.fingerprint)!;
    expect(side.status).toBe('found');
    expect(side.object).toMatchObject({ dn: annDn, objectGuid: guid, userPrincipalName: `ann@${domain}`, proxyAddresses: expect.arrayContaining([`SIP:ann@${domain}`]) });
    // the contact holds Ann's SIP address, which this report does not name: no part of this error
    expect(side.searched).toEqual([`smtp:sales@${domain}`]);
    expect(side.holders.map((h) => [h.kind, h.dn, h.matched])).toEqual([
      ['group', `CN=Sales,${seed.ou}`, [{ attribute: 'mail', value: `sales@${domain}` }, { attribute: 'proxyAddresses', value: `SMTP:sales@${domain}` }]],
    ]);
  });

  it('a report that names no value: the object by its identity, and the clash found from its own values', async () => {
    const named = syncError({ attribute: 'ProxyAddresses', identity: `ann@${domain}` });
    const error = { ...named, attributes: [{ name: 'ProxyAddresses', value: null }] };
    const side = (await new OnPremDirectory(options).session('lookup', (s) => lookUpOnPrem([error], s))).get(error.fingerprint)!;
    expect(side.object?.dn).toBe(annDn);
    expect(side.holders.map((h) => h.dn).sort()).toEqual([`CN=Ann Partner,${seed.ou}`, `CN=Sales,${seed.ou}`]);
  });

  it('an anchor nobody has and an unknown identity: not found, and the report\'s own value still searched', async () => {
    const error = syncError({ attribute: 'ProxyAddresses', value: `smtp:partner@${domain}`, identity: `gone@${domain}`, onPremisesObjectId: Buffer.alloc(16, 9).toString('base64') });
    const side = (await new OnPremDirectory(options).session('lookup', (s) => lookUpOnPrem([error], s))).get(error.fingerprint)!;
    expect(side.status).toBe('not-found');
    expect(side.note).toContain(`identity gone@${domain}`);
    expect(side.holders.map((h) => h.dn)).toEqual([`CN=Ann Partner,${seed.ou}`]);
  });

  it('reads a full chunk (50 errors) on one bind, each object and its holders', async () => {
    const errors: SyncError[] = [];
    for (let i = 0; i < 50; i++) {
      await seed.user(`bulk${i}`, { userPrincipalName: `bulk${i}@${domain}`, proxyAddresses: [`SMTP:bulk${i}@${domain}`, `smtp:team${i % 5}@${domain}`] });
      errors.push(syncError({ attribute: 'ProxyAddresses', value: `smtp:team${i % 5}@${domain}`, identity: `bulk${i}@${domain}` }));
    }
    const started = Date.now();
    const sides = await new OnPremDirectory(options).session('lookup', (s) => lookUpOnPrem(errors, s));
    const ms = Date.now() - started;
    process.stdout.write(`onprem-lookup: 50 errors, 100 searches on one bind in ${ms} ms\n`);
    expect([...sides.values()].every((side) => side.status === 'found' && side.holders.length === 9)).toBe(true);
    expect(ms).toBeLessThan(20_000);
  });

  it('upgrades an ldap:// connection with StartTLS before the simple bind', async () => {
    const plain = ad.url.replace('ldaps://', 'ldap://').replace(':636', ':389');
    const found = await new OnPremDirectory({ ...options, url: plain }).findByIdentity(`ann@${domain}`);
    expect(found.map((o) => o.dn)).toEqual([annDn]);
  });
});

describe('doctor against the DC', () => {
  const env = (extra: Record<string, string> = {}) =>
    loadConfig({ ONPREM_URL: ad.url, ONPREM_BIND_DN: options.bindDn, ONPREM_BIND_PASSWORD: readerPassword, ONPREM_BASE_DN: ad.baseDn, ONPREM_TLS_CA: ad.tlsCa, ...extra });

  it('passes the bind, the base DN and objectGUID', async () => {
    const results = await checkOnPrem(env(), { timeoutMs: 5000 });
    expect(results.map((r) => [r.check, r.status])).toEqual([
      ['on-premises AD bind', 'pass'],
      ['on-premises base DN', 'pass'],
      ['on-premises anchor', 'pass'],
    ]);
  });

  it('fails a wrong password with the keys to check, and a base DN that does not exist', async () => {
    const bad = await checkOnPrem(env({ ONPREM_BIND_PASSWORD: 'wrong' }), { timeoutMs: 5000 });
    expect(bad).toEqual([expect.objectContaining({ check: 'on-premises AD bind', status: 'fail', fix: expect.stringContaining('ONPREM_BIND_PASSWORD') })]);
    const base = await checkOnPrem(env({ ONPREM_BASE_DN: `OU=nowhere-${tag},${ad.baseDn}` }), { timeoutMs: 5000 });
    expect(base.map((r) => [r.check, r.status])).toEqual([['on-premises AD bind', 'pass'], ['on-premises base DN', 'fail']]);
  });

  it('warns when no user carries ms-DS-ConsistencyGuid under the base DN', async () => {
    const results = await checkOnPrem(env({ ONPREM_ANCHOR_ATTRIBUTE: 'ms-DS-ConsistencyGuid', ONPREM_BASE_DN: seed.ou }), { timeoutMs: 5000 });
    expect(results.at(-1)).toMatchObject({ check: 'on-premises anchor', status: 'warn' });
  });
});
