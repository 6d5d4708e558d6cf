import axios from 'axios';
import { contractViolations, FROM_TEST } from '../contracts/openapi-contract.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { TicketConfigSchema, type Config } from '../../schemas/config.schema.ts';
import type { DeskRoute } from '../../schemas/ticket.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import { FakeZendesk, type FakeZendeskOptions } from '../fakes/zendesk.ts';

/** Requests the test sends itself (to show the fake refusing), kept apart from the adapter's in the contract check. */
const direct = axios.create({ headers: FROM_TEST });
import { DESK_KEY, deskDraft, deskNote } from './builders.ts';

/**
 * Zendesk's account rules: solving needs an assignee unless auto-assign on solve applies,
 * fields required to solve, account-wide rate limits, and archived tickets missing from
 * `external_id` lists. The fake refuses what breaks a rule; the adapter, configured with an
 * assignee and group, sends what passes.
 */

const AUTH = { username: 'agent@example.com/token', password: 'zd-token' };
let fake: FakeZendesk;
let waits: number[] = [];

afterEach(async () => {
  await fake.stop();
  // Checked after the stop, so a violation never leaves a fake running.
  expect(await contractViolations('zendesk', fake.server.calls)).toEqual([]);
  waits = [];
});

async function start(options: FakeZendeskOptions = {}): Promise<void> {
  fake = new FakeZendesk(options);
  await fake.start();
}

function sink(extra: Partial<Config['ticket']['zendesk']> = {}, routes: DeskRoute[] = []) {
  const config = TicketConfigSchema.parse({ zendesk: { url: fake.url, email: 'agent@example.com', token: 'zd-token', ...extra } }).zendesk;
  return createZendeskTicketSink(config, { logger: createLogger({ level: 'silent' }), http: { sleep: async (ms) => void waits.push(ms) }, routes });
}

const put = (id: number, ticket: unknown) => direct.put(`${fake.url}/api/v2/tickets/${id}.json`, { ticket }, { auth: AUTH, validateStatus: () => true });

describe('the Zendesk fake refuses what Zendesk refuses', () => {
  it('solving without an assignee when auto-assign on solve is off: 422', async () => {
    await start({ autoAssignOnSolve: false });
    const t = fake.insert({ subject: 's', status: 'open' });
    const res = await put(t.id, { status: 'solved', comment: { body: 'x', public: false } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.data.details)).toContain("can't be set to Solved without an assignee");
    expect(fake.get(t.id)).toMatchObject({ status: 'open', comments: [] });
  });

  it('solving without a field required to solve, even with auto-assign on: 422', async () => {
    await start({ requiredToSolve: [{ id: 5001, title: 'Root cause' }] });
    const t = fake.insert({ subject: 's', status: 'open' });
    expect((await put(t.id, { status: 'solved' })).status).toBe(422);
    expect((await put(t.id, { status: 'solved', assignee_email: 'identity-team@example.com' })).status).toBe(422);
    expect((await put(t.id, { status: 'solved', assignee_email: 'identity-team@example.com', custom_fields: [{ id: 5001, value: 'dup' }] })).status).toBe(200);
  });

  it('auto-assign on solve (the default) assigns the solving agent', async () => {
    await start();
    const t = fake.insert({ subject: 's', status: 'open' });
    expect((await put(t.id, { status: 'solved' })).status).toBe(200);
    expect(fake.get(t.id).assignee_id).toBe(fake.agentId('agent@example.com'));
  });

  it('an assignee who is not an agent: 422', async () => {
    await start();
    const t = fake.insert({ subject: 's', status: 'open' });
    expect((await put(t.id, { assignee_email: 'nobody@example.com' })).status).toBe(422);
  });

  it('account-wide Update Ticket limit: 429 with Retry-After across tickets', async () => {
    await start({ updatesPerMinute: 3 });
    const ids = [1, 2, 3, 4].map(() => fake.insert({ subject: 's', status: 'open' }).id);
    const statuses = [];
    for (const id of ids) statuses.push((await put(id, { subject: 'x' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('account-wide List Tickets limit (sandbox and trial): 429', async () => {
    await start({ listsPerMinute: 1 });
    const list = () => direct.get(`${fake.url}/api/v2/tickets.json`, { auth: AUTH, validateStatus: () => true });
    expect((await list()).status).toBe(200);
    const res = await list();
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("the plan's account-wide limit: every answer shows the account's window, and past it a 429 says none is left", async () => {
    await start({ requestsPerMinute: 2 });
    const show = () => direct.get(`${fake.url}/api/v2/tickets.json`, { auth: AUTH, validateStatus: () => true });
    expect((await show()).headers).toMatchObject({ 'x-rate-limit': '2', 'x-rate-limit-remaining': '1' });
    await show();
    const refused = await show();
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatchObject({ 'x-rate-limit-remaining': '0' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it("a ticket's own update limit (30 per 10 minutes): 429 while the account and the endpoint windows have room", async () => {
    await start({ updatesPerTicket: 2 });
    const t = fake.insert({ subject: 's', status: 'open' });
    const [first] = [await put(t.id, { subject: 'a' }), await put(t.id, { subject: 'b' })];
    expect(first!.headers['zendesk-ratelimit-tickets-update']).toBe('total=100; remaining=99; resets=60');
    const refused = await put(t.id, { subject: 'c' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['x-rate-limit-remaining'])).toBeGreaterThan(0);
    expect(refused.headers['zendesk-ratelimit-tickets-update']).toMatch(/remaining=9[0-9]/);
  });

  it('a comment over about 64 KB, counted in bytes: 422, though its characters are fewer', async () => {
    await start();
    const t = fake.insert({ subject: 's', status: 'open' });
    const html = `<p>${'名'.repeat(22_000)}</p>`; // 22,007 characters, 66,007 bytes
    const res = await put(t.id, { comment: { html_body: html, public: false } });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.data.details)).toContain('too long');
  });

  it('archived tickets are missing from external_id lists, but shown by id', async () => {
    await start();
    const t = fake.insert({ subject: 's', external_id: DESK_KEY });
    fake.archive(t.id);
    const list = await direct.get(`${fake.url}/api/v2/tickets.json`, { auth: AUTH, params: { external_id: DESK_KEY } });
    expect(list.data.tickets).toEqual([]);
    const show = await direct.get(`${fake.url}/api/v2/tickets/${t.id}.json`, { auth: AUTH });
    expect(show.data.ticket).toMatchObject({ id: t.id, status: 'closed' });
  });
});

describe('Zendesk over time', () => {
  const DAY = 86_400_000;

  it('a solved ticket closes by itself after 28 days, and is then terminal (422 on update)', async () => {
    let clock = Date.parse('2026-11-01T00:00:00Z');
    await start({ now: () => clock });
    const t = await sink().create(deskDraft(), { idempotencyKey: 'a' });
    expect((await put(Number(t.id), { status: 'solved', assignee_email: 'agent@example.com' })).status).toBe(200);
    clock += 27 * DAY;
    expect((await direct.get(`${fake.url}/api/v2/tickets/${t.id}.json`, { auth: AUTH })).data.ticket.status).toBe('solved');
    clock += 1 * DAY;
    expect((await direct.get(`${fake.url}/api/v2/tickets/${t.id}.json`, { auth: AUTH })).data.ticket.status).toBe('closed');
    expect((await put(Number(t.id), { status: 'open' })).status).toBe(422);
  });

  it('an Idempotency-Key lives 2 hours: the same key later is a new request, even with another body', async () => {
    let clock = Date.parse('2026-11-01T00:00:00Z');
    await start({ now: () => clock });
    const create = (subject: string) =>
      direct.post(`${fake.url}/api/v2/tickets.json`, { ticket: { subject, comment: { body: 'x' } } }, { auth: AUTH, headers: { 'Idempotency-Key': 'k1' }, validateStatus: () => true });
    const first = await create('one');
    expect((await create('two')).status).toBe(400); // same key, other body, within 2 hours
    clock += 2 * 3_600_000 + 1_000;
    const later = await create('two');
    expect(later.status).toBe(201);
    expect(later.data.ticket.id).not.toBe(first.data.ticket.id);
  });

  it('the adapter sees an auto-closed ticket as closed, so the returning problem gets a follow-up linked to it', async () => {
    let clock = Date.parse('2026-11-01T00:00:00Z');
    await start({ now: () => clock });
    const s = sink({ assigneeEmail: 'agent@example.com' });
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.resolve(t, deskNote('gone'));
    clock += 29 * DAY;
    const seen = (await s.get!(t.id))!;
    expect(seen.status).toBe('closed');
    const next = await s.create(deskDraft(), { idempotencyKey: 'b', followUpOf: seen });
    expect(fake.get(next.id).via_followup_source_id).toBe(Number(t.id));
  });
});

describe('the Zendesk adapter obeys', () => {
  it('with an assignee and group configured: set on create and on solve, so solving works with auto-assign off', async () => {
    await start({ autoAssignOnSolve: false });
    const s = sink({ assigneeEmail: 'identity-team@example.com', groupId: 360001 });
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    expect(fake.get(t.id)).toMatchObject({ assignee_id: fake.agentId('identity-team@example.com'), group_id: 360001 });
    fake.get(t.id).assignee_id = null; // an agent unassigns it
    const solved = await s.resolve(t, deskNote('gone'));
    expect(solved.status).toBe('resolved');
    const body = fake.server.callsTo('PUT', `/api/v2/tickets/${t.id}`).at(-1)!.body as { ticket: Record<string, unknown> };
    expect(body.ticket).toMatchObject({ status: 'solved', assignee_email: 'identity-team@example.com', group_id: 360001 });
  });

  it("a tenant routed to its own group with its own agent (desk.zendesk): made and solved there by that agent; others in the configured group", async () => {
    // the configured assignee is no member of the customer's group: sending it there is refused (blind39 M1)
    await start({ autoAssignOnSolve: false, groups: [360001, 360002], agents: ['agent@example.com', 'identity-team@example.com', 'ops@customer.example'], memberships: { 360002: ['ops@customer.example'] } });
    const route: DeskRoute = { zendesk: { groupId: 360002, assigneeEmail: 'ops@customer.example' } };
    const s = sink({ assigneeEmail: 'identity-team@example.com', groupId: 360001 }, [route]);
    const routed = await s.create(deskDraft(), { idempotencyKey: 'a', route });
    const plain = await s.create(deskDraft('aadsync-0000000000000000000000000000000000000002'), { idempotencyKey: 'b' });
    expect(fake.get(routed.id)).toMatchObject({ group_id: 360002, assignee_id: fake.agentId('ops@customer.example') });
    expect(fake.get(plain.id)).toMatchObject({ group_id: 360001, assignee_id: fake.agentId('identity-team@example.com') });
    // unassigned since: the solve gives each ticket its own group's agent
    fake.get(routed.id).assignee_id = null;
    fake.get(plain.id).assignee_id = null;
    await s.resolve(routed, deskNote('gone'));
    await s.resolve(plain, deskNote('gone'));
    expect(fake.get(routed.id)).toMatchObject({ status: 'solved', group_id: 360002, assignee_id: fake.agentId('ops@customer.example') });
    expect(fake.get(plain.id)).toMatchObject({ status: 'solved', group_id: 360001, assignee_id: fake.agentId('identity-team@example.com') });
  });

  it("a routed group without an agent of its own: the ticket is made in it unassigned, never with the configured assignee (blind39 M1)", async () => {
    await start({ groups: [360001, 360002], memberships: { 360002: ['agent@example.com'] } });
    const route: DeskRoute = { zendesk: { groupId: 360002 } };
    const t = await sink({ assigneeEmail: 'identity-team@example.com', groupId: 360001 }, [route]).create(deskDraft(), { idempotencyKey: 'a', route });
    expect(fake.get(t.id)).toMatchObject({ group_id: 360002, assignee_id: null });
    const body = fake.server.callsTo('POST', '/api/v2/tickets')[0]!.body as { ticket: Record<string, unknown> };
    expect(body.ticket.assignee_email).toBeUndefined();
  });

  it("a solve keeps the assignee and the group an agent chose (blind39 M2)", async () => {
    await start({ autoAssignOnSolve: false, groups: [360001, 360003] });
    const s = sink({ assigneeEmail: 'identity-team@example.com', groupId: 360001 });
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    fake.get(t.id).assignee_id = fake.agentId('agent@example.com');
    fake.get(t.id).group_id = 360003;
    await s.resolve(t, deskNote('gone'));
    expect(fake.get(t.id)).toMatchObject({ status: 'solved', group_id: 360003, assignee_id: fake.agentId('agent@example.com') });
  });

  it('a group Zendesk does not have, routed to: refused with what Zendesk said', async () => {
    await start({ groups: [360001] });
    const err = await sink().create(deskDraft(), { idempotencyKey: 'a', route: { zendesk: { groupId: 999 } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('Group: 999 is invalid');
  });

  it('without an assignee and auto-assign off: a permanent failure naming the rule', async () => {
    await start({ autoAssignOnSolve: false });
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const err = await s.resolve(t, deskNote('gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('without an assignee');
  });

  it('the account-wide update limit goes back to the queue with its Retry-After', async () => {
    await start({ updatesPerMinute: 1 });
    const s = sink();
    const a = await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.addNote(a, deskNote('one'));
    // Over the account's limit: a Retry-After of about 60 s is longer than the adapter waits in-process.
    const limited = await s.addNote(a, deskNote('two')).catch((e: unknown) => e);
    expect(limited).toMatchObject({ name: 'TransientError', code: 'desk_rate_limited', retryAfterMs: expect.any(Number) });
    expect((limited as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(30_000);
    expect(waits).toEqual([]);
  });

  it("one ticket over its own update limit holds back that ticket only: the others are still written", async () => {
    await start({ updatesPerTicket: 1 });
    const s = sink();
    const [a, b] = [await s.create(deskDraft(), { idempotencyKey: 'a' }), await s.create(deskDraft('k2'), { idempotencyKey: 'b' })];
    await s.addNote(a, deskNote('one'));
    const limited = await s.addNote(a, deskNote('two')).catch((e: unknown) => e);
    expect(limited).toMatchObject({ name: 'TransientError', code: 'desk_rate_limited' });
    await s.addNote(b, deskNote('other ticket'));
    expect(fake.get(b.id).comments.map((c) => c.body)).toContainEqual(expect.stringContaining('other ticket'));
    const held = await s.addNote(a, deskNote('three')).catch((e: unknown) => e);
    expect(held).toMatchObject({ code: 'desk_rate_limited', retryAfterMs: expect.any(Number) });
    expect(waits).toEqual([]);
  });

  it('a note of names in a non-Latin script is cut to fit in bytes, not characters, and Zendesk takes it', async () => {
    await start();
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const names = Array.from({ length: 400 }, (_, i) => `営業部 共有メールボックス 第${i}号`);
    await s.addNote(t, [{ kind: 'list', items: names }, { kind: 'paragraph', text: '名'.repeat(20_000) }]);
    const note = fake.get(t.id).comments.at(-1)!;
    expect(Buffer.byteLength(note.html_body, 'utf8')).toBeLessThanOrEqual(60_000);
    expect(note.html_body).toContain('truncated');
  });

  it('an archived ticket is not listed: findByKey does not see it, get still reads it as closed', async () => {
    await start();
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    fake.archive(t.id);
    expect(await s.findByKey(DESK_KEY)).toEqual([]);
    expect(await s.get!(t.id)).toMatchObject({ id: t.id, status: 'closed' });
  });
});
