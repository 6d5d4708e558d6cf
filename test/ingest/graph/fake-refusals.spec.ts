import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, findFolder, type FakeMailbox } from '../../fakes/graph/mailbox.ts';
import type { FakeGraph } from '../../fakes/graph/server.ts';
import { reportMail } from '../helpers.ts';
import { APPS, MAILBOX, TENANT, startMailFake, type AppName } from './harness.ts';

/**
 * The fake refuses what Microsoft documents Graph refusing for mail, so an adapter that
 * would fail against Exchange fails here too. Plain HTTPS requests with a token from the
 * real @azure/identity against the fake's token endpoint.
 */

let fake: FakeGraph;
let box: FakeMailbox;
const tokens = new Map<AppName, string>();

async function token(app: AppName): Promise<string> {
  if (!tokens.has(app)) {
    const cred = new ClientSecretCredential(TENANT, APPS[app].clientId, APPS[app].secret, { authorityHost: fake.url, disableInstanceDiscovery: true });
    tokens.set(app, (await cred.getToken('https://graph.microsoft.com/.default'))!.token);
  }
  return tokens.get(app)!;
}

async function call(path: string, init: { method?: string; body?: unknown; app?: AppName; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${fake.url}/v1.0/users/${encodeURIComponent(MAILBOX)}${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${await token(init.app ?? 'readWrite')}`, 'Content-Type': 'application/json', ...init.headers },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let json: { error?: { code?: string; message?: string }; [k: string]: unknown } = {};
  try { json = JSON.parse(text); } catch { /* MIME */ }
  return { status: res.status, code: json.error?.code, json, text, headers: res.headers };
}

beforeAll(async () => {
  ({ fake, mailbox: box } = await startMailFake());
});
afterAll(async () => fake.close());

describe('fake Graph mail endpoints refuse like Graph', () => {
  it('delta only per folder, $filter only receivedDateTime ge|gt, $orderby only receivedDateTime desc, no $search', async () => {
    expect((await call('/messages/delta')).status).toBe(400);
    expect((await call(`/mailFolders/inbox/messages/delta?$filter=${encodeURIComponent("subject eq 'x'")}`)).code).toBe('ErrorInvalidUrlQueryFilter');
    expect((await call(`/mailFolders/inbox/messages/delta?$orderby=${encodeURIComponent('receivedDateTime asc')}`)).status).toBe(400);
    expect((await call('/mailFolders/inbox/messages/delta?$search=report')).status).toBe(400);
    expect((await call('/mailFolders/inbox/messages/delta?changeType=moved')).status).toBe(400);
    const ok = await call(`/mailFolders/inbox/messages/delta?$filter=${encodeURIComponent('receivedDateTime ge 2020-01-01T00:00:00Z')}`);
    expect(ok.status).toBe(200);
    expect(ok.json['@odata.deltaLink']).toMatch(/\$deltatoken=/);
  });

  it('an expired delta token is 410 syncStateNotFound; a reset is 410 resyncRequired with a Location', async () => {
    const first = await call('/mailFolders/inbox/messages/delta');
    const link = new URL(first.json['@odata.deltaLink'] as string);
    fake.mail.expireDeltaTokens();
    const expired = await call(link.pathname.replace(/^.*\/users\/[^/]+/, '') + link.search);
    expect([expired.status, expired.code]).toEqual([410, 'syncStateNotFound']);
    const again = await call('/mailFolders/inbox/messages/delta');
    fake.mail.expireDeltaTokens('resyncRequired');
    const l2 = new URL(again.json['@odata.deltaLink'] as string);
    const reset = await call(l2.pathname.replace(/^.*\/users\/[^/]+/, '') + l2.search);
    expect([reset.status, reset.code]).toEqual([410, 'resyncRequired']);
    expect(reset.headers.get('location')).toMatch(/messages\/delta\?\$deltatoken=$/);
  });

  it('move needs a folder id or well-known name (a display name is ErrorInvalidIdMalformed) and answers 201 with a new id', async () => {
    const m = deliver(box, reportMail('refuse-move'));
    const oldId = m.id;
    expect((await call(`/messages/${encodeURIComponent(oldId)}/move`, { method: 'POST', body: { destinationId: 'Processed' } })).code).toBe('ErrorInvalidIdMalformed');
    const moved = await call(`/messages/${encodeURIComponent(oldId)}/move`, { method: 'POST', body: { destinationId: 'archive' } });
    expect(moved.status).toBe(201);
    expect(moved.json.id).not.toBe(oldId);
    expect(moved.json.parentFolderId).toBe(findFolder(box, 'archive')!.id);
    expect((await call(`/messages/${encodeURIComponent(oldId)}/$value`)).code).toBe('ErrorItemNotFound');
    expect((await call(`/messages/${encodeURIComponent(moved.json.id as string)}/$value`)).text).toContain('Directory Synchronization Error Report');
  });

  it('permissions come from the token roles: Mail.Read reads but cannot move nor PATCH categories; no Mail.* reads nothing', async () => {
    const m = deliver(box, reportMail('refuse-perm'));
    const id = encodeURIComponent(m.id);
    expect((await call(`/messages/${id}/$value`, { app: 'readOnly' })).status).toBe(200);
    expect((await call(`/messages/${id}`, { method: 'PATCH', body: { categories: ['x'] }, app: 'readOnly' })).code).toBe('ErrorAccessDenied');
    expect((await call(`/messages/${id}/move`, { method: 'POST', body: { destinationId: 'archive' }, app: 'readOnly' })).status).toBe(403);
    expect((await call('/mailFolders/inbox', { app: 'none' })).code).toBe('ErrorAccessDenied');
    expect((await call(`/messages/${id}`, { method: 'PATCH', body: { categories: ['x'] } })).status).toBe(200);
  });

  it('a mailbox outside the app scope is 403 ErrorAccessDenied although the token has Mail.ReadWrite; an unknown mailbox is 404', async () => {
    const out = await call('/mailFolders/inbox', { app: 'outOfScope' });
    expect([out.status, out.code]).toEqual([403, 'ErrorAccessDenied']);
    const res = await fetch(`${fake.url}/v1.0/users/nobody%40contoso.com/mailFolders/inbox`, { headers: { Authorization: `Bearer ${await token('readWrite')}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ErrorInvalidUser');
  });

  it('a 5th concurrent request to one mailbox is 429 ApplicationThrottled with Retry-After', async () => {
    fake.mail.latencyMs = 150;
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => call('/mailFolders/inbox')));
      const throttled = answers.filter((a) => a.status === 429);
      expect(throttled).toHaveLength(1);
      expect(throttled[0]!.code).toBe('ApplicationThrottled');
      expect(throttled[0]!.json.error?.message).toContain('MailboxConcurrency');
      expect(throttled[0]!.headers.get('retry-after')).toBe('1');
    } finally {
      fake.mail.latencyMs = 0;
    }
  });

  it('listing: $orderby must lead the $filter (InefficientFilter), $top at most 1000', async () => {
    const filter = encodeURIComponent('receivedDateTime ge 2020-01-01T00:00:00Z');
    expect((await call(`/mailFolders/inbox/messages?$filter=${filter}&$orderby=subject`)).code).toBe('InefficientFilter');
    expect((await call(`/mailFolders/inbox/messages?$top=1001`)).status).toBe(400);
    expect((await call(`/mailFolders/inbox/messages?$filter=${filter}&$orderby=${encodeURIComponent('receivedDateTime asc')}`)).status).toBe(200);
  });
});
