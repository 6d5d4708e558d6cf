import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The loopback HTTP server under the ServiceNow, Jira and Zendesk fakes: routing is the
 * fake's, while this layer records every request and injects the faults tests ask for
 * (429 with a Retry-After, 5xx, hung requests, a write done but its answer lost, and a 200
 * with an HTML login page, as a hibernating instance or an SSO proxy answers).
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
  rawBody: string;
  /** The body's bytes, for uploads (attachments). */
  rawBytes: Buffer;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
  /** How the fault layer treated the call: `throttled`, `failed`, `hung`, `lost`, `html` or undefined. */
  fault?: string;
  /** The body's bytes (uploads). */
  rawBytes?: Buffer;
}

export interface FaultOptions {
  /** Answer every Nth request (1-based count of all requests) with 429. */
  rateLimitEvery?: number;
  /** Seconds in the Retry-After of injected 429s. @defaultValue 1 */
  retryAfterSeconds?: number;
  /** Extra headers on injected 429s (e.g. X-RateLimit-Reset); replaces Retry-After when set. */
  rateLimitHeaders?: () => Record<string, string>;
  /** Probability in [0,1] that a request is answered with 503 before it is handled. */
  failRate?: number;
  /** Probability in [0,1] that a request is held open without an answer (a client timeout). */
  hangRate?: number;
  /** Probability in [0,1] that a request is handled (a create does create) but answered 502. */
  loseRate?: number;
  /** Answer every request with 200 and an HTML page, without handling it (a hibernating instance). */
  htmlPage?: boolean;
  /** Injected for reproducible fault tests. */
  random?: () => number;
}

type Router = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

type Pending =
  | { kind: 'throttle'; headers: Record<string, string> }
  | { kind: 'fail'; status: number }
  | { kind: 'hang' }
  | { kind: 'lose'; status: number }
  | { kind: 'html' };

/** What a hibernating developer instance or an SSO login page sends: 200 and HTML. */
export const HTML_LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Your instance is hibernating</h1><form action="/login.do"></form></body></html>';

export class FakeDeskServer {
  readonly calls: RecordedCall[] = [];
  faults: FaultOptions = {};
  private server: Server | undefined;
  private count = 0;
  private pending: Pending[] = [];
  /** Faults kept for the first request to a given method and path (see failNextTo). */
  private aimed: Array<{ method: string; path: RegExp; status: number; lose?: boolean }> = [];
  private hung: ServerResponse[] = [];
  private baseUrl = '';

  constructor(
    private readonly desk: string,
    private readonly route: Router,
  ) {}

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.desk} fake is not started`);
    return this.baseUrl;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung = [];
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** The next `n` requests get 429 with `Retry-After: seconds` (or the given headers). */
  throttleNext(n = 1, headers: Record<string, string> = { 'Retry-After': '1' }): void {
    for (let i = 0; i < n; i++) this.pending.push({ kind: 'throttle', headers });
  }

  /** The next `n` requests get `status` (5xx) without being handled. */
  failNext(n = 1, status = 503): void {
    for (let i = 0; i < n; i++) this.pending.push({ kind: 'fail', status });
  }

  /** The next request to `method` `path` gets `status` without being handled (others pass). */
  failNextTo(method: string, path: RegExp, status = 503): void {
    this.aimed.push({ method, path, status });
  }

  /** The next request to `method` `path` is handled (a create does create) but the client gets `status`. */
  loseResponseNextTo(method: string, path: RegExp, status = 502): void {
    this.aimed.push({ method, path, status, lose: true });
  }

  /** The next `n` requests are held open and never answered. */
  hangNext(n = 1): void {
    for (let i = 0; i < n; i++) this.pending.push({ kind: 'hang' });
  }

  /** The next `n` requests are handled (a create does create) but the client gets `status`. */
  loseResponseNext(n = 1, status = 502): void {
    for (let i = 0; i < n; i++) this.pending.push({ kind: 'lose', status });
  }

  /** The next `n` requests get 200 with an HTML page, without being handled. */
  htmlNext(n = 1): void {
    for (let i = 0; i < n; i++) this.pending.push({ kind: 'html' });
  }

  /** Calls whose method and path match, in order. */
  callsTo(method: string, path: string | RegExp): RecordedCall[] {
    return this.calls.filter(
      (c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path)),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBytes = Buffer.concat(chunks);
    const rawBody = rawBytes.toString('utf8');
    let body: unknown;
    if (rawBody) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const fakeReq: FakeRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(parsed.pathname),
      query: parsed.searchParams,
      headers: req.headers,
      body,
      rawBody,
      rawBytes,
    };
    this.count++;
    const record = (status: number, fault?: string) =>
      this.calls.push({
        method: fakeReq.method,
        path: fakeReq.path,
        query: Object.fromEntries(parsed.searchParams),
        headers: req.headers,
        body,
        status,
        fault,
        rawBytes,
      });

    const random = this.faults.random ?? Math.random;
    const aimedAt = this.aimed.findIndex((a) => a.method === fakeReq.method && a.path.test(fakeReq.path));
    const aimed = aimedAt >= 0 ? this.aimed.splice(aimedAt, 1)[0]! : undefined;
    let injected: Pending | undefined = aimed ? { kind: aimed.lose ? 'lose' : 'fail', status: aimed.status } : this.pending.shift();
    if (!injected && this.faults.htmlPage) injected = { kind: 'html' };
    if (!injected && this.faults.rateLimitEvery && this.count % this.faults.rateLimitEvery === 0) {
      injected = {
        kind: 'throttle',
        headers: this.faults.rateLimitHeaders?.() ?? { 'Retry-After': String(this.faults.retryAfterSeconds ?? 1) },
      };
    }
    if (!injected && this.faults.failRate && random() < this.faults.failRate) injected = { kind: 'fail', status: 503 };
    if (!injected && this.faults.hangRate && random() < this.faults.hangRate) injected = { kind: 'hang' };
    if (!injected && this.faults.loseRate && random() < this.faults.loseRate) injected = { kind: 'lose', status: 502 };

    if (injected?.kind === 'throttle') {
      record(429, 'throttled');
      return send(res, { status: 429, body: this.throttleBody(), headers: injected.headers });
    }
    if (injected?.kind === 'fail') {
      record(injected.status, 'failed');
      return send(res, { status: injected.status, body: { error: 'Service Unavailable' } });
    }
    if (injected?.kind === 'html') {
      record(200, 'html');
      res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      res.end(HTML_LOGIN_PAGE);
      return;
    }
    if (injected?.kind === 'hang') {
      record(0, 'hung');
      this.hung.push(res);
      return;
    }
    let reply: FakeReply;
    try {
      reply = await this.route(fakeReq);
    } catch (err) {
      reply = { status: 500, body: { error: String(err) } };
    }
    if (injected?.kind === 'lose') {
      record(injected.status, 'lost');
      return send(res, { status: injected.status, body: { error: 'Bad Gateway' } });
    }
    record(reply.status);
    send(res, reply);
  }

  private throttleBody(): unknown {
    return { error: 'Too Many Requests', desk: this.desk };
  }
}

function send(res: ServerResponse, reply: FakeReply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  if (typeof reply.body === 'string') {
    res.writeHead(reply.status, { 'content-type': 'text/plain;charset=UTF-8', ...headers });
    res.end(reply.body);
    return;
  }
  res.writeHead(reply.status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
  res.end(JSON.stringify(reply.body));
}

/** The Basic credentials of a request, or undefined. */
export function basicAuth(headers: IncomingHttpHeaders): { user: string; password: string } | undefined {
  const h = headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** The file parts of a multipart/form-data body (RFC 7578): name, filename, type and bytes. */
export function multipartFiles(body: Buffer, boundary: string): Array<{ name: string; filename: string; contentType: string; bytes: Buffer }> {
  const out: Array<{ name: string; filename: string; contentType: string; bytes: Buffer }> = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delimiter, start);
    if (headEnd < 0 || next < 0) break;
    const head = body.subarray(start, headEnd).toString('utf8');
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    // the part's bytes end with the CRLF before the next delimiter
    if (filename !== undefined) {
      out.push({ name, filename, contentType: /content-type:\s*([^\r\n;]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream', bytes: body.subarray(headEnd + 4, next - 2) });
    }
    at = next;
  }
  return out;
}

/**
 * A desk fake: its vendor's routes behind one FakeDeskServer, which starts, stops and
 * addresses it. The router is a method, called per request, so the subclass's own fields
 * (set after this constructor) are there by the time a request comes.
 */
export abstract class FakeDesk {
  readonly server: FakeDeskServer;

  protected constructor(desk: string) {
    this.server = new FakeDeskServer(desk, (req) => this.route(req));
  }

  protected abstract route(req: FakeRequest): FakeReply | Promise<FakeReply>;

  start(): Promise<string> {
    return this.server.start();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  get url(): string {
    return this.server.url;
  }
}
