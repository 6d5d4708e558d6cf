import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { createReportApplier } from '../../src/ticket/apply-report.ts';
import { createFileTicketSink } from '../../src/ticket/sinks/file-ticket-sink.ts';
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
    const lost = createReportApplier({
      sink: sink(),
      state: memoryState().handle(),
      policy: { reopenWithinDays: 30, digest: false, resolveAfterMissing: 0 },
      now: () => new Date('2026-11-20T00:00:00Z'),
      logger: createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream }),
    });
    const lines: string[] = [];
    const replayed = await lost.applyReport(day1, all);
    // no newer report was applied (blind70 F4: the warning said one was): the desk's own change is named
    const warned = lines.map((l) => JSON.parse(l) as { msg: string; skipped?: number }).find((l) => l.skipped !== undefined);
    expect(warned?.msg).toBe("2 problem(s) left as newer news decided them: a newer report that listed them, or a change made to their ticket in the desk after this report's run");
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

describe('ticket stage: the desk changed under the ticket state (TICKET_SINK, or its address)', () => {
  const { apply, applierFor, dir, logged } = useFileDesk({ resolveAfterMissing: 1 });

  it('a problem gone after the change whose ticket is at the old desk: said at warn, with its URL, to be closed there; the old ticket untouched', async () => {
    const tenant = uniqueTenant();
    const [ivy, jo] = ['ivy@contoso.com', 'jo@contoso.com'].map((value) => syncError({ value }));
    const [made] = await apply(ticketJob(tenant, 1, [ivy!]), resolutionsFor(resolution(ivy!)));
    const before = await readFile(join(dir(), `${made!.ticketId}.json`), 'utf8');
    const newDir = await mkdtemp(join(tmpdir(), 'syncdesk-new-desk-'));
    const moved = applierFor(createFileTicketSink({ dir: newDir }));

    const next = await moved.applyReport(ticketJob(tenant, 2, [jo!]), resolutionsFor(resolution(jo!)));
    expect(next.map((a) => a.action)).toEqual(['create']);
    const warned = logged().find((l) => l.level === 40 && l.correlationKey === made!.key);
    expect(warned).toMatchObject({ ticketUrl: expect.stringContaining(`${made!.ticketId}.json`), msg: expect.stringContaining('close it there') });
    expect(await readFile(join(dir(), `${made!.ticketId}.json`), 'utf8')).toBe(before);
    await rm(newDir, { recursive: true, force: true });
  });

  it("never takes a ticket of the new desk for the old one's by its id: the problem gets a ticket of its own there, and the stranger is not touched", async () => {
    const tenant = uniqueTenant();
    const erin = syncError({ value: 'erin@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [erin]), resolutionsFor(resolution(erin)));
    // the new desk, where a ticket of someone else's happens to have the old ticket's id
    const newDir = await mkdtemp(join(tmpdir(), 'syncdesk-new-desk-'));
    const stranger = { ...JSON.parse(await readFile(join(dir(), `${made!.ticketId}.json`), 'utf8')), key: 'aadsync-ffffffffffffffffffffffffffffffffffffffff', summary: 'a customer cannot print' };
    await writeFile(join(newDir, `${made!.ticketId}.json`), JSON.stringify(stranger));
    const newDesk = createFileTicketSink({ dir: newDir });
    const moved = applierFor(newDesk);

    const [again] = await moved.applyReport(ticketJob(tenant, 2, [erin]), resolutionsFor(resolution(erin)));
    expect(again).toMatchObject({ action: 'create' });
    expect(again!.ticketId).not.toBe(made!.ticketId);
    expect(JSON.parse(await readFile(join(newDir, `${made!.ticketId}.json`), 'utf8'))).toEqual(stranger);
    // gone from the next report: its own ticket there is resolved, the stranger still not touched
    const fay = syncError({ value: 'fay@contoso.com' });
    const next = await moved.applyReport(ticketJob(tenant, 3, [fay]), resolutionsFor(resolution(fay)));
    expect(next.find((a) => a.key === again!.key)).toMatchObject({ action: 'resolve', ticketId: again!.ticketId });
    expect(JSON.parse(await readFile(join(newDir, `${made!.ticketId}.json`), 'utf8'))).toEqual(stranger);
    await rm(newDir, { recursive: true, force: true });
  });

  it("never writes to a stranger's ticket that has the id at the same address (the desk reset or replaced behind it)", async () => {
    const tenant = uniqueTenant();
    const gus = syncError({ value: 'gus@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [gus]), resolutionsFor(resolution(gus)));
    // the desk emptied and filled again: the id now names someone else's ticket, holding no key of ours
    await rm(join(dir(), 'by-key'), { recursive: true, force: true });
    const path = join(dir(), `${made!.ticketId}.json`);
    const stranger = { ...JSON.parse(await readFile(path, 'utf8')), key: '', summary: 'a customer cannot print' };
    await writeFile(path, JSON.stringify(stranger));

    const [again] = await apply(ticketJob(tenant, 2, [gus]), resolutionsFor(resolution(gus)));
    expect(again).toMatchObject({ action: 'create' });
    expect(again!.ticketId).not.toBe(made!.ticketId);
    // nor named in the new ticket: that id is a stranger's now
    expect(await readFile(join(dir(), `${again!.ticketId}.md`), 'utf8')).not.toContain(made!.ticketId!);
    const hal = syncError({ value: 'hal@contoso.com' });
    const next = await apply(ticketJob(tenant, 3, [hal]), resolutionsFor(resolution(hal)));
    expect(next.find((a) => a.key === again!.key)).toMatchObject({ action: 'resolve', ticketId: again!.ticketId });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(stranger);
  });
});
