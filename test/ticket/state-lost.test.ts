import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createReportApplier } from '../../src/ticket/apply-report.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';
import { memoryState } from './memory-state.ts';

/**
 * Redis lost (or restored from an older copy) while the desk kept its tickets (blind43 D1,
 * D5): the archive replayed must not reopen what agents resolved since those reports' runs,
 * nor open follow-ups of what they closed. A report of a run after the desk's decision still
 * reopens. The agent works the file desk as the README says: "status" set by hand in the JSON.
 */
describe('ticket stage: ticket state lost, the desk kept', () => {
  const { apply, dir, sink } = useFileDesk({ resolveAfterMissing: 0 });

  async function setStatusByHand(id: string, status: 'resolved' | 'closed'): Promise<void> {
    const path = join(dir(), `${id}.json`);
    const t = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...t, status }));
  }

  it('an agent\'s resolve or close, made after the run a replayed report covers, stands; a later run still reopens', async () => {
    const tenant = uniqueTenant();
    const [ann, bob, cid] = ['ann@contoso.com', 'bob@contoso.com', 'cid@contoso.com'].map((value) => syncError({ value }));
    const all = resolutionsFor(...[ann!, bob!, cid!].map((e) => resolution(e)));
    const day1 = ticketJob(tenant, 1, [ann!, bob!, cid!]);
    const created = await apply(day1, all);
    expect(created.map((a) => a.action)).toEqual(['create', 'create', 'create']);
    const idOf = (value: string) => created.find((a) => a.summary.includes(value))!.ticketId!;
    await setStatusByHand(idOf('ann@'), 'resolved');
    await setStatusByHand(idOf('bob@'), 'closed');

    // the state is gone: a fresh store over the same desk, and the archive replayed
    const lost = createReportApplier({ sink: sink(), state: memoryState().handle(), policy: { reopenWithinDays: 30, digest: false, resolveAfterMissing: 0 }, now: () => new Date('2026-11-20T00:00:00Z') });
    const replayed = await lost.applyReport(day1, all);
    expect(replayed.map((a) => [a.summary.split(' — ')[0], a.action]).sort()).toEqual([
      ['[Duplicate UserPrincipalName] ann@contoso.com', 'skip-old'],
      ['[Duplicate UserPrincipalName] bob@contoso.com', 'skip-old'],
      ['[Duplicate UserPrincipalName] cid@contoso.com', 'unchanged'],
    ]);
    expect((await sink().read(idOf('ann@')))!.status).toBe('resolved');
    expect(await sink().findByKey(created.find((a) => a.summary.includes('bob@'))!.key)).toHaveLength(1);

    // a run after the agent's resolve that still lists ann: the ticket reopens, as it would have with the state
    const later = await lost.applyReport(ticketJob(tenant, 400, [ann!, cid!]), all);
    expect(later.find((a) => a.summary.includes('ann@'))).toMatchObject({ action: 'reopen', ticketId: idOf('ann@') });
  });

  it('a ticket gone from the desk (its folder restored from an older copy) is made again at the next report, not taken for one not yet found (blind43 D3)', async () => {
    const tenant = uniqueTenant();
    const dave = syncError({ value: 'dave@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [dave]), resolutionsFor(resolution(dave)));
    await rm(join(dir(), `${made!.ticketId}.json`));
    await rm(join(dir(), 'by-key', made!.key), { recursive: true });
    const [again] = await apply(ticketJob(tenant, 2, [dave]), resolutionsFor(resolution(dave)));
    expect(again!.action).toBe('followup');
    expect(again!.ticketId).not.toBe(made!.ticketId);
    expect(await sink().findByKey(made!.key)).toHaveLength(1);
  });
});
