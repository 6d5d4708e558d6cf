import { createHash, createPublicKey, randomBytes, verify, constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUnified, project, type DirObject, type FakeDirectory } from './directory.ts';
import { evaluate, FilterError, parseFilter, usesFunctionOrLambda, validateFilter } from './filter.ts';
import { TYPE_NAMES, type ResourceType } from './schema.ts';
import type { TlsMaterial } from './tls.ts';
import { createFakeMail, type FakeMail } from './mail.ts';
import type { FakeMailbox } from './mailbox.ts';
import { mintToken, tokenClaims } from './token.ts';

/**
 * A fake Microsoft Graph + Entra ID token service over HTTPS on 127.0.0.1, faithful to
 * the documented shapes: openid-configuration and a client-credentials token endpoint
 * (secret or certificate assertion) for @azure/identity; `/v1.0/users|groups|contacts`
 * and `/v1.0/directory/deletedItems/microsoft.graph.user|group` with `$filter` (a real
 * parser, Graph's 400s), `$select`, `$top`, `$count`, absolute nextLinks; `$batch` (≤ 20,
 * shuffled answers); 429/503 with Retry-After on demand; counters for tests and benches.
 * `deletedItemsFilters` makes it refuse, on `/directory/deletedItems/…`, the filters no
 * Microsoft example shows working there (`basic`: endswith and any() lambdas answer 400
 * Request_UnsupportedQuery; `none`: every filter does). `htmlNext` answers 200 with an HTML page.
 */

export interface FakeApp {
  clientId: string;
  secret?: string;
  /** PEM certificate whose key signs client assertions (ClientCertificateCredential). */
  certificatePem?: string;
  /** Application permissions granted (admin consent): the token's `roles` claim. */
  roles?: string[];
}
export interface FakeTenant {
  apps: FakeApp[];
  directory: FakeDirectory;
  /** What GET /organization answers (Organization.Read.All); absent: the app lacks the permission (403). */
  organization?: { displayName: string; verifiedDomains: Array<{ name: string; isDefault: boolean; isInitial: boolean }> };
  /** Exchange mailboxes (mail.ts serves them under /users/{address}/…). */
  mailboxes?: FakeMailbox[];
}

export interface ThrottlePlan {
  /** Throttle every Nth Graph call (a sub-request or a plain GET counts as one). */
  everyNth?: number;
  /** Throttle the next N Graph calls (a storm). */
  storm?: number;
  /** Also throttle whole `$batch` POSTs (the client's RetryHandler then deals with them). */
  outer?: boolean;
  status?: 429 | 503;
  retryAfterSeconds?: number;
}

export interface FakeStats {
  /** Every HTTP request that reached the server. */
  httpRequests: number;
  /** HTTP requests to /v1.0 (Graph), including `$batch` POSTs. */
  graphHttpRequests: number;
  batchPosts: number;
  subRequests: number;
  tokenRequests: number;
  /** The `scope` of each token request, in order (a token is for one resource: Graph, or Exchange's IMAP). */
  tokenScopes: string[];
  metadataRequests: number;
  throttled: number;
  /** Graph calls (plain GETs and sub-requests) per tenant id. */
  callsByTenant: Record<string, number>;
  /** Every filter text Graph evaluated, in order. */
  filters: string[];
}

export interface FakeGraph {
  url: string;
  port: number;
  stats: FakeStats;
  tenants: Record<string, FakeTenant>;
  /** Largest page the fake returns, whatever `$top` asks (forces paging in tests). */
  maxPageSize: number;
  /** Which filters deleted items take: `any` (lenient), `basic` (no functions or lambdas), `none`. */
  deletedItemsFilters: 'any' | 'basic' | 'none';
  /** The next `n` Graph HTTP requests get 200 with an HTML page (a captive portal, a proxy's login); 0 stops it. */
  htmlNext(n?: number): void;
  /** Every access token handed out so far is refused from now on (401 InvalidAuthenticationToken): revoked, or the app's sessions cut. */
  revokeTokens(): void;
  throttle(plan: ThrottlePlan | null): void;
  /** The mail endpoints: their stats, latency, delta expiry and throttling. */
  mail: FakeMail;
  resetStats(): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
interface Answer { status: number; headers: Record<string, string>; body: unknown }

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } },
});

/**
 * The directory collections, and the application permissions that read each (the "Permissions"
 * tables of list-users, list-groups, orgcontact-list and directory-deleteditems-list): an app
 * granted none of them gets 403 Authorization_RequestDenied.
 */
const COLLECTIONS: Record<string, { type: ResourceType; key: keyof FakeDirectory; deleted: boolean; readBy: string[] }> = {
  '/users': { type: 'user', key: 'users', deleted: false, readBy: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
  '/groups': { type: 'group', key: 'groups', deleted: false, readBy: ['Group.Read.All', 'GroupMember.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
  '/contacts': { type: 'orgContact', key: 'contacts', deleted: false, readBy: ['OrgContact.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
  '/directory/deletedItems/microsoft.graph.user': { type: 'user', key: 'deletedUsers', deleted: true, readBy: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
  '/directory/deletedItems/microsoft.graph.group': { type: 'group', key: 'deletedGroups', deleted: true, readBy: ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'] },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** Checks a client assertion JWT against the app's registered certificate, as Entra does. */
function assertionValid(jwt: string, app: FakeApp, audience: string): boolean {
  if (!app.certificatePem) return false;
  const [h, p, s] = jwt.split('.');
  if (!h || !p || !s) return false;
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Json;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Json;
  const cert = new X509Certificate(app.certificatePem);
  const thumb256 = b64url(createHash('sha256').update(cert.raw).digest());
  const thumb1 = b64url(createHash('sha1').update(cert.raw).digest());
  if (header['x5t#S256'] !== thumb256 && header.x5t !== thumb1) return false;
  if (payload.iss !== app.clientId || payload.sub !== app.clientId || payload.aud !== audience) return false;
  const key = createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' }));
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  if (header.alg === 'PS256') {
    return verify('sha256', data, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_AUTO }, sig);
  }
  return header.alg === 'RS256' && verify('sha256', data, key, sig);
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export async function startFakeGraph(options: { tls: TlsMaterial; tenants: Record<string, FakeTenant>; maxPageSize?: number }): Promise<FakeGraph> {
  const tokens = new Map<string, string>(); // access token → tenant id
  let plan: ThrottlePlan | null = null;
  let callCount = 0;
  let html = 0;
  const newStats = (): FakeStats => ({
    httpRequests: 0, graphHttpRequests: 0, batchPosts: 0, subRequests: 0, tokenRequests: 0, tokenScopes: [], metadataRequests: 0, throttled: 0, callsByTenant: {}, filters: [],
  });
  const fake: FakeGraph = {
    url: '',
    port: 0,
    stats: newStats(),
    tenants: options.tenants,
    maxPageSize: options.maxPageSize ?? 999,
    deletedItemsFilters: 'any',
    htmlNext(n = 1) { html = n > 0 ? html + n : 0; },
    revokeTokens() { tokens.clear(); },
    throttle(p) { plan = p; callCount = 0; },
    mail: createFakeMail(() => fake.url),
    resetStats() { fake.stats = newStats(); },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };

  const throttleNow = (): Answer | null => {
    if (!plan) return null;
    callCount++;
    let hit = false;
    if (plan.storm && plan.storm > 0) { plan.storm--; hit = true; }
    else if (plan.everyNth && callCount % plan.everyNth === 0) hit = true;
    if (!hit) return null;
    fake.stats.throttled++;
    const status = plan.status ?? 429;
    return graphError(status, status === 429 ? 'TooManyRequests' : 'serviceNotAvailable', status === 429 ? 'Too many requests' : 'Service unavailable', {
      'Retry-After': String(plan.retryAfterSeconds ?? 1),
    });
  };

  /** GET /organization: the tenant's one organization object, as far as `$select` asks (documented shape). */
  const organization = (tenantId: string, select: string | null): Answer => {
    const org = fake.tenants[tenantId]!.organization;
    if (!org) return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const full: Json = { id: tenantId, displayName: org.displayName, verifiedDomains: org.verifiedDomains };
    const fields = select?.split(',').map((f) => f.trim()).filter(Boolean);
    const unknown = fields?.find((f) => !(f in full));
    if (unknown) return graphError(400, 'Request_BadRequest', `Could not find a property named '${unknown}' on type 'microsoft.graph.organization'.`);
    const value = fields ? Object.fromEntries(fields.map((f) => [f, full[f]])) : full;
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: { '@odata.context': `${fake.url}/v1.0/$metadata#organization`, value: [value] } };
  };

  /** One Graph GET (plain or inside a batch): path and query relative to /v1.0. `roles`: the token's (none granted: an app the fake lets read all). */
  const graphGet = (tenantId: string, rawUrl: string, headers: Record<string, string>, roles: string[] = []): Answer => {
    fake.stats.callsByTenant[tenantId] = (fake.stats.callsByTenant[tenantId] ?? 0) + 1;
    const throttled = throttleNow();
    if (throttled) return throttled;
    const url = new URL(rawUrl, 'https://graph.invalid'); // a fragment (`#…`) is dropped, as on the wire
    const version = /^\/(v1\.0|beta)(\/|$)/.exec(url.pathname);
    if (version) return graphError(400, 'BadRequest', `Resource not found for the segment '${version[1]}'.`);
    if (url.pathname === '/organization') return organization(tenantId, url.searchParams.get('$select'));
    const coll = COLLECTIONS[url.pathname];
    if (!coll) return graphError(400, 'BadRequest', `Resource not found for the segment '${url.pathname.split('/')[1] ?? ''}'.`);
    if (roles.length && !coll.readBy.some((r) => roles.includes(r))) return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    const q = url.searchParams; // form-decoding: a raw `+` is a space, as on Graph
    const advanced = (headers['consistencylevel'] ?? '').toLowerCase() === 'eventual' && q.get('$count') === 'true';
    let items = fake.tenants[tenantId]!.directory[coll.key];
    // Entra keeps only Microsoft 365 groups in the recycle bin: a test that puts another kind
    // there describes a tenant that cannot exist, so the fake refuses to answer from it
    const impossible = coll.key === 'deletedGroups' ? items.find((g) => !isUnified(g)) : undefined;
    if (impossible) return graphError(500, 'FakeGraph_ImpossibleDirectory', `group ${impossible.id} is not a Microsoft 365 group: deleted security and distribution groups are gone at once, never in deletedItems (use deleteGroup)`);
    const filterText = q.get('$filter');
    if (filterText !== null) {
      fake.stats.filters.push(filterText);
      try {
        const node = parseFilter(filterText);
        validateFilter(node, coll.type, advanced);
        const refuse = coll.deleted && (fake.deletedItemsFilters === 'none' || (fake.deletedItemsFilters === 'basic' && usesFunctionOrLambda(node)));
        if (refuse) throw new FilterError('Request_UnsupportedQuery', 'Unsupported Query.');
        items = items.filter((o) => evaluate(node, o));
      } catch (err) {
        if (err instanceof FilterError) return graphError(400, err.code, err.message);
        throw err;
      }
    }
    const topText = q.get('$top');
    const top = topText === null ? 100 : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > 999) {
      return graphError(400, 'Request_BadRequest', `Invalid page size specified: '${topText}'. Must be between 1 and 999 inclusive.`);
    }
    const select = q.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
    const offset = Number(q.get('$skiptoken') ? Buffer.from(q.get('$skiptoken')!, 'base64url').toString() : 0);
    const size = Math.min(top, fake.maxPageSize);
    let page: Json[];
    try {
      page = items.slice(offset, offset + size).map((o: DirObject) => ({
        ...(coll.deleted ? { '@odata.type': `#${TYPE_NAMES[coll.type].odata}` } : {}),
        ...project(o, coll.type, select),
      }));
    } catch (err) {
      return graphError(400, 'BadRequest', (err as Error).message);
    }
    const body: Json = { '@odata.context': `${fake.url}/v1.0/$metadata#${url.pathname.slice(1)}`, value: page };
    if (advanced) body['@odata.count'] = items.length;
    if (offset + size < items.length) {
      const next = new URLSearchParams(q);
      next.set('$skiptoken', Buffer.from(String(offset + size)).toString('base64url'));
      body['@odata.nextLink'] = `${fake.url}/v1.0${url.pathname}?${next.toString()}`;
    }
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body };
  };

  const batch = (tenantId: string, raw: string, roles: string[]): Answer => {
    fake.stats.batchPosts++;
    let parsed: { requests?: Array<{ id?: string; method?: string; url?: string; headers?: Record<string, string> }> };
    try { parsed = JSON.parse(raw); } catch { return graphError(400, 'BadRequest', 'Invalid batch payload format.'); }
    const reqs = parsed.requests;
    if (!Array.isArray(reqs) || reqs.length === 0) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
    if (reqs.length > 20) return graphError(400, 'BadRequest', 'The number of batch requests cannot exceed 20.');
    const ids = new Set(reqs.map((r) => r.id));
    if (ids.size !== reqs.length || ids.has(undefined)) return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
    if (plan?.outer) {
      const t = throttleNow();
      if (t) return t;
    }
    const responses = reqs.map((r) => {
      fake.stats.subRequests++;
      if ((r.method ?? '').toUpperCase() !== 'GET') return { id: r.id, ...graphError(405, 'BadRequest', 'Only GET is served by this fake.') };
      const hdrs = Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const url = (r.url ?? '').startsWith('/') ? r.url! : `/${r.url ?? ''}`;
      return { id: r.id, ...graphGet(tenantId, url, hdrs, roles) };
    });
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: { responses: shuffle(responses) } };
  };

  const identity = async (req: IncomingMessage, path: string): Promise<Answer | null> => {
    const meta = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (meta && req.method === 'GET') {
      fake.stats.metadataRequests++;
      const t = meta[1]!;
      if (!fake.tenants[t]) return { status: 400, headers: { 'Content-Type': 'application/json' }, body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${t}' not found.` } };
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: {
          token_endpoint: `${fake.url}/${t}/oauth2/v2.0/token`,
          authorization_endpoint: `${fake.url}/${t}/oauth2/v2.0/authorize`,
          issuer: `${fake.url}/${t}/v2.0`,
          jwks_uri: `${fake.url}/${t}/discovery/v2.0/keys`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        },
      };
    }
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (!tok || req.method !== 'POST') return null;
    fake.stats.tokenRequests++;
    const tenantId = tok[1]!;
    const form = new URLSearchParams(await readBody(req));
    const fail = (status: number, error: string, code: number, text: string): Answer => ({
      status,
      headers: { 'Content-Type': 'application/json' },
      body: { error, error_description: `AADSTS${code}: ${text} Trace ID: ${randomBytes(4).toString('hex')}`, error_codes: [code] },
    });
    const tenant = fake.tenants[tenantId];
    if (!tenant) return fail(400, 'invalid_request', 90002, `Tenant '${tenantId}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') return fail(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const scope = form.get('scope');
    if (!scope) return fail(400, 'invalid_request', 90014, "The required field 'scope' is missing from the credential.");
    // the client credentials flow takes a resource's `.default` only
    if (!/^\S+\/\.default$/.test(scope)) return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    fake.stats.tokenScopes.push(scope);
    const app = tenant.apps.find((a) => a.clientId === form.get('client_id'));
    if (!app) return fail(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory.`);
    const assertion = form.get('client_assertion');
    const ok = assertion ? assertionValid(assertion, app, `${fake.url}/${tenantId}/oauth2/v2.0/token`) : app.secret !== undefined && form.get('client_secret') === app.secret;
    if (!ok) return fail(401, 'invalid_client', assertion ? 700027 : 7000215, assertion ? 'Client assertion failed signature validation.' : 'Invalid client secret provided.');
    const token = mintToken(tenantId, app.clientId, app.roles);
    tokens.set(token, tenantId);
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
  };

  const handle = async (req: IncomingMessage): Promise<Answer> => {
    fake.stats.httpRequests++;
    const url = new URL(req.url ?? '/', fake.url);
    const id = await identity(req, url.pathname);
    if (id) return id;
    if (!url.pathname.startsWith('/v1.0/')) return graphError(404, 'NotFound', `No route for ${url.pathname}`);
    fake.stats.graphHttpRequests++;
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const tenantId = auth ? tokens.get(auth[1]!) : undefined;
    if (!tenantId) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const rel = url.pathname.slice('/v1.0'.length) + url.search;
    const roles = tokenClaims(auth![1]!).roles;
    if (url.pathname === '/v1.0/$batch' && req.method === 'POST') return batch(tenantId, await readBody(req), roles);
    const mail = await fake.mail.handle({ claims: tokenClaims(auth![1]!), mailboxes: fake.tenants[tenantId]!.mailboxes ?? [], method: req.method ?? 'GET', url: new URL(rel, 'https://graph.invalid'), body: () => readBody(req), headers: req.headers });
    if (mail) return mail;
    if (req.method !== 'GET') return graphError(405, 'BadRequest', 'Method not allowed.');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    return graphGet(tenantId, rel, headers, roles);
  };

  const server: Server = createServer({ key: readFileSync(options.tls.keyPath), cert: readFileSync(options.tls.certPath) }, (req, res: ServerResponse) => {
    if (html > 0 && new URL(req.url ?? '/', 'https://fake').pathname.startsWith('/v1.0/')) {
      html--;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><body><h1>Sign in to continue</h1></body></html>');
      return;
    }
    handle(req)
      .then((a) => {
        res.writeHead(a.status, a.headers);
        res.end(Buffer.isBuffer(a.body) ? a.body : JSON.stringify(a.body));
      })
      .catch((err: Error) => {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'generalException', message: err.message } }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  fake.url = `https://127.0.0.1:${fake.port}`;
  return fake;
}
