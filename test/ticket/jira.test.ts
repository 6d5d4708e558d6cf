import axios from 'axios';
import { contractViolations, FROM_TEST } from '../contracts/openapi-contract.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../schemas/config.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { adfText, toAdf } from '../../src/ticket/sinks/jira-adf.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { adfProblem, FakeJira, type FakeJiraOptions } from '../fakes/jira.ts';

/** Requests the test sends itself (to show the fake refusing), kept apart from the adapter's in the contract check. */
const direct = axios.create({ headers: FROM_TEST });
import { DESK_KEY, deskDraft, deskNote } from './builders.ts';

const KEY = DESK_KEY;

let fake: FakeJira;
let waits: number[];

function config(overrides: Partial<Config['ticket']['jira']> = {}): Config['ticket']['jira'] {
  return {
    url: fake.url,
    email: 'bot@example.com',
    token: 'api-token',
    project: 'OPS',
    issueType: 'Task',
    resolveTransitions: ['Done', 'Resolve Issue'],
    reopenTransitions: ['Reopen', 'To Do'],
    resolution: 'Done',
    wontFixResolutions: ["Won't Fix", "Won't Do"],
    closedStatuses: ['Closed'],
    linkType: 'Relates',
    ...overrides,
  };
}

function makeSink(overrides: Partial<Config['ticket']['jira']> = {}): TicketSink {
  return createJiraTicketSink(config(overrides), {
    logger: createLogger({ level: 'silent' }),
    http: { sleep: async (ms) => void waits.push(ms) },
  });
}

async function startFake(options: FakeJiraOptions = {}): Promise<void> {
  fake = new FakeJira(options);
  await fake.start();
}

const draft = deskDraft;
const note = deskNote;

beforeEach(() => {
  waits = [];
});
afterEach(async () => {
  await fake.stop();
  // Checked after the stop, so a violation never leaves a fake running.
  expect(await contractViolations('jira', fake.server.calls)).toEqual([]);
});

describe('Jira adapter: eventual consistency of /search/jql', () => {
  it('a fresh issue is found by the adapter that created it, never created twice', async () => {
    await startFake({ indexDelayMs: 60_000, honourReconcile: false });
    const sink = makeSink();
    const created = await sink.create(draft(), { idempotencyKey: 'a' });
    // The index does not have it yet: a stranger (another process, no memory) cannot see it.
    const stranger = makeSink();
    expect(await stranger.findByKey(KEY)).toEqual([]);
    // The creator can, from its own memory, read directly.
    const found = await sink.findByKey(KEY);
    expect(found.map((t) => t.id)).toEqual([created.id]);
    expect(fake.list()).toHaveLength(1);
    fake.flushIndex();
    expect((await stranger.findByKey(KEY)).map((t) => t.id)).toEqual([created.id]);
  });

  it('passes the ids it created as reconcileIssues', async () => {
    await startFake({ indexDelayMs: 60_000 });
    const sink = makeSink();
    const created = await sink.create(draft(), { idempotencyKey: 'a' });
    await sink.findByKey(KEY);
    const search = fake.server.callsTo('POST', '/rest/api/3/search/jql').at(-1)!;
    expect(search.body).toMatchObject({
      jql: `project = "OPS" AND labels = "${KEY}" ORDER BY created DESC`,
      reconcileIssues: [Number(created.id)],
    });
  });

  it('status comes from a direct read, not from a stale index', async () => {
    await startFake();
    const sink = makeSink();
    const created = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.indexDelayMs = 60_000;
    fake.setStatus(created.id, 'done', 'Done'); // an agent resolves; the index still says To Do
    const [found] = await sink.findByKey(KEY);
    expect(found!.status).toBe('resolved');
    expect(found!.resolvedAt).not.toBeNull();
    expect(await sink.get!(created.id)).toMatchObject({ id: created.id, status: 'resolved' });
    expect(await sink.get!('99999')).toBeNull();
  });

  it('follows nextPageToken until it is absent, and keeps exact labels only', async () => {
    await startFake();
    const sink = makeSink();
    for (let i = 0; i < 53; i++) await sink.create(draft(), { idempotencyKey: String(i) });
    await sink.create(draft(KEY.toUpperCase()), { idempotencyKey: 'upper' }); // JQL labels match case-insensitively
    const stranger = makeSink();
    const found = await stranger.findByKey(KEY);
    expect(found).toHaveLength(53);
    expect(found.map((t) => Number(t.id))).toEqual([...found.map((t) => Number(t.id))].sort((a, b) => b - a));
    const searches = fake.server.callsTo('POST', '/rest/api/3/search/jql');
    expect(searches).toHaveLength(2);
    expect((searches[1]!.body as { nextPageToken?: string }).nextPageToken).toBeTruthy();
  });
});

describe('Jira adapter: statuses and transitions', () => {
  it("maps done to resolved, won't do to wontfix, Closed to closed", async () => {
    await startFake();
    const sink = makeSink();
    const a = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setStatus(a.id, 'done', "Won't Do");
    expect((await sink.findByKey(KEY))[0]!.status).toBe('wontfix');
    fake.setStatus(a.id, 'closed', 'Done');
    expect((await sink.findByKey(KEY))[0]!.status).toBe('closed');
    fake.setStatus(a.id, 'progress');
    expect((await sink.findByKey(KEY))[0]!.status).toBe('open');
  });

  it('a workflow whose Done sets no resolution: the issue is resolved as of its move to done, so the reopen window still applies', async () => {
    await startFake({ workflow: 'scratch' });
    const sink = makeSink();
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    const before = Date.now();
    await sink.resolve(t, note('gone'));
    expect(fake.get(t.id).fields).toMatchObject({ resolution: null, resolutiondate: null, status: { name: 'Done' } });
    const seen = (await sink.get!(t.id))!;
    expect(seen.status).toBe('resolved');
    // dated by the move to done (Jira writes whole seconds): a null date would reopen it however long ago that was
    expect(Date.parse(seen.resolvedAt!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
  });

  it('resolves and reopens through transitions looked up by name, with ADF comments', async () => {
    await startFake({ resolveTransition: 'Resolve Issue' });
    const sink = makeSink();
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    const resolved = await sink.resolve(t, note('gone'));
    expect(resolved.status).toBe('resolved');
    expect(fake.get(t.id).fields.status.name).toBe('Done');
    const reopened = await sink.reopen(resolved, note('back'));
    expect(reopened.status).toBe('open');
    const comments = fake.get(t.id).comments;
    expect(comments.map((c) => adfText(c.body as never))).toEqual(['gone', 'back']);
    expect(comments[0]!.properties).toEqual([{ key: 'sd.public.comment', value: { internal: true } }]);
  });

  it('fails permanently, before commenting, when no configured transition exists', async () => {
    await startFake();
    const sink = makeSink({ resolveTransitions: ['Finish'] });
    const t = await sink.create(draft(), { idempotencyKey: 'a' });
    const err = await sink.resolve(t, note('gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('desk_no_transition');
    expect((err as PermanentError).message).toContain('Start Progress');
    expect(fake.get(t.id).comments).toHaveLength(0);
  });

  it('links a follow-up to the closed issue with the configured link type', async () => {
    await startFake();
    const sink = makeSink();
    const old = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setStatus(old.id, 'closed');
    const next = await sink.create(draft(), { idempotencyKey: 'b', followUpOf: { ...old, status: 'closed' } });
    expect(fake.get(next.id).links).toEqual([{ type: 'Relates', inward: next.id, outward: old.id }]);
  });

  it('a link failure does not fail the create (the issue exists)', async () => {
    await startFake();
    const sink = makeSink({ linkType: 'No Such Type' });
    const old = await sink.create(draft(), { idempotencyKey: 'a' });
    const next = await sink.create(draft(), { idempotencyKey: 'b', followUpOf: old });
    expect(next.id).not.toBe(old.id);
    expect(fake.server.callsTo('POST', '/rest/api/3/issueLink').map((c) => c.status)).toEqual([404]);
  });
});

describe('Jira adapter: ADF and fields', () => {
  it('the fake rejects a plain-string description as v3 does', async () => {
    await startFake();
    const res = await direct.post(
      `${fake.url}/rest/api/3/issue`,
      { fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 's', description: 'plain text' } },
      { auth: { username: 'bot@example.com', password: 'api-token' }, validateStatus: () => true },
    );
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      errorMessages: [],
      errors: { description: 'Operation value must be an Atlassian Document (see the Atlassian Document Format)' },
    });
  });

  it('markup in values stays literal text in ADF; empty values make no empty text nodes', async () => {
    await startFake();
    const sink = makeSink();
    const t = await sink.create(
      {
        key: KEY,
        summary: 'Line one\nline two',
        keyDisplay: 'x',
        body: [
          { kind: 'heading', text: '' },
          { kind: 'paragraph', text: '*bold* {code}x{code} <b>html</b> [link|http://evil]' },
          { kind: 'fields', rows: [['Attribute', '']] },
          { kind: 'list', items: ['a\nb'] },
          { kind: 'code', text: '' },
        ],
      },
      { idempotencyKey: 'a' },
    );
    const issue = fake.get(t.id);
    expect(adfProblem(issue.fields.description)).toBeNull();
    expect(issue.fields.summary).toBe('Line one line two');
    expect(issue.fields.labels).toEqual([KEY]);
    const doc = issue.fields.description as { content: Array<{ type: string; content?: Array<{ text?: string; marks?: unknown }> }> };
    expect(doc.content.map((n) => n.type)).toEqual(['paragraph', 'bulletList', 'bulletList', 'codeBlock']);
    expect(doc.content[0]!.content).toEqual([{ type: 'text', text: '*bold* {code}x{code} <b>html</b> [link|http://evil]' }]);
    expect(adfText(issue.fields.description as never)).toContain('Attribute: ');
  });

  it('truncates very long content below the field limit', () => {
    const doc = toAdf([{ kind: 'paragraph', text: 'x'.repeat(20_000) }, { kind: 'paragraph', text: 'y'.repeat(20_000) }]);
    expect(adfText(doc).length).toBeLessThan(32_767);
    expect(adfText(doc)).toContain('truncated');
  });

  it('refuses a key that cannot be a label', async () => {
    await startFake();
    const sink = makeSink();
    await expect(sink.findByKey('has space')).rejects.toMatchObject({ code: 'invalid_key' });
    await expect(sink.create(draft('a"b'), { idempotencyKey: 'a' })).rejects.toMatchObject({ code: 'invalid_key' });
    expect(fake.server.calls).toHaveLength(0);
  });
});

describe('Jira adapter: a create whose answer is lost (blind32 V1)', () => {
  /** A sink whose waits let the fake's index catch up after `waitsBefore` of them. */
  function sinkWhoseIndexCatchesUpAfter(waitsBefore: number): TicketSink {
    return createJiraTicketSink(config(), {
      logger: createLogger({ level: 'silent' }),
      http: {
        sleep: async (ms) => {
          waits.push(ms);
          if (waits.length === waitsBefore) fake.flushIndex();
        },
      },
    });
  }

  it('the issue it made is found once the index shows it, and returned: one issue, not two', async () => {
    await startFake({ indexDelayMs: 600_000, honourReconcile: false });
    fake.server.loseResponseNextTo('POST', /^\/rest\/api\/3\/issue$/);
    const sink = sinkWhoseIndexCatchesUpAfter(3);
    const made = await sink.create(draft(), { idempotencyKey: 'a' });
    expect(fake.list()).toHaveLength(1);
    expect(made.id).toBe(fake.list()[0]!.id);
    expect(made.url).toMatch(/\/browse\/OPS-1$/);
    // searched after each wait until the index had it: three waits of the half minute's schedule
    expect(waits).toEqual([1000, 2000, 4000]);
    // the issue found is the sink's own from now on: a stranger's search would miss it, it does not
    expect((await sink.findByKey(KEY)).map((t) => t.id)).toEqual([made.id]);
  });

  it('an issue the index never shows within half a minute: the lost create fails as before, and nothing more is sent', async () => {
    await startFake({ indexDelayMs: 600_000, honourReconcile: false });
    fake.server.loseResponseNextTo('POST', /^\/rest\/api\/3\/issue$/);
    const err = await sinkWhoseIndexCatchesUpAfter(-1).create(draft(), { idempotencyKey: 'a' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnconfirmedError', code: 'desk_unavailable' });
    expect(waits).toEqual([1000, 2000, 4000, 8000, 15000]);
    expect(fake.server.callsTo('POST', '/rest/api/3/issue')).toHaveLength(1);
  });

  it('a follow-up: the closed issue it follows, which has the same label, is not taken for the one made', async () => {
    await startFake();
    const sink = sinkWhoseIndexCatchesUpAfter(-1);
    const old = await sink.create(draft(), { idempotencyKey: 'a' });
    fake.setStatus(old.id, 'closed');
    fake.indexDelayMs = 600_000;
    fake.server.loseResponseNextTo('POST', /^\/rest\/api\/3\/issue$/);
    const err = await sink.create(draft(), { idempotencyKey: 'b', followUpOf: { ...old, status: 'closed' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnconfirmedError' });
    fake.flushIndex();
    expect(fake.list()).toHaveLength(2);
  });

  it('a create refused before anything was done (429) is sent again, not looked for', async () => {
    await startFake();
    fake.server.failNextTo('POST', /^\/rest\/api\/3\/issue$/, 429);
    await makeSink().create(draft(), { idempotencyKey: 'a' });
    expect(fake.server.callsTo('POST', '/rest/api/3/issue').map((c) => c.status)).toEqual([429, 201]);
    expect(fake.server.callsTo('POST', '/rest/api/3/search/jql')).toEqual([]);
    expect(fake.list()).toHaveLength(1);
  });
});

describe('Jira adapter: HTTP behaviour', () => {
  it('waits the Retry-After of a 429 and retries the search', async () => {
    await startFake();
    const sink = makeSink();
    fake.server.throttleNext(2, { 'Retry-After': '3', 'X-RateLimit-Reset': new Date(Date.now() + 3000).toISOString() });
    expect(await sink.findByKey(KEY)).toEqual([]);
    expect(fake.server.calls.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(waits.filter((w) => w === 3000).length).toBeGreaterThanOrEqual(2);
  });

  it('honours an ISO X-RateLimit-Reset when there is no Retry-After', async () => {
    await startFake();
    const now = Date.parse('2026-11-24T10:00:00Z');
    const sink = createJiraTicketSink(config(), {
      logger: createLogger({ level: 'silent' }),
      http: { sleep: async (ms) => void waits.push(ms), now: () => now },
    });
    fake.server.throttleNext(1, { 'X-RateLimit-Reset': '2026-11-24T10:00:05.000Z' });
    await sink.findByKey(KEY);
    expect(waits).toContain(5000);
  });

  it('wrong credentials are a permanent failure with the Jira message', async () => {
    await startFake();
    const sink = createJiraTicketSink(config({ token: 'wrong' }), { logger: createLogger({ level: 'silent' }) });
    const err = await sink.findByKey(KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toContain('not authenticated');
  });
});

describe("Jira adapter: a tenant's own project (desk.jira)", () => {
  it("creates a routed tenant's issues in its project, finds them there from any process, and refuses a project Jira lacks", async () => {
    await startFake({ otherProjects: ['CON'] });
    const route = { jira: { project: 'CON' } };
    const sink = createJiraTicketSink(config(), { logger: createLogger({ level: 'silent' }), http: { sleep: async (ms) => void waits.push(ms) }, routes: [route] });
    const routed = await sink.create(draft(), { idempotencyKey: 'a', route });
    const plain = await sink.create(draft('aadsync-0000000000000000000000000000000000000002'), { idempotencyKey: 'b' });
    expect(routed.name).toMatch(/^CON-\d+$/);
    expect(plain.name).toMatch(/^OPS-\d+$/);
    // a new process (no memory of what it created) searches every routed project
    const later = createJiraTicketSink(config(), { logger: createLogger({ level: 'silent' }), routes: [route] });
    expect((await later.findByKey(DESK_KEY)).map((t) => t.id)).toEqual([routed.id]);
    const jql = (fake.server.callsTo('POST', '/rest/api/3/search/jql').at(-1)!.body as { jql: string }).jql;
    expect(jql).toMatch(/^project in \("OPS", "CON"\) AND labels = /);
    // each project's create screen read once
    expect(fake.server.callsTo('GET', /createmeta\/CON\/issuetypes$/)).toHaveLength(1);
    const err = await sink.create(draft(), { idempotencyKey: 'c', route: { jira: { project: 'NOPE' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
  });
});
