import type { Job } from 'bullmq';
import { refreshOf, type ReportCloseJob, type ReportErrors, type ResolveJob, type ResolveResult, type TicketJob } from '../../schemas/jobs.schema.ts';
import type { Resolution } from '../../schemas/resolution.schema.ts';
import type { Logger } from '../logger.ts';
import { unresolved } from '../resolve/verdict.ts';
import type { OnPremSides, Resolver } from '../resolve/resolver.ts';
import { presentIn, type TicketAction, type TicketActionKind } from '../ticket/apply-report.ts';
import type { TicketStageHandle } from '../ticket/ticket-stage.ts';

/**
 * The work of each queue, apart from BullMQ plumbing (src/app/workers.ts wraps these in run-worker.ts's BullMQ Worker).
 * Each is safe to run twice: ids derived from content make a repeated add a no-op.
 */

/** `onPremises`: what the job's onprem child read from AD (absent when AD is not configured). */
export async function processResolveJob(data: ResolveJob, resolver: Resolver, onPremises?: OnPremSides): Promise<ResolveResult[]> {
  const found = await resolver.resolve(data.report, data.errors, onPremises);
  return data.errors.map((error) => ({
    fingerprint: error.fingerprint,
    resolution: found.get(error.fingerprint) ?? unresolved(error.fingerprint, 'the resolver returned nothing for this error'),
  }));
}

export interface TicketJobResult {
  reportId: string;
  /** What this job did at the desk: a chunk, its problems; a close, the resolves of what the report no longer lists. */
  actions: TicketAction[];
  /** The whole report's actions by kind, on the job that finished it (close, whole): for status and the report log line. */
  totals?: Partial<Record<TicketActionKind, number>>;
  /** What a chunk listed, for its report's close. */
  present?: { keys: string[]; fingerprints: string[] };
}

/**
 * Collects the resolutions the resolve child(ren) returned. A child that failed for good
 * (ignoreDependencyOnFailure) leaves its errors as `unresolved`, with the failure as note.
 */
async function collectResolutions(job: Job, data: ReportErrors): Promise<Map<string, Resolution>> {
  const values = (await job.getChildrenValues()) as Record<string, ResolveResult[] | undefined>;
  const map = new Map<string, Resolution>();
  for (const results of Object.values(values)) {
    for (const r of results ?? []) map.set(r.fingerprint, r.resolution);
  }
  const failures = Object.values(await job.getIgnoredChildrenFailures()).filter(Boolean);
  const note = failures.length ? `lookup failed: ${failures[0]}` : 'no resolution was returned for this error';
  for (const error of data.errors) {
    if (!map.has(error.fingerprint)) map.set(error.fingerprint, unresolved(error.fingerprint, note));
  }
  return map;
}

export function countActions(actions: Iterable<TicketAction>, into: Partial<Record<TicketActionKind, number>> = {}): Partial<Record<TicketActionKind, number>> {
  for (const a of actions) into[a.action] = (into[a.action] ?? 0) + 1;
  return into;
}

type TicketStage = Pick<TicketStageHandle, 'applyReport' | 'applyProblems' | 'closeReport'>;

/** A report's close: what its chunks listed and did (a chunk's result is its child value). */
async function closeReport(job: Job, data: ReportCloseJob, stage: TicketStage): Promise<{ actions: TicketAction[]; totals: Partial<Record<TicketActionKind, number>> }> {
  const chunks = Object.values((await job.getChildrenValues()) as Record<string, TicketJobResult>);
  const keys = new Set<string>();
  const fingerprints = new Set<string>();
  const totals: Partial<Record<TicketActionKind, number>> = {};
  for (const chunk of chunks) {
    for (const k of chunk.present?.keys ?? []) keys.add(k);
    for (const f of chunk.present?.fingerprints ?? []) fingerprints.add(f);
    countActions(chunk.actions, totals);
  }
  const actions = await stage.closeReport(data.report, { errorCount: data.errorCount, keys, fingerprints, skipped: totals['skip-old'] ?? 0 });
  return { actions, totals: countActions(actions, totals) };
}

/** The actions a chunk's failed attempts took, kept in the job's progress (it outlives attempts). */
export function actionsOfEarlierAttempts(job: Pick<Job, 'progress'>): TicketAction[] {
  const progress = job.progress as { actions?: TicketAction[] } | number | undefined;
  return typeof progress === 'object' && Array.isArray(progress?.actions) ? progress.actions : [];
}

/**
 * A chunk's actions over its attempts: an attempt that failed created or changed tickets the
 * next finds as they are ("unchanged"), so what an earlier attempt did stands for that
 * problem (a retried chunk's tickets were counted unchanged).
 */
function overAttempts(earlier: readonly TicketAction[], later: readonly TicketAction[]): TicketAction[] {
  const byKey = new Map<string, TicketAction>();
  for (const a of earlier) if (a.action !== 'unchanged') byKey.set(a.key, a);
  return [...later.map((a) => (a.action === 'unchanged' && byKey.get(a.key)) || a), ...[...byKey.values()].filter((a) => !later.some((b) => b.key === a.key))];
}

export async function processTicketJob(job: Job, data: TicketJob, stage: TicketStage, log: Logger): Promise<TicketJobResult> {
  const reportId = data.report.reportId;
  if (data.kind === 'chunk') {
    const earlier = actionsOfEarlierAttempts(job);
    const now: TicketAction[] = [];
    try {
      const actions = await stage.applyProblems(data, await collectResolutions(job, data), { refresh: refreshOf(data), done: (a) => now.push(a) });
      return { reportId, actions: overAttempts(earlier, actions), present: presentIn(data) };
    } catch (err) {
      // what this attempt did, for the next one and for a count of a chunk that fails for good
      if (now.length) await job.updateProgress({ actions: overAttempts(earlier, now) }).catch(() => undefined);
      throw err;
    }
  }
  let actions: TicketAction[];
  let totals: Partial<Record<TicketActionKind, number>>;
  if (data.kind === 'close') ({ actions, totals } = await closeReport(job, data, stage));
  else {
    actions = await stage.applyReport(data, await collectResolutions(job, data));
    totals = countActions(actions);
  }
  // `log` carries the reportId already (workers.ts binds it for every line of the job)
  log.info({ action: 'report-applied', tenant: data.report.tenantKey, counts: totals }, 'report applied to tickets');
  return { reportId, actions, totals };
}
