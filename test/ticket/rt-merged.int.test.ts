import axios, { type AxiosInstance } from 'axios';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReportApplier } from '../../src/ticket/apply-report.ts';
import { createRtTicketSink } from '../../src/ticket/sinks/rt-ticket-sink.ts';
import { services } from '../helpers/services.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { memoryState } from './memory-state.ts';

/**
 * An agent merges syncdesk's ticket into another one in a real RT 5: into the ticket of another
 * problem, or into a user's own request. The ticket merged into holds more than the problem, so
 * the problem's notes go there, naming it, and syncdesk never resolves, reopens or renames it
 * (blind53 A2-A4: it resolved the other problem's ticket while that problem was still listed,
 * and a user's "cannot log in" ticket, and dropped the merged problem's changes).
 */

let rt: AxiosInstance;
beforeAll(() => {
  rt = axios.create({ baseURL: services().RT_REST2_URL, headers: { Authorization: `token ${services().RT_TOKEN}` } });
});

/** As an agent merges in RT's web UI ("Merge into"); REST2 has no merge, REST 1.0 does. */
async function merge(from: string, into: string): Promise<void> {
  const s = services();
  const res = await axios.post(`${s.RT_URL}/REST/1.0/ticket/${from}/merge/${into}`, new URLSearchParams({ user: s.RT_USER!, pass: s.RT_PASSWORD! }));
  expect(String(res.data)).toMatch(/Merge completed|merged/i);
}

async function ticket(id: string): Promise<{ status: string; subject: string; comments: string[] }> {
  const t = await rt.get(`/ticket/${id}`);
  const history = await rt.get(`/ticket/${id}/history`, { params: { fields: 'Type,Content', per_page: 100 } });
  const items = history.data.items as Array<{ Type: string; id: string }>;
  const comments = await Promise.all(
    items.filter((h) => h.Type === 'Comment').map(async (h) => {
      const atts = await rt.get(`/transaction/${h.id}/attachments`, { params: { fields: 'Content', per_page: 10 } });
      return (atts.data.items as Array<{ Content?: string }>).map((a) => a.Content ?? '').join('\n');
    }),
  );
  return { status: t.data.Status as string, subject: t.data.Subject as string, comments };
}

describe('a syncdesk ticket an agent merged into another (real RT)', () => {
  it("notes the merged problem's changes on the ticket merged into, and resolves neither it nor a user's ticket while they hold more", async () => {
    const s = services();
    const sink = createRtTicketSink({ url: s.RT_URL!, token: s.RT_TOKEN!, queue: s.RT_QUEUE!, keyField: s.RT_DEDUP_CF! });
    const applier = createReportApplier({ sink, state: memoryState().handle(), policy: { reopenWithinDays: 30, digest: false, resolveAfterMissing: 1 } });
    const tenant = uniqueTenant();
    const [ann, bob, cid] = ['ann', 'bob', 'cid'].map((n) => syncError({ value: `${n}@merge.contoso.com` }));
    const all = resolutionsFor(...[ann!, bob!, cid!].map((e) => resolution(e)));
    const day1 = await applier.applyReport(ticketJob(tenant, 1, [ann!, bob!, cid!]), all);
    const idOf = (n: string) => day1.find((a) => a.summary.includes(`${n}@`))!.ticketId!;
    const human = await rt.post('/ticket', { Queue: s.RT_QUEUE, Subject: 'Alice: cannot log in', Content: 'Since this morning.' });
    const humanId = String(human.data.id);
    await merge(idOf('ann'), idOf('bob'));
    await merge(idOf('cid'), humanId);

    // day 2: ann and cid changed (another anchor), bob unchanged
    const changed = [ann!, cid!].map((e) => ({ ...e, onPremisesObjectId: `new-${e.onPremisesObjectId ?? 'x'}` }));
    const day2 = await applier.applyReport(ticketJob(tenant, 2, [changed[0]!, bob!, changed[1]!]), all);
    expect(day2.map((a) => [a.summary.split('@')[0]!.split(' ').pop(), a.action]).sort()).toEqual([
      ['ann', 'note'],
      ['bob', 'unchanged'],
      ['cid', 'note'],
    ]);
    const bobTicket = await ticket(idOf('bob'));
    expect(bobTicket.comments.join('\n')).toContain(`ticket ${idOf('ann')}, which syncdesk made for it and an agent merged into this one`);
    expect(bobTicket.subject).toContain('bob@');
    expect((await ticket(humanId)).subject).toBe('Alice: cannot log in');

    // day 3: ann and cid gone, bob still listed: both tickets stay open, each told its merged problem is gone
    const day3 = await applier.applyReport(ticketJob(tenant, 3, [bob!]), all);
    expect(day3.filter((a) => a.action !== 'unchanged').map((a) => a.action)).toEqual(['note', 'note']);
    for (const id of [idOf('bob'), humanId]) {
      const t = await ticket(id);
      expect(t.status).not.toBe('resolved');
      expect(t.comments.at(-1)).toContain('This ticket holds more than this problem: its status is left to you.');
    }

    // day 4: both back: said on the tickets they were merged into (blind53b B2: nothing was)
    const day4 = await applier.applyReport(ticketJob(tenant, 4, [changed[0]!, bob!, changed[1]!]), all);
    expect(day4.filter((a) => a.action !== 'unchanged').map((a) => a.action)).toEqual(['note', 'note']);
    expect((await ticket(humanId)).comments.at(-1)).toMatch(/^<p>About .*cid@.*<p>It is listed again in report/s);

    // the agent resolves the user's ticket and deletes bob's: on day 5 each merged problem gets a ticket of its own again,
    // not a "report older than the desk's decision" skip (blind53b B1: the desk's wall-clock time beat the report's run)
    expect(JSON.stringify((await rt.put(`/ticket/${humanId}`, { Status: 'resolved' })).data)).toMatch(/Status changed/);
    expect(JSON.stringify((await rt.put(`/ticket/${idOf('bob')}`, { Status: 'deleted' })).data)).toMatch(/Ticket deleted|Status changed/);
    const day5 = await applier.applyReport(ticketJob(tenant, 5, [changed[0]!, changed[1]!]), all);
    expect(day5.map((a) => a.action)).toEqual(['followup', 'followup']);
    expect((await ticket(humanId)).status).toBe('resolved');
  }, 120_000);
});
