import { describe, expect, it } from 'vitest';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * An older archive replayed after a newer one (blind31 R4): a problem only the older report
 * lists still gets its ticket (nothing newer decided about it), but the newer report applied
 * before did not list it, so it may be fixed already: its ticket says so, with both runs.
 */

describe('ticket stage: a problem created from a report older than the newest applied', () => {
  const { sink, apply } = useFileDesk({ resolveAfterMissing: 0 });

  const bodyOf = async (id: string) => JSON.stringify((await sink().read(id))?.body);
  const OLDER = /Made from a report older than the newest one applied for this tenant \(it covers (\S+); the newest covers (\S+)\), which did not list this problem: it may be fixed already/;

  it('is created, and says the newer run did not list it', async () => {
    const tenant = uniqueTenant();
    const a = syncError({ value: 'ann@contoso.com' });
    const carol = syncError({ value: 'carol@contoso.com' });
    const newer = ticketJob(tenant, 5, [a]);
    await apply(newer, resolutionsFor(resolution(a)));
    const older = ticketJob(tenant, 2, [a, carol]);
    const actions = await apply(older, resolutionsFor(resolution(a), resolution(carol)));
    expect(actions.map((x) => x.action)).toEqual(['skip-old', 'create']);
    const said = OLDER.exec(await bodyOf(actions[1]!.ticketId!));
    expect(said?.slice(1)).toEqual([older.report.coversAt, newer.report.coversAt]);
  });

  it('a report applied in the order of its run says nothing of the kind', async () => {
    const tenant = uniqueTenant();
    const a = syncError({ value: 'ann@contoso.com' });
    const b = syncError({ value: 'bob@contoso.com' });
    await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
    const [, created] = await apply(ticketJob(tenant, 5, [a, b]), resolutionsFor(resolution(a), resolution(b)));
    expect(created!.action).toBe('create');
    expect(await bodyOf(created!.ticketId!)).not.toMatch(/Made from a report older/);
  });
});
