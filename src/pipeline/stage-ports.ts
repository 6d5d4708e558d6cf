import type { ReportRef, TicketJob } from '../../schemas/jobs.schema.ts';
import type { ParseOutcome, ParsedReport, SyncError } from '../../schemas/report.schema.ts';
import type { Resolution } from '../../schemas/resolution.schema.ts';

/**
 * What the pipeline needs from each stage, declared here by the code that calls it (only
 * the calls it makes). The composition root (`runtime.ts`) plugs in the real stages.
 */

export type ParseMail = (raw: Buffer, options?: { maxBytes?: number; timeoutMs?: number }) => Promise<ParseOutcome>;

export type ToReportRef = (
  report: ParsedReport,
  ctx: { mailId: string | null; receivedAt: Date; envelopeFrom: string | null; source?: ReportRef['source'] },
) => ReportRef;

export interface Resolver {
  resolve(report: ReportRef, errors: SyncError[]): Promise<Map<string, Resolution>>;
  close(): Promise<void>;
}

export type TicketActionKind = 'create' | 'note' | 'unchanged' | 'reopen' | 'resolve' | 'followup' | 'skip-wontfix' | 'skip-old';

export interface TicketActionLike {
  key: string;
  action: TicketActionKind;
  ticketId?: string;
  summary: string;
}

export interface TicketStage {
  applyReport(job: TicketJob, resolutions: Map<string, Resolution>, options?: { dryRun?: boolean }): Promise<TicketActionLike[]>;
  close(): Promise<void>;
}

/** The mail store calls the parse stage makes. */
export interface ParseMailStore {
  get(mailId: string): Promise<{ raw: Buffer } | null>;
  setStatus(mailId: string, status: 'parsed' | 'rejected' | 'failed', reason?: string | null): Promise<unknown>;
}

/** A resolution standing in for a lookup that did not happen or failed for good. */
export function unresolved(fingerprint: string, note: string, now: Date = new Date()): Resolution {
  return { fingerprint, verdict: 'unresolved', holders: [], actions: [], note, resolvedAt: now.toISOString() };
}
