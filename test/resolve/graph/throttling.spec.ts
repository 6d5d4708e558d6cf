import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { TransientError } from '../../../src/errors.ts';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import { user } from '../../fakes/graph/directory.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, contosoDirectory, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

let fake: FakeGraph;
let client: Redis;

beforeAll(async () => {
  const a = contosoDirectory();
  for (let i = 0; i < 30; i++) a.users.push(user({ userPrincipalName: `bulk${i}@contoso.com`, proxyAddresses: [`SMTP:bulk${i}@contoso.com`] }));
  fake = await startFake({ a });
  client = redis();
});
afterAll(async () => {
  client.disconnect();
  await fake.close();
});

const errorsFor = (n: number) => Array.from({ length: n }, (_, i) => syncError({ identity: `onprem${i}@contoso.com`, attributes: [{ name: 'ProxyAddresses', value: `SMTP:bulk${i}@contoso.com` }] }));

describe('throttling: 429/503 sub-responses are retried after Retry-After in new batches', () => {
  it('a storm of 429s on 40 sub-requests still resolves all 30 errors, waiting at least the Retry-After, and says it waits (blind40 G6)', async () => {
    const lines: string[] = [];
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) });
    const errors = errorsFor(30);
    fake.resetStats();
    fake.throttle({ storm: 40, retryAfterSeconds: 1 });
    const started = Date.now();
    const result = await resolver.resolve(reportRef(errors), errors);
    const elapsed = Date.now() - started;
    fake.throttle(null);
    for (const [i, e] of errors.entries()) {
      expect(result.get(e.fingerprint)!.verdict).toBe('cloud-only-holder');
      expect(result.get(e.fingerprint)!.holders[0]!.userPrincipalName).toBe(`bulk${i}@contoso.com`);
    }
    expect(fake.stats.throttled).toBe(40);
    // 3 per value, 1 for the errors' one anchor (their holders are cloud-only users), plus one resend per throttled one
    expect(fake.stats.subRequests).toBe(90 + 1 + 40);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(fake.stats.batchPosts).toBeLessThanOrEqual(Math.ceil(90 / 20) + Math.ceil(40 / 20) + 1);
    // one line, however many answers were 429 (at most one per 30 s)
    const waits = lines.map((l) => JSON.parse(l) as { action?: string; msg: string }).filter((l) => l.action === 'graph-throttled');
    expect(waits).toHaveLength(1);
    expect(waits[0]!.msg).toBe('Graph answered 429: the lookups wait as it asks, then send those requests again');
  });

  it('503 on every 3rd sub-request, and 429 on whole $batch posts (the client RetryHandler), still resolve', async () => {
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    const errors = errorsFor(10).map((e) => syncError({ ...e, identity: `x-${e.identity}` }));
    fake.throttle({ everyNth: 3, status: 503, retryAfterSeconds: 1 });
    const result = await resolver.resolve(reportRef(errors), errors);
    expect([...result.values()].every((r) => r.verdict === 'cloud-only-holder')).toBe(true);
    fake.throttle({ storm: 1, outer: true, retryAfterSeconds: 1 });
    const more = [syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:team@contoso.com' }] })];
    const r2 = await resolver.resolve(reportRef(more), more);
    expect(r2.get(more[0]!.fingerprint)!.verdict).toBe('cloud-only-holder');
    fake.throttle(null);
  });

  it('a storm that outlasts the retries fails the job as transient (BullMQ retries it), never as "no holder"', async () => {
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger(), sleep: async () => {} });
    const errors = [syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:stormy@contoso.com' }] })];
    fake.throttle({ storm: 10_000, retryAfterSeconds: 7 });
    const err = await resolver.resolve(reportRef(errors), errors).catch((e: unknown) => e);
    fake.throttle(null);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(7000);
  });
});
