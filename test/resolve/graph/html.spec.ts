import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { TransientError } from '../../../src/errors.ts';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, redis, reportRef, silentLogger, startFake, syncError } from './harness.ts';

/**
 * A captive portal or a proxy's login page answers Graph's `$batch` with 200 and HTML. That
 * must fail the job as transient (BullMQ retries it), never read as "nobody holds the value".
 */

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

describe('Graph answering 200 with an HTML page', () => {
  it('the fake answers HTML on demand, and the resolver fails transient instead of finding no holder', async () => {
    const resolver = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    const error = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'smtp:nobody@contoso.com' }] });
    // Only Graph's /v1.0 answers the page; the token endpoint still signs in.
    fake.htmlNext(50);
    const err = await resolver.resolve(reportRef([error]), [error]).catch((e: unknown) => e);
    await resolver.close();
    expect(err).toBeInstanceOf(TransientError);
    // The same lookup once the page is gone: a verdict, so the failure above came from the page.
    fake.htmlNext(0);
    const again = createResolverFromConfig(configFor(fake), { redis: client, logger: silentLogger() });
    expect((await again.resolve(reportRef([error]), [error])).get(error.fingerprint)!.verdict).toBe('no-holder');
    await again.close();
  });
});
