import type { ReportRef } from '../../schemas/jobs.schema.ts';

/**
 * The tenant and report a job works on, as the operator's lines name them ("tenant Contoso,
 * report <id>"), from the report its data carries (resolve, on-premises and ticket jobs); null
 * for a job of no report (the Graph poll). An MSP's one broken customer among fifty was told
 * only by a job hash and a host.
 */
export function jobAbout(data: unknown): string | null {
  const report = (data as { report?: Partial<ReportRef> } | null | undefined)?.report;
  if (!report?.tenantKey) return null;
  return `tenant ${report.tenantName ?? report.tenant?.name ?? report.tenantKey}, report ${report.reportId}`;
}

/** `{ about }` for a job of a report, nothing otherwise: spread into the lines that list jobs. */
export function aboutOf(job: { data: unknown }): { about?: string } {
  const about = jobAbout(job.data);
  return about ? { about } : {};
}
