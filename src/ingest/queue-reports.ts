import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { ParsedReport } from '../../schemas/report.schema.ts';
import type { Logger } from '../logger.ts';
import type { ReportContext, ToReportRef } from '../parse/report-ref.ts';
import type { Queues } from '../queues.ts';

/** One report's resolve → ticket flow, as queued. */
export interface QueuedReport {
  reportId: string;
  ticketJobId: string;
  errors: number;
  /** False when the same report's flow was already queued (its ids come from its content). */
  added: boolean;
}

/** Queues the flow of each parsed report; `rerun` gives a forced re-run ids of its own. */
export type QueueReports = (reports: ParsedReport[], ctx: ReportContext, options?: { rerun?: string }) => Promise<QueuedReport[]>;

/**
 * The one way reports enter the pipeline, for mails (the ingestor) and the Graph poll alike:
 * each report becomes a ticket flow whose ids come from its content, so queueing the same
 * report again is a no-op.
 */
export function createReportQueuer(deps: { toReportRef: ToReportRef; queues: Pick<Queues, 'addReportFlow'>; order?: { queued(report: ReportRef, closeJobId: string): Promise<void> }; logger: Logger }): QueueReports {
  return async (reports, ctx, options = {}) => {
    const out: QueuedReport[] = [];
    for (const report of reports) {
      const ref = deps.toReportRef(report, ctx);
      const flow = await deps.queues.addReportFlow({ report: ref, errors: report.errors }, options);
      // in line behind the older reports of its tenant still on their way (report-order.ts)
      if (flow.added) await deps.order?.queued(ref, flow.jobId);
      deps.logger.info(
        { action: flow.added ? 'report-queued' : 'report-duplicate', mailId: ctx.mailId, reportId: ref.reportId, tenant: ref.tenantKey, errors: report.errors.length, resolveJobs: flow.resolveJobs },
        flow.added ? 'report queued for resolve and ticket' : 'report already queued',
      );
      out.push({ reportId: ref.reportId, ticketJobId: flow.jobId, errors: report.errors.length, added: flow.added });
    }
    return out;
  };
}
