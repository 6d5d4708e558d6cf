import axios from 'axios';
import { contractViolations, FROM_TEST } from '../contracts/openapi-contract.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { TicketConfigSchema, type Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { adfText } from '../../src/ticket/sinks/jira-adf.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { FakeJira, JIRA_BODY_LIMIT, type FakeJiraOptions } from '../fakes/jira.ts';
import { CREATE_SCREENS, STATUS, WORKFLOWS } from '../fakes/jira-workflow.ts';

/** Requests the test sends itself (to show the fake refusing), kept apart from the adapter's in the contract check. */
const direct = axios.create({ headers: FROM_TEST });
import { DESK_KEY, deskDraft, deskNote } from './builders.ts';

/**
 * Jira's screens as the real service enforces them: the fake refuses what breaks a rule, and
 * the adapter, reading the screens, sends what passes. Config comes from the schema, so these
 * tests also prove the defaults (transition names, resolution).
 */

const AUTH = { username: 'bot@example.com', password: 'api-token' };
let fake: FakeJira;

afterEach(async () => {
  await fake.stop();
  // Checked after the stop, so a violation never leaves a fake running.
  expect(await contractViolations('jira', fake.server.calls)).toEqual([]);
});

async function start(options: FakeJiraOptions = {}): Promise<void> {
  fake = new FakeJira(options);
  await fake.start();
}

function sink(overrides: Partial<Config['ticket']['jira']> = {}): TicketSink {
  const config = TicketConfigSchema.parse({ jira: { url: fake.url, email: AUTH.username, token: AUTH.password, project: 'OPS', ...overrides } }).jira;
  return createJiraTicketSink(config, { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } });
}

const post = (path: string, data: unknown) => direct.post(`${fake.url}${path}`, data, { auth: AUTH, validateStatus: () => true });
const doc = (text: string) => ({ type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] });
const fields = (extra: Record<string, unknown> = {}) => ({ project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 's', ...extra });

describe('the Jira fake refuses what Jira refuses', () => {
  it('a transition whose screen requires Resolution, sent without it', async () => {
    await start({ workflow: 'classic' });
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    const res = await post(`/rest/api/3/issue/${issue.data.id}/transitions`, { transition: { id: '21' } });
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ errorMessages: ['Field Resolution is required.'], errors: {} });
  });

  it('a field that is not on the transition screen', async () => {
    await start({ workflow: 'simple' });
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    const res = await post(`/rest/api/3/issue/${issue.data.id}/transitions`, { transition: { id: '21' }, fields: { resolution: { name: 'Done' } } });
    expect(res.status).toBe(400);
    expect(res.data.errors).toEqual({ resolution: "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown." });
  });

  it('a resolution the screen does not allow', async () => {
    await start({ workflow: 'classic' });
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    const res = await post(`/rest/api/3/issue/${issue.data.id}/transitions`, { transition: { id: '21' }, fields: { resolution: { name: 'Fixed' } } });
    expect(res.status).toBe(400);
    expect(res.data.errors.resolution).toContain('valid');
  });

  it('lists screen fields only with expand=transitions.fields', async () => {
    await start({ workflow: 'classic' });
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    const url = `${fake.url}/rest/api/3/issue/${issue.data.id}/transitions`;
    const plain = await direct.get(url, { auth: AUTH });
    expect(plain.data.transitions.every((t: { fields?: unknown }) => t.fields === undefined)).toBe(true);
    const expanded = await direct.get(url, { auth: AUTH, params: { expand: 'transitions.fields' } });
    const resolve = expanded.data.transitions.find((t: { name: string }) => t.name === 'Resolve Issue');
    expect(resolve.fields.resolution).toMatchObject({ required: true, name: 'Resolution', allowedValues: expect.arrayContaining([expect.objectContaining({ name: 'Done' })]) });
  });

  it('a reopen while the resolution is set, where the workflow refuses it', async () => {
    await start({ workflow: 'classic' });
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    await post(`/rest/api/3/issue/${issue.data.id}/transitions`, { transition: { id: '21' }, fields: { resolution: { name: 'Done' } } });
    const res = await post(`/rest/api/3/issue/${issue.data.id}/transitions`, { transition: { id: '31' } });
    expect(res.status).toBe(400);
  });

  it('a search reconciling more than 50 issues', async () => {
    await start();
    const search = (n: number) => post('/rest/api/3/search/jql', { jql: 'project = OPS', reconcileIssues: Array.from({ length: n }, (_, i) => 10000 + i) });
    expect((await search(50)).status).toBe(200);
    expect((await search(51)).status).toBe(400);
  });

  it('labels on a create screen without them (JSM request type)', async () => {
    await start({ createScreen: CREATE_SCREENS.jsm });
    const res = await post('/rest/api/3/issue', { fields: fields({ labels: ['k'] }) });
    expect(res.status).toBe(400);
    expect(res.data.errors).toEqual({ labels: "Field 'labels' cannot be set. It is not on the appropriate screen, or unknown." });
  });

  it('a description or comment whose ADF JSON exceeds 32,767 characters, though its text does not', async () => {
    await start();
    // 16,000 quotes are 16,000 characters of text and 32,000 of JSON.
    const body = doc('"'.repeat(16_400));
    expect(JSON.stringify(body).length).toBeGreaterThan(JIRA_BODY_LIMIT);
    const res = await post('/rest/api/3/issue', { fields: fields({ description: body }) });
    expect(res.status).toBe(400);
    expect(res.data.errors.description).toContain('exceeds the allowed limit of 32767 characters');
    const issue = await post('/rest/api/3/issue', { fields: fields() });
    const comment = await post(`/rest/api/3/issue/${issue.data.id}/comment`, { body });
    expect(comment.status).toBe(400);
  });
});

describe('the Jira adapter obeys the screens', () => {
  it('classic workflow: fills the required Resolution, and clears it to reopen', async () => {
    await start({ workflow: 'classic' });
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const resolved = await s.resolve(t, deskNote('gone'));
    expect(resolved.status).toBe('resolved');
    expect(fake.get(t.id).fields).toMatchObject({ status: { name: 'Resolved' }, resolution: { name: 'Done' } });
    const sent = fake.server.callsTo('POST', `/rest/api/3/issue/${t.id}/transitions`).map((c) => c.body);
    expect(sent[0]).toEqual({ transition: { id: '21' }, fields: { resolution: { name: 'Done' } } });
    const reopened = await s.reopen(resolved, deskNote('back'));
    expect(reopened.status).toBe('open');
    expect(fake.get(t.id).fields.resolution).toBeNull();
    expect(fake.server.callsTo('POST', `/rest/api/3/issue/${t.id}/transitions`)[1]!.body).toEqual({ transition: { id: '31' }, fields: { resolution: null } });
  });

  it('a configured resolution the screen does not offer: the first allowed one', async () => {
    await start({ workflow: 'classic' });
    const s = sink({ resolution: 'Fixed' });
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.resolve(t, deskNote('gone'));
    expect(fake.get(t.id).fields.resolution).toEqual({ name: 'Done' });
  });

  it('JSM: "Resolve this issue" to status Resolved with the default names', async () => {
    await start({ workflow: 'jsm', issueTypes: [{ id: '10201', name: 'Service Request' }] });
    const s = sink({ issueType: 'Service Request' });
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    expect(fake.get(t.id).fields.status.name).toBe('Waiting for support');
    const resolved = await s.resolve(t, deskNote('gone'));
    expect(resolved.status).toBe('resolved');
    expect(fake.get(t.id).fields.status.name).toBe('Resolved');
  });

  it('a screenless transition gets no fields', async () => {
    await start({ workflow: 'simple' });
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.resolve(t, deskNote('gone'));
    expect(fake.server.callsTo('POST', `/rest/api/3/issue/${t.id}/transitions`)[0]!.body).toEqual({ transition: { id: '21' } });
  });

  it('a required field syncdesk cannot fill: permanent, with the fix, before anything is sent', async () => {
    const resolve = { name: 'Resolve Issue', to: STATUS.resolved, screen: { customfield_10050: { required: true } } };
    await start({ workflow: { ...WORKFLOWS.classic, resolve } });
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const err = await s.resolve(t, deskNote('gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'desk_transition_fields', message: expect.stringContaining('customfield_10050') });
    expect(fake.server.callsTo('POST', `/rest/api/3/issue/${t.id}/transitions`)).toHaveLength(0);
    expect(fake.get(t.id).comments).toHaveLength(0);
  });

  it('a create screen without Labels: permanent, with the fix, and no issue', async () => {
    await start({ createScreen: CREATE_SCREENS.jsm });
    const err = await sink().create(deskDraft(), { idempotencyKey: 'a' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'PermanentError', code: 'desk_create_screen', message: expect.stringContaining('Labels') });
    expect(fake.list()).toHaveLength(0);
  });

  it('a create screen without Description: the body becomes the first comment', async () => {
    await start({ createScreen: ['summary', 'labels'] });
    const t = await sink().create(deskDraft(), { idempotencyKey: 'a' });
    const issue = fake.get(t.id);
    expect(issue.fields.description).toBeNull();
    expect(issue.fields.labels).toEqual([DESK_KEY]);
    expect(adfText(issue.comments[0]!.body as never)).toBe('The value is held twice.');
  });

  describe('createmeta answering 404 (Jira Server/Data Center keeps it elsewhere): every field is sent, Jira\'s 400 tells what the screen lacks', () => {
    const createmeta = /^\/rest\/api\/3\/issue\/createmeta\//;

    it('the fake: no createmeta, the create screen still enforced', async () => {
      await start({ createMeta: false, createScreen: CREATE_SCREENS.jsm });
      expect((await direct.get(`${fake.url}/rest/api/3/issue/createmeta/OPS/issuetypes/10001`, { auth: AUTH, validateStatus: () => true })).status).toBe(404);
      expect((await post('/rest/api/3/issue', { fields: fields({ labels: ['k'] }) })).status).toBe(400);
    });

    it.each([
      { screen: CREATE_SCREENS.software, posts: 1, description: true, comment: false },
      { screen: ['summary', 'labels'], posts: 2, description: false, comment: true },
    ])('screen $screen: the issue is created with its label, the body in the description or else the first comment', async ({ screen, posts, description, comment }) => {
      await start({ createMeta: false, createScreen: screen });
      const s = sink();
      const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
      const issue = fake.get(t.id);
      expect(issue.fields.labels).toEqual([DESK_KEY]);
      expect(issue.fields.description === null).toBe(!description);
      expect(issue.comments.map((c) => adfText(c.body as never))).toEqual(comment ? ['The value is held twice.'] : []);
      expect(fake.server.callsTo('POST', '/rest/api/3/issue')).toHaveLength(posts);
      await s.create(deskDraft(), { idempotencyKey: 'b' });
      expect(fake.server.callsTo('GET', createmeta)).toHaveLength(1); // asked once per process, not on every create
      expect(fake.server.callsTo('POST', '/rest/api/3/issue')).toHaveLength(posts + 1); // and a refusal learnt once
      expect(fake.list()).toHaveLength(2);
    });

    it('a screen without Labels: permanent, with the fix, and no issue', async () => {
      await start({ createMeta: false, createScreen: CREATE_SCREENS.jsm });
      const err = await sink().create(deskDraft(), { idempotencyKey: 'a' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'PermanentError', code: 'desk_create_screen', message: expect.stringContaining('Labels') });
      expect(fake.list()).toHaveLength(0);
    });
  });

  it('a project of 60 issue types and a screen of 230 fields: createmeta is read page by page (at most 200 a page)', async () => {
    const issueTypes = [...Array.from({ length: 59 }, (_, i) => ({ id: String(20000 + i), name: `Type ${i}` })), { id: '10001', name: 'Task' }];
    const custom = Array.from({ length: 225 }, (_, i) => `customfield_${11000 + i}`);
    await start({ issueTypes, createScreen: [...custom, 'summary', 'description', 'labels'] });
    const t = await sink().create(deskDraft(), { idempotencyKey: 'a' });
    expect(fake.get(t.id).fields.labels).toEqual([DESK_KEY]);
    const metaCalls = fake.server.callsTo('GET', /^\/rest\/api\/3\/issue\/createmeta\//);
    expect(metaCalls.map((c) => c.query.startAt)).toEqual(['0', '0', '200']); // issue types in one page of 200, fields in two
  });

  it('reads the create screen once per process', async () => {
    await start();
    const s = sink();
    await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.create(deskDraft(), { idempotencyKey: 'b' });
    expect(fake.server.callsTo('GET', /^\/rest\/api\/3\/issue\/createmeta\//)).toHaveLength(2); // issue types, then fields
  });

  it('budgets the body on its serialised ADF, with a truncation note the fake accepts', async () => {
    await start();
    // Text well under 32,767 characters whose JSON is far over it (quotes and line breaks double).
    const body = Array.from({ length: 40 }, (_, i) => ({ kind: 'paragraph' as const, text: `${i} ${'"\n'.repeat(300)}` }));
    const t = await sink().create({ ...deskDraft(), body }, { idempotencyKey: 'a' });
    const description = fake.get(t.id).fields.description;
    expect(JSON.stringify(description).length).toBeLessThanOrEqual(JIRA_BODY_LIMIT);
    expect(adfText(description as never)).toContain('truncated');
    const long = Array.from({ length: 10 }, () => ({ kind: 'code' as const, text: '"'.repeat(5_000) }));
    await sink().addNote(t, long);
    const comment = fake.get(t.id).comments.at(-1)!.body;
    expect(JSON.stringify(comment).length).toBeLessThanOrEqual(JIRA_BODY_LIMIT);
    expect(adfText(comment as never)).toMatch(/^"{1000,}/);
  });
});
