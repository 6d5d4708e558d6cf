import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_TICKET_PRIORITY, type Config, type TicketPriorityConfig } from '../../schemas/config.schema.ts';
import type { TicketDraft } from '../../schemas/ticket.schema.ts';
import { createMailStore, type MailStore } from '../../src/ingest/mail-store.ts';
import { createLogger } from '../../src/logger.ts';
import { createFileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { attachmentName, createMailAttacher, type MailAttacher } from '../../src/ticket/sinks/mail-attachment.ts';
import { createServiceNowTicketSink } from '../../src/ticket/sinks/servicenow-ticket-sink.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import { contractViolations, FROM_TEST } from '../contracts/openapi-contract.ts';
import { FakeJira, type FakeJiraOptions } from '../fakes/jira.ts';
import { FakeServiceNow } from '../fakes/servicenow.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';
import { deskDraft } from './builders.ts';

/**
 * Tickets an agent can act on at a glance (#12): each desk gets the problem's priority in its
 * own field, and the report mail attached where the desk takes files (named by its place in
 * the mail store where the bytes are not on this host). The fakes refuse what the real desks do.
 */

const logger = createLogger({ level: 'silent' });
const direct = axios.create({ headers: FROM_TEST, validateStatus: () => true });
const RAW = Buffer.from('From: MSOnlineServicesTeam@microsoftonline.com\r\nSubject: Directory Synchronization Error Report\r\n\r\nIdentity: john@contoso.com\r\n');

let dir: string;
let store: MailStore;
let mailId: string;
let attacher: MailAttacher;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncdesk-mail-'));
  store = createMailStore({ dir, maxMailBytes: 1_000_000, retentionDays: 90 });
  mailId = (await store.put(RAW, { origin: 'imap', receivedAt: new Date() })).record.mailId;
  attacher = createMailAttacher({ storeDir: dir, attach: true, maxBytes: 1_000_000, logger });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tenantWide = (extra: Partial<TicketDraft> = {}): TicketDraft => ({ ...deskDraft(), scope: 'tenant', ...extra });
const oneObject = (extra: Partial<TicketDraft> = {}): TicketDraft => ({ ...deskDraft(), scope: 'object', ...extra });
const withPriority = (p: Partial<TicketPriorityConfig>): TicketPriorityConfig => ({ ...DEFAULT_TICKET_PRIORITY, ...p });

describe('the report mail reader', () => {
  it('attaches the stored bytes, and names the mail when they are not here, truncated or too large', async () => {
    const got = await attacher.forDraft(oneObject({ mailId }));
    expect(got?.attachment).toMatchObject({ fileName: attachmentName(mailId), contentType: 'message/rfc822' });
    expect(got?.attachment?.bytes.equals(RAW)).toBe(true);
    expect(got?.block).toMatchObject({ text: expect.stringContaining(`attached as report-${mailId.slice(0, 12)}.eml`) });

    const elsewhere = await attacher.forDraft(oneObject({ mailId: 'f'.repeat(64) }));
    expect(elsewhere?.attachment).toBeNull();
    expect(elsewhere?.block).toMatchObject({ text: expect.stringContaining(`not attached (not in the mail store on this host); the host that received it keeps it as ${join(dir, `${'f'.repeat(64)}.eml`)}`) });

    const small = createMailAttacher({ storeDir: dir, attach: true, maxBytes: 10 });
    expect((await small.forDraft(oneObject({ mailId })))?.block).toMatchObject({ text: expect.stringContaining('more than TICKET_ATTACH_MAX_BYTES (10)') });

    const cut = createMailStore({ dir, maxMailBytes: 20, retentionDays: 90 });
    const long = (await cut.put(Buffer.concat([RAW, Buffer.from('more')]), { origin: 'imap', receivedAt: new Date() })).record.mailId;
    expect((await attacher.forDraft(oneObject({ mailId: long })))?.attachment).toBeNull();

    const broken = createMailAttacher({ storeDir: dir, attach: true, maxBytes: 1_000, store: { get: async () => Promise.reject(new Error('EIO')) } });
    expect((await broken.forDraft(oneObject({ mailId })))?.block).toMatchObject({ text: expect.stringContaining('unreadable here: EIO') });

    expect(await attacher.forDraft(oneObject())).toBeNull();
  });
});

describe('Zendesk: priority and the report mail', () => {
  let fake: FakeZendesk;
  const sink = (priority?: TicketPriorityConfig, mail: MailAttacher | undefined = attacher) =>
    createZendeskTicketSink({ url: fake.url, email: 'agent@example.com', token: 'zd-token', tag: 'syncdesk', wontFixTag: 'wont_fix' }, { logger, priority, mail, http: { sleep: async () => {} } });

  beforeEach(async () => {
    fake = new FakeZendesk();
    await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
    expect(await contractViolations('zendesk', fake.server.calls)).toEqual([]);
  });

  it('a tenant-wide stop is high, one object normal, as configured', async () => {
    expect(fake.get((await sink().create(tenantWide(), { idempotencyKey: 'a' })).id).priority).toBe('high');
    expect(fake.get((await sink().create(oneObject(), { idempotencyKey: 'b' })).id).priority).toBe('normal');
    expect(fake.get((await sink(withPriority({ tenant: 'urgent' })).create(tenantWide(), { idempotencyKey: 'c' })).id).priority).toBe('urgent');
  });

  it('the fake refuses a priority Zendesk does not have (422)', async () => {
    const res = await direct.post(`${fake.url}/api/v2/tickets`, { ticket: { comment: { body: 'x' }, priority: 'critical' } }, { auth: { username: 'agent@example.com/token', password: 'zd-token' } });
    expect(res.status).toBe(422);
    expect(res.data).toMatchObject({ error: 'RecordInvalid', details: { base: [{ description: 'Priority: is invalid' }] } });
  });

  it('uploads the mail and puts its token on a private comment; the first comment names the mail the same on every host', async () => {
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'd' });
    const stored = fake.get(t.id);
    expect(stored.comments).toHaveLength(2);
    expect(stored.comments[0]!.body).toContain(`Original report mail: mail id ${mailId}`);
    expect(stored.comments[1]!.public).toBe(false);
    expect(stored.comments[1]!.attachments.map((a) => [a.file_name, a.content_type])).toEqual([[attachmentName(mailId), 'message/rfc822']]);
    expect(stored.comments[1]!.attachments[0]!.bytes.equals(RAW)).toBe(true);
    expect(fake.server.callsTo('POST', '/api/v2/uploads')[0]!.query).toEqual({ filename: attachmentName(mailId) });
  });

  it('a mail whose bytes are not on this host is named, nothing uploaded', async () => {
    const t = await sink().create(oneObject({ mailId: 'e'.repeat(64) }), { idempotencyKey: 'e' });
    expect(fake.get(t.id).comments).toHaveLength(1);
    expect(fake.get(t.id).comments[0]!.body).toContain(`kept in the mail store of the host that received it as ${join(dir, `${'e'.repeat(64)}.eml`)}`);
    expect(fake.server.callsTo('POST', '/api/v2/uploads')).toHaveLength(0);
  });

  it('a create whose answer was lost, resent with its Idempotency-Key (a hit): one ticket, and the mail attached to it (blind32 V8)', async () => {
    fake.server.loseResponseNextTo('POST', /^\/api\/v2\/tickets$/);
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'g' });
    expect(fake.server.callsTo('POST', '/api/v2/tickets')).toHaveLength(2);
    expect(fake.list()).toHaveLength(1);
    expect(fake.get(t.id).comments.flatMap((c) => c.attachments.map((a) => a.file_name))).toEqual([attachmentName(mailId)]);
  });

  it('a refused upload costs the ticket nothing: it stands, with a note naming the mail', async () => {
    fake.server.failNextTo('POST', /^\/api\/v2\/uploads$/, 413);
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'f' });
    const comments = fake.get(t.id).comments;
    expect(comments.at(-1)!.body).toContain('not attached (the desk refused the attachment');
    expect(comments.some((c) => c.attachments.length)).toBe(false);
  });
});

describe('ServiceNow: impact and urgency, and the Attachment API', () => {
  let fake: FakeServiceNow;
  const sink = (mail: MailAttacher | undefined = attacher) =>
    createServiceNowTicketSink({ url: fake.url, user: 'syncdesk', password: 'secret', closeCode: 'Solution provided' }, { logger, mail, http: { sleep: async () => {} } });

  beforeEach(async () => {
    fake = new FakeServiceNow();
    await fake.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('a tenant-wide stop is impact 1 / urgency 2 (priority 2, High); one object 2 / 2 (priority 3, Moderate)', async () => {
    const high = fake.incidents.get((await sink().create(tenantWide(), { idempotencyKey: 'a' })).id)!;
    expect([high.impact, high.urgency, high.priority]).toEqual(['1', '2', '2']);
    const normal = fake.incidents.get((await sink().create(oneObject(), { idempotencyKey: 'b' })).id)!;
    expect([normal.impact, normal.urgency, normal.priority]).toEqual(['2', '2', '3']);
  });

  it('attaches the mail with POST /api/now/attachment/file, its type message/rfc822', async () => {
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'c' });
    const [a] = fake.attachments.get(t.id) ?? [];
    expect(a).toMatchObject({ file_name: attachmentName(mailId), content_type: 'message/rfc822' });
    expect(a!.bytes.equals(RAW)).toBe(true);
    expect(fake.incidents.get(t.id)!.description).toContain(`attached as ${attachmentName(mailId)}`);
  });

  it('a create whose answer was lost: the incident it made is found by its key, returned, and gets the mail (blind32 V8)', async () => {
    fake.server.loseResponseNextTo('POST', /^\/api\/now\/v2\/table\/incident$/);
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'e' });
    expect(fake.incidents.size).toBe(1);
    expect(fake.incidents.has(t.id)).toBe(true);
    expect((fake.attachments.get(t.id) ?? []).map((a) => a.file_name)).toEqual([attachmentName(mailId)]);
  });

  it('a lost create that made nothing: the error goes back (the job tries again), nothing adopted', async () => {
    fake.server.failNextTo('POST', /^\/api\/now\/v2\/table\/incident$/, 502);
    const err = await sink().create(oneObject({ mailId }), { idempotencyKey: 'f' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'UnconfirmedError' });
    expect(fake.incidents.size).toBe(0);
  });

  it('the fake refuses an upload without file_name or Content-Type, or for an incident it does not have', async () => {
    const auth = { username: 'syncdesk', password: 'secret' };
    const t = await sink(undefined).create(oneObject(), { idempotencyKey: 'd' });
    const post = (params: Record<string, string>, headers: Record<string, string> = { 'Content-Type': 'message/rfc822' }) =>
      direct.post(`${fake.url}/api/now/attachment/file`, RAW, { auth, params, headers });
    expect((await post({ table_name: 'incident', table_sys_id: t.id })).status).toBe(400);
    expect((await post({ table_name: 'incident', table_sys_id: 'f'.repeat(32), file_name: 'x.eml' })).status).toBe(404);
    expect((await post({ table_name: 'incident', table_sys_id: t.id, file_name: 'x.eml' })).status).toBe(201);
  });
});

describe('Jira: priority by name, and attachments', () => {
  let fake: FakeJira;
  const config = (): Config['ticket']['jira'] => ({
    url: fake.url,
    email: 'bot@example.com',
    token: 'api-token',
    project: 'OPS',
    issueType: 'Task',
    resolveTransitions: ['Done'],
    reopenTransitions: ['Reopen'],
    resolution: 'Done',
    wontFixResolutions: ["Won't Fix"],
    closedStatuses: ['Closed'],
    linkType: 'Relates',
  });
  const sink = (priority?: TicketPriorityConfig, mail: MailAttacher | undefined = attacher) =>
    createJiraTicketSink(config(), { logger, priority, mail, http: { sleep: async () => {} } });
  const start = async (options: FakeJiraOptions = {}) => {
    fake = new FakeJira(options);
    await fake.start();
  };

  afterEach(async () => {
    await fake.stop();
    expect(await contractViolations('jira', fake.server.calls)).toEqual([]);
  });

  it('sets the configured priority name: High for a tenant-wide stop, Medium for one object', async () => {
    await start();
    expect(fake.get((await sink().create(tenantWide(), { idempotencyKey: 'a' })).id).fields.priority?.name).toBe('High');
    expect(fake.get((await sink().create(oneObject(), { idempotencyKey: 'b' })).id).fields.priority?.name).toBe('Medium');
  });

  it('a name the create screen does not offer is left out: the issue is still created', async () => {
    await start({ priorities: ['P1', 'P2', 'P3'] });
    const t = await sink(withPriority({ jira: { low: 'P3', normal: 'P3', high: 'P1', urgent: 'P1' } })).create(tenantWide(), { idempotencyKey: 'c' });
    expect(fake.get(t.id).fields.priority?.name).toBe('P1');
    const u = await sink().create(oneObject(), { idempotencyKey: 'd' });
    expect(fake.get(u.id).fields.priority).toBeNull();
  });

  it('without createmeta, a refused priority is learnt and the issue created without it', async () => {
    await start({ createMeta: false, priorities: ['P1', 'P2'] });
    const t = await sink().create(tenantWide(), { idempotencyKey: 'e' });
    expect(fake.get(t.id).fields.priority).toBeNull();
    expect(fake.server.callsTo('POST', '/rest/api/3/issue').map((c) => c.status)).toEqual([400, 201]);
  });

  it('the fake refuses a priority the scheme does not have (400 "The priority selected is invalid.")', async () => {
    await start();
    const res = await direct.post(
      `${fake.url}/rest/api/3/issue`,
      { fields: { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 's', labels: ['x'], priority: { name: 'Critical' } } },
      { auth: { username: 'bot@example.com', password: 'api-token' } },
    );
    expect(res.status).toBe(400);
    expect(res.data).toEqual({ errorMessages: [], errors: { priority: 'The priority selected is invalid.' } });
  });

  it('attaches the mail as a multipart `file` with X-Atlassian-Token: no-check', async () => {
    await start();
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'f' });
    const [a] = fake.get(t.id).attachments;
    expect(a).toMatchObject({ filename: attachmentName(mailId), mimeType: 'message/rfc822' });
    expect(a!.bytes.equals(RAW)).toBe(true);
    expect(fake.server.callsTo('POST', `/rest/api/3/issue/${t.id}/attachments`)[0]!.headers['x-atlassian-token']).toBe('no-check');
  });

  it('the fake blocks an upload without the XSRF header (403) and one whose part is not named file (400)', async () => {
    await start();
    const t = await sink(undefined, undefined).create(oneObject(), { idempotencyKey: 'g' });
    const auth = { username: 'bot@example.com', password: 'api-token' };
    const body = (name: string) => Buffer.from(`--b\r\nContent-Disposition: form-data; name="${name}"; filename="m.eml"\r\nContent-Type: message/rfc822\r\n\r\nx\r\n--b--\r\n`);
    const url = `${fake.url}/rest/api/3/issue/${t.id}/attachments`;
    expect((await direct.post(url, body('file'), { auth, headers: { 'Content-Type': 'multipart/form-data; boundary=b' } })).status).toBe(403);
    expect((await direct.post(url, body('upload'), { auth, headers: { 'Content-Type': 'multipart/form-data; boundary=b', 'X-Atlassian-Token': 'no-check' } })).status).toBe(400);
    expect((await direct.post(url, body('file'), { auth, headers: { 'Content-Type': 'multipart/form-data; boundary=b', 'X-Atlassian-Token': 'no-check' } })).status).toBe(200);
  });

  it('an attachment over the site limit (413) leaves the issue standing, with a comment naming the mail', async () => {
    await start({ attachmentMaxBytes: 10 });
    const t = await sink().create(oneObject({ mailId }), { idempotencyKey: 'h' });
    const issue = fake.get(t.id);
    expect(issue.attachments).toEqual([]);
    expect(JSON.stringify(issue.comments.at(-1)!.body)).toContain('not attached (the desk refused the attachment');
  });
});

describe('the file desk', () => {
  it('records the priority and names the mail by its place in the mail store', async () => {
    const files = await mkdtemp(join(tmpdir(), 'syncdesk-files-'));
    try {
      const sink = createFileTicketSink({ dir: files, priority: DEFAULT_TICKET_PRIORITY, mail: attacher });
      const t = await sink.create(tenantWide({ mailId }), { idempotencyKey: 'a' });
      const stored = await sink.read(t.id);
      expect(stored?.priority).toBe('high');
      expect(JSON.stringify(stored?.body)).toContain(`kept in the mail store of the host that received it as ${join(dir, `${mailId}.eml`)}`);
    } finally {
      await rm(files, { recursive: true, force: true });
    }
  });
});
