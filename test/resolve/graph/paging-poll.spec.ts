import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import { pollGraph } from '../../../src/ingest/graph-poll.ts';
import { fingerprintError } from '../../../src/parse/fingerprint.ts';
import { contact, deletedUser, syncedUser } from '../../fakes/graph/directory.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, contosoDirectory, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

let fake: FakeGraph;
let client: Redis;

beforeAll(async () => {
  const a = contosoDirectory();
  // Soft-deleted objects are not kept unique: three deleted users can hold one address.
  for (let i = 0; i < 3; i++) a.deletedUsers.push(deletedUser({ userPrincipalName: `old${i}@contoso.com`, proxyAddresses: ['smtp:recycled@contoso.com'] }));
  for (let i = 0; i < 5; i++) {
    a.users.push(
      syncedUser({
        userPrincipalName: `conflict${i}+1234@contoso.onmicrosoft.com`,
        onPremisesUserPrincipalName: `conflict${i}@contoso.com`,
        onPremisesImmutableId: `aW1tdXRhYmxlLSR7aX0=${i}`,
        onPremisesProvisioningErrors: [{ category: 'PropertyConflict', occurredDateTime: '2026-11-22T07:00:00Z', propertyCausingError: 'UserPrincipalName', value: `conflict${i}@contoso.com` }],
      }),
    );
  }
  a.contacts.push(
    contact({ displayName: 'Quarantined contact', mail: 'q@contoso.com', onPremisesSyncEnabled: true, onPremisesProvisioningErrors: [{ category: 'PropertyConflict', propertyCausingError: 'ProxyAddress', value: 'SMTP:team@contoso.com' }] }),
  );
  fake = await startFake({ a });
  fake.maxPageSize = 2;
  client = redis();
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

describe('paging: @odata.nextLink pages are followed inside batches', () => {
  it('three soft-deleted holders over two-item pages are all found', async () => {
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    const e = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:recycled@contoso.com' }] });
    fake.resetStats();
    const r = (await resolver.resolve(reportRef([e]), [e])).get(e.fingerprint)!;
    expect(r.verdict).toBe('soft-deleted-holder');
    expect(r.holders).toHaveLength(3);
    expect(r.holders.every((h) => h.deleted)).toBe(true);
    expect(fake.stats.subRequests).toBe(3 + 2 + 1); // live, deleted, then the second page of deleted users
  });
});

describe('poll-graph: objects with onPremisesProvisioningErrors become records', () => {
  it('lists users, groups and contacts with PropertyConflict across pages, fingerprinted like mail records', async () => {
    const reports = await pollGraph(configFor(fake), { logger: silentLogger() });
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report!.tenant.id).toBe('0a0a0a0a-0000-4000-8000-00000000000a');
    expect(report!.errors).toHaveLength(6);
    const upn = report!.errors.find((e) => e.identity === 'conflict3@contoso.com')!;
    expect(upn).toMatchObject({ category: 'DuplicateAttribute', objectType: 'User', onPremisesObjectId: 'aW1tdXRhYmxlLSR7aX0=3', attributes: [{ name: 'UserPrincipalName', value: 'conflict3@contoso.com' }] });
    const { fingerprint, ...rest } = upn;
    expect(fingerprint).toBe(fingerprintError(rest));
    const proxy = report!.errors.find((e) => e.objectType === 'Contact')!;
    expect(proxy.attributes).toEqual([{ name: 'ProxyAddresses', value: 'SMTP:team@contoso.com' }]);
    expect(proxy.identity).toBe('q@contoso.com');
    // And the polled records resolve like mailed ones: the group holds the contact's address.
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    const resolved = await resolver.resolve(reportRef(report!.errors), report!.errors);
    expect(resolved.get(proxy.fingerprint)!.holders[0]).toMatchObject({ type: 'group', displayName: 'Team' });
  });

  it('names the tenant by its organization\'s display name when the configuration gives none, and polls all the same without the permission', async () => {
    const tenant = fake.tenants['0a0a0a0a-0000-4000-8000-00000000000a']!;
    // no Organization.Read.All: Graph answers 403 to that one request; the errors still come
    const [unnamed] = await pollGraph(configFor(fake), { logger: silentLogger() });
    expect(unnamed!.tenant.name).toBeNull();
    expect(unnamed!.errors).toHaveLength(6);
    tenant.organization = { displayName: 'Contoso Ltd', verifiedDomains: [{ name: 'contoso.com', isDefault: true, isInitial: false }] };
    try {
      const [named] = await pollGraph(configFor(fake), { logger: silentLogger() });
      expect(named!.tenant.name).toBe('Contoso Ltd');
      expect(named!.subject).toBe('Entra ID provisioning errors (Graph poll of Contoso Ltd)');
    } finally {
      delete tenant.organization;
    }
  });

  it('without Graph configured there is nothing to poll', async () => {
    const reports = await pollGraph(configFor(fake, { GRAPH_TENANT_ID: '' }), { logger: silentLogger() });
    expect(reports).toEqual([]);
  });
});
