import type { Job } from 'bullmq';
import type { ParseJob, ResolveJob, ResolveResult, TicketJob } from '../../schemas/jobs.schema.ts';
import type { ParsedReport, Rejection } from '../../schemas/report.schema.ts';
import type { Resolution } from '../../schemas/resolution.schema.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { MailStore } from '../ingest/mail-store.ts';
import type { parseMail } from '../parse/parse-mail.ts';
import type { ToReportRef } from '../parse/report-ref.ts';
import type { Queues } from '../queues.ts';
import { unresolved } from '../resolve/resolve-error.ts';
import type { Resolver } from '../resolve/resolver.ts';
import type { TicketAction } from '../ticket/apply-report.ts';
import type { TicketStageHandle } from '../ticket/ticket-stage.ts';

/**
 * The work of each queue, apart from BullMQ plumbing (workers/*.worker.ts wrap these).
 * Each is safe to run twice: ids derived from content make a repeated add a no-op.
 */

export interface ParseJobResult {
  reports: Array<{ reportId: string; ticketJobId: string; errors: number; added: boolean }>;
  rejection?: Rejection;
}

export interface ParseDeps {
  store: Pick<MailStore, 'get' | 'setStatus'>;
  parseMail: typeof parseMail;
  toReportRef: ToReportRef;
  queues: Queues;
  maxMailBytes: number;
}

/** Queues the ticket flow of each parsed report (also used for reports polled from Graph). */
export async function enqueueReports(
  reports: ParsedReport[],
  ctx: Parameters<ParseDeps['toReportRef']>[1],
  deps: Pick<ParseDeps, 'toReportRef' | 'queues'>,
  log: Logger,
  options: { rerun?: string } = {},
): Promise<ParseJobResult['reports']> {
  const out: ParseJobResult['reports'] = [];
  for (const report of reports) {
    const ref = deps.toReportRef(report, ctx);
    const flow = await deps.queues.addReportFlow({ report: ref, errors: report.errors }, options);
    log.info(
      { action: flow.added ? 'report-queued' : 'report-duplicate', reportId: ref.reportId, tenant: ref.tenantKey, errors: report.errors.length, resolveJobs: flow.resolveJobs },
      flow.added ? 'report queued for resolve and ticket' : 'report already queued',
    );
    out.push({ reportId: ref.reportId, ticketJobId: flow.jobId, errors: report.errors.length, added: flow.added });
  }
  return out;
}

export async function processParseJob(data: ParseJob, deps: ParseDeps, log: Logger): Promise<ParseJobResult> {
  const mail = await deps.store.get(data.mailId);
  if (!mail) throw new PermanentError(`mail ${data.mailId} is not in the mail store`, 'mail-missing');
  const outcome = await deps.parseMail(mail.raw, { maxBytes: deps.maxMailBytes });
  if (!outcome.ok) {
    const { reason, detail } = outcome.rejection;
    // the mail stays in the store, so it can be looked at and replayed
    await deps.store.setStatus(data.mailId, 'rejected', `${reason}: ${detail}`);
    log.warn({ action: 'rejected', mailId: data.mailId, reason, detail }, 'mail rejected by the parser');
    return { reports: [], rejection: outcome.rejection };
  }
  const ctx = { mailId: data.mailId, receivedAt: new Date(data.receivedAt), envelopeFrom: data.envelopeFrom };
  const reports = await enqueueReports(outcome.reports, ctx, deps, log, { rerun: data.rerun });
  await deps.store.setStatus(data.mailId, 'parsed', null);
  return { reports };
}

export async function processResolveJob(data: ResolveJob, resolver: Resolver): Promise<ResolveResult[]> {
  const found = await resolver.resolve(data.report, data.errors);
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
