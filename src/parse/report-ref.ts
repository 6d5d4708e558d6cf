import type { ReportRef } from '../../schemas/jobs.schema.ts';
import type { ParsedReport } from '../../schemas/report.schema.ts';

/**
 * What later stages need to know about the report an error came from. `tenantKey` names
 * the tenant as stably as the report allows (its initial domain, else its id, else its
 * name, else the address that forwarded it: an MSP maps that in its tenants file);
 * `coversAt` orders reports by the sync run they describe, so a replayed old report can
 * never undo a newer one.
 */
export interface ReportContext {
  mailId: string | null;
  receivedAt: Date;
  envelopeFrom: string | null;
  source?: ReportRef['source'];
}

export type ToReportRef = (report: ParsedReport, ctx: ReportContext) => ReportRef;

export const toReportRef: ToReportRef = (report, ctx) => {
  const t = report.tenant;
  const tenantKey = (t.domain ?? t.id ?? t.name ?? report.forwardedBy ?? ctx.envelopeFrom ?? 'unknown').trim().toLowerCase();
  return {
    reportId: report.messageId ?? ctx.mailId ?? `${tenantKey}:${report.reportedAt ?? report.sentAt ?? ctx.receivedAt.toISOString()}`,
    mailId: ctx.mailId,
    subject: report.subject,
    coversAt: report.reportedAt ?? report.sentAt ?? ctx.receivedAt.toISOString(),
    tenantKey,
    tenant: t,
    fingerprints: [...new Set(report.errors.map((e) => e.fingerprint))],
    source: ctx.source ?? 'mail',
  };
};
