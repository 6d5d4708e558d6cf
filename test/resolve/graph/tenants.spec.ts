import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import { loadConfiguredTenants } from '../../../src/resolve/tenants.ts';
import { TransientError } from '../../../src/errors.ts';
import { freePort } from '../../helpers/ports.ts';
import { user } from '../../fakes/graph/directory.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { TENANT_A, TENANT_B, TENANT_C, TENANT_UNKNOWN, configFor, contosoDirectory, fabrikamDirectory, redis, reportRef, silentLogger, startFake, syncError, writeTenantsFile } from './harness.ts';
import { emptyDirectory } from '../../fakes/graph/directory.ts';

let fake: FakeGraph;
let client: Redis;
let resolver: Resolver;

beforeAll(async () => {
  const c = emptyDirectory();
  c.users.push(user({ userPrincipalName: 'dup@certified.example', proxyAddresses: ['SMTP:dup@certified.example'] }));
  // The same address in two customers' tenants: only the report's own tenant may answer.
  const a = contosoDirectory();
  a.users.push(user({ userPrincipalName: 'dup@fabrikam.com', proxyAddresses: ['SMTP:dup@fabrikam.com'], displayName: 'Contoso copy' }));
  fake = await startFake({ a, b: fabrikamDirectory(), c });
  client = redis();
  const file = writeTenantsFile(mkdtempSync(join(tmpdir(), 'tenants-')), fake, `https://127.0.0.1:${await freePort()}`);
  const config = configFor(fake, { GRAPH_TENANTS_FILE: file, GRAPH_TENANT_ID: '', GRAPH_CLIENT_ID: '', GRAPH_CLIENT_SECRET: '' });
  resolver = createResolverFromConfig(config, {
    redis: client,
    logger: silentLogger(),
    tenants: loadConfiguredTenants(config, { CONTOSO_SECRET: 'secret-a' }),
  });
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

const dup = () => syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:dup@fabrikam.com' }] });

describe('several tenants: each report is resolved in its own tenant, never a guessed one', () => {
  it('routes by the domain in the report, and by the forwarding address', async () => {
    fake.resetStats();
    const e = dup();
    const byDomain = (await resolver.resolve(reportRef([e], { domain: 'fabrikam.com' }, 'fabrikam.com'), [e])).get(e.fingerprint)!;
    expect(byDomain.holders[0]!.displayName).toBe('dup');
    // users, groups, contacts, and the anchor (a cloud-only user holds the value: is the object in Entra already?)
    expect(fake.stats.callsByTenant[TENANT_B]).toBe(4);
    expect(fake.stats.callsByTenant[TENANT_A]).toBeUndefined();
    const byForwarder = (await resolver.resolve(reportRef([e], {}, 'IT@contoso.com'), [e])).get(e.fingerprint)!;
    expect(byForwarder.holders[0]!.displayName).toBe('Contoso copy');
    expect(fake.stats.callsByTenant[TENANT_A]).toBe(4);
  });

  it('an unknown tenant is unresolved with the reason, and Graph is not asked', async () => {
    fake.resetStats();
    const e = dup();
    const r = (await resolver.resolve(reportRef([e], { name: 'Initech' }, 'initech.example'), [e])).get(e.fingerprint)!;
    expect(r.verdict).toBe('unresolved');
    expect(r.note).toMatch(/^unknown tenant "initech\.example"/);
    expect(fake.stats.httpRequests).toBe(0);
  });

  it('a certificate credential signs in with a client assertion the fake verifies', async () => {
    const e = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:dup@certified.example' }] });
    const r = (await resolver.resolve(reportRef([e], { domain: 'certified.example' }), [e])).get(e.fingerprint)!;
    expect(r.verdict).toBe('cloud-only-holder');
    expect(fake.stats.callsByTenant[TENANT_C]).toBeGreaterThan(0);
  });

  it('a wrong secret is a permanent sign-in failure: unresolved with the AADSTS code, not a retry loop', async () => {
    // A value not cached yet for this tenant id (the cache is per tenant, whichever app asked).
    const e = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:uncached@contoso.com' }] });
    const r = (await resolver.resolve(reportRef([e], { domain: 'wrongsecret.example' }), [e])).get(e.fingerprint)!;
    expect(r.verdict).toBe('unresolved');
    expect(r.note).toContain('AADSTS7000215');
  });

  it('a tenant id Entra does not know is unresolved at once with its AADSTS code, not retried (blind34 M8)', async () => {
    fake.resetStats();
    const e = dup();
    const r = (await resolver.resolve(reportRef([e], { domain: 'unknowntenant.example' }), [e])).get(e.fingerprint)!;
    expect(r.verdict).toBe('unresolved');
    // MSAL's own words were only "endpoints_resolution_error", also said of a host that does not answer
    expect(r.note).toContain(`AADSTS90002: Tenant '${TENANT_UNKNOWN}' not found`);
    expect(fake.stats.callsByTenant[TENANT_UNKNOWN]).toBeUndefined();
  });

  it('a sign-in host that does not answer is a retry that names the host and the cause (blind34 M8)', async () => {
    // not cached for tenant A, whose id this entry shares
    const e = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:not-asked-yet@contoso.com' }] });
    const failure = await resolver.resolve(reportRef([e], { domain: 'nowhere.example' }), [e]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).toMatchObject({ code: 'SignInHostUnreachable', message: expect.stringMatching(/^Graph sign-in host https:\/\/127\.0\.0\.1:\d+ does not answer \(.*ECONNREFUSED/) });
  });

  it('unresolvable reports keep flowing: not-applicable errors are still advised', async () => {
    const quota = syncError({ category: 'QuotaExceeded', identity: null, attributes: [] });
    const r = await resolver.resolve(reportRef([quota], {}, 'nobody-knows'), [quota]);
    expect(r.get(quota.fingerprint)!.verdict).toBe('not-applicable');
  });
});

