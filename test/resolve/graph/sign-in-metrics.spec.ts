import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { countGraph } from '../../../src/admin/instrument.ts';
import { createMetrics, type Metrics } from '../../../src/admin/metrics.ts';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import { loadConfiguredTenants } from '../../../src/resolve/tenants.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, contosoDirectory, redis, reportRef, silentLogger, startFake, syncError, writeTenantsFile } from './harness.ts';

/**
 * A failed sign-in sends no request to Graph, so the request counters never saw it: a
 * tenant whose secret expired, or whose sign-in host is down, showed on /metrics only as
 * retried resolve jobs (blind62 O1). It is counted by what the queue does with it: permanent
 * (a person must fix it) or transient (retried).
 */

let fake: FakeGraph;
let client: Redis;
let metrics: Metrics;
let resolver: Resolver;

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise((r) => probe.close(r));
  return port;
}

beforeAll(async () => {
  fake = await startFake({ a: contosoDirectory() });
  client = redis();
  metrics = createMetrics({ processMetrics: false });
  const file = writeTenantsFile(mkdtempSync(join(tmpdir(), 'tenants-')), fake, `https://127.0.0.1:${await closedPort()}`);
  const config = configFor(fake, { GRAPH_TENANTS_FILE: file, GRAPH_TENANT_ID: '', GRAPH_CLIENT_ID: '', GRAPH_CLIENT_SECRET: '', GRAPH_TIMEOUT_SECONDS: '5' });
  resolver = createResolverFromConfig(config, {
    redis: client,
    logger: silentLogger(),
    tenants: loadConfiguredTenants(config, { CONTOSO_SECRET: 'secret-a' }),
    observeGraph: (exchange) => countGraph(metrics, exchange),
  });
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

async function signInFailures(): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'syncdesk_graph_sign_in_failures_total')!;
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.kind), v.value]));
}

const record = (local: string, domain: string) => syncError({ attributes: [{ name: 'ProxyAddresses', value: `smtp:${local}@${domain}` }] });

async function resolveFor(domain: string): Promise<unknown> {
  const error = record('someone', domain);
  return resolver.resolve(reportRef([error], { domain }), [error]).catch((err: unknown) => err);
}

describe('Graph sign-in failures on /metrics', () => {
  it('counts a refused secret as permanent and an unreachable sign-in host as transient; a good sign-in counts nothing', async () => {
    expect(await signInFailures()).toEqual({ transient: 0, permanent: 0 });

    await resolveFor('contoso.com');
    expect(await signInFailures()).toEqual({ transient: 0, permanent: 0 });

    // not retried: the tickets go out saying why nothing was looked up
    const refused = (await resolveFor('wrongsecret.example')) as Map<string, { note?: string }>;
    expect([...refused.values()][0]!.note).toContain('AADSTS7000215');
    expect(await signInFailures()).toEqual({ transient: 0, permanent: 1 });

    expect(await resolveFor('nowhere.example')).toMatchObject({ code: 'SignInHostUnreachable' });
    expect(await signInFailures()).toEqual({ transient: 1, permanent: 1 });
    // no request reached the wire for either: the request counter holds only Contoso's
    const requests = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'syncdesk_graph_requests_total')!;
    expect(requests.values.map((v) => v.labels.code)).not.toContain('0');
  });
});
