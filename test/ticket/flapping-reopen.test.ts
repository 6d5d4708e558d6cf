import { describe, expect, it } from 'vitest';
import { holder, resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * A problem that comes and goes every other run is resolved and reopened each time; a reopen
 * note that repeated the whole ticket grew one to 793 KB in eight months (blind37 L2). The
 * facts are said again only when they changed since the ticket last stated them.
 */
describe('ticket stage: a problem that comes and goes', () => {
  const { apply, sink } = useFileDesk({ resolveAfterMissing: 1 });

  it('a reopen with the same facts is a short note; one with new facts states them', async () => {
    const tenant = uniqueTenant();
    const [steady, flapping] = [syncError(), syncError({ attribute: 'ProxyAddresses', value: 'SMTP:flap@contoso.com' })];
    const both = resolutionsFor(resolution(steady), resolution(flapping));
    const [, created] = await apply(ticketJob(tenant, 1, [steady, flapping]), both);
    const id = created!.ticketId!;
    const noteText = async () => JSON.stringify((await sink().read(id))!.notes.at(-1)!.blocks);
    const fullTicket = JSON.stringify((await sink().read(id))!.body).length;

    for (let day = 2; day <= 7; day += 2) {
      await apply(ticketJob(tenant, day, [steady]), resolutionsFor(resolution(steady)));
      expect((await sink().read(id))!.status).toBe('resolved');
      expect(await apply(ticketJob(tenant, day + 1, [steady, flapping]), both)).toContainEqual(expect.objectContaining({ action: 'reopen', ticketId: id }));
      expect(await noteText()).toContain('Nothing about it changed since this ticket last stated it');
      expect((await noteText()).length).toBeLessThan(fullTicket / 3);
    }

    // gone once more, then back held by someone else: the reopen says what is now true
    await apply(ticketJob(tenant, 8, [steady]), resolutionsFor(resolution(steady)));
    const moved = resolutionsFor(resolution(steady), resolution(flapping, 'cloud-only-holder', [holder({ id: 'another-id', displayName: 'Someone Else' })]));
    expect(await apply(ticketJob(tenant, 9, [steady, flapping]), moved)).toContainEqual(expect.objectContaining({ action: 'reopen', ticketId: id }));
    expect(await noteText()).not.toContain('Nothing about it changed');
    expect(await noteText()).toContain('Someone Else');
  });
});
