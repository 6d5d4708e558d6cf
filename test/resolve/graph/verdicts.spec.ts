import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { APP_A, configFor, redis, reportRef, silentLogger, startFake, syncError, TENANT_A } from './harness.ts';

let fake: FakeGraph;
let client: Redis;
let resolver: Resolver;

beforeAll(async () => {
  fake = await startFake();
  client = redis();
  resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
});
afterAll(async () => {
  await resolver.close();
  client.disconnect();
  await fake.close();
});

async function resolveOne(error: ReturnType<typeof syncError>) {
  const result = await resolver.resolve(reportRef([error]), [error]);
  return result.get(error.fingerprint)!;
}

describe('each error category resolves to the right holder and verdict (real identity + Graph client)', () => {
  it('a proxy address held by a cloud-only user: cloud-only-holder, found though the report quotes SMTP: and the holder stores smtp:', async () => {
    const r = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] }));
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.holders).toHaveLength(1);
    expect(r.holders[0]).toMatchObject({ type: 'user', userPrincipalName: 'cloud.only@contoso.com', onPremisesSyncEnabled: null, deleted: false });
    expect(r.holders[0]!.matched).toEqual([{ attribute: 'proxyAddresses', value: 'smtp:alias@contoso.com' }]);
    const commands = r.actions.map((a) => a.command).join('\n');
    expect(commands).toContain(`Get-MgUser -UserId '${r.holders[0]!.id}'`);
    expect(commands).toContain("Set-Mailbox -Identity 'cloud.only@contoso.com' -EmailAddresses @{remove='smtp:alias@contoso.com'}");
    expect(commands).toContain(`Update-MgUser -UserId '${r.holders[0]!.id}' -OnPremisesImmutableId 'b25wcmVtLXVzZXI='`);
  });

  it('a UPN held by a cloud-only user: cloud-only-holder with the UPN match and a rename command', async () => {
    const r = await resolveOne(syncError({ identity: 'cloud.only@contoso.com', attributes: [{ name: 'UserPrincipalName', value: 'cloud.only@contoso.com' }] }));
    expect(r.verdict).toBe('cloud-only-holder');
    expect(r.holders[0]!.matched).toContainEqual({ attribute: 'userPrincipalName', value: 'cloud.only@contoso.com' });
    expect(r.actions.some((a) => a.command?.startsWith(`Update-MgUser -UserId '${r.holders[0]!.id}' -UserPrincipalName`))).toBe(true);
  });

  it('an address held by another synced user: synced-holder, fixed in AD', async () => {
    const r = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:shared@contoso.com' }] }));
    expect(r.verdict).toBe('synced-holder');
    expect(r.holders[0]).toMatchObject({ userPrincipalName: 'synced@contoso.com', onPremisesSyncEnabled: true });
    const commands = r.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).toContain("Set-ADObject -Identity 'CN=synced,OU=Users,DC=contoso,DC=local' -Remove @{proxyAddresses='smtp:shared@contoso.com'}");
    expect(commands).toContain('(proxyAddresses=smtp:shared@contoso.com)');
    expect(r.actions.some((a) => a.step.includes('IdFix'))).toBe(true);
  });

  it('an address held by a synced group: fixed in AD with Set-ADGroup by the SID and domain Graph gave (a group has no DN in Graph: blind40 G4)', async () => {
    const r = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:r&d@contoso.com' }] }));
    expect(r.verdict).toBe('synced-holder');
    expect(r.holders[0]).toMatchObject({ type: 'group', displayName: 'R&D', onPremisesSecurityIdentifier: 'S-1-5-21-1-2-3-4455', onPremisesDomainName: 'contoso.local' });
    expect(r.actions.map((a) => a.command ?? '').join('\n')).toContain("Set-ADGroup -Identity 'S-1-5-21-1-2-3-4455' -Remove @{proxyAddresses='smtp:r&d@contoso.com'} -Server 'contoso.local'");
  });

  it('an address held only by a soft-deleted user: soft-deleted-holder (the deleted-items fallback, UPN matched despite its id prefix)', async () => {
    const r = await resolveOne(syncError({ attributes: [{ name: 'UserPrincipalName', value: 'gone@contoso.com' }] }));
    expect(r.verdict).toBe('soft-deleted-holder');
    expect(r.holders[0]).toMatchObject({ deleted: true, type: 'user' });
    expect(r.holders[0]!.userPrincipalName).toMatch(/^[0-9a-f]{32}gone@contoso\.com$/);
    const commands = r.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).toContain(`Remove-MgDirectoryDeletedItem -DirectoryObjectId '${r.holders[0]!.id}'`);
    // restored as it was, it would take its UPN back: it comes back under a new one
    expect(commands).toContain(`Invoke-MgGraphRequest -Method POST -Uri 'v1.0/directory/deletedItems/${r.holders[0]!.id}/restore' -Body @{ newUserPrincipalName = '<new-name>@contoso.com' }`);
  });

  it('a cloud-only user holds the value of an object already in Entra as a synced user (its anchor): no join, which would delete that user (blind40 G1)', async () => {
    const r = await resolveOne(syncError({ identity: 'synced@contoso.com', onPremisesObjectId: 'c3luY2VkLWltbXV0YWJsZQ==', attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] }));
    expect(r.verdict).toBe('cloud-only-holder');
    expect(fake.stats.filters).toContain("onPremisesImmutableId eq 'c3luY2VkLWltbXV0YWJsZQ=='");
    const commands = r.actions.map((a) => a.command ?? '').join('\n');
    expect(commands).not.toContain('Remove-MgUser');
    expect(commands).not.toContain('-OnPremisesImmutableId');
    expect(r.actions.find((a) => a.step.startsWith('The on-premises object is in Entra ID already'))?.step).toContain('(synced@contoso.com, ');
    // an anchor no user has: the join stays offered, as before
    const joined = await resolveOne(syncError({ identity: 'new@contoso.com', onPremisesObjectId: 'bmV3LW9iamVjdA==', attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] }));
    expect(joined.actions.map((a) => a.command ?? '').join('\n')).toContain("-OnPremisesImmutableId 'bmV3LW9iamVjdA=='");
  });

  it('the holder is the reported object itself (same immutable id): same-object', async () => {
    const r = await resolveOne(syncError({ identity: 'self@contoso.com', onPremisesObjectId: 'c2VsZi1pbW11dGFibGU=', attributes: [{ name: 'ProxyAddresses', value: 'SMTP:self@contoso.com' }] }));
    expect(r.verdict).toBe('same-object');
    expect(r.holders[0]!.onPremisesImmutableId).toBe('c2VsZi1pbW11dGFibGU=');
  });

  it('nobody holds the value any more: no-holder, with the MEPF / soft-deleted recipient note', async () => {
    const r = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:nobody@contoso.com' }] }));
    expect(r.verdict).toBe('no-holder');
    expect(r.holders).toEqual([]);
    expect(r.note).toMatch(/public folder/);
    expect(r.actions.some((a) => a.command?.startsWith('Get-Recipient -IncludeSoftDeletedRecipients'))).toBe(true);
  });

  it('groups and contacts are searched too', async () => {
    const g = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:team@contoso.onmicrosoft.com' }] }));
    expect(g.verdict).toBe('cloud-only-holder');
    expect(g.holders[0]).toMatchObject({ type: 'group', displayName: 'Team', userPrincipalName: null, groupKind: 'microsoft365' });
    // a mail-enabled security group is changed with Set-DistributionGroup (Set-UnifiedGroup refuses it)
    const tax = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:tax@contoso.com' }] }));
    expect(tax.holders[0]).toMatchObject({ type: 'group', displayName: 'Tax Team', groupKind: 'mail-enabled security' });
    expect(tax.actions.map((a) => a.command).join('\n')).toContain("Set-DistributionGroup -Identity 'tax@contoso.com' -PrimarySmtpAddress");
    expect(tax.actions.map((a) => a.command).join('\n')).not.toContain('Set-UnifiedGroup');
    const c = await resolveOne(syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:ext.partner@contoso.com' }] }));
    expect(c.holders[0]).toMatchObject({ type: 'contact', displayName: 'Ext Partner' });
    // the contact's primary address is the contact itself: it goes, rather than an address it cannot lose
    expect(c.actions.map((a) => a.command).join('\n')).toContain("Remove-MailContact -Identity 'ext.partner@contoso.com'");
  });

  it('errors with nothing to look up are not-applicable and cost no Graph call', async () => {
    const before = fake.stats.graphHttpRequests;
    const quota = syncError({ category: 'QuotaExceeded', identity: null, attributes: [] });
    const large = syncError({ category: 'LargeObject', attributes: [{ name: 'userCertificate', value: null }] });
    const result = await resolver.resolve(reportRef([quota, large]), [quota, large]);
    expect(result.get(quota.fingerprint)!.verdict).toBe('not-applicable');
    expect(result.get(quota.fingerprint)!.actions.map((a) => a.command).join('\n')).toContain('Get-MgDomain');
    const largeCommands = result.get(large.fingerprint)!.actions.map((a) => a.command).join('\n');
    expect(largeCommands).toContain("(userPrincipalName=onprem.user@contoso.com)");
    expect(largeCommands).toContain('Remove-ADSyncToolsExpiredCertificates');
    expect(largeCommands).not.toContain('-Clear userCertificate');
    expect(fake.stats.graphHttpRequests).toBe(before);
  });

  it('signed in once: one metadata and one token request for all of the above', () => {
    expect(fake.stats.tokenRequests).toBe(1);
    expect(fake.stats.metadataRequests).toBe(1);
  });
});

describe('an app granted User.Read.All alone (blind40 G2)', () => {
  it('names the holders its users hold, and says groups and contacts went unsearched, naming the permissions; a value held by a group is not known', async () => {
    const limited = await startFake();
    limited.tenants[TENANT_A]!.apps = [{ ...APP_A, roles: ['User.Read.All'] }];
    const own = createResolverFromConfig(configFor(limited), { redis: client, logger: silentLogger() });
    try {
      const byUser = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] });
      const byGroup = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:team@contoso.com' }] });
      const result = await own.resolve(reportRef([byUser, byGroup]), [byUser, byGroup]);
      const user = result.get(byUser.fingerprint)!;
      expect(user.verdict).toBe('cloud-only-holder');
      expect(user.holders[0]).toMatchObject({ userPrincipalName: 'cloud.only@contoso.com' });
      expect(user.note).toContain('Groups and contacts were not searched: Graph refused the app (403; it needs Group.Read.All and OrgContact.Read.All');
      const group = result.get(byGroup.fingerprint)!;
      expect(group.verdict).toBe('holder-unknown');
      expect(group.note).toContain('Group.Read.All');
    } finally {
      await own.close();
      await limited.close();
    }
  });
});

describe('lookups started together before any sign-in (blind40 G10)', () => {
  it('share one metadata and one token request', async () => {
    const own = await startFake();
    const together = createResolverFromConfig(configFor(own), { redis: client, logger: silentLogger() });
    try {
      // values no earlier lookup cached: each of the three asks Graph
      const errors = ['a', 'b', 'c'].map((x) => syncError({ attributes: [{ name: 'ProxyAddresses', value: `smtp:together-${x}-${Date.now()}@contoso.com` }] }));
      await Promise.all(errors.map((e) => together.resolve(reportRef([e]), [e])));
      expect(own.stats.graphHttpRequests).toBeGreaterThanOrEqual(3);
      expect(own.stats.tokenRequests).toBe(1);
      expect(own.stats.metadataRequests).toBe(1);
    } finally {
      await together.close();
      await own.close();
    }
  });
});
