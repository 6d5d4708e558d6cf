import type { Refresh, ReportErrors, ReportRef } from '../../schemas/jobs.schema.ts';
import type { Resolution } from '../../schemas/resolution.schema.ts';
import type { ContentBlock, DeskRoute, DeskTicket } from '../../schemas/ticket.schema.ts';
import { naming, PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { CONTENT_VERSION, contentHash, sameContent } from './content-hash.ts';
import { correlationKey, digestKey, problemFamily } from './correlation-key.ts';
import { mapLimit } from './map-limit.ts';
import { reportStream } from '../parse/report-ref.ts';
import {
  changedNote,
  backNote,
  goneNote,
  mergedNote,
  continuedNote,
  renderDigest,
  renderDraft,
  renderSummary,
  reopenNote,
  resolveNote,
  type FollowUp,
  type ProblemView,
  type SeenInfo,
} from './render.ts';
import { atAnotherDesk, CANNOT_REOPEN, type TicketSink } from './ticket-sink.ts';
import type { KeyState, TicketStateStore } from './ticket-state.ts';
import { ownId, sameRun, settled, ticketStep, type TicketPolicy } from './ticket-step.ts';
import { MAX_REPORTS } from './ticket-state.ts';

/**
 * The ticket stage's use case: apply one report to the desk. One ticket per problem
 * (correlation key), created once, noted only when its facts change, reopened within a
 * window, followed up when closed, left alone when won't-fix, optionally resolved when
 * newer reports no longer list it. Reports count in the order of the time they cover.
 */

export type { TicketPolicy };

export type TicketActionKind = 'create' | 'note' | 'unchanged' | 'reopen' | 'resolve' | 'followup' | 'skip-wontfix' | 'skip-old';

export interface TicketAction {
  key: string;
  action: TicketActionKind;
  ticketId?: string;
  /** The ticket's URL where it is at another desk than this one (TICKET_SINK changed since): its id means nothing here. */
  elsewhere?: string;
  summary: string;
}

export interface ApplyReportDeps {
  sink: TicketSink;
  state: TicketStateStore;
  policy: TicketPolicy;
  now?: () => Date;
  logger?: Logger;
  /**
   * A ticket created this recently may still be missing from desk searches (Jira's search
   * is eventually consistent): within this time the local state is trusted over the search.
   * @defaultValue 600000
   */
  searchLagMs?: number;
  /**
   * Keys worked at once within one report. Each key has its own lock, so this is safe; the
   * desk's HTTP layer still caps requests in flight.
   * @defaultValue 4
   */
  keyConcurrency?: number;
  /** Where a report's tenant wants its new tickets (the tenants file's `desk:`); absent: the desk's own settings. */
  routeOf?: (report: ReportRef) => DeskRoute | undefined;
  /** Whether the configuration names a tenant by this key now (a tenants file's tenantId, GRAPH_TENANT_ID). */
  configuredTenant?: (tenantKey: string) => boolean;
}

/** Applies one report at once; a dry run's plan is the same call on the adapters of dry-run.ts. */
export type ApplyReport = (job: ReportErrors, resolutions: Map<string, Resolution>) => Promise<TicketAction[]>;

/** What a report listed, gathered from its applied chunks for `closeReport`. */
export interface ReportSeen {
  errorCount: number;
  /** Correlation keys of its problems. */
  keys: ReadonlySet<string>;
  /** Fingerprints of its errors. */
  fingerprints: ReadonlySet<string>;
  /** Problems its chunks left alone because a newer report had decided them. */
  skipped: number;
}

export type { Refresh };

/**
 * The ticket stage's use case in two steps, so tickets need not wait for a whole report:
 * `applyProblems` on each chunk as soon as it is resolved, `closeReport` once all are in
 * (what is missing can only be known from the whole report). `applyReport` is both at once.
 */
export interface ReportApplier {
  /**
   * `refresh`: the report run again, its open tickets brought up to date (see TicketChunkJob).
   * `done` hears each problem's action as it is taken: a chunk that fails has still done those.
   */
  applyProblems(part: ReportErrors, resolutions: Map<string, Resolution>, options?: { refresh?: Refresh; done?: (action: TicketAction) => void }): Promise<TicketAction[]>;
  closeReport(report: ReportRef, seen: ReportSeen): Promise<TicketAction[]>;
  applyReport: ApplyReport;
}

/** What a chunk of errors lists: its problems' correlation keys and its errors' fingerprints. */
export function presentIn(part: ReportErrors): { keys: string[]; fingerprints: string[] } {
  return { keys: [...new Set(part.errors.map((e) => correlationKey(part.report.tenantKey, e)))], fingerprints: part.errors.map((e) => e.fingerprint) };
}

/** The ticket id an action shows: none without a ticket. */
function shownId(ticket: DeskTicket | null | undefined): string | undefined {
  return ticket?.id ? ticket.id : undefined;
}

/**
 * The ordered stream a report belongs to: its tenant, per source. Mails and Graph polls
 * feed the same tickets but are ordered (old-report checks) and counted (auto-resolve)
 * apart: a poll at 06:02 must not make the 06:00 mail old, nor resolve what only mails report.
 */
const streamOf = (report: ReportRef): string => reportStream(report);

/** The streams the report's tenant went by before it was named `tenantKey` (ReportRef.tenantAliases). */
function aliasStreams(report: ReportRef): string[] {
  return (report.tenantAliases ?? []).map((alias) => reportStream(report, alias)).filter((s) => s !== streamOf(report));
}

/**
 * Whether a report with no error row positively says the tenant has none. A mail never does
 * (Microsoft sends the report only when there are errors, so an empty one is a mail we could
 * not read); a completed Graph poll lists every open conflict, so its empty list is a statement.
 */
function statesNoErrors(report: ReportRef): boolean {
  return report.source === 'graph';
}

function nextSeen(s: KeyState | null, view: ProblemView): SeenInfo {
  const r = view.report;
  // the same report looked up again, or another copy of its run, is no new sighting
  if (s && sameRun(s, r)) return { firstSeen: s.firstSeen, lastSeen: s.lastSeen, seenCount: s.seenCount, reports: s.reports };
  const entry = { reportId: r.reportId, subject: r.subject, coversAt: r.coversAt };
  return {
    firstSeen: s?.firstSeen ?? r.coversAt,
    lastSeen: r.coversAt,
    seenCount: (s?.seenCount ?? 0) + 1,
    reports: [...(s?.reports ?? []), entry].slice(-MAX_REPORTS),
  };
}

export function createReportApplier(deps: ApplyReportDeps): ReportApplier {
  const { sink, state, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const searchLag = deps.searchLagMs ?? 600_000;
  const log = deps.logger;
  const concurrency = deps.keyConcurrency ?? 4;

  function problemsOf(job: ReportErrors, resolutions: Map<string, Resolution>): Map<string, ProblemView> {
    const views = new Map<string, ProblemView>();
    for (const error of job.errors) {
      const key = correlationKey(job.report.tenantKey, error);
      // The same problem listed twice in one report is still one ticket.
      if (!views.has(key)) views.set(key, { key, report: job.report, error, resolution: resolutions.get(error.fingerprint) });
    }
    return views;
  }

  function fromState(s: KeyState): DeskTicket {
    return { id: s.ticketId!, ...(s.ticketName && { name: s.ticketName }), key: s.key, url: s.ticketUrl, status: s.status, resolvedAt: s.resolvedAt };
  }

  /**
   * Whether the ticket a state knows is another desk's (TICKET_SINK changed, or the desk's
   * address): its id means nothing here, or another ticket (RT's 123 is a stranger's Zendesk
   * 123). The desk's search by key is then all there is; a desk that only moved finds its own.
   */
  function ofAnotherDesk(s: KeyState): boolean {
    return atAnotherDesk(s.ticketUrl, sink.where);
  }

  /**
   * An action that names the problem's known ticket without touching it (unchanged, skipped),
   * where that ticket is another desk's: named by its URL, as its id would read as this desk's.
   */
  function shown(a: TicketAction, s: KeyState | null): TicketAction {
    if (!s || !ofAnotherDesk(s) || (a.action !== 'unchanged' && a.action !== 'skip-old') || a.ticketId !== (s.ticketId ?? undefined)) return a;
    const { ticketId: _id, ...rest } = a;
    return { ...rest, elsewhere: s.ticketUrl! };
  }

  /** The desk's current ticket for a key: the newest one found, unless ours is missing from the search. */
  async function deskTicket(key: string, s: KeyState | null, searched?: DeskTicket[]): Promise<DeskTicket | null> {
    const found = searched ?? (await sink.findByKey(key));
    if (!s?.ticketId || ofAnotherDesk(s) || found.some((t) => t.id === s.ticketId)) return found[0] ?? null;
    // Our ticket is missing from the search: deleted (RT never lists deleted tickets), or too
    // new to be indexed (Jira's search is eventually consistent). A direct read tells which.
    // another ticket of the key speaks for the problem only when it is open (one made beside
    // ours); a closed one is one ours followed up, whose close must not make this report old
    // when ours is gone
    const other = found[0]?.status === 'open' ? found[0] : undefined;
    if (sink.get) {
      const read = await sink.get(s.ticketId);
      if (read && !read.mergedFrom && !read.keyUnknown && read.key !== (s.ticketKey ?? key)) {
        // the id names a ticket without this problem's key: a stranger's (the desk was reset or
        // replaced behind the same address), or one an agent took the key from: never written to
        log?.warn({ correlationKey: key, ticketId: s.ticketId, holds: read.key || null }, "the desk's ticket of this id no longer holds the problem's key: left alone, the problem gets a ticket of its own");
        // no follow-up of it either: its id, named in a new ticket, would send the agent to a stranger's
        return other ?? null;
      }
      const mine = read && { ...read, key };
      if (mine && mine.status !== 'closed') return mine;
      return other ?? mine ?? goneFromDesk(key, s);
    }
    const young = s.ticketSince !== null && now().getTime() - Date.parse(s.ticketSince) < searchLag;
    if (young) return fromState(s);
    return other ?? goneFromDesk(key, s);
  }

  /**
   * The ticket reopened, or null when the desk offers it no way back (CANNOT_REOPEN: a Jira
   * status no reopen transition leaves, such as Declined): then it is as closed, followed up by
   * a new ticket, and said, so an admin can name the status closed.
   */
  async function reopenUnlessRefused(key: string, ticket: DeskTicket, note: ContentBlock[]): Promise<DeskTicket | null> {
    try {
      return await sink.reopen(ticket, note);
    } catch (err) {
      if (!(err instanceof PermanentError && err.code === CANNOT_REOPEN)) throw err;
      log?.warn({ correlationKey: key, ticketId: ticket.id, reason: err.message }, 'the desk cannot reopen the ticket: a new ticket follows it up');
      return null;
    }
  }

  /** Our ticket is in the desk no more (deleted, or moved where syncdesk cannot read it): read as closed, and said. */
  function goneFromDesk(key: string, s: KeyState): DeskTicket {
    log?.warn({ correlationKey: key, ticketId: s.ticketId }, 'ticket no longer in the desk (deleted, or moved where syncdesk cannot find it): read as closed');
    return { ...fromState(s), status: 'closed', gone: true };
  }

  /**
   * The open ticket of another problem of the same family (the object's conflict with other
   * values) that an older run listed: the one a new ticket of this problem continues. Not one
   * of the keys being applied now (`busy`: this chunk's, whose locks are held; two rows of one
   * report are two problems).
   */
  async function predecessor(view: ProblemView, busy: ReadonlySet<string>): Promise<{ key: string; s: KeyState } | null> {
    const family = problemFamily(view.error);
    if (!family) return null;
    const owner = await state.familyOwner(streamOf(view.report), family);
    if (!owner || owner === view.key || busy.has(owner)) return null;
    const s = await state.get(owner);
    const older = s && Date.parse(s.lastCoversAt) < Date.parse(view.report.coversAt);
    return s && older && s.status === 'open' && s.ticketId && s.family === family ? { key: owner, s } : null;
  }

  /** Resolves the predecessor's ticket in favour of `next`, under its key's lock (state read again: it may have moved on). */
  function supersede(before: { key: string }, view: ProblemView, next: DeskTicket): Promise<TicketAction | null> {
    return state.withLock(before.key, async () => {
      const s = await state.get(before.key);
      if (!s || s.status !== 'open' || !s.ticketId || s.ticketId === next.id || Date.parse(s.lastCoversAt) >= Date.parse(view.report.coversAt)) return null;
      const ticket = await deskTicket(before.key, s);
      if (ticket?.status !== 'open' || ticket.mergedFrom) return null;
      const done = await sink.resolve(ticket, continuedNote(view, next));
      await state.put({ ...s, status: done.status, resolvedAt: done.resolvedAt ?? now().toISOString(), resolvedCoversAt: view.report.coversAt });
      log?.info({ correlationKey: before.key, action: 'resolve', ticketId: ticket.id, continuedIn: next.id }, 'ticket action');
      return { key: before.key, action: 'resolve', ticketId: ticket.id, summary: s.summary };
    });
  }

  /**
   * One problem, under its key's lock: `s` its state read under that lock, `searched` the desk's
   * tickets for it when already searched. `chunk.keys`: the keys applied with it (their locks are
   * held); `chunk.more` gets the actions it takes on other keys (a ticket it continues, resolved).
   */
  async function applyKey(
    view: ProblemView,
    s: KeyState | null,
    options: { old: boolean; newerRun?: string; searched?: DeskTicket[]; refresh?: Refresh; chunk?: { keys: ReadonlySet<string>; more: TicketAction[] } },
  ): Promise<TicketAction> {
    const { old, newerRun, searched, refresh, chunk = { keys: new Set(), more: [] } } = options;
    const superseded = async (before: { key: string } | null, next: DeskTicket | null): Promise<void> => {
      const done = before && next ? await supersede(before, view, next) : null;
      if (done) chunk.more.push(done);
    };
    const early = settled(view, s, old, refresh);
    if (early) return early;
    const { key, report } = view;
    const summary = renderSummary(view);
    const hash = contentHash(view);
    let seen = nextSeen(s, view);
    const ticket = await deskTicket(key, s, searched);
    const nowIso = now().toISOString();
    let action: TicketAction['action'];
    let result: DeskTicket | null = ticket;
    let since = s?.ticketSince ?? null;

    const createTicket = async (followUp?: FollowUp): Promise<void> => {
      since = nowIso;
      const idempotencyKey = `${key}:${report.reportId}`;
      // a ticket gone from the desk is named in the text, never linked: desks refuse a link to it
      const followUpOf = followUp && !followUp.ticket.gone ? followUp.ticket : undefined;
      result = await sink.create(renderDraft(view, seen, followUp, old ? newerRun : undefined), { idempotencyKey, followUpOf, route: deps.routeOf?.(report) });
    };
    /** A new ticket after `closed`: the problem back, or listed all along while an agent closed it, or its ticket gone. */
    const followUpClosed = (closed: DeskTicket): Promise<void> => {
      const why = closed.gone ? 'gone' : s?.status === 'open' && s.ticketId === ownId(closed) ? 'closed-while-listed' : 'back';
      return createTicket({ ticket: closed, why });
    };

    switch (ticketStep(ticket, s, { report, refresh, policy, now })) {
      case 'leave':
        return { key, action: 'unchanged', ticketId: s?.ticketId ?? undefined, summary };
      case 'create': {
        action = 'create';
        // the object's conflict listed with other values: the new ticket continues the open one, with its history
        const before = s ? null : await predecessor(view, chunk.keys);
        const found = before && (await deskTicket(before.key, before.s));
        const continued = found?.status === 'open' ? found : undefined;
        if (continued) seen = nextSeen(before!.s, view);
        await createTicket(continued && { ticket: continued, why: 'continues' });
        if (continued) await superseded(before, result);
        break;
      }
      case 'update': {
        const open = ticket!;
        const adopted = !s || s.ticketId !== ownId(open);
        // a merged ticket stays open when its problem goes (goneNote): the problem back is said there
        const back = !!open.mergedFrom && s?.status !== 'open';
        // An open ticket we have no record of was created by a run that crashed before its
        // state write: it already carries this content, so adopting it must not add a note.
        if (adopted) since = nowIso;
        // When that run made it as its family's continuation, it may have crashed before resolving
        // the ticket it continues: that is done now, and the object's history carried over.
        const before = s ? null : await predecessor(view, chunk.keys);
        if (before) seen = nextSeen(before.s, view);
        await superseded(before, open);
        if (adopted || (sameContent(s, hash) && !back)) action = 'unchanged';
        else {
          action = 'note';
          const note = back ? backNote(view, seen) : changedNote(view, seen, refresh);
          await sink.addNote(open, open.mergedFrom ? mergedNote(summary, open.mergedFrom, note) : note);
          // a merged ticket keeps the title its agent's ticket has
          if (s.summary !== summary && !open.mergedFrom) await sink.updateFields(open, { summary });
        }
        break;
      }
      case 'wontfix':
        action = 'skip-wontfix';
        break;
      case 'merged-away':
        // an agent merged it into a ticket the desk does not name: the problem, listed all along, is
        // worked there, and stays open in syncdesk's state
        action = 'unchanged';
        result = { ...ticket!, status: 'open' };
        break;
      case 'older':
        action = 'skip-old';
        break;
      case 'reopen': {
        const closed = ticket!;
        const ours = s?.status === 'resolved' && s.ticketId === closed.id ? s.resolvedCoversAt : null;
        // the ticket stated these facts last (its own state, whatever its status): the note need not repeat them
        const sameFacts = s?.ticketId === closed.id && sameContent(s, hash);
        const back = await reopenUnlessRefused(key, closed, reopenNote(view, seen, { byReportCovering: ours ?? null, at: closed.resolvedAt }, sameFacts));
        if (back) {
          action = 'reopen';
          result = back;
          if (s?.summary !== summary) await sink.updateFields(result, { summary });
          // back to values its family's newer ticket took over: that one is resolved in favour of this one
          await superseded(await predecessor(view, chunk.keys), result);
        } else {
          action = 'followup';
          await followUpClosed(closed);
        }
        break;
      }
      case 'follow-up':
        action = 'followup';
        await followUpClosed(ticket!);
        break;
    }

    const family = problemFamily(view.error);
    await state.put({
      key,
      stream: streamOf(report),
      fingerprint: view.error.fingerprint,
      ...(family && { family }),
      ...(view.error.valueQuarantined && { quarantined: true }),
      // a merged ticket is known by the id syncdesk made: RT answers for it with the merged one
      ticketId: result?.mergedFrom ?? result?.id ?? null,
      // still the ticket a moved state brought: it holds the key it was made with
      ...(s?.ticketKey && result && (result.mergedFrom ?? result.id) === s.ticketId && { ticketKey: s.ticketKey }),
      ...(result?.name && !result.mergedFrom && { ticketName: result.name }),
      ticketUrl: result?.url ?? null,
      status: result?.status ?? 'open',
      resolvedAt: result?.resolvedAt ?? null,
      ticketSince: since,
      summary,
      contentHash: hash,
      contentVersion: CONTENT_VERSION,
      lastReportId: report.reportId,
      lastCoversAt: report.coversAt,
      resolvedCoversAt: null,
      missed: 0,
      lastMissedReportId: null,
      lastMissedCoversAt: null,
      ...seen,
    });
    // what changed at the desk, at info; a repeat that changed nothing only in the debug log (the
    // report's line counts it): at info it was most of a long-running service's log
    const followUpOf = action === 'followup' ? ticket?.id : undefined;
    log?.[action === 'unchanged' ? 'debug' : 'info']({ correlationKey: key, action, ticketId: result?.id, ...(followUpOf && { followUpOf }) }, 'ticket action');
    return { key, action, ticketId: shownId(result), summary };
  }

  /**
   * The problem's state under a name its tenant had before (ReportRef.tenantAliases), moved to
   * the key of now with its ticket: naming the tenant otherwise (a snapshot imported, a tenants
   * file, an upgrade) must not give its problems a second ticket and strand the first.
   * The old key's state stays, pointing here. Called under the new key's lock.
   */
  async function movedFromAlias(view: ProblemView): Promise<KeyState | null> {
    const report = view.report;
    for (const alias of report.tenantAliases ?? []) {
      const from = correlationKey(alias, view.error);
      if (from === view.key) continue;
      const before = await state.get(from);
      if (!before || before.movedTo || !before.ticketId) continue;
      const oldStream = before.stream;
      // the alias's stream of the same source (mail, or the Graph poll) becomes the tenant's
      const stream = (['mail', 'graph'] as const).map((source) => [reportStream({ source, tenantKey: alias }), reportStream({ source, tenantKey: report.tenantKey })]).find(([old]) => old === oldStream)?.[1] ?? oldStream;
      const moved: KeyState = { ...before, key: view.key, stream, ticketKey: before.ticketKey ?? before.key };
      await state.put(moved);
      await state.put({ ...before, movedTo: view.key });
      log?.info({ correlationKey: view.key, from, ticketId: before.ticketId, tenant: report.tenantKey, alias }, 'ticket state moved: the tenant is named otherwise now');
      return moved;
    }
    return null;
  }

  /** A key whose open ticket is absent from this (newest) report: count it, resolve after N. */
  async function applyMissing(key: string, report: ReportRef, present: ReadonlySet<string>): Promise<TicketAction | null> {
    const s = await state.get(key);
    if (!s || s.status !== 'open' || !s.ticketId) return null;
    // the source that saw the problem last is the one that can tell it is gone (under the
    // tenant's name of now, or of before: a problem no report listed since the tenant was renamed)
    if (s.stream !== streamOf(report) && !aliasStreams(report).includes(s.stream)) return null;
    if (present.has(s.fingerprint)) return null;
    // Microsoft lists a value it set aside once: the next reports never do (render.ts, QUARANTINE_STAYS_OPEN)
    if (s.quarantined) return null;
    if (Date.parse(s.lastCoversAt) >= Date.parse(report.coversAt)) return null;
    // a report counts once, and so does its run: the admin's forward of a report already counted is no newer report
    const counted = s.lastMissedReportId === report.reportId || (!!s.lastMissedCoversAt && Date.parse(s.lastMissedCoversAt) >= Date.parse(report.coversAt));
    if (counted) return null;
    const missed = s.missed + 1;
    const resolve = policy.resolveAfterMissing > 0 && missed >= policy.resolveAfterMissing;
    let action: TicketAction | null = resolve ? { key, action: 'resolve', ticketId: s.ticketId, summary: s.summary } : null;
    const next: KeyState = { ...s, missed, lastMissedReportId: report.reportId, lastMissedCoversAt: report.coversAt };
    if (resolve) {
      const ticket = await deskTicket(key, s);
      if (ticket?.status === 'open' && ticket.mergedFrom) {
        // merged by an agent into a ticket that holds more (another problem, a user's request): said, not resolved
        await sink.addNote(ticket, mergedNote(s.summary, ticket.mergedFrom, goneNote(report, missed)));
        action = { key, action: 'note', ticketId: ticket.id, summary: s.summary };
        next.status = 'resolved';
        next.resolvedAt = now().toISOString();
        next.resolvedCoversAt = report.coversAt;
      } else if (ticket?.status === 'open') {
        const done = await sink.resolve(ticket, resolveNote(report, missed, policy.reopenWithinDays));
        next.status = done.status;
        next.resolvedAt = done.resolvedAt ?? now().toISOString();
        next.resolvedCoversAt = report.coversAt;
      } else {
        // Someone already changed it in the desk (or deleted it): record that instead of resolving.
        // A ticket at another desk (TICKET_SINK changed since) is out of reach: its desk's agents close it.
        if (!ticket && ofAnotherDesk(s)) log?.warn({ correlationKey: key, ticketUrl: s.ticketUrl, missed }, 'problem no longer listed, but its ticket is at another desk than this one: close it there');
        next.status = ticket?.status ?? 'closed';
        next.resolvedAt = ticket?.resolvedAt ?? null;
        await state.put(next);
        return null;
      }
    }
    await state.put(next);
    if (action) log?.info({ correlationKey: key, action: action.action, ticketId: action.ticketId, missed }, 'ticket action');
    return action;
  }

  async function applyDigest(job: ReportErrors, views: ProblemView[], old: boolean): Promise<TicketAction[]> {
    const report = job.report;
    const key = digestKey(report.tenantKey, report.reportId);
    const draft = renderDigest(key, report, views);
    const run = async (): Promise<TicketAction> => {
      const s = await state.get(key);
      if (s?.ticketId) return { key, action: 'unchanged', ticketId: s.ticketId, summary: draft.summary };
      if (old) return { key, action: 'skip-old', summary: draft.summary };
      const existing = (await sink.findByKey(key))[0];
      const ticket = existing ?? (await sink.create(draft, { idempotencyKey: key, route: deps.routeOf?.(report) }));
      const seen = { firstSeen: report.coversAt, lastSeen: report.coversAt, seenCount: 1, reports: [] };
      await state.put({
        key,
        // A stream of its own, so a digest ticket is never counted missing and auto-resolved.
        stream: `digest:${report.tenantKey}`,
        fingerprint: key,
        ticketId: ticket.id,
        ticketUrl: ticket.url,
        status: ticket.status,
        resolvedAt: ticket.resolvedAt,
        ticketSince: now().toISOString(),
        summary: draft.summary,
        contentHash: '',
        lastReportId: report.reportId,
        lastCoversAt: report.coversAt,
        missed: 0,
        lastMissedReportId: null,
        ...seen,
      });
      return { key, action: existing ? 'unchanged' : 'create', ticketId: shownId(ticket), summary: draft.summary };
    };
    return [await state.withLock(key, run)];
  }

  /** Whether the stream has seen a report newer than this one (advancing it to this one otherwise). */
  async function isOld(report: ReportRef): Promise<{ old: boolean; newest: number | null }> {
    const previous = await state.advanceStream(streamOf(report), Date.parse(report.coversAt));
    // Strictly older only: a report covering the same time (another chunk, a forward of the same run) is applied; sameRun then makes it no new sighting.
    return { old: previous !== null && previous > Date.parse(report.coversAt), newest: previous };
  }

  async function applyProblems(part: ReportErrors, resolutions: Map<string, Resolution>, options: { refresh?: Refresh; done?: (action: TicketAction) => void } = {}): Promise<TicketAction[]> {
    let views = [...problemsOf(part, resolutions).values()];
    const { old, newest } = await isOld(part.report);
    // the newest run applied before an older report: a problem that report creates was not in it
    const newerRun = old && newest !== null ? new Date(newest).toISOString() : undefined;
    const { refresh } = options;
    const unchanged: TicketAction[] = [];
    if (refresh !== 'relookup' && (await state.isApplied(streamOf(part.report), part.report.reportId))) {
      // Applied before (a replay): what it listed stays as it is. A fuller copy of it (the copy
      // applied was cut off) still brings the problems that copy did not list, those whose
      // state is older than this report's run (or that have none); a forced run, the open
      // tickets whose lookup now says more.
      const problems = await mapLimit(views, concurrency, async (view) => ({ view, s: await state.get(view.key) }));
      const listed = ({ view, s }: { view: ProblemView; s: KeyState | null }): boolean =>
        s !== null && Date.parse(s.lastCoversAt) >= Date.parse(part.report.coversAt) && !(refresh && s.status === 'open' && !sameContent(s, contentHash(view)));
      for (const { view, s } of problems.filter(listed)) unchanged.push(shown({ key: view.key, action: 'unchanged', ticketId: s?.ticketId ?? undefined, summary: renderSummary(view) }, s));
      views = problems.filter((p) => !listed(p)).map(({ view }) => view);
      if (!views.length) return unchanged;
    }
    // Every key of the chunk locked first, then one desk search for those that need the desk:
    // a chunk costs one search instead of one per problem, and with the locks held no other
    // worker can create one of these tickets between that search and our create.
    return [...unchanged, ...(await withLocks(state, views.map((v) => v.key), async () => {
      const problems = await mapLimit(views, concurrency, async (view) => ({ view, s: (await state.get(view.key)) ?? (await movedFromAlias(view)) }));
      const asking = problems.filter(({ view, s }) => !settled(view, s, old, refresh)).map(({ view }) => view.key);
      const found = sink.findByKeys && asking.length > 1 ? await sink.findByKeys(asking) : undefined;
      const chunk = { keys: new Set(views.map((v) => v.key)), more: [] as TicketAction[] };
      const done = await mapLimit(problems, concurrency, async ({ view, s }) => {
        const action = shown(await aboutProblem(`problem ${renderSummary(view)} (key ${view.key})`, () => applyKey(view, s, { old, newerRun, searched: found?.get(view.key), refresh, chunk })), s);
        options.done?.(action);
        return action;
      });
      return [...done, ...chunk.more];
    }))];
  }

  async function closeReport(report: ReportRef, seen: ReportSeen): Promise<TicketAction[]> {
    const stream = streamOf(report);
    if (!seen.errorCount && !statesNoErrors(report)) {
      // An unreadable report, or mail that was no report, must not resolve every open ticket of the tenant.
      log?.warn({ reportId: report.reportId, tenant: report.tenantKey, action: 'skip-empty' }, 'report lists no error: nothing applied, nothing counted missing');
      return [];
    }
    // closed before (a replay of it): what it lacked was counted then
    if (await state.isApplied(stream, report.reportId)) return [];
    if (report.cutOff) {
      // not marked applied either: the whole copy, when it comes, counts what the run lacks
      log?.warn({ reportId: report.reportId, tenant: report.tenantKey, action: 'skip-cut-off' }, 'the report mail looks cut off: nothing counted missing');
      return [];
    }
    const { old, newest } = await isOld(report);
    if (seen.skipped) {
      log?.warn(
        { action: 'skip-old', reportId: report.reportId, stream, coversAt: report.coversAt, newest: newest === null ? null : new Date(newest).toISOString(), skipped: seen.skipped },
        old
          ? `report older than one already applied: ${seen.skipped} problem(s) left as the newer report decided`
          : // the report is the newest of its stream: its problems' own newer news decided them
            `${seen.skipped} problem(s) left as newer news decided them: a newer report that listed them, or a change made to their ticket in the desk after this report's run`,
      );
    }
    const actions: TicketAction[] = [];
    if (!old) {
      const open = (await Promise.all([stream, ...aliasStreams(report)].map((st) => state.openKeys(st)))).flat();
      const missing = [...new Set(open)].filter((key) => !seen.keys.has(key));
      const results = await mapLimit(missing, concurrency, (key) => aboutProblem(`problem no longer listed (key ${key})`, () => state.withLock(key, () => applyMissing(key, report, seen.fingerprints))));
      for (const action of results) if (action) actions.push(action);
    }
    await state.markApplied(stream, report.reportId);
    return actions;
  }

  async function applyReport(job: ReportErrors, resolutions: Map<string, Resolution>): Promise<TicketAction[]> {
    if (!job.errors.length) return closeReport(job.report, { errorCount: 0, keys: new Set(), fingerprints: new Set(), skipped: 0 });
    const present = presentIn(job);
    const seen = (skipped: number): ReportSeen => ({ errorCount: job.errors.length, keys: new Set(present.keys), fingerprints: new Set(present.fingerprints), skipped });
    if (policy.digest) {
      const { old } = await isOld(job.report);
      const digest = await applyDigest(job, [...problemsOf(job, resolutions).values()], old);
      // a problem ticketed on its own before the digest was turned on is still counted missing on a digest day
      return [...digest, ...(await closeReport(job.report, seen(0)))];
    }
    const actions = await applyProblems(job, resolutions);
    return [...actions, ...(await closeReport(job.report, seen(countOf(actions, 'skip-old'))))];
  }

  /**
   * The report with the keys its tenant was applied under before the configuration named it
   * as now (a tenantId corrected in the tenants file) added to its aliases: its problems keep
   * their tickets, and those it no longer lists are counted missing. A key the configuration
   * still names a tenant by is that tenant's, not a former name of this one.
   */
  async function withFormerKeys(report: ReportRef): Promise<ReportRef> {
    const own = report.tenantAliases ?? [];
    if (!own.length) return report;
    const known = (await Promise.all(own.map((name) => state.keysNamed(name)))).flat();
    await Promise.all(own.map((name) => state.addKeyNamed(name, report.tenantKey)));
    const former = [...new Set(known)].filter((key) => key !== report.tenantKey && !own.includes(key) && !deps.configuredTenant?.(key));
    return former.length ? { ...report, tenantAliases: [...own, ...former] } : report;
  }

  return {
    applyProblems: async (part, resolutions, options) => applyProblems({ ...part, report: await withFormerKeys(part.report) }, resolutions, options),
    closeReport: async (report, seen) => closeReport(await withFormerKeys(report), seen),
    applyReport: async (job, resolutions) => applyReport({ ...job, report: await withFormerKeys(job.report) }, resolutions),
  };
}

/** A problem's desk work, a failure naming the problem: a chunk holds up to 50, and `failed list` shows the failure alone. */
async function aboutProblem<T>(problem: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw naming(err, problem);
  }
}

/** Runs `fn` holding the locks of every key, taken one by one in sorted order so that two callers never wait on each other. */
function withLocks<T>(state: TicketStateStore, keys: string[], fn: () => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  const take = (i: number): Promise<T> => (i === sorted.length ? fn() : state.withLock(sorted[i]!, () => take(i + 1)));
  return take(0);
}

function countOf(actions: TicketAction[], kind: TicketActionKind): number {
  return actions.filter((a) => a.action === kind).length;
}
