import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createResolverFromConfig } from '../../../src/app/resolver-from-config.ts';
import { TransientError } from '../../../src/errors.ts';
import type { Resolver } from '../../../src/resolve/resolver.ts';
import { loadConfiguredTenants } from '../../../src/resolve/tenants.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { configFor, contosoDirectory, fabrikamDirectory, redis, reportRef, silentLogger, startFake, syncError, writeTenantsFile } from './harness.ts';

/**
 * One customer's sign-in host takes the connection and never answers (a black-holing proxy
 * or firewall): each attempt gives up after GRAPH_TIMEOUT_SECONDS, closing its socket, and
 * the tenant's next lookups fail at once for as long again instead of each waiting its own
 * deadline in a worker slot other customers wait for (blind58 M1: 0 tickets for 50 tenants
 * after 8 minutes; doctor never exited).
 */

let fake: FakeGraph;
let client: Redis;
let resolver: Resolver;
let hang: Server;
const held = new Set<Socket>();

beforeAll(async () => {
  hang = createServer((socket) => {
    // read (and drop) what comes, so that the client closing it is seen
    socket.resume();
    held.add(socket);
    socket.on('close', () => held.delete(socket));
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const port = (hang.address() as { port: number }).port;
  fake = await startFake({ a: contosoDirectory(), b: fabrikamDirectory() });
  client = redis();
  const file = writeTenantsFile(mkdtempSync(join(tmpdir(), 'tenants-')), fake, `https://127.0.0.1:${port}`);
  const config = configFor(fake, { GRAPH_TENANTS_FILE: file, GRAPH_TENANT_ID: '', GRAPH_CLIENT_ID: '', GRAPH_CLIENT_SECRET: '', GRAPH_TIMEOUT_SECONDS: '2' });
  resolver = createResolverFromConfig(config, { redis: client, logger: silentLogger(), tenants: loadConfiguredTenants(config, { CONTOSO_SECRET: 'secret-a' }) });
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => hang.close(r));
  client.disconnect();
  await fake.close();
});

const value = (v: string) => syncError({ attributes: [{ name: 'ProxyAddresses', value: `smtp:${v}@contoso.com` }] });

describe('a sign-in host that takes the connection and never answers', () => {
  it('gives up within the deadline with its sockets closed, then fails the tenant at once for a while; other tenants are not held', async () => {
    const first = value('hang-one');
    const started = Date.now();
    const failure = await resolver.resolve(reportRef([first], { domain: 'nowhere.example' }), [first]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransientError);
    expect(failure).toMatchObject({ code: 'SignInHostUnreachable', message: expect.stringMatching(/^Graph sign-in host https:\/\/127\.0\.0\.1:\d+ does not answer/) });
    // the deadline (2 s) once: a host that did not answer is not asked again to tell which failure it is (blind58 N1)
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect.poll(() => held.size, { timeout: 5_000 }).toBe(0);

    const second = value('hang-two');
    const again = Date.now();
    const fast = await resolver.resolve(reportRef([second], { domain: 'nowhere.example' }), [second]).catch((err: unknown) => err);
    expect(fast).toMatchObject({ code: 'SignInHostUnreachable', message: expect.stringMatching(/does not answer .*\(tried \d+ s ago; asked again 2 s after that\)$/) });
    expect(Date.now() - again).toBeLessThan(1_000);
    expect(held.size).toBe(0);

    const other = syncError({ attributes: [{ name: 'ProxyAddresses', value: 'SMTP:dup@fabrikam.com' }] });
    const r = (await resolver.resolve(reportRef([other], { domain: 'fabrikam.com' }, 'fabrikam.com'), [other])).get(other.fingerprint)!;
    expect(r.verdict).not.toBe('unresolved');
  });
});
