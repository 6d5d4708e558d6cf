import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { TicketConfigSchema } from '../../schemas/config.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { createServiceNowTicketSink } from '../../src/ticket/sinks/servicenow-ticket-sink.ts';
import { FakeServiceNow, SN_CLOSE_CODES, type FakeServiceNowOptions } from '../fakes/servicenow.ts';
import { deskDraft, deskNote } from './builders.ts';

/**
 * ServiceNow's resolve rules: a close code from the instance's choice list (current releases
 * use "Solution provided"; "Solved (Permanently)" is pre-Tokyo) and `close_notes` of at most
 * 4,000 characters. The fake refuses a code outside its list (a customer's data policy) and
 * cuts long notes as the column does; the adapter sends the configured default and cuts with
 * a marker itself, keeping the whole note in the work notes.
 */

const AUTH = { username: 'syncdesk', password: 'secret' };
let fake: FakeServiceNow;

afterEach(async () => {
  await fake.stop();
});

async function start(options: FakeServiceNowOptions = {}): Promise<void> {
  fake = new FakeServiceNow(options);
  await fake.start();
}

function sink(closeCode?: string) {
  const config = TicketConfigSchema.parse({ servicenow: { url: fake.url, user: AUTH.username, password: AUTH.password, closeCode } }).servicenow;
  return createServiceNowTicketSink(config, { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } });
}

describe('the ServiceNow fake refuses what an instance refuses', () => {
  it('lists the close_code choices in sys_choice', async () => {
    await start();
    const res = await axios.get(`${fake.url}/api/now/table/sys_choice`, {
      auth: AUTH,
      params: { sysparm_query: 'name=incident^element=close_code^inactive=false', sysparm_fields: 'value,label' },
    });
    expect(res.data.result.map((r: { value: string }) => r.value)).toEqual(SN_CLOSE_CODES);
  });

  it('a close code outside the choice list: 403 from the data policy', async () => {
    await start();
    const created = await axios.post(`${fake.url}/api/now/v2/table/incident`, { short_description: 'x' }, { auth: AUTH });
    const id = created.data.result.sys_id as string;
    const res = await axios.patch(`${fake.url}/api/now/v2/table/incident/${id}`, { state: '6', close_code: 'Solved (Permanently)', close_notes: 'n' }, { auth: AUTH, validateStatus: () => true });
    expect(res.status).toBe(403);
    expect(res.data.error.detail).toContain("'Solved (Permanently)' is not a valid choice");
  });

  it('close_notes longer than 4,000 characters are cut silently', async () => {
    await start();
    const created = await axios.post(`${fake.url}/api/now/v2/table/incident`, { short_description: 'x' }, { auth: AUTH });
    const id = created.data.result.sys_id as string;
    await axios.patch(`${fake.url}/api/now/v2/table/incident/${id}`, { state: '6', close_code: 'Solution provided', close_notes: 'n'.repeat(5000) }, { auth: AUTH });
    expect(fake.incidents.get(id)!.close_notes).toHaveLength(4000);
  });
});

describe('the ServiceNow adapter obeys', () => {
  it('resolves with the default close code "Solution provided"', async () => {
    await start();
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    await s.resolve(t, deskNote('gone'));
    expect(fake.incidents.get(t.id)).toMatchObject({ state: '6', close_code: 'Solution provided', close_notes: 'gone' });
  });

  it('a pre-Tokyo code refused by the instance: permanent, and the incident stays open', async () => {
    await start();
    const s = sink('Solved (Permanently)');
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const err = await s.resolve(t, deskNote('gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(fake.incidents.get(t.id)!.state).toBe('1');
  });

  it('caps close_notes at 4,000 with a marker, and keeps the whole note in the work notes', async () => {
    await start();
    const s = sink();
    const t = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const long = deskNote(`start ${'x'.repeat(6000)} end`);
    await s.resolve(t, long);
    const sent = fake.closeNotesHistory(t.id).at(-1)!;
    expect(sent.length).toBeLessThanOrEqual(4000);
    expect(sent).toMatch(/^start x+… \(truncated\)$/);
    expect(fake.workNotes(t.id).at(-1)).toMatch(/ end$/);
  });
});

const GROUP = { sys_id: '4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99', name: 'Identity Team' };

describe('ServiceNow reference fields, parent/child state and closed incidents: the fake refuses', () => {
  it('a group or caller given by name is stored unresolved; with sysparm_input_display_value=true it resolves', async () => {
    await start({ groups: [GROUP], users: [{ sys_id: 'a'.repeat(32), name: 'Abel Tuter' }] });
    const body = { short_description: 'x', assignment_group: GROUP.name, caller_id: 'Abel Tuter' };
    const raw = await axios.post(`${fake.url}/api/now/v2/table/incident`, body, { auth: AUTH });
    const stored = fake.incidents.get(raw.data.result.sys_id as string)!;
    expect(stored.assignment_group).toBe('Identity Team');
    expect(fake.referenced(stored, 'assignment_group')).toBeUndefined();
    expect(fake.referenced(stored, 'caller_id')).toBeUndefined();
    const named = await axios.post(`${fake.url}/api/now/v2/table/incident`, body, { auth: AUTH, params: { sysparm_input_display_value: 'true' } });
    const resolved = fake.incidents.get(named.data.result.sys_id as string)!;
    expect(resolved.assignment_group).toBe(GROUP.sys_id);
    expect(fake.referenced(resolved, 'caller_id')).toMatchObject({ sys_id: 'a'.repeat(32) });
  });

  it('resolving a parent resolves its active children with its notes; reopening it reopens them; closing it leaves them', async () => {
    await start();
    const parent = fake.insert({ short_description: 'parent', state: '2' });
    const child = fake.insert({ short_description: 'child', state: '2', parent_incident: parent.sys_id });
    const closedChild = fake.insert({ short_description: 'closed child', state: '7', parent_incident: parent.sys_id });
    const patch = (fields: Record<string, string>) => axios.patch(`${fake.url}/api/now/v2/table/incident/${parent.sys_id}`, fields, { auth: AUTH });
    await patch({ state: '6', close_code: 'Solution provided', close_notes: 'fixed upstream' });
    expect(fake.incidents.get(child.sys_id)).toMatchObject({ state: '6', close_code: 'Solution provided', close_notes: 'fixed upstream' });
    expect(fake.workNotes(child.sys_id).at(-1)).toContain('fixed upstream');
    expect(fake.incidents.get(closedChild.sys_id)!.state).toBe('7');
    await patch({ state: '2' });
    expect(fake.incidents.get(child.sys_id)!.state).toBe('2');
    fake.setState(parent.sys_id, '7');
    expect(fake.incidents.get(child.sys_id)!.state).toBe('2');
  });

  it('a Closed incident is read-only for a non-admin (403) and writable for an admin', async () => {
    await start();
    const closed = fake.insert({ short_description: 'x', state: '7' });
    const res = await axios.patch(`${fake.url}/api/now/v2/table/incident/${closed.sys_id}`, { work_notes: 'n' }, { auth: AUTH, validateStatus: () => true });
    expect(res.status).toBe(403);
    expect(fake.workNotes(closed.sys_id)).toEqual([]);
    fake.opts.admin = true;
    const admin = await axios.patch(`${fake.url}/api/now/v2/table/incident/${closed.sys_id}`, { work_notes: 'n' }, { auth: AUTH, validateStatus: () => true });
    expect(admin.status).toBe(200);
  });
});

describe('ServiceNow reference fields, parent/child state and closed incidents: the adapter obeys', () => {
  function groupSink(assignmentGroup: string) {
    const config = TicketConfigSchema.parse({ servicenow: { url: fake.url, user: AUTH.username, password: AUTH.password, assignmentGroup } }).servicenow;
    return createServiceNowTicketSink(config, { logger: createLogger({ level: 'silent' }), http: { sleep: async () => {} } });
  }

  it('an assignment group configured by name lands in that group (sent as its sys_id, looked up once)', async () => {
    await start({ groups: [GROUP, { sys_id: 'b'.repeat(32), name: 'Identity Team 2' }] });
    const s = groupSink('Identity Team');
    const a = await s.create(deskDraft(), { idempotencyKey: 'a' });
    const b = await s.create(deskDraft(), { idempotencyKey: 'b' });
    for (const t of [a, b]) expect(fake.referenced(fake.incidents.get(t.id)!, 'assignment_group')).toMatchObject({ sys_id: GROUP.sys_id });
    expect(fake.server.callsTo('GET', /sys_user_group/)).toHaveLength(1);
  });

  it('a group name the instance does not know: permanent, naming the setting, and no incident in no group', async () => {
    await start({ groups: [GROUP] });
    const err = await groupSink('Identity').create(deskDraft(), { idempotencyKey: 'a' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('SERVICENOW_ASSIGNMENT_GROUP "Identity" names no group');
    expect(fake.list()).toHaveLength(0);
  });

  it("a tenant's own group and company (desk.servicenow) by name: its incidents land there, others in the configured group", async () => {
    const mine = { sys_id: 'c'.repeat(32), name: 'Contoso L2' };
    const company = { sys_id: 'd'.repeat(32), name: 'Contoso Ltd' };
    await start({ groups: [GROUP, mine], companies: [company] });
    const s = groupSink('Identity Team');
    const route = { servicenow: { assignmentGroup: 'Contoso L2', company: 'Contoso Ltd' } };
    const routed = await s.create(deskDraft(), { idempotencyKey: 'a', route });
    const again = await s.create(deskDraft(), { idempotencyKey: 'b', route });
    const plain = await s.create(deskDraft(), { idempotencyKey: 'c' });
    for (const t of [routed, again]) {
      expect(fake.referenced(fake.incidents.get(t.id)!, 'assignment_group')).toMatchObject({ sys_id: mine.sys_id });
      expect(fake.referenced(fake.incidents.get(t.id)!, 'company')).toMatchObject({ sys_id: company.sys_id });
    }
    expect(fake.referenced(fake.incidents.get(plain.id)!, 'assignment_group')).toMatchObject({ sys_id: GROUP.sys_id });
    expect(fake.incidents.get(plain.id)!.company).toBe('');
    // each name looked up once
    expect(fake.server.callsTo('GET', /core_company/)).toHaveLength(1);
    expect(fake.server.callsTo('GET', /sys_user_group/)).toHaveLength(2);
  });

  it("a tenant's company the instance does not know: permanent, naming the setting, and no incident", async () => {
    await start({ groups: [GROUP], companies: [] });
    const err = await groupSink('Identity Team').create(deskDraft(), { idempotencyKey: 'a', route: { servicenow: { company: 'Contoso' } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`a tenant's desk.servicenow.company "Contoso" names no company`);
    expect(fake.list()).toHaveLength(0);
  });

  it('a group given as a sys_id is sent as is, with no lookup', async () => {
    await start({ groups: [GROUP] });
    const t = await groupSink(GROUP.sys_id).create(deskDraft(), { idempotencyKey: 'a' });
    expect(fake.incidents.get(t.id)!.assignment_group).toBe(GROUP.sys_id);
    expect(fake.server.callsTo('GET', /sys_user_group/)).toHaveLength(0);
  });

  it('a follow-up of a Resolved incident is not its child: resolving the old one again leaves the follow-up open', async () => {
    await start();
    const s = sink();
    const old = await s.resolve(await s.create(deskDraft(), { idempotencyKey: 'a' }), deskNote('gone'));
    const next = await s.create(deskDraft(), { idempotencyKey: 'b', followUpOf: old });
    expect(fake.incidents.get(next.id)!.parent_incident).toBe('');
    expect(fake.workNotes(next.id).join('\n')).toContain(old.id);
    // an agent reopens the old incident and resolves it again
    fake.setState(old.id, '2');
    await axios.patch(`${fake.url}/api/now/v2/table/incident/${old.id}`, { state: '6', close_code: 'Duplicate', close_notes: 'again' }, { auth: AUTH });
    expect(fake.incidents.get(next.id)!.state).toBe('1');
  });
});
