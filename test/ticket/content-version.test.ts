import { describe, expect, it } from 'vitest';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { holder, resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * An upgrade rewords the steps: the facts are the same, so no "the problem changed" note on
 * every open ticket (blind36 U3). A state hashed by an older syncdesk counts as unchanged once;
 * a change of the facts after that is a note as ever.
 */
describe('ticket stage: a repeat after an upgrade', () => {
  const { apply, sink, state } = useFileDesk({ resolveAfterMissing: 0 });

  it('adds no note for a state an older version hashed; a new holder after that adds one', async () => {
    const memory = state();
    const tenant = uniqueTenant();
    const error = syncError();
    const [created] = await apply(ticketJob(tenant, 1, [error]), resolutionsFor(resolution(error)));
    // as the version before wrote it: its own hash of its own words, no version
    const key = correlationKey(tenant, error);
    const { contentVersion: _v, ...older } = (await memory.get(key))!;
    await memory.put({ ...older, contentHash: 'f'.repeat(32) });

    expect(await apply(ticketJob(tenant, 2, [error]), resolutionsFor(resolution(error)))).toEqual([expect.objectContaining({ action: 'unchanged', ticketId: created!.ticketId })]);
    expect((await sink().read(created!.ticketId!))!.notes).toEqual([]);
    const other = resolution(error, 'cloud-only-holder', [holder({ id: 'another-id', displayName: 'Someone Else' })]);
    expect(await apply(ticketJob(tenant, 3, [error]), resolutionsFor(other))).toEqual([expect.objectContaining({ action: 'note' })]);
  });

  it('an unresolved problem whose reason changes ("lookup failed" to "not looked up") is noted: the reason is its whole answer', async () => {
    const tenant = uniqueTenant();
    const error = syncError();
    const why = (note: string) => resolutionsFor({ ...resolution(error, 'unresolved', []), note });
    expect(await apply(ticketJob(tenant, 1, [error]), why('lookup failed: Graph down for good'))).toEqual([expect.objectContaining({ action: 'create' })]);
    expect(await apply(ticketJob(tenant, 2, [error]), why('lookup failed: Graph down for good'))).toEqual([expect.objectContaining({ action: 'unchanged' })]);
    expect(await apply(ticketJob(tenant, 3, [error]), why('not looked up: Graph is not configured'))).toEqual([expect.objectContaining({ action: 'note' })]);
  });
});
