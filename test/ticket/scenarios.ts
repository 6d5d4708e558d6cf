import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncError } from '../../schemas/report.schema.ts';
import type { DeskStatus } from '../../schemas/ticket.schema.ts';
import { createReportApplier, presentIn, type ApplyReport, type ApplyReportDeps, type TicketAction, type TicketPolicy } from '../../src/ticket/apply-report.ts';
import { correlationKey } from '../../src/ticket/correlation-key.ts';
import { createPlanReport } from '../../src/ticket/dry-run.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { createTicketStateStore, type TicketStateStore } from '../../src/ticket/ticket-state.ts';
import { unresolved } from '../../src/resolve/verdict.ts';
import { services } from '../helpers/services.ts';
import { holder, resolution, resolutionsFor, syncError, ticketJob, uniqueTenant } from './builders.ts';
import { memoryState } from './memory-state.ts';

/**
 * The scenario table every desk adapter must pass, run against the adapter's desk (real RT,
 * a faithful fake, or the file sink) with state and locks in real Redis; the same table runs
 * as a unit test on the file sink and in-memory state (scenarios.test.ts). Assertions read
 * the desk through `inspect`, never through the adapter under test.
 */

/** Where the scenarios keep ticket state: each `open()` is one scenario's empty state. */
export interface ScenarioState {
  open(): Promise<{ store(): TicketStateStore; secondWorker(): Promise<TicketStateStore>; close(): Promise<void> }>;
}

/** Ticket state in the in-memory store: every worker shares it, locks are per key. */
export const memoryScenarioState: ScenarioState = {
  async open() {
    const state = memoryState();
    return { store: () => state.handle(), secondWorker: async () => state.handle(), close: async () => undefined };
  },
};

/** Ticket state in real Redis under a prefix of its own; the second worker has its own connection. */
export function redisScenarioState(): ScenarioState {
  return {
    async open() {
      const prefix = `test-ticket-${randomUUID().slice(0, 8)}`;
      const connections: Redis[] = [];
      const connect = () => {
        const c = new Redis(services().REDIS_URL!, { maxRetriesPerRequest: 3 });
        connections.push(c);
        return createTicketStateStore(c, { prefix, lockWaitMs: 60_000 });
      };
      const main = connect();
      return {
        store: () => main,
        secondWorker: async () => connect(),
        close: async () => void (await Promise.all(connections.map((c) => c.quit()))),
      };
    },
  };
}

export interface InspectedTicket {
  id: string;
  /** How the desk shows it to agents, where that is not the id (Jira's issue key, ServiceNow's number). */
  name?: string;
  status: DeskStatus;
  summary: string;
  /** Internal notes added after creation (resolve and reopen notes included). */
  notes: number;
  /** Ids of the tickets this one refers to (a follow-up refers to the closed one). */
  linkedTo: string[];
  /** The description the ticket was created with, as the desk stores it (its markup). */
  text: string;
}

export interface DeskInspector {
  /** Tickets carrying `key` that the desk lists (newest first). */
  tickets(key: string): Promise<InspectedTicket[]>;
  ticket(id: string): Promise<InspectedTicket>;
  /** Acts as an agent in the desk: resolve, close (terminal) or mark won't-fix. */
  setStatus(id: string, status: 'resolved' | 'closed' | 'wontfix'): Promise<void>;
}

export interface ScenarioDesk {
  sink: TicketSink;
  inspect: DeskInspector;
  /** Points the sink at the scenario's clock where the desk can (the file sink stamps with it). */
  setClock?(now: () => Date): void;
  /**
   * False for desks whose "closed" cannot be linked to (RT: closed means deleted, and RT refuses
   * links to deleted tickets); the follow-up then names the old ticket in its text instead.
   * @defaultValue true
   */
  linksClosedTickets?: boolean;
}

const DAY = 86_400_000;

/** A report applied at once, as a `whole` ticket job does (digest mode, and before chunks). */
const applyWhole = (deps: ApplyReportDeps): ApplyReport => createReportApplier(deps).applyReport;

/**
 * A report applied as the queues apply it: in chunks (of two errors, so both a chunk's one
 * desk search for several keys and a lone key happen), ticketed in turn, then the report's
 * close with what the chunks listed (digest mode stays whole, as queued).
 */
function applyChunked(deps: ApplyReportDeps): ApplyReport {
  const applier = createReportApplier(deps);
  if (deps.policy.digest) return applier.applyReport;
  return async (job, resolutions) => {
    const actions: TicketAction[] = [];
    const keys = new Set<string>();
    const fingerprints = new Set<string>();
    for (let i = 0; i < job.errors.length; i += 2) {
      const chunk = { report: job.report, errors: job.errors.slice(i, i + 2) };
      actions.push(...(await applier.applyProblems(chunk, resolutions)));
      const present = presentIn(chunk);
      present.keys.forEach((k) => keys.add(k));
      present.fingerprints.forEach((f) => fingerprints.add(f));
    }
    const skipped = actions.filter((a) => a.action === 'skip-old').length;
    return [...actions, ...(await applier.closeReport(job.report, { errorCount: job.errors.length, keys, fingerprints, skipped }))];
  };
}

/** How the scenarios hand a report to the ticket stage: at once, or chunk by chunk then closed. */
export type ApplyMode = 'whole' | 'chunked';

export function runTicketScenarios(name: string, makeSink: () => Promise<ScenarioDesk>, stateKind: ScenarioState = redisScenarioState(), mode: ApplyMode = 'chunked'): void {
  const createApplyReport = mode === 'whole' ? applyWhole : applyChunked;
  describe(`ticket scenarios: ${name} (${mode})`, () => {
    let state: Awaited<ReturnType<ScenarioState['open']>>;
    let desk: ScenarioDesk;
    let clock: Date;
    const now = () => clock;

    beforeEach(async () => {
      state = await stateKind.open();
      clock = new Date();
      desk = await makeSink();
      desk.setClock?.(now);
    });
    afterEach(async () => {
      await state.close();
    });

    function stage(policy: Partial<TicketPolicy> = {}, sink: TicketSink = desk.sink, store: TicketStateStore = state.store(), make = createApplyReport): ApplyReport {
      return make({
        sink,
        state: store,
        policy: { reopenWithinDays: 30, resolveAfterMissing: 0, digest: false, ...policy },
        now,
      });
    }

    /** Two problems of a new tenant, both ticketed from its report of day 1. */
    async function twoTicketed(policy: Partial<TicketPolicy>) {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const apply = stage(policy);
      const first = await apply(ticketJob(tenant, 1, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      return { tenant, a, b, apply, first, bId: first[1]!.ticketId! };
    }

    it('new problem: one ticket, open, with a summary an agent can scan', async () => {
      const tenant = uniqueTenant();
      const err = syncError();
      const key = correlationKey(tenant, err);
      const actions = await stage()(ticketJob(tenant, 1, [err]), resolutionsFor(resolution(err)));
      expect(actions.map((a) => a.action)).toEqual(['create']);
      const tickets = await desk.inspect.tickets(key);
      expect(tickets).toHaveLength(1);
      expect(tickets[0]!.id).toBe(actions[0]!.ticketId);
      expect(tickets[0]!.status).toBe('open');
      for (const fact of ['AttributeValueMustBeUnique', 'john@contoso.com', 'cloud-only', 'Update-MgUser', 'Times seen']) {
        expect(tickets[0]!.text).toContain(fact);
      }
      expect(tickets[0]!.summary).toBe(
        `[Duplicate UserPrincipalName] john@contoso.com — held by cloud-only user John Smith — tenant ${tenant.split('.')[0]}`,
      );
    });

    it('repeat: the same problem in a newer report adds nothing', async () => {
      const tenant = uniqueTenant();
      const err = syncError();
      const apply = stage();
      await apply(ticketJob(tenant, 1, [err]), resolutionsFor(resolution(err)));
      const again = await apply(ticketJob(tenant, 2, [err]), resolutionsFor({ ...resolution(err), resolvedAt: '2026-11-03T00:00:00Z' }));
      expect(again.map((a) => a.action)).toEqual(['unchanged']);
      const tickets = await desk.inspect.tickets(correlationKey(tenant, err));
      expect(tickets).toHaveLength(1);
      expect(tickets[0]!.notes).toBe(0);
    });

    it('changed: a new holder adds one note, and the same change again adds none', async () => {
      const tenant = uniqueTenant();
      const err = syncError();
      const apply = stage();
      await apply(ticketJob(tenant, 1, [err]), resolutionsFor(resolution(err)));
      const synced = resolution(err, 'synced-holder', [holder({ displayName: 'John Smith (HR)', onPremisesSyncEnabled: true })]);
      const changed = await apply(ticketJob(tenant, 2, [err]), resolutionsFor(synced));
      expect(changed.map((a) => a.action)).toEqual(['note']);
      const repeat = await apply(ticketJob(tenant, 3, [err]), resolutionsFor(synced));
      expect(repeat.map((a) => a.action)).toEqual(['unchanged']);
      const [ticket] = await desk.inspect.tickets(correlationKey(tenant, err));
      expect(ticket!.notes).toBe(1);
      expect(ticket!.summary).toContain('held by synced user John Smith (HR)');
    });

    it.each([
      ['a lookup retried after its report was ticketed (failed retry)', 'relookup', (e: SyncError) => unresolved(e.fingerprint, 'lookup failed: Graph unreachable')],
      ['a report forced again after the directory was fixed (replay --force)', 'forced', (e: SyncError) => resolution(e, 'holder-unknown', [])],
    ] as const)('%s: one note on the open ticket, a resolved one left alone, no second sighting', async (_, refresh, firstLookup) => {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const applier = createReportApplier({ sink: desk.sink, state: state.store(), policy: { reopenWithinDays: 30, resolveAfterMissing: 0, digest: false }, now });
      const job = ticketJob(tenant, 1, [a, b]);
      await applier.applyReport(job, resolutionsFor(firstLookup(a), firstLookup(b)));
      const [ticketB] = await desk.inspect.tickets(correlationKey(tenant, b));
      await desk.inspect.setStatus(ticketB!.id, 'resolved');

      // the same report again without `refresh` (a replay): nothing, whatever the lookup says now
      const found = resolutionsFor(resolution(a), resolution(b));
      expect((await applier.applyProblems(job, found)).map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
      // looked up again: the open ticket is brought up to date once, the resolved one is not reopened
      expect((await applier.applyProblems(job, found, { refresh })).map((x) => x.action)).toEqual(['note', 'unchanged']);
      expect((await applier.applyProblems(job, found, { refresh })).map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
      const [ticketA] = await desk.inspect.tickets(correlationKey(tenant, a));
      expect(ticketA!.notes).toBe(1);
      expect(ticketA!.summary).toContain('held by cloud-only user John Smith');
      const [againB] = await desk.inspect.tickets(correlationKey(tenant, b));
      expect({ status: againB!.status, notes: againB!.notes }).toEqual({ status: 'resolved', notes: ticketB!.notes });
      expect((await state.store().get(correlationKey(tenant, a)))?.seenCount).toBe(1);
    });

    it("a lookup retried after a newer report of the tenant was applied: the older report's own ticket is still brought up to date", async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const applier = createReportApplier({ sink: desk.sink, state: state.store(), policy: { reopenWithinDays: 30, resolveAfterMissing: 0, digest: false }, now });
      const job = ticketJob(tenant, 1, [a]);
      await applier.applyReport(job, resolutionsFor(unresolved(a.fingerprint, 'on-premises lookup: DC unreachable')));
      // a newer run of the tenant, about another problem, goes out before the retry
      await applier.applyReport(ticketJob(tenant, 5, [b]), resolutionsFor(resolution(b)));
      expect((await applier.applyProblems(job, resolutionsFor(resolution(a)), { refresh: 'relookup' })).map((x) => x.action)).toEqual(['note']);
      const [ticketA] = await desk.inspect.tickets(correlationKey(tenant, a));
      expect(ticketA!.summary).toContain('held by cloud-only user John Smith');
    });

    it('old replay: an older report changes nothing a newer one decided, but creates a problem nothing has a ticket for; the same report again changes nothing', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const apply = stage({ resolveAfterMissing: 1 });
      await apply(ticketJob(tenant, 5, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      const before = await Promise.all([a, b].map((e) => desk.inspect.tickets(correlationKey(tenant, e))));
      // An older report that lacks `b` and shows `a` differently: no resolve, no note for them;
      // `c`, which only the older report lists, is a problem all the same: it gets its ticket.
      const c = syncError({ value: 'old@contoso.com' });
      const old = await apply(
        ticketJob(tenant, 3, [a, c]),
        resolutionsFor(resolution(a, 'no-holder', []), resolution(c)),
      );
      expect(old.map((x) => x.action)).toEqual(['skip-old', 'create']);
      const same = await apply(ticketJob(tenant, 5, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      expect(same.map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
      const after = await Promise.all([a, b].map((e) => desk.inspect.tickets(correlationKey(tenant, e))));
      expect(after).toEqual(before);
      const cTickets = await desk.inspect.tickets(correlationKey(tenant, c));
      expect(cTickets.map((t) => [t.id, t.status])).toEqual([[old[1]!.ticketId, 'open']]);
      // replayed once more, the older report changes nothing at all
      const again = await apply(ticketJob(tenant, 3, [a, c]), resolutionsFor(resolution(a, 'no-holder', []), resolution(c)));
      expect(again.map((x) => x.action)).toEqual(['unchanged', 'unchanged']);
    });

    it('gone: resolved after N newer reports without it, with a note', async () => {
      const { tenant, a, apply, first, bId } = await twoTicketed({ resolveAfterMissing: 2 });
      const second = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(second.map((x) => x.action)).toEqual(['unchanged']);
      expect((await desk.inspect.ticket(bId)).status).toBe('open');
      const third = await apply(ticketJob(tenant, 3, [a]), resolutionsFor(resolution(a)));
      expect(third).toContainEqual(expect.objectContaining({ action: 'resolve', ticketId: bId }));
      const b1 = await desk.inspect.ticket(bId);
      expect(b1.status).toBe('resolved');
      expect(b1.notes).toBe(1);
      expect((await desk.inspect.ticket(first[0]!.ticketId!)).status).toBe('open');
      // A later report still without it: nothing more.
      const fourth = await apply(ticketJob(tenant, 4, [a]), resolutionsFor(resolution(a)));
      expect(fourth.map((x) => x.action)).toEqual(['unchanged']);
      expect((await desk.inspect.ticket(bId)).notes).toBe(1);
    });

    it('gone, but an agent resolved it first: no second resolve, no note', async () => {
      const { tenant, a, apply, bId } = await twoTicketed({ resolveAfterMissing: 1 });
      await desk.inspect.setStatus(bId, 'resolved');
      const second = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(second.map((x) => x.action)).toEqual(['unchanged']);
      const b1 = await desk.inspect.ticket(bId);
      expect([b1.status, b1.notes]).toEqual(['resolved', 0]);
    });

    it('back: a resolved problem that returns within the window reopens its ticket', async () => {
      const { tenant, a, b, apply, bId } = await twoTicketed({ resolveAfterMissing: 1 });
      await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect((await desk.inspect.ticket(bId)).status).toBe('resolved');
      clock = new Date(clock.getTime() + 3 * DAY);
      const back = await apply(ticketJob(tenant, 3, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      expect(back).toContainEqual(expect.objectContaining({ action: 'reopen', ticketId: bId }));
      const tickets = await desk.inspect.tickets(correlationKey(tenant, b));
      expect(tickets.map((t) => [t.id, t.status])).toEqual([[bId, 'open']]);
      expect(tickets[0]!.notes).toBe(2); // the resolve note and the reopen note
    });

    it('an object listed with other values (one fixed): its ticket continues in one new ticket, the old one resolved; values back, the old one reopens', async () => {
      const tenant = uniqueTenant();
      const object = { identity: 'sales@contoso.com', attribute: 'ProxyAddresses', value: 'smtp:sales@contoso.com' };
      const two = syncError({ ...object, attributes: [{ name: 'ProxyAddresses', value: 'smtp:sales@contoso.com' }, { name: 'ProxyAddresses', value: 'smtp:team@contoso.com' }] });
      const one = syncError(object);
      const apply = stage();
      const [first] = await apply(ticketJob(tenant, 1, [two]), resolutionsFor(resolution(two)));
      const r2 = await apply(ticketJob(tenant, 2, [one]), resolutionsFor(resolution(one)));
      const second = r2[0];
      expect(r2.map((x) => [x.action, x.ticketId])).toEqual([['create', second!.ticketId], ['resolve', first!.ticketId]]);
      expect((await desk.inspect.ticket(first!.ticketId!)).status).toBe('resolved');
      const next = await desk.inspect.ticket(second!.ticketId!);
      expect(next.status).toBe('open');
      // named as the desk shows it to agents (blind32 V7)
      const firstShown = (await desk.inspect.ticket(first!.ticketId!)).name ?? first!.ticketId;
      expect(next.text).toContain(`Continues ticket ${firstShown}:`);
      // the values as they were: the first ticket reopens, and the second is resolved in its favour
      const third = await apply(ticketJob(tenant, 3, [two]), resolutionsFor(resolution(two)));
      expect(third.map((x) => [x.action, x.ticketId])).toEqual([['reopen', first!.ticketId], ['resolve', second!.ticketId]]);
      expect((await desk.inspect.ticket(first!.ticketId!)).status).toBe('open');
      expect((await desk.inspect.ticket(second!.ticketId!)).status).toBe('resolved');
    });

    it('a forward of a report (its own Message-ID, the same sync run) is that report again: nothing counted missing twice, no second sighting', async () => {
      const { tenant, a, apply, bId } = await twoTicketed({ resolveAfterMissing: 2 });
      await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      const forward = await apply(ticketJob(tenant, 2, [a], `fw-${tenant}-2`), resolutionsFor(resolution(a)));
      expect(forward.map((x) => x.action)).toEqual(['unchanged']);
      expect((await desk.inspect.ticket(bId)).status).toBe('open');
      expect((await state.store().get(correlationKey(tenant, a)))?.seenCount).toBe(2);
      // the next run is the second report without it
      const third = await apply(ticketJob(tenant, 3, [a]), resolutionsFor(resolution(a)));
      expect(third).toContainEqual(expect.objectContaining({ action: 'resolve', ticketId: bId }));
    });

    it('a cut-off copy of a report resolves nothing it lacks; the whole copy of that run then does', async () => {
      const { tenant, a, apply, bId } = await twoTicketed({ resolveAfterMissing: 1 });
      const cut = ticketJob(tenant, 2, [a], `cut-${tenant}-2`);
      const actions = await apply({ ...cut, report: { ...cut.report, cutOff: true } }, resolutionsFor(resolution(a)));
      expect(actions.map((x) => x.action)).toEqual(['unchanged']);
      expect((await desk.inspect.ticket(bId)).status).toBe('open');
      const whole = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(whole).toContainEqual(expect.objectContaining({ action: 'resolve', ticketId: bId }));
    });

    it('back after the window in report time: replayed months later, a linked ticket, not a reopen', async () => {
      // the clock stands still: every report is replayed at the same moment, long after its run
      const { tenant, a, b, apply, bId } = await twoTicketed({ resolveAfterMissing: 1 });
      await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect((await desk.inspect.ticket(bId)).status).toBe('resolved');
      // the run of day 49 is 47 days after the run that found it gone (window: 30)
      const back = await apply(ticketJob(tenant, 49, [a, b]), resolutionsFor(resolution(a), resolution(b)));
      const followup = back.find((x) => x.key === correlationKey(tenant, b));
      expect(followup?.action).toBe('followup');
      expect(followup?.ticketId).not.toBe(bId);
      expect((await desk.inspect.ticket(bId)).status).toBe('resolved');
    });

    it("won't fix: a rejected ticket is left alone", async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const apply = stage({ resolveAfterMissing: 1 });
      const [created] = await apply(ticketJob(tenant, 1, [a]), resolutionsFor(resolution(a)));
      await desk.inspect.setStatus(created!.ticketId!, 'wontfix');
      const changed = resolution(a, 'synced-holder', [holder({ onPremisesSyncEnabled: true })]);
      const again = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(changed));
      expect(again.map((x) => x.action)).toEqual(['skip-wontfix']);
      await apply(ticketJob(tenant, 3, []), resolutionsFor());
      const tickets = await desk.inspect.tickets(correlationKey(tenant, a));
      expect(tickets.map((t) => [t.id, t.status, t.notes])).toEqual([[created!.ticketId!, 'wontfix', 0]]);
    });

    it('closed then seen again: a new ticket linked to the closed one', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const apply = stage();
      const [created] = await apply(ticketJob(tenant, 1, [a]), resolutionsFor(resolution(a)));
      const oldId = created!.ticketId!;
      await desk.inspect.setStatus(oldId, 'closed');
      const [follow] = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(follow!.action).toBe('followup');
      expect(follow!.ticketId).toBeDefined();
      expect(follow!.ticketId).not.toBe(oldId);
      const fresh = await desk.inspect.ticket(follow!.ticketId!);
      expect(fresh.status).toBe('open');
      // closed by an agent while the reports listed the problem: said so, not "came back"
      if (desk.linksClosedTickets === false) expect(fresh.text).toContain(`Follow-up of ticket ${(await desk.inspect.ticket(oldId)).name ?? oldId}, closed in the desk while the reports still listed the problem`);
      else expect(fresh.linkedTo).toContain(oldId);
      // And the follow-up is now the ticket of the key: the next report leaves it be.
      const [next] = await apply(ticketJob(tenant, 3, [a]), resolutionsFor(resolution(a)));
      expect(next).toMatchObject({ action: 'unchanged', ticketId: follow!.ticketId });
    });

    it('resolved long ago then seen again: a follow-up instead of a reopen', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const apply = stage({ reopenWithinDays: 30 });
      const [created] = await apply(ticketJob(tenant, 1, [a]), resolutionsFor(resolution(a)));
      await desk.inspect.setStatus(created!.ticketId!, 'resolved');
      clock = new Date(clock.getTime() + 45 * DAY);
      const [follow] = await apply(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(follow!.action).toBe('followup');
      expect((await desk.inspect.ticket(created!.ticketId!)).status).toBe('resolved');
      expect((await desk.inspect.ticket(follow!.ticketId!)).linkedTo).toContain(created!.ticketId!);
    });

    /** The desk as a worker killed right after its create sees it: the ticket is made, the run goes no further. */
    function crashingAfterCreate(): TicketSink {
      return {
        ...desk.sink,
        name: desk.sink.name,
        findByKey: (k) => desk.sink.findByKey(k),
        create: async (draft, opts) => {
          await desk.sink.create(draft, opts);
          throw new Error('worker killed after create');
        },
      };
    }

    it('crash between create and state write: the retry finds the ticket instead of creating another', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const crashing = crashingAfterCreate();
      const job = ticketJob(tenant, 1, [a]);
      await expect(stage({}, crashing)(job, resolutionsFor(resolution(a)))).rejects.toThrow('worker killed');
      const retried = await stage()(job, resolutionsFor(resolution(a)));
      const tickets = await desk.inspect.tickets(correlationKey(tenant, a));
      expect(tickets).toHaveLength(1);
      expect(retried).toEqual([expect.objectContaining({ action: 'unchanged', ticketId: tickets[0]!.id })]);
      expect(tickets[0]!.notes).toBe(0);
    });

    it('crash between creating the continuation and resolving the ticket it continues: the retry resolves it, one ticket stays open', async () => {
      const tenant = uniqueTenant();
      const object = { identity: 'sales@contoso.com', attribute: 'ProxyAddresses', value: 'smtp:sales@contoso.com' };
      const two = syncError({ ...object, attributes: [{ name: 'ProxyAddresses', value: 'smtp:sales@contoso.com' }, { name: 'ProxyAddresses', value: 'smtp:team@contoso.com' }] });
      const one = syncError(object);
      const [first] = await stage()(ticketJob(tenant, 1, [two]), resolutionsFor(resolution(two)));
      const crashing = crashingAfterCreate();
      const job = ticketJob(tenant, 2, [one]);
      await expect(stage({}, crashing)(job, resolutionsFor(resolution(one)))).rejects.toThrow('worker killed');
      expect((await desk.inspect.ticket(first!.ticketId!)).status).toBe('open');
      const retried = await stage()(job, resolutionsFor(resolution(one)));
      const [next] = await desk.inspect.tickets(correlationKey(tenant, one));
      expect(retried.map((x) => [x.action, x.ticketId])).toEqual([['unchanged', next!.id], ['resolve', first!.ticketId]]);
      expect((await desk.inspect.ticket(first!.ticketId!)).status).toBe('resolved');
      expect((await desk.inspect.ticket(next!.id)).status).toBe('open');
      // the continuation keeps the object's history: seen in both runs
      expect((await state.store().get(correlationKey(tenant, one)))?.seenCount).toBe(2);
    });

    it('two workers racing on one key create one ticket', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const second = await state.secondWorker();
      // A create that takes a while, as on a loaded desk: without the key lock both workers
      // would search, find nothing, and create.
      const slow: TicketSink = {
        ...desk.sink,
        name: desk.sink.name,
        findByKey: (k) => desk.sink.findByKey(k),
        create: async (draft, opts) => {
          await new Promise((r) => setTimeout(r, 300));
          return desk.sink.create(draft, opts);
        },
      };
      const w1 = stage({}, slow);
      const w2 = stage({}, slow, second);
      // The same report delivered twice, and another report with the same problem, at once.
      const results = await Promise.all([
        w1(ticketJob(tenant, 1, [a, b]), resolutionsFor(resolution(a), resolution(b))),
        w2(ticketJob(tenant, 1, [a, b]), resolutionsFor(resolution(a), resolution(b))),
        w2(ticketJob(tenant, 1, [b], 'forwarded-copy'), resolutionsFor(resolution(b))),
      ]);
      for (const e of [a, b]) expect(await desk.inspect.tickets(correlationKey(tenant, e))).toHaveLength(1);
      const creates = results.flat().filter((x) => x.action === 'create');
      expect(creates).toHaveLength(2);
    });

    it('a plan spans its reports: what it created, resolved and later follows up is what the real run does, report after report', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const b = syncError({ value: 'jane@contoso.com' });
      const plan = stage({ resolveAfterMissing: 1 }, desk.sink, state.store(), createPlanReport);
      const apply = stage({ resolveAfterMissing: 1 });
      const run = async (step: ApplyReport, day: number, errors: typeof a[]) =>
        (await step(ticketJob(tenant, day, errors), resolutionsFor(...errors.map((e) => resolution(e))))).map((x) => x.action).sort();
      const planned = [await run(plan, 1, [a, b]), await run(plan, 2, [a]), await run(plan, 49, [a, b])];
      expect(await desk.inspect.tickets(correlationKey(tenant, a))).toEqual([]);
      expect(planned).toEqual([['create', 'create'], ['resolve', 'unchanged'], ['followup', 'unchanged']]);
      expect([await run(apply, 1, [a, b]), await run(apply, 2, [a]), await run(apply, 49, [a, b])]).toEqual(planned);
    });

    it('dry-run lists the plan and changes nothing', async () => {
      const tenant = uniqueTenant();
      const a = syncError();
      const job = ticketJob(tenant, 1, [a]);
      const plan = await stage({}, desk.sink, state.store(), createPlanReport)(job, resolutionsFor(resolution(a)));
      expect(plan).toEqual([expect.objectContaining({ action: 'create', key: correlationKey(tenant, a) })]);
      expect(await desk.inspect.tickets(correlationKey(tenant, a))).toEqual([]);
      const real = await stage()(job, resolutionsFor(resolution(a)));
      expect(real.map((x) => x.action)).toEqual(['create']);
      await desk.inspect.setStatus(real[0]!.ticketId!, 'closed');
      const listed = (await desk.inspect.tickets(correlationKey(tenant, a))).length;
      const plan2 = await stage({}, desk.sink, state.store(), createPlanReport)(ticketJob(tenant, 2, [a]), resolutionsFor(resolution(a)));
      expect(plan2.map((x) => x.action)).toEqual(['followup']);
      expect(await desk.inspect.tickets(correlationKey(tenant, a))).toHaveLength(listed);
      expect((await desk.inspect.ticket(real[0]!.ticketId!)).status).toBe('closed');
    });
  });
}
