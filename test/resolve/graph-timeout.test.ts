import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.ts';
import { createGraphClient, graphEndpoints } from '../../src/resolve/graph-credential.ts';
import { classifyThrown } from '../../src/resolve/graph-errors.ts';

/**
 * A Graph (a proxy, a gateway) that accepts the connection and never answers: each attempt is
 * given up after the timeout, as a network error the lookup retries (blind40 G7: Node's fetch
 * waited about five minutes per attempt). Graph is this loopback server; the token is a fixed
 * one, as sign-in is not what is tested.
 */

let server: Server;
let url: string;
const held: Array<() => void> = [];

beforeAll(async () => {
  server = createServer((req, res) => held.push(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const release of held) release();
  await new Promise((resolve) => server.close(resolve));
});

describe('a Graph that never answers', () => {
  it('is given up after GRAPH_TIMEOUT_SECONDS, as a transient network error that names the wait', async () => {
    const token = { getToken: async () => ({ token: 'fixed', expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const client = createGraphClient(token, graphEndpoints('global', { baseUrl: url }), undefined, 300);
    const started = Date.now();
    const err = await client.api('/users').top(1).get().then(() => null, (e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    // the Graph client hands it on as a GraphError: its message kept
    expect(err).toMatchObject({ message: 'Graph did not answer within 0.3 s' });
    const classified = classifyThrown(err);
    expect(classified).toBeInstanceOf(TransientError);
    expect(classified.message).toContain('did not answer within 0.3 s');
    expect(held.length).toBeGreaterThanOrEqual(1);
  });
});
