import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenCredential } from '@azure/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { countGraph } from '../../src/admin/instrument.ts';
import { createMetrics, type Metrics } from '../../src/admin/metrics.ts';
import { createGraphClient } from '../../src/resolve/graph-credential.ts';

/**
 * Graph calls and 429s are counted by a middleware in the real Graph SDK client, so the
 * SDK's own retries and the items of a `$batch` answer are seen. A loopback HTTP server
 * stands in for Graph (plain http: the SDK sends tokens to https hosts only).
 */

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

const credential: TokenCredential = {
  getToken: async () => ({ token: 'test-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

async function startGraph(answers: Array<{ status: number; headers?: Record<string, string>; body: unknown }>): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  let i = 0;
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const answer = answers[Math.min(i++, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

function clientFor(url: string, metrics: Metrics) {
  return createGraphClient(
    credential,
    { baseUrl: url, authorityHost: url, scope: 'https://graph.microsoft.com/.default', customAuthority: true, customHost: '127.0.0.1' },
    (exchange) => countGraph(metrics, exchange),
    60_000,
  );
}

async function values(metrics: Metrics, name: string): Promise<Record<string, number>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return Object.fromEntries(metric.values.map((v) => [Object.values(v.labels).join(','), v.value]));
}

describe('Graph request metrics', () => {
  it('counts a throttled request the SDK retried, and the 429 items inside a $batch answer', async () => {
    const batchAnswer = {
      responses: [
        { id: '1', status: 200, body: { value: [{ id: 'u1' }] } },
        { id: '2', status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'TooManyRequests' } } },
        { id: '3', status: 404, body: { error: { code: 'Request_ResourceNotFound' } } },
      ],
    };
    const graph = await startGraph([
      { status: 429, headers: { 'Retry-After': '0' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      { status: 200, body: batchAnswer },
    ]);
    const metrics = createMetrics({ processMetrics: false });
    const client = clientFor(graph.url, metrics);

    const answer = await client.api('/$batch').post({ requests: [1, 2, 3].map((n) => ({ id: String(n), method: 'GET', url: `/users/u${n}` })) });

    // the caller still gets the whole body: counting read a copy of it
    expect(answer).toEqual(batchAnswer);
    expect(graph.seen).toEqual(['POST /v1.0/$batch', 'POST /v1.0/$batch']);
    expect(await values(metrics, 'syncdesk_graph_requests_total')).toEqual({ '429': 1, '200': 1 });
    expect(await values(metrics, 'syncdesk_graph_throttled_total')).toEqual({ request: 1, 'batch-item': 1 });
    expect(await values(metrics, 'syncdesk_graph_batch_items_total')).toEqual({ '200': 1, '429': 1, '404': 1 });
  });

  it('counts a plain GET once and finds no batch items in it', async () => {
    const graph = await startGraph([{ status: 200, body: { value: [] } }]);
    const metrics = createMetrics({ processMetrics: false });
    await clientFor(graph.url, metrics).api('/users').get();
    expect(await values(metrics, 'syncdesk_graph_requests_total')).toEqual({ '200': 1 });
    expect(await values(metrics, 'syncdesk_graph_batch_items_total')).toEqual({});
    // present at 0 from the start (so alerts see the first 429), and still 0
    expect(await values(metrics, 'syncdesk_graph_throttled_total')).toEqual({ request: 0, 'batch-item': 0 });
  });

  it('counts a request that got no answer as code 0', async () => {
    const graph = await startGraph([{ status: 200, body: {} }]);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    const metrics = createMetrics({ processMetrics: false });
    await expect(clientFor(graph.url, metrics).api('/users').get()).rejects.toThrow();
    expect(await values(metrics, 'syncdesk_graph_requests_total')).toEqual({ '0': 1 });
  });
});
