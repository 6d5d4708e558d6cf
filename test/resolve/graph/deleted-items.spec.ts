import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { checkGraph, PROBE_VALUE } from '../../../src/doctor/graph-check.ts';
import { createGraphClient, createGraphCredential, graphEndpoints } from '../../../src/resolve/graph-credential.ts';
import { RECYCLE_BIN_GAP } from '../../../src/resolve/graph-directory-lookup.ts';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import { GONE_GROUPS } from '../../../src/resolve/verdict.ts';
import { deleteGroup, group } from '../../fakes/graph/directory.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { APP_A, configFor, redis, reportRef, silentLogger, startFake, syncError, TENANT_A } from './harness.ts';

/**
 * Graph may refuse advanced and lambda filters on /directory/deletedItems (no Microsoft
 * example shows endswith or proxyAddresses/any working there). The fake refuses them on
 * demand; the resolver must keep every live holder it found, retry the recycle bin once with
 * `mail eq` alone, and otherwise say in the resolution that the recycle bin was not searched.
 */

let fake: FakeGraph;
let client: Redis;

beforeAll(async () => {
  fake = await startFake();
  client = redis();
});
afterEach(() => {
  fake.deletedItemsFilters = 'any';
  fake.resetStats();
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

const live = syncError({ attributes: [{ name: 'UserPrincipalName', value: 'cloud.only@contoso.com' }] });
const liveProxy = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] });
const deleted = syncError({ attributes: [{ name: 'UserPrincipalName', value: 'gone@contoso.com' }] });
const nobody = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:nobody@contoso.com' }] });
const errors = [live, liveProxy, deleted, nobody];

async function resolveAll() {
  const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
  try {
    return await resolver.resolve(reportRef(errors), errors);
  } finally {
    await resolver.close();
  }
}

async function graphGet(path: string, headers: Record<string, string> = {}) {
  const endpoints = graphEndpoints('global', { baseUrl: fake.url, authorityHost: fake.url });
  const credential = createGraphCredential({ tenantId: TENANT_A, clientId: APP_A.clientId, clientSecret: APP_A.secret }, endpoints, 60_000);
  return createGraphClient(credential, endpoints, undefined, 60_000).api(path).headers(headers).get();
}

describe('the fake Graph refuses advanced and lambda filters on deleted items, on demand', () => {
  it('basic: endswith and proxyAddresses/any on deletedItems answer 400 Request_UnsupportedQuery; mail eq works', async () => {
    fake.deletedItemsFilters = 'basic';
    const refused = await graphGet("/directory/deletedItems/microsoft.graph.user?$filter=proxyAddresses/any(x:x eq 'smtp:gone@contoso.com')").catch((e: unknown) => e);
    expect(refused).toMatchObject({ statusCode: 400, code: 'Request_UnsupportedQuery' });
    const ends = await graphGet("/directory/deletedItems/microsoft.graph.user?$filter=endswith(userPrincipalName,'gone@contoso.com')&$count=true", { ConsistencyLevel: 'eventual' }).catch((e: unknown) => e);
    expect(ends).toMatchObject({ statusCode: 400, code: 'Request_UnsupportedQuery' });
    const ok = (await graphGet("/directory/deletedItems/microsoft.graph.user?$filter=mail eq 'gone@contoso.com'")) as { value: unknown[] };
    expect(ok.value).toHaveLength(1);
  });

  it('none: every filter on deletedItems is refused; live collections still answer', async () => {
    fake.deletedItemsFilters = 'none';
    await expect(graphGet("/directory/deletedItems/microsoft.graph.user?$filter=mail eq 'gone@contoso.com'")).rejects.toMatchObject({ statusCode: 400 });
    expect(((await graphGet("/users?$filter=mail eq 'cloud.only@contoso.com'")) as { value: unknown[] }).value).toHaveLength(1);
  });
});

describe('the resolver keeps live holders when the recycle bin search is refused', () => {
  it('lenient Graph: every verdict, no gap', async () => {
    const r = await resolveAll();
    expect(errors.map((e) => r.get(e.fingerprint)!.verdict)).toEqual(['cloud-only-holder', 'cloud-only-holder', 'soft-deleted-holder', 'no-holder']);
    expect(r.get(nobody.fingerprint)!.note).not.toContain('recycle bin');
  });

  it('a value a live object holds is not searched for in the recycle bin, and its steps say where to look if it stays held (blind30 T1)', async () => {
    const r = await resolveAll();
    // the recycle bin was searched by mail for the two values nobody live holds, not for the live ones
    const binSearches = fake.stats.filters.filter((f) => f.startsWith('endswith(') || f.startsWith('proxyAddresses/any'));
    expect(binSearches.some((f) => f.includes('gone@contoso.com'))).toBe(true);
    expect(binSearches.some((f) => f.includes('cloud.only@contoso.com') || f.includes('alias@contoso.com'))).toBe(false);
    for (const e of [live, liveProxy]) expect(r.get(e.fingerprint)!.actions.at(-1)!.step).toMatch(/^The recycle bin was not searched \(a live holder was found first\)/);
    for (const e of [deleted, nobody]) expect(r.get(e.fingerprint)!.actions.some((a) => a.step.startsWith('The recycle bin was not searched'))).toBe(false);
  });

  it('advanced filters refused: live holders named, the deleted holder found again by mail eq, the gap said', async () => {
    fake.deletedItemsFilters = 'basic';
    const r = await resolveAll();
    expect(r.get(live.fingerprint)).toMatchObject({ verdict: 'cloud-only-holder', holders: [expect.objectContaining({ userPrincipalName: 'cloud.only@contoso.com' })] });
    expect(r.get(liveProxy.fingerprint)).toMatchObject({ verdict: 'cloud-only-holder' });
    expect(r.get(deleted.fingerprint)).toMatchObject({ verdict: 'soft-deleted-holder', holders: [expect.objectContaining({ deleted: true, mail: 'gone@contoso.com' })] });
    expect(r.get(deleted.fingerprint)!.note).toContain('searched only by mail');
    expect(r.get(nobody.fingerprint)).toMatchObject({ verdict: 'no-holder' });
    expect(r.get(nobody.fingerprint)!.note).toContain('recycle bin was searched only by mail');
    expect(fake.stats.filters.some((f) => f.startsWith('endswith('))).toBe(true);
    expect(fake.stats.filters).toContain("mail eq 'gone@contoso.com'");
  });

  it('every deleted-items filter refused: live holders named, the others say the recycle bin was not searched, and nothing is unresolved', async () => {
    fake.deletedItemsFilters = 'none';
    const r = await resolveAll();
    expect(errors.map((e) => r.get(e.fingerprint)!.verdict)).toEqual(['cloud-only-holder', 'cloud-only-holder', 'no-holder', 'no-holder']);
    for (const e of [deleted, nobody]) expect(r.get(e.fingerprint)!.note).toContain(RECYCLE_BIN_GAP);
    expect(r.get(live.fingerprint)!.holders[0]).toMatchObject({ userPrincipalName: 'cloud.only@contoso.com' });
  });

  it('an answer with a gap is not cached: the next report searches the recycle bin again', async () => {
    fake.deletedItemsFilters = 'none';
    const config = configFor(fake);
    const resolver = createResolverFromConfig(config, { redis: client, logger: silentLogger() });
    await resolver.resolve(reportRef([nobody]), [nobody]);
    fake.deletedItemsFilters = 'any';
    fake.resetStats();
    const again = await resolver.resolve(reportRef([nobody]), [nobody]);
    await resolver.close();
    expect(again.get(nobody.fingerprint)!.note).not.toContain('recycle bin');
    expect(fake.stats.subRequests).toBeGreaterThan(0);
  });
});

describe('only Microsoft 365 groups are soft-deleted', () => {
  const dir = () => fake.tenants[TENANT_A]!.directory;
  const security = group({ displayName: 'Sec', mail: 'sec.gone@contoso.com', mailEnabled: true, securityEnabled: true, groupTypes: [], proxyAddresses: ['SMTP:sec.gone@contoso.com'] });
  const m365 = group({ displayName: 'M365', mail: 'team.gone@contoso.com', proxyAddresses: ['SMTP:team.gone@contoso.com'] });
  afterEach(() => {
    dir().deletedGroups = [];
  });

  it('the fake: a deleted security group is gone at once; a Microsoft 365 group waits in deletedItems; a security group put there by hand is refused', async () => {
    dir().groups.push(security, m365);
    expect(deleteGroup(dir(), security)).toBe(false);
    expect(deleteGroup(dir(), m365)).toBe(true);
    const bin = (await graphGet("/directory/deletedItems/microsoft.graph.group?$filter=mail eq 'team.gone@contoso.com'")) as { value: Array<{ id: string }> };
    expect(bin.value.map((g) => g.id)).toEqual([m365.id]);
    expect(((await graphGet("/groups?$filter=mail eq 'sec.gone@contoso.com'")) as { value: unknown[] }).value).toHaveLength(0);
    dir().deletedGroups.push({ ...security, deletedDateTime: '2026-11-18T10:00:00Z' });
    await expect(graphGet('/directory/deletedItems/microsoft.graph.group')).rejects.toMatchObject({ statusCode: 500, code: 'FakeGraph_ImpossibleDirectory' });
  });

  it('the resolver: a deleted Microsoft 365 group holds its address from the recycle bin; a deleted security group holds nothing, and the ticket says why', async () => {
    dir().groups.push(security, m365);
    deleteGroup(dir(), security);
    deleteGroup(dir(), m365);
    const team = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:team.gone@contoso.com' }] });
    const sec = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:sec.gone@contoso.com' }] });
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    try {
      const r = await resolver.resolve(reportRef([team, sec]), [team, sec]);
      expect(r.get(team.fingerprint)).toMatchObject({ verdict: 'soft-deleted-holder', holders: [expect.objectContaining({ id: m365.id, deleted: true })] });
      expect(r.get(team.fingerprint)!.actions[0]!.step).toContain('soft-deleted Microsoft 365 group "M365"');
      expect(r.get(sec.fingerprint)).toMatchObject({ verdict: 'no-holder', holders: [] });
      expect(r.get(sec.fingerprint)!.note).toContain('soft-deleted users and Microsoft 365 groups');
      expect(r.get(sec.fingerprint)!.note).toContain(GONE_GROUPS);
    } finally {
      await resolver.close();
    }
  });
});

describe('doctor: one planned live lookup and one recycle-bin lookup per tenant', () => {
  const lookupsRow = async () => (await checkGraph(configFor(fake), { env: {}, timeoutMs: 10_000 })).find((r) => r.check.endsWith(' lookups'));

  it('lenient Graph: both accepted', async () => {
    expect(await lookupsRow()).toMatchObject({ status: 'pass', detail: expect.stringContaining('both accepted') });
    expect(fake.stats.filters.some((f) => f.includes(PROBE_VALUE))).toBe(true);
  });

  it('advanced filters refused: a warning that soft-deleted holders are matched by mail only', async () => {
    fake.deletedItemsFilters = 'basic';
    expect(await lookupsRow()).toMatchObject({ status: 'warn', detail: expect.stringContaining('Request_UnsupportedQuery'), fix: expect.stringContaining('mail only') });
  });

  it('every recycle-bin filter refused: a warning that tickets will say so, with what to check', async () => {
    fake.deletedItemsFilters = 'none';
    expect(await lookupsRow()).toMatchObject({ status: 'warn', detail: expect.stringContaining('refuses every recycle-bin query'), fix: expect.stringContaining('GRAPH_BASE_URL') });
  });
});
