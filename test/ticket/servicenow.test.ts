import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createServiceNowTicketSink } from '../../src/ticket/sinks/servicenow-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { FakeServiceNow } from '../fakes/servicenow.ts';
import { DESK_KEY, deskDraft } from './builders.ts';

const KEY = DESK_KEY;
const OTHER = 'aadsync-fedcba9876543210fedcba9876543210fedcba98';
const NOW = Date.parse('2026-11-24T10:00:00Z');

let fake: FakeServiceNow;
let waits: number[];
let sink: TicketSink;

function makeSink(extra: { assignmentGroup?: string; password?: string } = {}): TicketSink {
  return createServiceNowTicketSink(
    { url: fake.url, user: 'syncdesk', password: extra.password ?? 'secret', closeCode: 'Solution provided', assignmentGroup: extra.assignmentGroup },
    { logger: createLogger({ level: 'silent' }), http: { sleep: async (ms) => void waits.push(ms), now: () => NOW } },
  );
}

const draft = deskDraft;

beforeEach(async () => {
  fake = new FakeServiceNow();
  await fake.start();
  waits = [];
  sink = makeSink();
});
afterEach(async () => {
  await fake.stop();
});

describe('ServiceNow adapter: finding by correlation_id', () => {
  it('never sends an empty or unsafe key to the instance', async () => {
    fake.insert({ correlation_id: '' }); // `correlation_id=` would match this one
    for (const bad of ['', ' ', `${KEY}^ORDERBYnumber`, `${KEY}\n`]) {
      await expect(sink.findByKey(bad)).rejects.toMatchObject({ name: 'PermanentError', code: 'invalid_key' });
    }
    expect(fake.server.calls).toHaveLength(0);
  });

  it('the fake reproduces the empty-key pitfall the guard protects against', async () => {
    fake.insert({ correlation_id: '' });
    fake.insert({ correlation_id: '' });
    fake.insert({ correlation_id: KEY });
    const res = await axios.get(`${fake.url}/api/now/v2/table/incident`, {
      params: { sysparm_query: 'correlation_id=' },
      auth: { username: 'syncdesk', password: 'secret' },
    });
    expect(res.data.result).toHaveLength(2);
  });

  it('keeps only exact matches when the instance ignores the query part', async () => {
    fake.insert({ correlation_id: OTHER, short_description: 'someone else' });
    fake.insert({ correlation_id: '', short_description: 'manual incident' });
    const mine = fake.insert({ correlation_id: KEY, short_description: 'ours' });
    fake.invalidFields = ['correlation_id'];
    const raw = await axios.get(`${fake.url}/api/now/v2/table/incident`, {
      params: { sysparm_query: `correlation_id=${KEY}` },
      auth: { username: 'syncdesk', password: 'secret' },
    });
    expect(raw.data.result).toHaveLength(3); // the instance returned every row
    const found = await sink.findByKey(KEY);
    expect(found.map((t) => t.id)).toEqual([mine.sys_id]);
  });

  it('queries the pinned v2 table newest first, and v2 answers no rows with 200 []', async () => {
    expect(await sink.findByKey(KEY)).toEqual([]);
    const [call] = fake.server.calls;
    expect(call!.path).toBe('/api/now/v2/table/incident');
    expect(call!.status).toBe(200);
    expect(call!.query.sysparm_query).toBe(`correlation_id=${KEY}^ORDERBYDESCsys_created_on^ORDERBYDESCnumber`);
    const v1 = await axios.get(`${fake.url}/api/now/table/incident`, {
      params: { sysparm_query: `correlation_id=${KEY}` },
      auth: { username: 'syncdesk', password: 'secret' },
      validateStatus: () => true,
    });
    expect(v1.status).toBe(404);
    expect(v1.data).toMatchObject({ status: 'failure', error: { message: 'No Record found' } });
  });

  it('maps states: 1/2/3 open, 6 resolved, 7 closed, 8 wontfix, newest first', async () => {
    const states = ['1', '2', '3', '6', '7', '8'];
    const recs = states.map((state, i) =>
      fake.insert({ correlation_id: KEY, state, sys_created_on: `2026-11-2${i} 10:00:00`, resolved_at: state >= '6' ? '2026-11-23 08:00:00' : '' }),
    );
    const found = await sink.findByKey(KEY);
    expect(found.map((t) => t.id)).toEqual(recs.map((r) => r.sys_id).reverse());
    expect(found.map((t) => t.status)).toEqual(['wontfix', 'closed', 'resolved', 'open', 'open', 'open']);
    expect(found[2]!.resolvedAt).toBe('2026-11-23T08:00:00Z');
    expect(found[5]!.resolvedAt).toBeNull();
  });
});

describe('ServiceNow adapter: writes', () => {
  it('creates with the key, a short one-line summary, plain text and the assignment group', async () => {
    sink = makeSink({ assignmentGroup: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' });
    const ticket = await sink.create(
      {
        key: KEY,
        summary: `Line one\nline two ${'x'.repeat(300)}`,
        keyDisplay: 'DuplicateAttribute UserPrincipalName john@contoso.com',
        body: [
          { kind: 'heading', text: 'Error' },
          { kind: 'paragraph', text: 'Name [code]<img src=x onerror=alert(1)>[/code] & <b>bold</b>' },
          { kind: 'fields', rows: [['Object', 'CN=John,OU=Users']] },
          { kind: 'code', text: 'Update-MgUser -UserId x' },
        ],
      },
      { idempotencyKey: 'k' },
    );
    const rec = fake.incidents.get(ticket.id)!;
    expect(rec.correlation_id).toBe(KEY);
    expect(rec.correlation_display).toBe('DuplicateAttribute UserPrincipalName john@contoso.com');
    expect(rec.assignment_group).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    expect(rec.short_description.length).toBeLessThanOrEqual(160);
    expect(rec.short_description).not.toMatch(/\n/);
    expect(rec.short_description.startsWith('Line one line two')).toBe(true);
    // Plain text keeps the characters but can never switch on the journal's HTML mode.
    expect(rec.description).toContain('<b>bold</b>');
    expect(rec.description).not.toMatch(/\[code\]/i);
    expect(rec.description).not.toMatch(/\[\/code\]/i);
    expect(rec.description).toContain('Object: CN=John,OU=Users');
    expect(rec.description).toContain('    Update-MgUser -UserId x');
    expect(ticket).toMatchObject({ key: KEY, status: 'open', resolvedAt: null });
    expect(ticket.url).toContain(ticket.id);
    const post = fake.server.callsTo('POST', '/api/now/v2/table/incident')[0]!;
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from('syncdesk:secret').toString('base64')}`);
  });

  it('a follow-up carries parent_incident', async () => {
    const old = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setState(old.id, '7');
    const next = await sink.create(draft(), { idempotencyKey: 'b', followUpOf: { ...old, status: 'closed' } });
    expect(fake.incidents.get(next.id)!.parent_incident).toBe(old.id);
  });

  it('notes are work notes; resolve sets state 6 with close code and notes; reopen goes to 2', async () => {
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    await sink.addNote(t, [{ kind: 'paragraph', text: 'changed' }]);
    expect(fake.workNotes(t.id)).toEqual(['changed']);
    const resolved = await sink.resolve(t, [{ kind: 'paragraph', text: 'gone from the report' }]);
    const rec = fake.incidents.get(t.id)!;
    expect(rec).toMatchObject({ state: '6', close_code: 'Solution provided', close_notes: 'gone from the report' });
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolvedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const reopened = await sink.reopen(resolved, [{ kind: 'paragraph', text: 'back' }]);
    expect(reopened.status).toBe('open');
    expect(fake.incidents.get(t.id)!.state).toBe('2');
    expect(fake.workNotes(t.id)).toEqual(['changed', 'back']);
  });

  it('reads one incident directly, null when it is gone', async () => {
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setState(t.id, '6');
    expect(await sink.get!(t.id)).toMatchObject({ id: t.id, key: KEY, status: 'resolved' });
    expect(await sink.get!('0'.repeat(32))).toBeNull();
  });

  it('reopens only from Resolved: a closed incident is refused without a write', async () => {
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setState(t.id, '7');
    await expect(sink.reopen({ ...t, status: 'resolved' }, [{ kind: 'paragraph', text: 'back' }])).rejects.toMatchObject({
      code: 'desk_not_reopenable',
    });
    expect(fake.server.callsTo('PATCH', /incident/)).toHaveLength(0);
    expect(fake.incidents.get(t.id)!.state).toBe('7');
  });

  it('a write to a closed incident fails permanently (the ACL answer is 403)', async () => {
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setState(t.id, '7');
    const err = await sink.addNote(t, [{ kind: 'paragraph', text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('desk_forbidden');
  });
});

describe('ServiceNow adapter: HTTP behaviour', () => {
  it('waits until X-RateLimit-Reset after a 429, then retries', async () => {
    fake.server.throttleNext(1, { 'X-RateLimit-Reset': String(NOW / 1000 + 7), 'X-RateLimit-Limit': '100' });
    expect(await sink.findByKey(KEY)).toEqual([]);
    expect(fake.server.calls.map((c) => c.status)).toEqual([429, 200]);
    expect(waits).toContain(7000);
  });

  it('does not resend a create whose answer was lost: it looks the incident up by its key and returns it (blind32 V8)', async () => {
    fake.server.loseResponseNext(1, 502);
    const made = await sink.create(draft(), { idempotencyKey: 'a' });
    expect(fake.server.callsTo('POST', '/api/now/v2/table/incident')).toHaveLength(1);
    expect(fake.list()).toHaveLength(1);
    expect(made.id).toBe(fake.list()[0]!.sys_id);
    expect((await sink.findByKey(KEY)).map((t) => t.id)).toEqual([made.id]);
  });

  it('wrong credentials are a permanent failure', async () => {
    sink = makeSink({ password: 'wrong' });
    const err = await sink.findByKey(KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toContain('User Not Authenticated');
  });

  it('refuses to start without URL and credentials', () => {
    expect(() => createServiceNowTicketSink({ closeCode: 'x' }, { logger: createLogger({ level: 'silent' }) })).toThrow(/SERVICENOW_URL/);
  });
});
