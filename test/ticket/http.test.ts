import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { createDeskHttp } from '../../src/ticket/sinks/http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;
let server: Server | undefined;

async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let n = 0;
  server = createServer((req, res) => {
    n++;
    handler(req, res, n);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => n };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const waits: number[] = [];
const fastSleep = async (ms: number) => {
  waits.push(ms);
};

describe('createDeskHttp', () => {
  it('retries a throttled GET after the Retry-After the desk sent', async () => {
    waits.length = 0;
    const srv = await serve((_q, res, n) => (n < 3 ? json(res, 429, { error: 'slow down' }, { 'Retry-After': '2' }) : json(res, 200, { ok: true })));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, sleep: fastSleep });
    const res = await http.request<{ ok: boolean }>({ method: 'GET', url: '/x' });
    expect(res.data.ok).toBe(true);
    expect(srv.hits()).toBe(3);
    expect(waits.filter((w) => w === 2000).length).toBeGreaterThanOrEqual(2);
  });

  it('resends a create refused with 429 (the desk did nothing)', async () => {
    const srv = await serve((_q, res, n) => (n === 1 ? json(res, 429, {}, { 'Retry-After': '1' }) : json(res, 201, { id: '7' })));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, sleep: fastSleep });
    const res = await http.request<{ id: string }>({ method: 'POST', url: '/ticket', data: {} });
    expect(res.data.id).toBe('7');
    expect(srv.hits()).toBe(2);
  });

  it('never resends a create after a 5xx: the ticket may exist', async () => {
    const srv = await serve((_q, res) => json(res, 502, { message: 'bad gateway' }));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, sleep: fastSleep });
    await expect(http.request({ method: 'POST', url: '/ticket', data: {} })).rejects.toBeInstanceOf(TransientError);
    expect(srv.hits()).toBe(1);
  });

  it('never resends a create after a timeout', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, timeoutMs: 600, sleep: fastSleep });
    const err = await http.request({ method: 'POST', url: '/ticket', data: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('desk_timeout');
    expect(srv.hits()).toBe(1);
  });

  it('retries an idempotent PUT on 503 with backoff, then gives up as transient', async () => {
    waits.length = 0;
    const srv = await serve((_q, res) => json(res, 503, {}));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, maxRetries: 2, baseDelayMs: 100, sleep: fastSleep, random: () => 1 });
    await expect(http.request({ method: 'PUT', url: '/t/1', data: {} })).rejects.toBeInstanceOf(TransientError);
    expect(srv.hits()).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('does not retry a 4xx and reports it as permanent', async () => {
    const srv = await serve((_q, res) => json(res, 401, { message: 'Unauthorized' }));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, sleep: fastSleep });
    const err = await http.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toContain('Unauthorized');
    expect(srv.hits()).toBe(1);
  });

  it('hands a long Retry-After back to the queue instead of sleeping', async () => {
    const srv = await serve((_q, res) => json(res, 429, {}, { 'Retry-After': '120' }));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url, sleep: fastSleep });
    const err = await http.request({ method: 'GET', url: '/x' }).catch((e: unknown) => e);
    expect((err as TransientError).retryAfterMs).toBe(120_000);
    expect(srv.hits()).toBe(1);
  });

  /** A desk that answers 429 (with `headers`) to the paths in `refuse`, 200 to the rest; `paths` lists every path it was sent. */
  async function throttlingDesk(refuse: RegExp, headers: Record<string, string>) {
    const paths: string[] = [];
    const srv = await serve((q, res) => {
      paths.push(`${q.method} ${q.url}`);
      if (refuse.test(q.url ?? '')) json(res, 429, { error: 'TooManyRequests' }, headers);
      else json(res, 200, {});
    });
    return { srv, paths };
  }

  /** The error of a request the desk must not see, or the path it was sent to. */
  async function heldBack(http: ReturnType<typeof createDeskHttp>, method: string, url: string): Promise<TransientError> {
    const err = await http.request({ method, url, data: method === 'GET' ? undefined : {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    return err as TransientError;
  }

  it('a long Retry-After sends every later request back to the queue at once, unsent, instead of sleeping', async () => {
    waits.length = 0;
    const desk = await throttlingDesk(/^\/first/, { 'Retry-After': '600' });
    const http = createDeskHttp({ desk: 'test', baseURL: desk.srv.url, sleep: fastSleep });
    await heldBack(http, 'GET', '/first');
    const later = await heldBack(http, 'GET', '/second');
    expect(later.code).toBe('desk_rate_limited');
    expect(later.retryAfterMs).toBeGreaterThan(590_000);
    expect(desk.paths).toEqual(['GET /first']);
    expect(waits).toEqual([]);
  });

  it('Jira: a per-issue write limit holds back that issue only', async () => {
    const desk = await throttlingDesk(/ISS-1\//, { 'Retry-After': '120', 'RateLimit-Reason': 'jira-per-issue-on-write' });
    const http = createDeskHttp({ desk: 'jira', baseURL: desk.srv.url, sleep: fastSleep, ticketPath: /^\/rest\/api\/3\/issue\/[^/?]+/ });
    await heldBack(http, 'POST', '/rest/api/3/issue/ISS-1/comment');
    await http.request({ method: 'POST', url: '/rest/api/3/issue/ISS-2/comment', data: {} });
    await http.request({ method: 'GET', url: '/rest/api/3/issue/ISS-3' });
    expect((await heldBack(http, 'PUT', '/rest/api/3/issue/ISS-1')).retryAfterMs).toBeGreaterThan(100_000);
    expect(desk.paths).toEqual(['POST /rest/api/3/issue/ISS-1/comment', 'POST /rest/api/3/issue/ISS-2/comment', 'GET /rest/api/3/issue/ISS-3']);
  });

  it('Jira: a burst limit holds back one method of one endpoint', async () => {
    const desk = await throttlingDesk(/ISS-1\/comment/, { 'Retry-After': '120', 'RateLimit-Reason': 'jira-burst-based' });
    const http = createDeskHttp({ desk: 'jira', baseURL: desk.srv.url, sleep: fastSleep, ticketPath: /^\/rest\/api\/3\/issue\/[^/?]+/ });
    await heldBack(http, 'POST', '/rest/api/3/issue/ISS-1/comment');
    await heldBack(http, 'POST', '/rest/api/3/issue/ISS-2/comment');
    await http.request({ method: 'GET', url: '/rest/api/3/issue/ISS-2/comment' });
    await http.request({ method: 'POST', url: '/rest/api/3/issue/ISS-2/transitions', data: {} });
    expect(desk.paths).toHaveLength(3);
  });

  it("Zendesk: a 429 while the account and the endpoint have room holds back that ticket only; a spent account holds back all", async () => {
    const ticketLimit = { 'Retry-After': '300', 'X-Rate-Limit': '700', 'X-Rate-Limit-Remaining': '650', 'Zendesk-RateLimit-tickets-update': 'total=100; remaining=80; resets=30' };
    const desk = await throttlingDesk(/tickets\/7\b/, ticketLimit);
    const http = createDeskHttp({ desk: 'zendesk', baseURL: desk.srv.url, sleep: fastSleep, ticketPath: /^\/api\/v2\/tickets\/\d+/ });
    await heldBack(http, 'PUT', '/api/v2/tickets/7.json');
    await http.request({ method: 'PUT', url: '/api/v2/tickets/8.json', data: {} });
    await heldBack(http, 'GET', '/api/v2/tickets/7/metrics');
    expect(desk.paths).toEqual(['PUT /api/v2/tickets/7.json', 'PUT /api/v2/tickets/8.json']);

    const spent = await throttlingDesk(/tickets\/7\b/, { ...ticketLimit, 'X-Rate-Limit-Remaining': '0' });
    const http2 = createDeskHttp({ desk: 'zendesk', baseURL: spent.srv.url, sleep: fastSleep, ticketPath: /^\/api\/v2\/tickets\/\d+/ });
    await heldBack(http2, 'PUT', '/api/v2/tickets/7.json');
    await heldBack(http2, 'PUT', '/api/v2/tickets/8.json');
    expect(spent.paths).toEqual(['PUT /api/v2/tickets/7.json']);
  });

  it('returns accepted non-2xx statuses to the caller', async () => {
    const srv = await serve((_q, res) => json(res, 404, { message: 'Not Found' }));
    const http = createDeskHttp({ desk: 'test', baseURL: srv.url });
    const res = await http.request({ method: 'GET', url: '/x', acceptStatus: [404] });
    expect(res.status).toBe(404);
  });

  /** A desk answering in `ms`; counts the most requests it had at once; `refuseAbove` answers 429 (Retry-After 0) past that many. */
  async function busyDesk(ms: number, refuseAbove = Infinity) {
    let active = 0;
    let peak = 0;
    let refused = 0;
    const srv = await serve((_q, res) => {
      active++;
      peak = Math.max(peak, active);
      if (active > refuseAbove) {
        active--;
        refused++;
        res.writeHead(429, { 'Retry-After': '0', 'Content-Type': 'application/json' }).end('{}');
        return;
      }
      setTimeout(() => {
        active--;
        json(res, 200, {});
      }, ms);
    });
    return { srv, peak: () => peak, refused: () => refused };
  }

  it('starts at maxConcurrent requests in flight and never passes its ceiling', async () => {
    const desk = await busyDesk(30);
    const http = createDeskHttp({ desk: 'test', baseURL: desk.srv.url, maxConcurrent: 2, maxConcurrentCeiling: 2 });
    await Promise.all(Array.from({ length: 8 }, () => http.request({ method: 'GET', url: '/x' })));
    expect(desk.peak()).toBe(2);
    expect(desk.srv.hits()).toBe(8);
  });

  it('takes more requests at once while the desk keeps up, up to the ceiling', async () => {
    const desk = await busyDesk(15);
    const http = createDeskHttp({ desk: 'test', baseURL: desk.srv.url, maxConcurrent: 2, maxConcurrentCeiling: 6 });
    await Promise.all(Array.from({ length: 120 }, () => http.request({ method: 'GET', url: '/x' })));
    expect(desk.peak()).toBe(6);
  });

  it('backs off when the desk answers 429, and every request still gets through', async () => {
    const desk = await busyDesk(15, 3);
    const http = createDeskHttp({ desk: 'test', baseURL: desk.srv.url, maxConcurrent: 8, maxConcurrentCeiling: 16, maxRetries: 10, sleep: async () => undefined });
    await Promise.all(Array.from({ length: 60 }, () => http.request({ method: 'GET', url: '/x' })));
    expect(desk.srv.hits() - desk.refused()).toBe(60);
    // halved at the first refusals, it stays near what the desk takes instead of being refused all along
    expect(desk.refused()).toBeLessThan(30);
  });
});
