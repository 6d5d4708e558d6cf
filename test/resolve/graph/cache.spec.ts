import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

let fake: FakeGraph;
let client: Redis;

beforeAll(async () => {
  fake = await startFake();
  client = redis();
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

const errors = () => [
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:alias@contoso.com' }] }),
  syncError({ identity: 'other@contoso.com', attributes: [{ name: 'ProxyAddresses', value: 'smtp:ALIAS@contoso.com' }] }),
  syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:nobody@contoso.com' }] }),
];

describe('lookup results are cached in Redis per tenant and normalised value', () => {
  it('the same value twice in a report is looked up once; a repeat within the TTL costs no Graph request', async () => {
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    fake.resetStats();
    const first = await resolver.resolve(reportRef(errors()), errors());
    // alias (either case) once: 3 live sub-requests, and 1 for the errors' anchor (a cloud-only user holds
    // alias: is the failing object in Entra already?); nobody: 3 live + 2 deleted-items sub-requests.
    expect(fake.stats.subRequests).toBe(9);
    // the live $batch, the deleted-items one, then the anchor's (asked once the holders are known)
    expect(fake.stats.graphHttpRequests).toBe(3);
    fake.resetStats();
    const second = await resolver.resolve(reportRef(errors()), errors());
    expect(fake.stats.httpRequests).toBe(0);
    expect([...second.values()].map((r) => [r.verdict, r.holders])).toEqual([...first.values()].map((r) => [r.verdict, r.holders]));
  });

  it('a new resolver on the same Redis (another worker) also hits the cache; after the TTL Graph is asked again', async () => {
    const config = configFor(fake, { GRAPH_CACHE_TTL_SECONDS: '1' });
    const one = createResolverFromConfig(config, { redis: client, logger: silentLogger() });
    await one.resolve(reportRef(errors()), errors());
    const keys = await client.keys(`${config.redis.prefix}:graph-cache:*`);
    // the two values and the anchor
    expect(keys.length).toBe(3);
    expect(await client.ttl(keys[0]!)).toBeLessThanOrEqual(1);
    fake.resetStats();
    const two = createResolverFromConfig(config, { redis: client, logger: silentLogger() });
    await two.resolve(reportRef(errors()), errors());
    expect(fake.stats.graphHttpRequests).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    await two.resolve(reportRef(errors()), errors());
    expect(fake.stats.subRequests).toBe(9);
  });
});
