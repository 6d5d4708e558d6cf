import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/errors.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * What agents write into the file desk's JSON by hand beyond the README's four status words
 * (blind56): their own words, a typo, a note of their own. None makes a second ticket of a
 * problem, and a file that cannot be read is named.
 */
describe('the file desk worked by hand', () => {
  const { apply, dir, logged } = useFileDesk({ resolveAfterMissing: 1 });

  async function edit(id: string, change: (t: Record<string, unknown>) => Record<string, unknown> | string): Promise<void> {
    const path = join(dir(), `${id}.json`);
    const next = change(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>);
    await writeFile(path, typeof next === 'string' ? next : JSON.stringify(next));
  }

  it("reads a status in another case as that status and a word it does not know as open: no second ticket for a problem an agent is on (F1)", async () => {
    const tenant = uniqueTenant();
    const [ann, bob] = ['ann@contoso.com', 'bob@contoso.com'].map((value) => syncError({ value }));
    const all = resolutionsFor(resolution(ann!), resolution(bob!));
    const day1 = await apply(ticketJob(tenant, 1, [ann!, bob!]), all);
    const idOf = (v: string) => day1.find((a) => a.summary.includes(v))!.ticketId!;
    await edit(idOf('ann@'), (t) => ({ ...t, status: 'in progress' }));
    await edit(idOf('bob@'), (t) => ({ ...t, status: 'RESOLVED' }));
    const day2 = await apply(ticketJob(tenant, 2, [ann!, bob!]), all);
    expect(day2.map((a) => [a.summary.split(' — ')[0], a.action, a.ticketId]).sort()).toEqual([
      ['[Duplicate UserPrincipalName] ann@contoso.com', 'unchanged', idOf('ann@')],
      ['[Duplicate UserPrincipalName] bob@contoso.com', 'reopen', idOf('bob@')],
    ]);
    // the agent's own word stays in the file
    expect(JSON.parse(await readFile(join(dir(), `${idOf('ann@')}.json`), 'utf8')).status).toBe('in progress');
  });

  it('a note an agent wrote as text, without blocks, does not stop the resolve (F3)', async () => {
    const tenant = uniqueTenant();
    const cid = syncError({ value: 'cid@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [cid]), resolutionsFor(resolution(cid)));
    await edit(made!.ticketId!, (t) => ({ ...t, notes: [{ at: '2026-11-19T10:00:00Z', author: 'agent', text: 'Called the user.' }] }));
    const eve = syncError({ value: 'eve@contoso.com' });
    const day2 = await apply(ticketJob(tenant, 2, [eve]), resolutionsFor(resolution(eve)));
    expect(day2.find((a) => a.ticketId === made!.ticketId)).toMatchObject({ action: 'resolve' });
    expect(await readFile(join(dir(), `${made!.ticketId}.md`), 'utf8')).toContain('Called the user.');
  });

  it('a ticket file an agent broke is named with its path, and failed for good at once: a typo does not mend itself (F2)', async () => {
    const tenant = uniqueTenant();
    const dan = syncError({ value: 'dan@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [dan]), resolutionsFor(resolution(dan)));
    await edit(made!.ticketId!, (t) => JSON.stringify(t).replace('","', '" "'));
    const err = await apply(ticketJob(tenant, 2, [{ ...dan, onPremisesObjectId: 'changed' }]), resolutionsFor(resolution(dan))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`file desk: ${join(dir(), `${made!.ticketId}.json`)} is not valid JSON`);
  });

  it('a ticket file an agent moved away is said in the log, and the new ticket names the one it follows (F4)', async () => {
    const tenant = uniqueTenant();
    const fay = syncError({ value: 'fay@contoso.com' });
    const [made] = await apply(ticketJob(tenant, 1, [fay]), resolutionsFor(resolution(fay)));
    await mkdir(join(dir(), 'done'));
    await rename(join(dir(), `${made!.ticketId}.json`), join(dir(), 'done', `${made!.ticketId}.json`));
    const [again] = await apply(ticketJob(tenant, 2, [fay]), resolutionsFor(resolution(fay)));
    expect(again).toMatchObject({ action: 'followup' });
    const lines = logged();
    expect(lines.find((l) => l.level === 40)).toMatchObject({ ticketId: made!.ticketId, msg: expect.stringContaining('no longer in the desk') });
    expect(lines.find((l) => l.action === 'followup')).toMatchObject({ ticketId: again!.ticketId, followUpOf: made!.ticketId });
  });

  it('a follow-up moved away while the ticket it followed stays closed: the next report gets a new ticket, not "older than the desk\'s decision" (blind60 L1)', async () => {
    const tenant = uniqueTenant();
    const gus = syncError({ value: 'gus@contoso.com' });
    const all = resolutionsFor(resolution(gus));
    const [made] = await apply(ticketJob(tenant, 1, [gus]), all);
    // closed by an agent now, after the runs of the reports below
    await edit(made!.ticketId!, (t) => ({ ...t, status: 'closed' }));
    const [follow] = await apply(ticketJob(tenant, 2, [gus]), all);
    expect(follow).toMatchObject({ action: 'followup' });
    await mkdir(join(dir(), 'done'), { recursive: true });
    for (const ext of ['json', 'md']) await rename(join(dir(), `${follow!.ticketId}.${ext}`), join(dir(), 'done', `${follow!.ticketId}.${ext}`));
    const [again] = await apply(ticketJob(tenant, 3, [gus]), all);
    expect(again).toMatchObject({ action: 'followup' });
    expect(again!.ticketId).not.toBe(made!.ticketId);
  });
});
