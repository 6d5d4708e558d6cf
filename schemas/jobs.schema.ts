import { z } from 'zod';
import { ParsedReportSchema, SyncErrorSchema } from './report.schema.ts';
import { ResolutionSchema } from './resolution.schema.ts';

/**
 * The queue catalog: one payload schema per queue. Every worker parses its payload
 * on entry, so a malformed job fails permanently with a clear reason.
 */

/** Where a mail came in: the IMAP listener, the Graph mailbox, or a replay. */
export const MailOriginSchema = z.enum(['imap', 'replay-file', 'replay-mbox', 'replay-imap', 'graph', 'replay-graph']);
export type MailOrigin = z.infer<typeof MailOriginSchema>;

/** The report a problem came from, as later stages need it (ordering, tenant routing, ticket history). */
export const ReportRefSchema = z.object({
  /** Stable id of the report: its messageId, else the mail id. */
  reportId: z.string(),
  mailId: z.string().nullable(),
  subject: z.string(),
  /** The time the report covers (reportedAt, else sentAt, else receivedAt): reports apply in this order. */
  coversAt: z.string().datetime({ offset: true }),
  tenantKey: z.string(),
  tenant: ParsedReportSchema.shape.tenant,
  /**
   * Where the report came from: a mail, or the Graph poll. Both feed the same tickets (same
   * tenant key, same fingerprints), but each source is its own ordered stream: a poll at 06:02
   * must not make the 06:00 mail "old", nor resolve what only mails report.
   */
  source: z.enum(['mail', 'graph']).default('mail'),
});
export type ReportRef = z.infer<typeof ReportRefSchema>;

/** Most errors one resolve job carries: a report with thousands of errors becomes many small jobs. */
export const RESOLVE_CHUNK_SIZE = 50;

/** resolve: a chunk of errors (at most RESOLVE_CHUNK_SIZE) of one report; returns one ResolveResult per error. */
export const ResolveJobSchema = z.object({
  report: ReportRefSchema,
  errors: z.array(SyncErrorSchema).min(1).max(RESOLVE_CHUNK_SIZE),
});
export type ResolveJob = z.infer<typeof ResolveJobSchema>;

/**
 * ticket: a whole report, applied at once after all its resolve jobs finished (a BullMQ
 * flow: this job is the parent, the resolve jobs its children). Applying per report is
 * what lets the ticket stage see which problems are gone and keep reports in order.
 */
export const TicketJobSchema = z.object({
  report: ReportRefSchema,
  errors: z.array(SyncErrorSchema),
});
export type TicketJob = z.infer<typeof TicketJobSchema>;

/** One error's resolution; a resolve job returns an array of these to its parent ticket job. */
export const ResolveResultSchema = z.object({
  fingerprint: z.string(),
  resolution: ResolutionSchema,
});
export type ResolveResult = z.infer<typeof ResolveResultSchema>;

/**
 * onprem: the same chunk as its resolve parent, read from on-premises AD by a worker inside
 * the customer's network; returns the on-premises side of each error (src/app/onprem-processor.ts).
 */
export const OnPremJobSchema = ResolveJobSchema;
export type OnPremJob = ResolveJob;

/**
 * poll: the scheduled Graph poll (onPremisesProvisioningErrors), an ingest source like a mail.
 * Mails are parsed once, by the ingestor, which queues the report flows itself.
 */
export const QUEUE_NAMES = { poll: 'poll', resolve: 'resolve', ticket: 'ticket', onprem: 'onprem' } as const;
export type QueueName = keyof typeof QUEUE_NAMES;
