import { describe, expect, it } from 'vitest';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * A duplicate attribute resiliency notice ("This object has been updated …, but with some
 * modified properties"): Microsoft lists the value it set aside once, when it sets it aside,
 * and never again while it waits (how-to-connect-syncservice-duplicate-attribute-resiliency).
 * With auto-resolve on, its ticket must not be resolved by the next report for lacking it
 * (blind30 T2: it was, and could then never reopen); a blocking error missing from a report is.
 */

describe('ticket stage: a value set aside (resiliency notice)', () => {
  const { sink, apply } = useFileDesk({ resolveAfterMissing: 1 });

  const notice = syncError({
    value: 'frank@contoso.com',
    attribute: 'ProxyAddresses',
    errorCode: null,
    valueQuarantined: true,
    message: 'This object has been updated in your Microsoft Entra ID, but with some modified properties, because the following attributes are associated with another object [ProxyAddresses SMTP:frank@contoso.com;].',
  });
  const blocking = syncError({ value: 'ann@contoso.com' });

  it('stays open through later reports that lack it, while a blocking error they lack is resolved', async () => {
    const tenant = uniqueTenant();
    const first = await apply(ticketJob(tenant, 1, [notice, blocking]), resolutionsFor(resolution(notice), resolution(blocking)));
    const [noticeId, blockingId] = first.map((a) => a.ticketId!);
    const other = syncError({ value: 'zoe@contoso.com' });
    const next = await apply(ticketJob(tenant, 2, [other]), resolutionsFor(resolution(other)));
    expect(next.filter((a) => a.action === 'resolve').map((a) => a.ticketId)).toEqual([blockingId]);
    await apply(ticketJob(tenant, 3, [other]), resolutionsFor(resolution(other)));
    expect((await sink().read(noticeId!))?.status).toBe('open');
    expect((await sink().read(blockingId!))?.status).toBe('resolved');
  });

  it('says so on its ticket, with the page that explains resiliency', async () => {
    const [created] = await apply(ticketJob(uniqueTenant(), 1, [notice]), resolutionsFor(resolution(notice)));
    const text = JSON.stringify((await sink().read(created!.ticketId!))?.body);
    expect(text).toContain('does not resolve this ticket when they lack it');
    expect(text).toContain('how-to-connect-syncservice-duplicate-attribute-resiliency');
  });

  it('is resolved by absence again once a report lists the same problem as a blocking error', async () => {
    const tenant = uniqueTenant();
    const [created] = await apply(ticketJob(tenant, 1, [notice]), resolutionsFor(resolution(notice)));
    const again = { ...notice, valueQuarantined: undefined };
    await apply(ticketJob(tenant, 2, [again]), resolutionsFor(resolution(again)));
    const gone = await apply(ticketJob(tenant, 3, [blocking]), resolutionsFor(resolution(blocking)));
    expect(gone.find((a) => a.action === 'resolve')?.ticketId).toBe(created!.ticketId);
  });
});
