import axios, { type AxiosInstance } from 'axios';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { PermanentError } from '../../src/errors.ts';
import { createRtTicketSink, rtRefusals } from '../../src/ticket/sinks/rt-ticket-sink.ts';
import { services } from '../helpers/services.ts';
import { runTicketScenarios, type InspectedTicket } from './scenarios.ts';

/**
 * The scenario table against a REAL Request Tracker 5 (REST2). The inspector reads RT with
 * its own axios client, so assertions never go through the adapter under test.
 */

const RT_STATUS: Record<'resolved' | 'closed' | 'wontfix', string> = { resolved: 'resolved', closed: 'deleted', wontfix: 'rejected' };

function rtClient(): AxiosInstance {
  const s = services();
  return axios.create({ baseURL: s.RT_REST2_URL, headers: { Authorization: `token ${s.RT_TOKEN}` } });
}

function deskStatus(status: string): DeskStatus {
  return status === 'resolved' ? 'resolved' : status === 'rejected' ? 'wontfix' : status === 'deleted' ? 'closed' : 'open';
}

async function inspectTicket(rt: AxiosInstance, id: string): Promise<InspectedTicket> {
  const t = await rt.get(`/ticket/${id}`);
  const history = await rt.get(`/ticket/${id}/history`, { params: { fields: 'Type', per_page: 100 } });
  const atts = await rt.get(`/ticket/${id}/attachments`, { params: { fields: 'Content', per_page: 1 } });
  const links = (t.data._hyperlinks as Array<{ ref: string; id?: string | number }>).filter((l) => l.ref === 'refers-to');
  return {
    id: String(t.data.id),
    status: deskStatus(t.data.Status),
    summary: t.data.Subject,
    notes: (history.data.items as Array<{ Type: string }>).filter((h) => h.Type === 'Comment').length,
    linkedTo: links.map((l) => String(l.id)),
    text: (atts.data.items as Array<{ Content: string }>)[0]?.Content ?? '',
  };
}

runTicketScenarios('Request Tracker 5 (real)', async () => {
  const s = services();
  const rt = rtClient();
  const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
  return {
    sink,
    linksClosedTickets: false,
    inspect: {
      async tickets(key) {
        const res = await rt.get('/tickets', {
          params: { query: `'CF.{${s.RT_DEDUP_CF}}' = '${key}'`, orderby: 'Created', order: 'DESC', per_page: 100 },
        });
        return Promise.all((res.data.items as Array<{ id: string }>).map((i) => inspectTicket(rt, String(i.id))));
      },
      ticket: (id) => inspectTicket(rt, id),
      async setStatus(id, status) {
        const res = await rt.put(`/ticket/${id}`, { Status: RT_STATUS[status] });
        expect(JSON.stringify(res.data)).toMatch(/Status changed|Ticket deleted/);
      },
    },
  };
});

describe('RT adapter specifics (real RT)', () => {
  let rt: AxiosInstance;
  beforeAll(() => {
    rt = rtClient();
  });

  it('escapes values as HTML and files notes as comments, never correspondence', async () => {
    const s = services();
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const key = `aadsync-${Date.now().toString(16).padStart(40, '0')}`;
    const t = await sink.create(
      { key, summary: 'escape <check>', keyDisplay: 'x', body: [{ kind: 'paragraph', text: '<script>alert(1)</script> & "q"' }] },
      { idempotencyKey: key },
    );
    await sink.addNote(t, [{ kind: 'code', text: "Remove-MgUser -UserId '<id>'" }]);
    const atts = await rt.get(`/ticket/${t.id}/attachments`, { params: { fields: 'Content,ContentType,TransactionId' } });
    const contents = (atts.data.items as Array<{ Content: string }>).map((a) => a.Content);
    expect(contents[0]).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
    expect(contents[1]).toContain('Remove-MgUser -UserId &#39;&lt;id&gt;&#39;');
    const history = await rt.get(`/ticket/${t.id}/history`, { params: { fields: 'Type', per_page: 100 } });
    const types = (history.data.items as Array<{ Type: string }>).map((h) => h.Type);
    expect(types).toContain('Comment');
    expect(types).not.toContain('Correspond');
    expect((await sink.findByKey(key)).map((x) => x.id)).toEqual([t.id]);
  });

  it('reports a missing key field by name instead of creating tickets without a key', async () => {
    const s = services();
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: 'NoSuchField' });
    const err = await sink.findByKey('aadsync-0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toContain("no ticket custom field 'NoSuchField'");
  });

  it('turns a bad token into a permanent error', async () => {
    const s = services();
    const sink = createRtTicketSink({ url: s.RT_URL, token: '1-14-deadbeef', queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const err = await sink.findByKey('aadsync-0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('desk_unauthorized');
  });

  it('reads an HTTP-200 refusal as a failure (an invalid status)', async () => {
    const s = services();
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const key = `aadsync-${(Date.now() + 1).toString(16).padStart(40, '0')}`;
    const a = await sink.create({ key, summary: 'refusal check', keyDisplay: 'x', body: [] }, { idempotencyKey: `${key}a` });
    // RT answers 200 with one message per field: the refused one among the accepted ones
    const res = await rt.put(`/ticket/${a.id}`, { Subject: 'refusal check 2', Status: 'no-such-status' });
    expect(res.status).toBe(200);
    let err: unknown = null;
    try {
      rtRefusals(`update ticket ${a.id}`, res.data);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain("isn't a valid status");
    expect((err as Error).message).not.toContain('Subject changed');
  });
});

describe('per-tenant queues (real RT)', () => {
  const queueOf = async (rt: AxiosInstance, id: string): Promise<string> => {
    const t = await rt.get(`/ticket/${id}`);
    const q = await rt.get(`/queue/${(t.data.Queue as { id: string | number }).id}`);
    return q.data.Name as string;
  };

  it("creates a tenant's tickets in its own queue, and finds them there from the desk's own queue", async () => {
    const s = services();
    const rt = rtClient();
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const routed = `aadsync-${Date.now().toString(16).padStart(40, '1')}`;
    const plain = `aadsync-${Date.now().toString(16).padStart(40, '2')}`;
    const t = await sink.create({ key: routed, summary: 'routed', keyDisplay: 'x', body: [] }, { idempotencyKey: routed, route: { rt: { queue: s.RT_TENANT_QUEUE! } } });
    const u = await sink.create({ key: plain, summary: 'not routed', keyDisplay: 'x', body: [] }, { idempotencyKey: plain, route: { zendesk: { groupId: 5 } } });
    expect(await queueOf(rt, t.id)).toBe(s.RT_TENANT_QUEUE);
    expect(await queueOf(rt, u.id)).toBe(s.RT_QUEUE);
    // a later run (a new process) finds the ticket whatever queue it is in: never a second one
    const again = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    expect((await again.findByKey(routed)).map((x) => x.id)).toEqual([t.id]);
  });

  it('finds a ticket an agent moved to a queue without the key field, and the others searched with it (blind53 A1)', async () => {
    const s = services();
    const rt = rtClient();
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const keys = ['4', '5', '6'].map((d) => `aadsync-${Date.now().toString(16).padStart(40, d)}`);
    const made = await Promise.all(keys.map((key) => sink.create({ key, summary: key, keyDisplay: 'x', body: [] }, { idempotencyKey: key })));
    const other = `Other-${Date.now()}`;
    expect((await rt.post('/queue', { Name: other })).status).toBe(201);
    // RT lists that ticket with `CustomFields: ""`: the search once failed on it, and every problem of its chunk with it
    expect(JSON.stringify((await rt.put(`/ticket/${made[1]!.id}`, { Queue: other })).data)).toMatch(/Queue changed/);
    const found = await sink.findByKeys!(keys);
    expect(keys.map((k) => found.get(k)!.map((t) => t.id))).toEqual(made.map((t) => [t.id]));
    // read by its id, a ticket says the key it holds; the moved one, that its queue has no key field (still ours)
    expect(await sink.get!(made[0]!.id)).toMatchObject({ key: keys[0] });
    expect(await sink.get!(made[0]!.id)).not.toHaveProperty('keyUnknown');
    expect(await sink.get!(made[1]!.id)).toMatchObject({ keyUnknown: true });
  });

  it("refuses a tenant's queue without the key field, naming the queue and the setting", async () => {
    const s = services();
    const rt = rtClient();
    const name = `NoKey-${Date.now()}`;
    const made = await rt.post('/queue', { Name: name });
    expect(made.status).toBe(201);
    const sink = createRtTicketSink({ url: s.RT_URL, token: s.RT_TOKEN, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const key = `aadsync-${Date.now().toString(16).padStart(40, '3')}`;
    const err = await sink.create({ key, summary: 'x', keyDisplay: 'x', body: [] }, { idempotencyKey: key, route: { rt: { queue: name } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`RT queue '${name}' (a tenant's desk.rt.queue)`);
    expect((err as Error).message).toContain(`no ticket custom field '${s.RT_DEDUP_CF}'`);
    expect(await sink.findByKey(key)).toEqual([]);
  });
});
