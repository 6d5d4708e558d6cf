import type { Job } from 'bullmq';
import type { ResolveJob, ResolveResult, TicketJob } from '../../schemas/jobs.schema.ts';
import type { Resolution } from '../../schemas/resolution.schema.ts';
import type { Logger } from '../logger.ts';
import { unresolved } from '../resolve/resolve-error.ts';
import type { OnPremSides, Resolver } from '../resolve/resolver.ts';
import type { TicketAction } from '../ticket/apply-report.ts';
import type { TicketStageHandle } from '../ticket/ticket-stage.ts';

/**
 * The work of each queue, apart from BullMQ plumbing (workers/*.worker.ts wrap these).
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
  actions: TicketAction[];
}

/**
 * Collects the resolutions the resolve children returned. A child that failed for good
 * (ignoreDependencyOnFailure) leaves its errors as `unresolved`, with the failure as note.
 */
export async function collectResolutions(job: Job, data: TicketJob): Promise<Map<string, Resolution>> {
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

export async function processTicketJob(job: Job, data: TicketJob, stage: Pick<TicketStageHandle, 'applyReport'>, log: Logger): Promise<TicketJobResult> {
  const resolutions = await collectResolutions(job, data);
  const actions = await stage.applyReport(data, resolutions);
  const counts: Record<string, number> = {};
  for (const a of actions) counts[a.action] = (counts[a.action] ?? 0) + 1;
  log.info({ action: 'report-applied', reportId: data.report.reportId, tenant: data.report.tenantKey, counts }, 'report applied to tickets');
  return { reportId: data.report.reportId, actions };
}
