import axios from 'axios';
import { contractViolations, FROM_TEST } from '../contracts/openapi-contract.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError, TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { FakeZendesk, type FakeZendeskOptions } from '../fakes/zendesk.ts';

/** Requests the test sends itself (to show the fake refusing), kept apart from the adapter's in the contract check. */
const direct = axios.create({ headers: FROM_TEST });
import { DESK_KEY, deskDraft, deskNote } from './builders.ts';
import { testSeed } from '../helpers/seed.ts';

const KEY = DESK_KEY;
const AUTH = { username: 'agent@example.com/token', password: 'zd-token' };

let fake: FakeZendesk;
let waits: number[];
let sink: TicketSink;

function makeSink(http: Record<string, unknown> = {}): TicketSink {
  return createZendeskTicketSink(
    { url: fake.url, email: 'agent@example.com', token: 'zd-token', tag: 'syncdesk', wontFixTag: 'wont_fix' },
    { logger: createLogger({ level: 'silent' }), http: { sleep: async (ms: number) => void waits.push(ms), ...http } },
  );
}

async function startFake(options: FakeZendeskOptions = {}): Promise<void> {
  fake = new FakeZendesk(options);
  await fake.start();
  sink = makeSink();
}

const draft = deskDraft;
const note = deskNote;

beforeEach(() => {
  waits = [];
});
afterEach(async () => {
  await fake.stop();
  // Checked after the stop, so a violation never leaves a fake running.
  expect(await contractViolations('zendesk', fake.server.calls)).toEqual([]);
});

describe('Zendesk adapter: create and idempotency', () => {
  it('creates a ticket keyed by external_id and tag, its description a private comment', async () => {
    await startFake();
    const t = await sink.create(draft(), { idempotencyKey: `${KEY}:r1` });
    const stored = fake.get(t.id);
    expect(stored).toMatchObject({ external_id: KEY, subject: 'Duplicate proxyAddresses smtp:john@contoso.com', status: 'new' });
    expect(stored.tags).toEqual(['syncdesk', KEY]);
    expect(stored.comments).toHaveLength(1);
    expect(stored.comments[0]!.public).toBe(false);
    expect(t).toMatchObject({ key: KEY, status: 'open', url: `${fake.url}/agent/tickets/${t.id}` });
    const post = fake.server.callsTo('POST', '/api/v2/tickets')[0]!;
    expect(post.headers['idempotency-key']).toBe(`${KEY}:r1`);
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from('agent@example.com/token:zd-token').toString('base64')}`);
  });

  it('a create whose answer was lost is resent with the same Idempotency-Key: one ticket', async () => {
    await startFake();
    fake.server.loseResponseNext(1, 502);
    const t = await sink.create(draft(), { idempotencyKey: 'k1' });
    const posts = fake.server.callsTo('POST', '/api/v2/tickets');
    expect(posts.map((c) => [c.status, c.fault])).toEqual([
      [502, 'lost'],
      [201, undefined],
    ]);
    expect(posts.map((c) => c.headers['idempotency-key'])).toEqual(['k1', 'k1']);
    expect(fake.list()).toHaveLength(1);
    expect(t.id).toBe(String(fake.list()[0]!.id));
  });

  it('the fake replays the first answer with x-idempotency-lookup: hit, and refuses another payload', async () => {
    await startFake();
    const body = { ticket: { subject: 's', comment: { body: 'b', public: false }, external_id: KEY } };
    const opts = { auth: AUTH, headers: { 'Idempotency-Key': 'same' }, validateStatus: () => true };
    const first = await direct.post(`${fake.url}/api/v2/tickets`, body, opts);
    const again = await direct.post(`${fake.url}/api/v2/tickets`, body, opts);
    expect(first.headers['x-idempotency-lookup']).toBe('miss');
    expect(again.headers['x-idempotency-lookup']).toBe('hit');
    expect(again.status).toBe(201);
    expect(again.data.ticket.id).toBe(first.data.ticket.id);
    const other = await direct.post(`${fake.url}/api/v2/tickets`, { ticket: { ...body.ticket, subject: 'changed' } }, opts);
    expect(other.status).toBe(400);
    expect(fake.list()).toHaveLength(1);
  });
});

describe('Zendesk adapter: finding and statuses', () => {
  it('keeps exact external_id matches only (the filter takes comma-separated lists)', async () => {
    await startFake();
    fake.insert({ external_id: 'aadsync-a', status: 'open' });
    fake.insert({ external_id: 'aadsync-b', status: 'open' });
    const raw = await direct.get(`${fake.url}/api/v2/tickets`, { params: { external_id: 'aadsync-a,aadsync-b' }, auth: AUTH });
    expect(raw.data.tickets).toHaveLength(2);
    expect(await sink.findByKey('aadsync-a,aadsync-b')).toEqual([]);
    expect((await sink.findByKey('aadsync-a')).map((t) => t.key)).toEqual(['aadsync-a']);
  });

  it('maps new/open/pending/hold to open, solved to resolved with its solve time, closed, and the won\'t-fix tag', async () => {
    await startFake({ now: () => Date.parse('2026-11-20T08:00:00Z') });
    const ids = ['new', 'open', 'pending', 'hold', 'solved', 'closed'].map(
      (status) => fake.insert({ external_id: KEY, status: status as never }).id,
    );
    fake.setStatus(ids[4]!, 'solved');
    const wont = fake.insert({ external_id: KEY, status: 'solved', tags: ['wont_fix'] }).id;
    const found = await sink.findByKey(KEY);
    const byId = new Map(found.map((t) => [t.id, t]));
    expect(ids.map((id) => byId.get(String(id))!.status)).toEqual(['open', 'open', 'open', 'open', 'resolved', 'closed']);
    expect(byId.get(String(ids[4]))!.resolvedAt).toBe('2026-11-20T08:00:00Z');
    expect(byId.get(String(wont))!.status).toBe('wontfix');
    expect(found[0]!.id).toBe(String(wont)); // newest first
  });

  it('follows next_page', async () => {
    await startFake({ perPage: 2 });
    for (let i = 0; i < 5; i++) fake.insert({ external_id: KEY, status: 'open' });
    expect(await sink.findByKey(KEY)).toHaveLength(5);
    expect(fake.server.callsTo('GET', /^\/api\/v2\/tickets(\.json)?$/)).toHaveLength(3);
  });
});

describe('Zendesk adapter: updates', () => {
  it('solve and reopen each ride on one PUT with their private note', async () => {
    await startFake();
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    const solved = await sink.resolve(t, note('gone'));
    expect(solved.status).toBe('resolved');
    const reopened = await sink.reopen(solved, note('back'));
    expect(reopened.status).toBe('open');
    const stored = fake.get(t.id);
    expect(stored.status).toBe('open');
    expect(stored.comments.slice(1).map((c) => [c.body, c.public])).toEqual([
      ['gone', false],
      ['back', false],
    ]);
    expect(fake.server.callsTo('PUT', `/api/v2/tickets/${t.id}`)).toHaveLength(2);
  });

  it('a closed ticket refuses updates (422); its problem gets a follow-up via via_followup_source_id', async () => {
    await startFake();
    const old = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setStatus(old.id, 'closed');
    const err = await sink.addNote({ ...old, status: 'closed' }, note('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toContain('closed prevents ticket update');
    const next = await sink.create(draft(), { idempotencyKey: 'b', followUpOf: { ...old, status: 'closed' } });
    expect(fake.get(next.id).via_followup_source_id).toBe(Number(old.id));
    expect(fake.get(old.id).followup_ids).toEqual([Number(next.id)]);
  });

  it('escapes markup in values as HTML', async () => {
    await startFake();
    const t = await sink.create(
      {
        ...draft(),
        summary: 'Name <img src=x onerror=alert(1)>\nsecond line',
        body: [
          { kind: 'paragraph', text: '<script>alert(1)</script> & "quotes"' },
          { kind: 'fields', rows: [['<b>field</b>', 'O\'Brien <o@x.com>']] },
          { kind: 'code', text: 'Get-MgUser -Filter "mail eq \'a&b\'"' },
        ],
      },
      { idempotencyKey: 'a' },
    );
    const html = fake.get(t.id).comments[0]!.html_body;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>field');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('<strong>&lt;b&gt;field&lt;/b&gt;:</strong> O&#39;Brien &lt;o@x.com&gt;');
    expect(html).toContain('<pre><code>Get-MgUser -Filter &quot;mail eq &#39;a&amp;b&#39;&quot;</code></pre>');
    expect(fake.get(t.id).subject).toBe('Name <img src=x onerror=alert(1)> second line');
  });

  it('the 31st update of a ticket in 10 minutes is throttled; the long Retry-After goes back to the queue', async () => {
    await startFake();
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    for (let i = 0; i < 30; i++) await sink.addNote(t, note(`n${i}`));
    const err = await sink.addNote(t, note('one too many')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).code).toBe('desk_rate_limited');
    expect((err as TransientError).retryAfterMs).toBeGreaterThan(590_000);
    expect((err as TransientError).retryAfterMs).toBeLessThanOrEqual(600_000);
    expect(fake.get(t.id).comments).toHaveLength(31);
    expect(waits).toEqual([]); // nothing slept in-process: 10 minutes is the queue's job
  });
});

describe('Zendesk adapter: HTTP behaviour', () => {
  it('waits the Retry-After of a 429, then retries', async () => {
    await startFake();
    fake.server.throttleNext(1, { 'Retry-After': '4' });
    await sink.findByKey(KEY);
    expect(fake.server.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(waits).toContain(4000);
  });

  it('rides out random 5xx and hung requests on reads', async () => {
    await startFake();
    for (let i = 0; i < 5; i++) fake.insert({ external_id: KEY, status: 'solved' });
    let seed = testSeed('zendesk read faults', 7);
    fake.server.faults = {
      failRate: 0.25,
      hangRate: 0.1,
      random: () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31),
    };
    sink = makeSink({ timeoutMs: 200, maxRetries: 8 });
    for (let i = 0; i < 5; i++) expect(await sink.findByKey(KEY)).toHaveLength(5);
    const faults = fake.server.calls.map((c) => c.fault).filter(Boolean);
    expect(faults).toContain('failed');
    expect(faults).toContain('hung');
  });

  it('a non-idempotent note is not resent after a 5xx (it may have been added)', async () => {
    await startFake();
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.server.loseResponseNext(1, 503);
    await expect(sink.addNote(t, note('once'))).rejects.toBeInstanceOf(TransientError);
    expect(fake.get(t.id).comments.map((c) => c.body)).toEqual(['The value is held twice.', 'once']);
    expect(fake.server.callsTo('PUT', `/api/v2/tickets/${t.id}`)).toHaveLength(1);
  });
});
