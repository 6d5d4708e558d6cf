import { afterEach, describe, expect, it } from 'vitest';
import { TicketConfigSchema } from '../../schemas/config.schema.ts';
import { createLogger } from '../../src/logger.ts';
import { adfText } from '../../src/ticket/sinks/jira-adf.ts';
import { createJiraTicketSink } from '../../src/ticket/sinks/jira-ticket-sink.ts';
import { createZendeskTicketSink } from '../../src/ticket/sinks/zendesk-ticket-sink.ts';
import { contractViolations } from '../contracts/openapi-contract.ts';
import { FakeJira } from '../fakes/jira.ts';
import { FakeZendesk } from '../fakes/zendesk.ts';
import { resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { useFileDesk } from './file-desk-stage.ts';

/**
 * What agents do in Zendesk and Jira Service Management that the desk's own rules then bind
 * syncdesk to (blind57): a deleted Zendesk ticket cannot be followed up (Zendesk takes only a
 * closed ticket as a follow-up's source), a merged one is closed and tagged, and a JSM request
 * declined has no transition out. The fakes refuse what the desks refuse; the ticket stage
 * goes on with a ticket where it must, and none where the agent decided.
 */

const silent = createLogger({ level: 'silent' });
const stage = useFileDesk({ resolveAfterMissing: 1 });
const ann = syncError({ value: 'ann@contoso.com' });
const all = resolutionsFor(resolution(ann));

describe('Zendesk, after an agent', () => {
  let fake: FakeZendesk;
  afterEach(async () => {
    await fake.stop();
    expect(await contractViolations('zendesk', fake.server.calls)).toEqual([]);
  });

  async function zendesk() {
    fake = new FakeZendesk();
    await fake.start();
    const config = TicketConfigSchema.parse({ zendesk: { url: fake.url, email: 'agent@example.com', token: 'zd-token', assigneeEmail: 'agent@example.com' } }).zendesk;
    return stage.applierFor(createZendeskTicketSink(config, { logger: silent, http: { sleep: async () => {} } })).applyReport;
  }

  it('deleted the ticket: the problem listed again gets a new ticket that names the old one, without the follow-up link Zendesk would refuse (Z1)', async () => {
    const apply = await zendesk();
    const tenant = uniqueTenant();
    const [made] = await apply(ticketJob(tenant, 1, [ann]), all);
    fake.delete(made!.ticketId!);
    const [again] = await apply(ticketJob(tenant, 2, [ann]), all);
    expect(again).toMatchObject({ action: 'followup' });
    const next = fake.get(again!.ticketId!);
    expect(next.via_followup_source_id).toBeNull();
    expect(next.description).toContain(`Follows ticket ${made!.ticketId}, which is no longer in the desk`);
    expect(stage.logged().find((l) => l.level === 40)).toMatchObject({ ticketId: made!.ticketId, msg: expect.stringContaining('no longer in the desk') });
  });

  it('merged the ticket into another: left alone while reports list the problem; gone, then back, it gets a follow-up (Z2)', async () => {
    const apply = await zendesk();
    const tenant = uniqueTenant();
    const [made] = await apply(ticketJob(tenant, 1, [ann]), all);
    const users = fake.insert({ subject: 'Ann cannot sign in', status: 'open' });
    fake.merge(made!.ticketId!, users.id);
    const day2 = await apply(ticketJob(tenant, 2, [ann]), all);
    expect(day2).toEqual([expect.objectContaining({ action: 'unchanged', ticketId: made!.ticketId })]);
    expect(fake.list()).toHaveLength(2);
    // gone from the next report: nothing to resolve (the agent's ticket holds it); back after that: a ticket again
    const bob = syncError({ value: 'bob@contoso.com' });
    await apply(ticketJob(tenant, 3, [bob]), resolutionsFor(resolution(bob)));
    expect(fake.get(users.id).status).toBe('open');
    const [back] = await apply(ticketJob(tenant, 4, [ann, bob]), resolutionsFor(resolution(ann), resolution(bob)));
    expect(back).toMatchObject({ action: 'followup' });
    expect(fake.get(back!.ticketId!).via_followup_source_id).toBe(Number(made!.ticketId));
    expect(fake.get(back!.ticketId!).description).toContain(`Follow-up of ticket ${made!.ticketId} (closed): the problem came back.`);
  });
});

describe('Jira Service Management, after an agent', () => {
  let fake: FakeJira;
  afterEach(async () => {
    await fake.stop();
    expect(await contractViolations('jira', fake.server.calls)).toEqual([]);
  });

  it('declined the request, a status with no transition out: the problem listed again gets a linked issue, and the status is named in the log (J1)', async () => {
    fake = new FakeJira({ workflow: 'jsm' });
    await fake.start();
    const config = TicketConfigSchema.parse({ jira: { url: fake.url, email: 'bot@example.com', token: 'api-token', project: 'OPS' } }).jira;
    const apply = stage.applierFor(createJiraTicketSink(config, { logger: silent, http: { sleep: async () => {} } })).applyReport;
    const tenant = uniqueTenant();
    const [made] = await apply(ticketJob(tenant, 1, [ann]), all);
    fake.setStatus(made!.ticketId!, 'declined', 'Declined');
    const [again] = await apply(ticketJob(tenant, 2, [ann]), all);
    expect(again).toMatchObject({ action: 'followup' });
    const next = fake.get(again!.ticketId!);
    expect(next.links).toEqual([expect.objectContaining({ inward: next.id, outward: made!.ticketId })]);
    expect(adfText(next.fields.description as never)).toContain(`Follow-up of ticket ${fake.get(made!.ticketId!).key}, resolved in the desk while the reports still listed the problem`);
    expect(stage.logged().find((l) => l.level === 40)).toMatchObject({ reason: expect.stringContaining('from the issue\'s status "Declined"; available: none') });
  });
});
