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
